package io.github.lth.djl.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.dataset.ArrayDataset;
import io.github.lth.core.Mask;
import io.github.lth.core.SparsityController;
import io.github.lth.core.SparsityControllers;
import io.github.lth.core.TrainingContext;
import io.github.lth.core.TrainingListener;
import io.github.lth.core.TrainingState;
import io.github.lth.core.TrainingSummary;
import io.github.lth.core.Weights;
import io.github.lth.core.prune.PruningCriteria;
import io.github.lth.core.prune.PruningScope;
import io.github.lth.core.prune.PruningStep;
import io.github.lth.core.schedule.PruningSchedules;
import io.github.lth.djl.DjlModel;
import io.github.lth.djl.TestBlocks;
import io.github.lth.djl.data.BatchSource;
import io.github.lth.djl.data.BatchSources;
import io.github.lth.djl.data.ImageDataset;
import java.util.ArrayList;
import java.util.List;
import java.util.function.DoubleSupplier;
import org.junit.jupiter.api.Test;

class TrainingLoopTest {
  private static final ImageDataset TRAIN = TestBlocks.quarters("train", 100, 4, 1);

  private static TrainingLoop loop(BatchSource data, OptimizerSpec optimizer, LrSchedule lr) {
    return TrainingLoop.builder().setObjective(new ClassificationObjective())
        .setTrainData(data).optEpochs(3).optBatchSize(16)
        .optOptimizer(optimizer).optLrSchedule(lr).build();
  }

  @Test
  void aRunFromStepKEndsBitForBitWhereTheFullRunEnds() {
    // plain SGD has no state, so a run restarted at step k from θ_k can only reproduce the full
    // run if it sees the same batches and the same (decayed) learning rates from step k on
    OptimizerSpec sgd = OptimizerSpec.sgd(0.05, 0);
    LrSchedule decay = LrSchedules.stepDecay(5, 0.5);
    try (BatchSource data = BatchSources.of(TRAIN)) {
      TrainingLoop loop = loop(data, sgd, decay);
      assertThat(loop.plan().totalSteps()).isEqualTo(21);   // 3 epochs of 7 batches (100 / 16)
      long k = 9;                                             // inside epoch 1
      Weights atK;
      Weights end;
      Mask mask;
      try (DjlModel full = MaskedTrainingTest.mlp(3)) {
        mask = MaskedTrainingTest.halfMask(full, 4);
        List<Weights> captured = new ArrayList<>();
        TrainingListener capture = new TrainingListener() {
          @Override
          public void onStep(long step, int epoch, long batch, DoubleSupplier loss) {
            if (step == k) {
              captured.add(full.state());
            }
          }
        };
        TrainingSummary s = loop.run(full, SparsityControllers.fixed(mask),
            new TrainingContext(0, 77, capture));
        assertThat(s.steps()).isEqualTo(21);
        atK = captured.get(0);
        end = full.state();
      }
      try (DjlModel resumed = MaskedTrainingTest.mlp(5)) {
        resumed.load(atK);
        List<Long> steps = new ArrayList<>();
        TrainingListener record = new TrainingListener() {
          @Override
          public void onStep(long step, int epoch, long batch, DoubleSupplier loss) {
            steps.add(step);
          }
        };
        TrainingSummary s = loop.run(resumed, SparsityControllers.fixed(mask),
            new TrainingContext(1, 77, record, k));
        assertThat(s.startStep()).isEqualTo(k);
        assertThat(s.steps()).isEqualTo(21 - k);
        assertThat(steps).first().isEqualTo(k + 1);
        assertThat(steps).last().isEqualTo(21L);
        assertThat(resumed.state()).isEqualTo(end);
      }
    }
  }

  @Test
  void aLateRunStartsItsControllerAtStepKAndCountsOnlyWholeEpochs() {
    try (BatchSource data = BatchSources.of(TRAIN); DjlModel m = MaskedTrainingTest.mlp(3)) {
      Mask dense = TestBlocks.denseLayerWeights(m);
      long[] seenAtStart = new long[2];
      List<Long> epochEnds = new ArrayList<>();
      SparsityController probe = new SparsityController() {
        @Override
        public Mask start(TrainingState s) {
          seenAtStart[0] = s.step();
          seenAtStart[1] = s.epoch();
          return dense;
        }

        @Override
        public Mask atEpochEnd(TrainingState s) {
          epochEnds.add(s.step());
          return s.mask();
        }
      };
      // 7 steps per epoch, T = 21; from step 9 (epoch 1, batch 2): epoch 1 ends at 14, 2 at 21
      TrainingSummary s = loop(data, OptimizerSpec.adam(1e-3), LrSchedules.constant())
          .run(m, probe, new TrainingContext(1, 5, null, 9));
      assertThat(seenAtStart).containsExactly(9, 1);
      assertThat(epochEnds).containsExactly(14L, 21L);
      assertThat(s.epochs()).isEqualTo(1);
      assertThat(s.steps()).isEqualTo(12);
    }
  }

  @Test
  void aControllerWithoutAStartMaskIsNamed() {
    try (BatchSource data = BatchSources.of(TRAIN); DjlModel m = MaskedTrainingTest.mlp(3)) {
      SparsityController none = s -> null;
      assertThatThrownBy(() -> loop(data, OptimizerSpec.adam(1e-3), LrSchedules.constant())
          .run(m, none, new TrainingContext(0, 1, null)))
          .isInstanceOf(IllegalStateException.class)
          .hasMessage("the sparsity controller returned no mask at the start");
    }
  }

  @Test
  void aStartStepAtOrPastTheEndIsRefused() {
    try (BatchSource data = BatchSources.of(TRAIN); DjlModel m = MaskedTrainingTest.mlp(3)) {
      TrainingLoop loop = loop(data, OptimizerSpec.adam(1e-3), LrSchedules.constant());
      assertThatThrownBy(() -> loop.run(m, SparsityControllers.fixed(TestBlocks
          .denseLayerWeights(m)), new TrainingContext(0, 1, null, 21)))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessage("start step 21 is not before the end of training (21 steps)");
    }
  }

  /** Prunes half of the kept weights after step 3 and grows them all back after step 8. */
  private static final class PruneThenGrow implements SparsityController {
    private final Mask dense;
    private final Mask half;
    final List<Weights> afterGrowth = new ArrayList<>();
    final List<Weights> afterPruning = new ArrayList<>();

    PruneThenGrow(Mask dense, Mask half) {
      this.dense = dense;
      this.half = half;
    }

    @Override
    public Mask start(TrainingState state) {
      return dense;
    }

    @Override
    public Mask afterStep(TrainingState s) {
      if (s.step() == 4) {
        afterPruning.add(s.model().weights(half.layers()));
      }
      if (s.step() == 9) {
        afterGrowth.add(s.model().weights(half.layers()));
      }
      if (s.step() == 3) {
        return half;
      }
      return s.step() == 8 ? dense : s.mask();
    }
  }

  @Test
  void aControllerThatChangesTheMaskMidTrainingReMasksWeightsAndMoments() {
    for (OptimizerSpec optimizer : List.of(OptimizerSpec.adam(1e-2),
        OptimizerSpec.sgd(0.05, 0.9))) {
      try (BatchSource data = BatchSources.of(TRAIN); DjlModel m = MaskedTrainingTest.mlp(3)) {
        Mask dense = TestBlocks.denseLayerWeights(m);
        Mask half = MaskedTrainingTest.halfMask(m, 6);
        PruneThenGrow controller = new PruneThenGrow(dense, half);
        TrainingSummary s = loop(data, optimizer, LrSchedules.constant()).run(m, controller,
            new TrainingContext(0, 1, null));
        assertThat(s.finalMask()).isEqualTo(dense);
        // one step after pruning (step 4): pruned weights are +0.0 although the optimizer's
        // moments from steps 1-3 were not zero for them — maskChanged zeroed those
        Weights w4 = controller.afterPruning.get(0);
        Weights w9 = controller.afterGrowth.get(0);
        Weights end = m.weights(half.layers());
        for (String layer : half.layers()) {
          boolean[] kept = half.toBooleans(layer);
          float[] at4 = w4.values(layer);
          float[] at9 = w9.values(layer);
          float[] last = end.values(layer);
          int moved = 0;
          for (int i = 0; i < kept.length; i++) {
            if (!kept[i]) {
              assertThat(Float.floatToRawIntBits(at4[i])).as("%s[%s] at step 4", layer, i)
                  .isZero();
              // regrown at step 8: step 9 starts them from 0 with zero moments, so Adam's first
              // step moves each by at most the learning rate (|m̂ / (√v̂ + ε)| ≤ 1); stale
              // moments from steps 1-3 would allow more
              if (optimizer.kind() == OptimizerSpec.Kind.ADAM) {
                assertThat(Math.abs(at9[i])).isLessThanOrEqualTo(0.01f * 1.0001f);
              }
              if (last[i] != 0) {
                moved++;
              }
            }
          }
          assertThat(moved).as("regrown weights of %s train again", layer).isPositive();
        }
      }
    }
  }

  @Test
  void theReadmesOneShotControllerPrunesHalfAtItsStepAndTrainsOnWithThatMask() {
    SparsityController pruneAtStep5 = new SparsityController() {
      @Override
      public Mask start(TrainingState s) {
        return s.mask();
      }

      @Override
      public Mask afterStep(TrainingState s) {
        if (s.step() != 5) {
          return s.mask();
        }
        return s.model().prune(new PruningStep(s.mask(), PruningCriteria.magnitude(),
            PruningScope.GLOBAL, PruningSchedules.oneShot(0.5), 1, null));
      }
    };
    try (BatchSource data = BatchSources.of(TRAIN); DjlModel m = MaskedTrainingTest.mlp(3)) {
      Mask dense = TestBlocks.denseLayerWeights(m);
      m.applyMask(dense);
      Weights[] at5 = new Weights[1];
      TrainingListener capture = new TrainingListener() {
        @Override
        public void onStep(long step, int epoch, long batch, DoubleSupplier loss) {
          if (step == 5) {
            at5[0] = m.weights(dense.layers());
          }
        }
      };
      TrainingSummary s = loop(data, OptimizerSpec.adam(1e-2), LrSchedules.constant())
          .run(m, pruneAtStep5, new TrainingContext(0, 3, capture));
      Mask finalMask = s.finalMask();
      assertThat(finalMask.kept()).isEqualTo(dense.size() / 2);
      // the weights pruned were the smallest at step 5, and stay +0.0 to the end
      float smallestKept = Float.MAX_VALUE;
      Weights end = m.weights(dense.layers());
      float largestPruned = 0;
      for (String layer : dense.layers()) {
        float[] w5 = at5[0].values(layer);
        float[] last = end.values(layer);
        for (int i = 0; i < w5.length; i++) {
          if (finalMask.isKept(layer, i)) {
            smallestKept = Math.min(smallestKept, Math.abs(w5[i]));
          } else {
            largestPruned = Math.max(largestPruned, Math.abs(w5[i]));
            assertThat(Float.floatToRawIntBits(last[i])).isZero();
          }
        }
      }
      assertThat(largestPruned).isLessThanOrEqualTo(smallestKept);
    }
  }

  @Test
  void anyDjlRandomAccessDatasetTrainsLikeTheDeviceCachedImages() {
    // the same images as a DJL ArrayDataset: scaled floats [n, 1, 4, 4] and int64 labels
    float[] pixels = new float[TRAIN.size() * 16];
    long[] labels = new long[TRAIN.size()];
    byte[] raw = TRAIN.pixels();
    for (int i = 0; i < pixels.length; i++) {
      pixels[i] = (raw[i] & 0xFF) / 255f;
    }
    for (int i = 0; i < labels.length; i++) {
      labels[i] = TRAIN.labels()[i];
    }
    try (NDManager host = NDManager.newBaseManager()) {
      NDArray x = host.create(pixels, new Shape(TRAIN.size(), 1, 4, 4));
      NDArray y = host.create(labels);
      ArrayDataset dataset = new ArrayDataset.Builder().setData(x).optLabels(y)
          .setSampling(16, false).build();
      Weights fast;
      Weights generic;
      try (BatchSource data = BatchSources.of(TRAIN); DjlModel m = MaskedTrainingTest.mlp(3)) {
        loop(data, OptimizerSpec.adam(1e-2), LrSchedules.constant())
            .run(m, SparsityControllers.fixed(MaskedTrainingTest.halfMask(m, 4)),
                new TrainingContext(0, 12, null));
        fast = m.state();
      }
      try (BatchSource data = BatchSources.of(dataset); DjlModel m = MaskedTrainingTest.mlp(3)) {
        loop(data, OptimizerSpec.adam(1e-2), LrSchedules.constant())
            .run(m, SparsityControllers.fixed(MaskedTrainingTest.halfMask(m, 4)),
                new TrainingContext(0, 12, null));
        generic = m.state();
      }
      assertThat(generic).isEqualTo(fast);
    }
  }
}
