package io.github.lth.djl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.Device;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.github.lth.core.Mask;
import io.github.lth.core.ParameterInfo;
import io.github.lth.core.ParameterKind;
import io.github.lth.core.Snapshot;
import io.github.lth.core.Weights;
import io.github.lth.djl.models.HeadedBlock;
import io.github.lth.djl.models.Models;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class DjlModelTest {
  private static final Shape MLP_INPUT = new Shape(1, 1, 4, 4);

  @Test
  void parametersOfAConvNetHaveInferredKinds() {
    try (DjlModel m = DjlModel.create(TestBlocks.convNet(3), new Shape(1, 1, 6, 6), Device.cpu(), 1)) {
      assertThat(m.parameters()).extracting(ParameterInfo::name).containsExactly(
          "01Conv2d_weight", "01Conv2d_bias", "02BatchNorm_gamma", "02BatchNorm_beta",
          "02BatchNorm_runningMean", "02BatchNorm_runningVar", "05Linear_weight",
          "05Linear_bias");
      assertThat(m.parameters()).extracting(ParameterInfo::kind).containsExactly(
          ParameterKind.CONV_WEIGHT, ParameterKind.BIAS, ParameterKind.NORMALIZATION,
          ParameterKind.NORMALIZATION, ParameterKind.OTHER, ParameterKind.OTHER,
          ParameterKind.LINEAR_WEIGHT, ParameterKind.BIAS);
      assertThat(m.parameters().get(0).shape()).containsExactly(4, 1, 3, 3);
      assertThat(m.parameters().get(6).shape()).containsExactly(3, 64);
      assertThat(m.state().names()).hasSize(8);
    }
  }

  @Test
  void provenanceNamesDjlTheEngineAndTheDevice() {
    try (DjlModel m = DjlModel.create(TestBlocks.convNet(3), new Shape(1, 1, 6, 6), Device.cpu(), 1)) {
      assertThat(m.provenance()).containsExactly(
          org.assertj.core.api.Assertions.entry("djl", "0.35.1"),
          org.assertj.core.api.Assertions.entry("engine", "PyTorch 2.7.1"),
          org.assertj.core.api.Assertions.entry("device", "cpu()"));
    }
  }

  @Test
  void snapshotRestoreRoundTripIsExact() {
    try (DjlModel m = DjlModel.create(TestBlocks.convNet(3), new Shape(1, 1, 6, 6), Device.cpu(), 2)) {
      Weights before = m.state();
      try (Snapshot s = m.snapshot()) {
        m.reinitialize(99);
        assertThat(m.state()).isNotEqualTo(before);
        m.restore(s);
        assertThat(m.state()).isEqualTo(before);
        assertThat(s.toWeights()).isEqualTo(before);
      }
    }
  }

  @Test
  void closedSnapshotCannotBeRestored() {
    try (DjlModel m = DjlModel.create(TestBlocks.mlp(5, 2), MLP_INPUT, Device.cpu(), 2)) {
      Snapshot s = m.snapshot();
      s.close();
      assertThatThrownBy(() -> m.restore(s)).isInstanceOf(IllegalStateException.class)
          .hasMessage("the snapshot was closed; take a new one with snapshot()");
    }
  }

  @Test
  void reinitializeIsDeterministicDiffersAndMatchesCreate() {
    try (DjlModel a = DjlModel.create(TestBlocks.convNet(3), new Shape(1, 1, 6, 6), Device.cpu(), 5);
        DjlModel b = DjlModel.create(TestBlocks.convNet(3), new Shape(1, 1, 6, 6), Device.cpu(), 6)) {
      Weights original = a.state();
      a.reinitialize(6);
      Weights six = a.state();
      assertThat(six).isNotEqualTo(original);
      assertThat(six).isEqualTo(b.state());
      a.reinitialize(5);
      assertThat(a.state()).isEqualTo(original);
      float[] w = six.values("01Conv2d_weight");
      float[] w0 = original.values("01Conv2d_weight");
      int differ = 0;
      for (int i = 0; i < w.length; i++) {
        differ += w[i] != w0[i] ? 1 : 0;
      }
      assertThat(differ).isEqualTo(w.length);
    }
  }

  @Test
  void loadSetsValuesAndListsMismatches() {
    try (DjlModel m = DjlModel.create(TestBlocks.mlp(5, 2), MLP_INPUT, Device.cpu(), 3)) {
      float[] v = new float[10];
      for (int i = 0; i < v.length; i++) {
        v[i] = i * 0.5f - 2;
      }
      m.load(Weights.builder().put("04Linear_weight", new long[] {2, 5}, v).build());
      assertThat(m.weights(List.of("04Linear_weight")).values("04Linear_weight")).containsExactly(v);

      Weights bad = Weights.builder()
          .put("x_weight", new long[] {1}, new float[1])
          .put("02Linear_weight", new long[] {10, 5}, new float[50])
          .put("04Linear_bias", new long[] {3}, new float[3])
          .put("y1", new long[] {1}, new float[1]).put("y2", new long[] {1}, new float[1])
          .put("y3", new long[] {1}, new float[1]).put("y4", new long[] {1}, new float[1])
          .build();
      Weights before = m.state();
      assertThatThrownBy(() -> m.load(bad)).isInstanceOf(IllegalArgumentException.class)
          .hasMessage("pre-trained weights do not fit the model: unknown 'x_weight'; "
              + "'02Linear_weight' has shape (10, 5), model has (5, 16); "
              + "'04Linear_bias' has shape (3,), model has (2,); unknown 'y1'; unknown 'y2'; "
              + "and 2 more");
      assertThat(m.state()).isEqualTo(before);
    }
  }

  @Test
  void applyMaskZeroesExactlyThePrunedWeights() {
    try (DjlModel m = DjlModel.create(TestBlocks.mlp(5, 2), MLP_INPUT, Device.cpu(), 4)) {
      Mask dense = TestBlocks.denseLayerWeights(m);
      SplittableRandom rng = new SplittableRandom(1);
      Mask.Builder b = Mask.builder();
      for (String layer : dense.layers()) {
        boolean[] bits = new boolean[(int) dense.size(layer)];
        for (int i = 0; i < bits.length; i++) {
          bits[i] = rng.nextBoolean();
        }
        b.put(layer, dense.shape(layer), bits);
      }
      Mask half = b.build();
      Weights before = m.state();
      m.applyMask(half);
      Weights after = m.state();
      assertThat(after).isEqualTo(before.masked(half));
      assertThat(m.mask()).contains(half);
      assertThat(m.deviceMask("02Linear_weight")).isPresent();
      assertThat(m.deviceMask("02Linear_bias")).isEmpty();
    }
  }

  @Test
  void maskThatDoesNotFitIsRefused() {
    try (DjlModel m = DjlModel.create(TestBlocks.mlp(5, 2), MLP_INPUT, Device.cpu(), 4)) {
      Mask wrong = Mask.dense(java.util.Map.of("02Linear_weight", new long[] {5, 15}));
      assertThatThrownBy(() -> m.applyMask(wrong)).isInstanceOf(IllegalArgumentException.class)
          .hasMessage("mask layer '02Linear_weight' has shape (5, 15), the model's parameter has (5, 16)");
      Mask unknown = Mask.dense(java.util.Map.of("fc9", new long[] {2}));
      assertThatThrownBy(() -> m.applyMask(unknown))
          .hasMessage("mask layer 'fc9' is not a parameter of the model");
    }
  }

  @Test
  void closedModelRefusesWork() {
    DjlModel m = DjlModel.create(TestBlocks.mlp(5, 2), MLP_INPUT, Device.cpu(), 4);
    m.close();
    assertThatThrownBy(m::state).isInstanceOf(IllegalStateException.class)
        .hasMessage("the model was closed; create a new DjlModel");
  }

  @Test
  void aWeightViewReachesEveryForwardPathAndLeavesTheWeightsAlone() {
    try (DjlModel m = DjlModel.create(Models.lenet300(10), new Shape(1, 1, 28, 28),
        Device.cpu(), 3); NDManager batch = m.manager().newSubManager()) {
      NDList x = new NDList(batch.ones(new Shape(2, 1, 28, 28)));
      Weights before = m.state();
      float[] plain = m.features(x).singletonOrThrow().toFloatArray();
      // every parameter seen as 0: the backbone's ReLU features are 0 whatever the input
      m.setWeightView((name, w, scope) -> scope.zeros(w.getShape(), w.getDataType()));
      float[] viaFeatures = m.features(x).singletonOrThrow().toFloatArray();
      HeadedBlock hb = (HeadedBlock) m.block();
      float[] viaPart = m.forward(hb.backbone(), x, true).singletonOrThrow().toFloatArray();
      float[] logits = m.forward(x, false).singletonOrThrow().toFloatArray();
      assertThat(viaFeatures).containsOnly(0f);
      assertThat(viaPart).containsOnly(0f);
      assertThat(logits).containsOnly(0f);
      assertThat(m.state()).isEqualTo(before);
      m.clearWeightView();
      assertThat(m.weightView()).isEmpty();
      assertThat(m.features(x).singletonOrThrow().toFloatArray()).isEqualTo(plain)
          .isNotEqualTo(viaFeatures);
    }
  }
}
