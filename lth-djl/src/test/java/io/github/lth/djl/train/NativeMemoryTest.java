package io.github.lth.djl.train;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.lth.core.Mask;
import io.github.lth.core.SparsityController;
import io.github.lth.core.Snapshot;
import io.github.lth.core.TrainingContext;
import io.github.lth.core.TrainingListener;
import io.github.lth.core.prune.PruningCriteria;
import io.github.lth.core.prune.PruningScope;
import io.github.lth.core.prune.PruningStep;
import io.github.lth.core.schedule.PruningSchedule;
import io.github.lth.core.schedule.PruningSchedules;
import io.github.lth.core.sparse.AcDc;
import io.github.lth.core.sparse.GradualMagnitudePruning;
import io.github.lth.core.sparse.Rigl;
import io.github.lth.core.sparse.WoodFisherPruning;
import io.github.lth.djl.DjlModel;
import io.github.lth.djl.TestBlocks;
import io.github.lth.djl.sparse.SoftThresholdReparametrization;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Counts the NDArrays attached to the model's manager tree and to the engine's whole manager
 * tree ({@code getManagedArrays()} walks sub-managers) across IMP-like cycles: train, evaluate,
 * prune, rewind. The counts must not grow.
 */
class NativeMemoryTest {

  @Test
  void arrayCountsDoNotGrowOverTenCycles() {
    PruningSchedule imp = PruningSchedules.imp(0.2, 0.9);
    try (ClassificationTask task = ClassificationTask.builder()
        .setTrainData(TestBlocks.quarters("train", 120, 4, 1))
        .setTestData(TestBlocks.quarters("test", 40, 4, 2)).optSteps(3).optBatchSize(20)
        .optOptimizer("sgd").build();
        DjlModel m = MaskedTrainingTest.conv(5)) {
      Mask mask = TestBlocks.denseLayerWeights(m);
      List<Integer> modelCounts = new ArrayList<>();
      List<Integer> systemCounts = new ArrayList<>();
      try (Snapshot init = m.snapshot()) {
        for (int cycle = 1; cycle <= 10; cycle++) {
          task.train(m, mask, new TrainingContext(cycle, cycle, TrainingListener.NONE));
          task.evaluate(m);
          PruningScope scope = cycle % 2 == 0 ? PruningScope.GLOBAL : PruningScope.LAYER;
          mask = m.prune(new PruningStep(mask, cycle % 3 == 0 ? PruningCriteria.magnitudeChange()
              : PruningCriteria.magnitude(), scope, imp, cycle, init));
          m.restore(init);
          m.applyMask(mask);
          m.state();
          modelCounts.add(m.manager().getManagedArrays().size());
          systemCounts.add(m.manager().getParentManager().getManagedArrays().size());
        }
      }
      assertThat(modelCounts.get(9)).as("model manager tree %s", modelCounts)
          .isEqualTo(modelCounts.get(1));
      assertThat(systemCounts.get(9)).as("engine manager tree %s", systemCounts)
          .isEqualTo(systemCounts.get(1));
      // parameters (8) + snapshot copies (8) + one device mask per masked layer (2)
      assertThat(modelCounts.get(9)).isEqualTo(18);
      assertThat(mask.sparsity()).isGreaterThan(0.85);
    }
  }

  /** Each sparse training method, run after run on one model: no arrays may stay behind. */
  @Test
  void sparseTrainingMethodsLeaveNoArraysBehind() {
    List<java.util.function.Supplier<SparsityController>> methods = List.of(
        () -> GradualMagnitudePruning.builder(0.8).optPruningSteps(3).build(),
        () -> AcDc.builder(0.8).optPhases(0.2, 0.2, 0.2, 0.2).build(),
        () -> Rigl.builder(0.8).optUpdateEvery(3).build(),
        () -> WoodFisherPruning.builder(0.8).optFisherSamples(2).optBlockSize(16).build(),
        () -> SoftThresholdReparametrization.builder().optTargetSparsity(0.8).build());
    try (ClassificationTask task = ClassificationTask.builder()
        .setTrainData(TestBlocks.quarters("train", 120, 4, 1))
        .setTestData(TestBlocks.quarters("test", 40, 4, 2)).optSteps(12).optBatchSize(20)
        .build();
        DjlModel m = MaskedTrainingTest.conv(5)) {
      Mask dense = TestBlocks.denseLayerWeights(m);
      List<Integer> modelCounts = new ArrayList<>();
      List<Integer> systemCounts = new ArrayList<>();
      try (Snapshot init = m.snapshot()) {
        for (int cycle = 0; cycle < 2 * methods.size(); cycle++) {
          SparsityController method = methods.get(cycle % methods.size()).get();
          m.restore(init);
          m.applyMask(dense);
          task.train(m, method, new TrainingContext(cycle, cycle, TrainingListener.NONE));
          task.evaluate(m);
          if (method instanceof AutoCloseable c) {
            try {
              c.close();
            } catch (Exception e) {
              throw new IllegalStateException(e);
            }
          }
          modelCounts.add(m.manager().getManagedArrays().size());
          systemCounts.add(m.manager().getParentManager().getManagedArrays().size());
        }
      }
      // the second pass through the methods ends where the first did, method by method
      int n = methods.size();
      assertThat(modelCounts.subList(n, 2 * n)).as("model manager tree %s", modelCounts)
          .isEqualTo(modelCounts.subList(0, n));
      assertThat(systemCounts.subList(n, 2 * n)).as("engine manager tree %s", systemCounts)
          .isEqualTo(systemCounts.subList(0, n));
    }
  }
}
