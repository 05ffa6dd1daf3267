package io.github.lth.djl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.core.Linear;
import ai.djl.training.GradientCollector;
import ai.djl.training.loss.Loss;
import io.github.lth.core.Mask;
import io.github.lth.core.ParameterInfo;
import io.github.lth.core.ParameterKind;
import io.github.lth.core.Snapshot;
import io.github.lth.core.Weights;
import io.github.lth.core.prune.ParameterSelectors;
import io.github.lth.core.prune.PruningCriteria;
import io.github.lth.core.prune.PruningScope;
import io.github.lth.core.prune.PruningStep;
import io.github.lth.core.schedule.PruningSchedules;
import io.github.lth.djl.internal.Temporaries;
import io.github.lth.djl.models.HeadedBlock;
import io.github.lth.djl.models.Models;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Heads, freezing and features of a DjlModel over a HeadedBlock. */
class DjlModelHeadsTest {
  private static final Shape LENET_INPUT = new Shape(1, 1, 28, 28);
  private static final Shape RESNET_INPUT = new Shape(1, 3, 8, 8);

  private static DjlModel lenet(long seed) {
    return DjlModel.create(Models.lenet300(10), LENET_INPUT, Device.cpu(), seed);
  }

  private static DjlModel resnet(long seed) {
    return DjlModel.create(Models.resnet20(10), RESNET_INPUT, Device.cpu(), seed);
  }

  private static Linear linear(int units) {
    return Linear.builder().setUnits(units).build();
  }

  @Test
  void headParametersCarryTheirHead() {
    try (DjlModel m = lenet(1)) {
      assertThat(m.heads()).containsExactly("fc3");
      assertThat(m.activeHead()).contains("fc3");
      assertThat(m.parameters()).extracting(ParameterInfo::name, ParameterInfo::head)
          .containsExactly(
              org.assertj.core.groups.Tuple.tuple("fc1_weight", ""),
              org.assertj.core.groups.Tuple.tuple("fc1_bias", ""),
              org.assertj.core.groups.Tuple.tuple("fc2_weight", ""),
              org.assertj.core.groups.Tuple.tuple("fc2_bias", ""),
              org.assertj.core.groups.Tuple.tuple("fc3_weight", "fc3"),
              org.assertj.core.groups.Tuple.tuple("fc3_bias", "fc3"));
      assertThat(m.inputShape()).isEqualTo(LENET_INPUT);
    }
  }

  @Test
  void defaultSelectionLeavesTheHeadDense() {
    try (DjlModel l = lenet(1); DjlModel r = resnet(1)) {
      assertThat(ParameterSelectors.defaults().select(l.parameters()))
          .extracting(ParameterInfo::name).containsExactly("fc1_weight", "fc2_weight");
      List<ParameterInfo> resnet = ParameterSelectors.defaults().select(r.parameters());
      assertThat(resnet).extracting(ParameterInfo::name).contains("conv1_weight")
          .doesNotContain("fc_weight");
      // conv1, two per residual block, two projection shortcuts
      assertThat(resnet).hasSize(21).allMatch(p -> p.kind() == ParameterKind.CONV_WEIGHT);
    }
  }

  @Test
  void blocksWithoutHeadsExplainThatAHeadedBlockIsNeeded() {
    try (DjlModel m = DjlModel.create(TestBlocks.mlp(5, 2), new Shape(1, 1, 4, 4), Device.cpu(),
        1); NDManager data = NDManager.newBaseManager(Device.cpu())) {
      assertThat(m.heads()).isEmpty();
      assertThat(m.activeHead()).isEmpty();
      assertThat(m.parameters()).noneMatch(ParameterInfo::inHead);
      String because = "needs a model whose block is a HeadedBlock (a backbone with named heads,"
          + " as Models builds); this model's block is a SequentialBlock";
      assertThatThrownBy(() -> m.replaceHead("fc", linear(3), 1))
          .isInstanceOf(IllegalStateException.class).hasMessage("replaceHead " + because);
      assertThatThrownBy(() -> m.removeHead("fc")).hasMessage("removeHead " + because);
      assertThatThrownBy(() -> m.features(new NDList(data.ones(new Shape(1, 1, 4, 4)))))
          .hasMessage("features " + because);
      assertThatThrownBy(m::freezeBackbone).hasMessage("freezeBackbone " + because);
    }
  }

  @Test
  void replaceHeadGivesTheNewWidthFromTheSeedAndKeepsTheBackbone() {
    try (DjlModel m = resnet(2); DjlModel other = resnet(3);
        NDManager data = NDManager.newBaseManager(Device.cpu())) {
      Weights backbone = m.weights(backboneNames(m));
      m.replaceHead("fc", linear(5), 11);
      other.replaceHead("fc", linear(5), 11);

      NDArray x = data.randomUniform(0f, 1f, new Shape(6, 3, 8, 8));
      assertThat(m.forward(new NDList(x), false).singletonOrThrow().getShape())
          .isEqualTo(new Shape(6, 5));
      ParameterInfo w = m.parameters().get(m.parameters().size() - 2);
      assertThat(w.name()).isEqualTo("fc_weight");
      assertThat(w.shape()).containsExactly(5, 64);
      assertThat(w.head()).isEqualTo("fc");
      assertThat(w.kind()).isEqualTo(ParameterKind.LINEAR_WEIGHT);
      assertThat(m.parameters().get(m.parameters().size() - 1).shape()).containsExactly(5);
      assertThat(m.weights(backboneNames(m))).isEqualTo(backbone);
      // the head depends on the seed only, not on the backbone it sits on
      List<String> head = List.of("fc_weight", "fc_bias");
      assertThat(m.weights(head)).isEqualTo(other.weights(head));
      other.replaceHead("fc", linear(5), 12);
      assertThat(m.weights(head)).isNotEqualTo(other.weights(head));

      // a new name adds a head and makes it the active one
      m.replaceHead("aux", linear(2), 1);
      assertThat(m.heads()).containsExactly("fc", "aux");
      assertThat(m.activeHead()).contains("aux");
      assertThat(m.forward(new NDList(x), false).singletonOrThrow().getShape())
          .isEqualTo(new Shape(6, 2));
      m.useHead("fc");
      assertThat(m.forward(new NDList(x), false).singletonOrThrow().getShape())
          .isEqualTo(new Shape(6, 5));
    }
  }

  @Test
  void replaceHeadRefusesHeadsThatDoNotFitAndChangesNothing() {
    try (DjlModel m = lenet(2)) {
      Weights before = m.state();
      Block initialized = linear(4);
      initialized.initialize(m.manager(), ai.djl.ndarray.types.DataType.FLOAT32,
          new Shape(1, 100));
      assertThatThrownBy(() -> m.replaceHead("fc3", initialized, 1))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessage("replaceHead fc3: the new head is already initialized; pass a fresh block,"
              + " its parameters are created on the model's device");
      assertThatThrownBy(() -> m.replaceHead("fc_3", linear(4), 1))
          .hasMessage("head name must be a letter followed by letters or digits: 'fc_3'");
      assertThat(m.state()).isEqualTo(before);
      assertThat(m.heads()).containsExactly("fc3");
    }
  }

  @Test
  void masksOverTheBackboneSurviveAHeadChangeAndOldSnapshotsAreRefused() {
    try (DjlModel m = lenet(4)) {
      Mask withHead = TestBlocks.denseLayerWeights(m);
      Mask pruned = m.prune(new PruningStep(withHead, PruningCriteria.magnitude(),
          PruningScope.GLOBAL, PruningSchedules.imp(0.5, 0.5), 1, null));
      m.applyMask(pruned);
      Snapshot before = m.snapshot();
      Weights backbone = m.weights(List.of("fc1_weight", "fc2_weight"));

      m.replaceHead("fc3", linear(3), 5);
      assertThat(m.mask()).isPresent();
      assertThat(m.mask().get().layers()).containsExactly("fc1_weight", "fc2_weight");
      assertThat(m.deviceMask("fc1_weight")).isPresent();
      assertThat(m.deviceMask("fc3_weight")).isEmpty();
      // the new head is not masked: reapplying leaves it dense
      m.reapplyMask();
      assertThat(m.weights(List.of("fc3_weight")).values("fc3_weight")).doesNotContain(0f);
      assertThat(m.weights(List.of("fc1_weight", "fc2_weight"))).isEqualTo(backbone);

      assertThatThrownBy(() -> m.restore(before)).isInstanceOf(IllegalStateException.class)
          .hasMessage("the snapshot was taken before a head of the model was replaced or"
              + " removed, so its parameters no longer match the model's; take a new snapshot,"
              + " or load the parameters that still fit from snapshot.toWeights()");
      // its host copy still has the old names and shapes
      assertThat(before.toWeights().shape("fc3_weight")).containsExactly(10, 100);
      m.load(before.toWeights().select(List.of("fc1_weight", "fc1_bias")));
      before.close();

      try (Snapshot after = m.snapshot()) {
        Weights state = m.state();
        m.reinitialize(9);
        m.restore(after);
        assertThat(m.state()).isEqualTo(state);
      }
      // a mask over the new layout applies
      m.applyMask(TestBlocks.denseLayerWeights(m));
      assertThat(m.mask().get().layers()).contains("fc3_weight");
    }
  }

  @Test
  void removeHeadMakesForwardReturnTheFeatures() {
    try (DjlModel m = lenet(5); NDManager data = NDManager.newBaseManager(Device.cpu())) {
      NDArray x = data.randomUniform(0f, 1f, new Shape(3, 1, 28, 28));
      float[] features = m.features(new NDList(x)).singletonOrThrow().toFloatArray();
      m.removeHead("fc3");
      assertThat(m.heads()).isEmpty();
      assertThat(m.activeHead()).isEmpty();
      assertThat(m.parameters()).extracting(ParameterInfo::name)
          .containsExactly("fc1_weight", "fc1_bias", "fc2_weight", "fc2_bias");
      NDArray out = m.forward(new NDList(x), false).singletonOrThrow();
      assertThat(out.getShape()).isEqualTo(new Shape(3, 100));
      assertThat(out.toFloatArray()).containsExactly(features);
      assertThatThrownBy(() -> m.removeHead("fc3"))
          .hasMessage("the block has no head 'fc3' (heads: [])");
      // with no head declared, defaults() guesses as for a plain block; the preset does not guess
      assertThat(ParameterSelectors.defaults().select(m.parameters()))
          .extracting(ParameterInfo::name).containsExactly("fc1_weight");
      assertThat(Models.defaultPrunable("lenet300").select(m.parameters()))
          .extracting(ParameterInfo::name).containsExactly("fc1_weight", "fc2_weight");
      m.replaceHead("fc3", linear(4), 1);
      assertThat(m.forward(new NDList(x), false).singletonOrThrow().getShape())
          .isEqualTo(new Shape(3, 4));
    }
  }

  @Test
  void featuresAreTheBackbonePartOfForward() {
    try (DjlModel m = resnet(6); NDManager data = NDManager.newBaseManager(Device.cpu())) {
      HeadedBlock block = (HeadedBlock) m.block();
      NDArray x = data.randomUniform(0f, 1f, new Shape(4, 3, 8, 8));
      NDArray features = m.features(new NDList(x)).singletonOrThrow();
      assertThat(features.getShape()).isEqualTo(new Shape(4, 64));
      assertThat(features.hasGradient()).isFalse();
      float[] viaHead = block.head("fc").forward(m.parameterStore(), new NDList(features), false)
          .singletonOrThrow().toFloatArray();
      assertThat(viaHead).containsExactly(
          m.forward(new NDList(x), false).singletonOrThrow().toFloatArray());
      // inference mode even for the backbone's BatchNorm: the same as the backbone alone
      assertThat(features.toFloatArray()).containsExactly(block.backbone()
          .forward(m.parameterStore(), new NDList(x), false).singletonOrThrow().toFloatArray());
    }
  }

  @Test
  void aFrozenBackboneStaysBitIdenticalWhileTheHeadTrains() {
    try (DjlModel m = resnet(7); NDManager data = NDManager.newBaseManager(Device.cpu())) {
      m.replaceHead("fc", linear(3), 8);
      m.freezeBackbone();
      List<String> backbone = backboneNames(m);
      for (String p : backbone) {
        assertThat(m.isFrozen(p)).as(p).isTrue();
        assertThat(m.parameterArray(p).hasGradient()).as(p).isFalse();
      }
      assertThat(m.isFrozen("fc_weight")).isFalse();
      Weights backboneBefore = m.weights(backbone);
      Weights headBefore = m.weights(List.of("fc_weight", "fc_bias"));

      data.getEngine().setRandomSeed(1);
      NDArray x = data.randomUniform(0f, 1f, new Shape(8, 3, 8, 8));
      NDArray y = data.create(new long[] {0, 1, 2, 0, 1, 2, 0, 1});
      List<String> updated = List.of();
      for (int step = 0; step < 3; step++) {
        updated = sgdStep(m, x, y, 0.5f);
      }
      assertThat(updated).containsExactly("fc_weight", "fc_bias");
      assertThat(m.weights(backbone)).isEqualTo(backboneBefore);
      assertThat(m.weights(List.of("fc_weight", "fc_bias"))).isNotEqualTo(headBefore);

      // unfrozen, the backbone trains again; running statistics never take gradients
      m.unfreezeBackbone();
      assertThat(m.isFrozen("conv1_weight")).isFalse();
      assertThat(m.isFrozen("bn1_runningMean")).isTrue();
      updated = sgdStep(m, x, y, 0.5f);
      assertThat(updated).contains("conv1_weight", "bn1_gamma", "fc_weight")
          .doesNotContain("bn1_runningMean");
      assertThat(m.weights(List.of("conv1_weight")))
          .isNotEqualTo(backboneBefore.select(List.of("conv1_weight")));
      assertThat(m.weights(List.of("bn1_runningMean")))
          .isNotEqualTo(backboneBefore.select(List.of("bn1_runningMean")));
    }
  }

  @Test
  void freezeByNameAndUnfreezeGiveBackExactlyWhatWasFrozen() {
    try (DjlModel m = resnet(8)) {
      m.freeze(List.of("conv1_weight", "bn1_runningVar"));
      assertThat(m.isFrozen("conv1_weight")).isTrue();
      assertThat(m.isFrozen("stage1_block0_conv1_weight")).isFalse();
      assertThatThrownBy(() -> m.freeze(List.of("bn1_gamma", "nope")))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageStartingWith("the model has no parameter 'nope'");
      assertThat(m.isFrozen("bn1_gamma")).isFalse();
      m.unfreezeAll();
      assertThat(m.isFrozen("conv1_weight")).isFalse();
      assertThat(m.isFrozen("bn1_runningVar")).isTrue();
      assertThat(m.parameterArray("bn1_runningVar").hasGradient()).isFalse();
    }
  }

  // ---------------------------------------------------------------------------------------------

  private static List<String> backboneNames(DjlModel m) {
    return m.parameters().stream().filter(p -> !p.inHead()).map(ParameterInfo::name).toList();
  }

  /**
   * One plain SGD step on every parameter whose array requires gradients (the loop a frozen
   * parameter must survive); returns the names it updated.
   */
  private static List<String> sgdStep(DjlModel m, NDArray x, NDArray y, float lr) {
    List<String> trainable = m.parameters().stream().map(ParameterInfo::name)
        .filter(p -> m.parameterArray(p).hasGradient()).toList();
    try (NDManager batch = m.manager().newSubManager()) {
      for (String p : trainable) {
        Temporaries.in(batch, m.parameterArray(p).getGradient()).set(new NDIndex("..."), 0f);
      }
      try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
        NDArray out = m.forward(new NDList(x), true).singletonOrThrow();
        NDArray loss = Loss.softmaxCrossEntropyLoss().evaluate(new NDList(y), new NDList(out));
        gc.backward(loss);
      }
      for (String p : trainable) {
        NDArray w = m.parameterArray(p);
        NDArray g = Temporaries.in(batch, w.getGradient());
        w.subi(Temporaries.in(batch, g.mul(lr)));
      }
    }
    return trainable;
  }
}
