package io.github.lth.djl.train;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.github.lth.core.Mask;
import io.github.lth.core.TrainingContext;
import io.github.lth.core.TrainingListener;
import io.github.lth.core.TrainingSummary;
import io.github.lth.core.Weights;
import io.github.lth.djl.DjlModel;
import io.github.lth.djl.TestBlocks;
import io.github.lth.djl.data.ImageDataset;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.DoubleSupplier;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

class MaskedTrainingTest {
  private static final ImageDataset TRAIN = TestBlocks.quarters("train", 240, 4, 1);
  private static final ImageDataset TEST = TestBlocks.quarters("test", 80, 4, 2);

  static DjlModel mlp(long seed) {
    return DjlModel.create(TestBlocks.mlp(16, 4), new Shape(1, 1, 4, 4), Device.cpu(), seed);
  }

  static DjlModel conv(long seed) {
    return DjlModel.create(TestBlocks.convNet(4), new Shape(1, 1, 4, 4), Device.cpu(), seed);
  }

  /** About half of every conv/linear weight pruned, at random. */
  static Mask halfMask(DjlModel m, long seed) {
    Mask dense = TestBlocks.denseLayerWeights(m);
    SplittableRandom rng = new SplittableRandom(seed);
    Mask.Builder b = Mask.builder();
    for (String layer : dense.layers()) {
      boolean[] bits = new boolean[(int) dense.size(layer)];
      for (int i = 0; i < bits.length; i++) {
        bits[i] = rng.nextBoolean();
      }
      b.put(layer, dense.shape(layer), bits);
    }
    return b.build();
  }

  /** Checks, at every step, that pruned weights are +0.0 and pruned gradients are 0. */
  private static final class MaskChecker implements TrainingListener {
    final DjlModel model;
    final Mask mask;
    long checkedSteps;
    long nonZeroKeptGradients;

    MaskChecker(DjlModel model, Mask mask) {
      this.model = model;
      this.mask = mask;
    }

    @Override
    public void onStep(long step, int epoch, long batch, DoubleSupplier loss) {
      Weights w = model.weights(mask.layers());
      for (String layer : mask.layers()) {
        float[] v = w.values(layer);
        float[] g;
        try (NDManager tmp = model.manager().newSubManager()) {
          NDArray grad = model.parameterArray(layer).getGradient();
          grad.attach(tmp);
          g = grad.toFloatArray();
        }
        for (int i = 0; i < v.length; i++) {
          if (!mask.isKept(layer, i)) {
            assertThat(Float.floatToRawIntBits(v[i])).as("%s[%s] at step %s", layer, i, step)
                .isZero();
            assertThat(g[i]).as("gradient %s[%s] at step %s", layer, i, step).isEqualTo(0f);
          } else if (g[i] != 0) {
            nonZeroKeptGradients++;
          }
        }
      }
      checkedSteps++;
    }
  }

  private void prunedWeightsStayZero(Function<Long, DjlModel> factory, ClassificationTask task) {
    try (DjlModel m = factory.apply(3L)) {
      Mask mask = halfMask(m, 4);
      assertThat(mask.sparsity()).isBetween(0.4, 0.6);
      Weights before = m.weights(mask.layers());
      MaskChecker checker = new MaskChecker(m, mask);
      TrainingSummary s = task.train(m, mask, new TrainingContext(0, 5, checker));
      assertThat(s.steps()).isEqualTo(2 * 12);
      assertThat(checker.checkedSteps).isEqualTo(24);
      assertThat(checker.nonZeroKeptGradients).isPositive();
      Weights after = m.weights(mask.layers());
      for (String layer : mask.layers()) {
        float[] a = before.values(layer);
        float[] b = after.values(layer);
        int moved = 0;
        for (int i = 0; i < a.length; i++) {
          moved += mask.isKept(layer, i) && a[i] != b[i] ? 1 : 0;
        }
        assertThat(moved).as(layer).isGreaterThan((int) mask.kept(layer) / 2);
      }
    }
  }

  @Test
  void sgdWithMomentumAndDecayKeepsPrunedWeightsAtZeroAfterEveryStep() {
    try (ClassificationTask task = ClassificationTask.builder().setTrainData(TRAIN)
        .setTestData(TEST).optValidation(0, 0).optEpochs(2).optBatchSize(20).optOptimizer("sgd")
        .optLearningRate(0.05).optMomentum(0.9).optWeightDecay(1e-3).build()) {
      prunedWeightsStayZero(MaskedTrainingTest::mlp, task);
      prunedWeightsStayZero(MaskedTrainingTest::conv, task);
    }
  }

  @Test
  void adamKeepsPrunedWeightsAtZeroAfterEveryStep() {
    try (ClassificationTask task = ClassificationTask.builder().setTrainData(TRAIN)
        .setTestData(TEST).optValidation(0, 0).optEpochs(2).optBatchSize(20).optLearningRate(1e-2)
        .optLrSchedule(LrSchedules.cosine()).build()) {
      prunedWeightsStayZero(MaskedTrainingTest::mlp, task);
      prunedWeightsStayZero(MaskedTrainingTest::conv, task);
    }
  }

  @Test
  void optimizerStateOfPrunedWeightsStaysZero() {
    for (OptimizerSpec spec : List.of(OptimizerSpec.sgd(0.1, 0.9), OptimizerSpec.adam(1e-2))) {
      try (DjlModel m = mlp(7); NDManager data = m.manager().newSubManager()) {
        Mask mask = halfMask(m, 8);
        NDArray x = data.randomUniform(0, 1, new Shape(10, 1, 4, 4));
        NDArray y = data.create(new long[] {0, 1, 2, 3, 0, 1, 2, 3, 0, 1});
        try (MaskedTrainer t = new MaskedTrainer(m, mask, spec, LrSchedules.constant(), 5)) {
          assertThat(t.trainableParameters()).containsExactly("02Linear_weight",
              "02Linear_bias", "04Linear_weight", "04Linear_bias");
          for (int i = 0; i < 5; i++) {
            try (NDManager batch = data.newSubManager()) {
              t.step(batch, () -> ClassificationObjective.crossEntropy(
                  m.forward(new NDList(x), true).singletonOrThrow(), y).mean());
            }
          }
          assertThat(t.steps()).isEqualTo(5);
          for (String layer : mask.layers()) {
            float[] state = t.firstMoment(layer).orElseThrow().toFloatArray();
            int nonZeroKept = 0;
            for (int i = 0; i < state.length; i++) {
              if (!mask.isKept(layer, i)) {
                assertThat(state[i]).as("%s %s[%s]", spec.name(), layer, i).isEqualTo(0f);
              } else if (state[i] != 0) {
                nonZeroKept++;
              }
            }
            assertThat(nonZeroKept).isPositive();
          }
        }
      }
    }
  }

  @Test
  void sameSeedsGiveBitIdenticalWeights() {
    List<Weights> results = new ArrayList<>();
    try (ClassificationTask task = ClassificationTask.builder().setTrainData(TRAIN)
        .setTestData(TEST).optValidation(0, 0).optEpochs(2).optBatchSize(20).build()) {
      for (int run = 0; run < 2; run++) {
        try (DjlModel m = conv(11)) {
          task.train(m, halfMask(m, 12), new TrainingContext(0, 13, TrainingListener.NONE));
          results.add(m.state());
        }
      }
      try (DjlModel m = conv(11)) {
        task.train(m, halfMask(m, 12), new TrainingContext(0, 14, TrainingListener.NONE));
        assertThat(m.state()).isNotEqualTo(results.get(0));
      }
    }
    assertThat(results.get(1)).isEqualTo(results.get(0));
  }
}
