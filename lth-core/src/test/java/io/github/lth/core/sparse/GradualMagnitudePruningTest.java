package io.github.lth.core.sparse;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.lth.core.Mask;
import io.github.lth.core.TrainingContext;
import io.github.lth.core.TrainingListener;
import io.github.lth.core.prune.PruningScope;
import io.github.lth.core.testing.ToyModel;
import io.github.lth.core.testing.ToyTask;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class GradualMagnitudePruningTest {

  /** Zhu & Gupta's sparsity after step count t, written out for a schedule of n+1 events. */
  private static double cubic(long t, long start, long every, int events, double target) {
    if (t < start) {
      return 0;
    }
    long k = Math.min(events - 1, (t - start) / every);
    double remaining = 1 - (double) k / (events - 1);
    return target - target * remaining * remaining * remaining;
  }

  @Test
  void globalMaskHasTheCubicSparsityAfterEveryStep() {
    ToyModel model = ToyModel.mlp(30, 20, 10, 4, 3);
    ToyTask task = new ToyTask(4, 25);
    // 100 steps: pruning after steps 10, 20, ..., 60 (6 events)
    RecordingController gmp = new RecordingController(GradualMagnitudePruning.builder(0.9)
        .optSpan(0.1, 0.6).optPruningSteps(6).build());
    Mask dense = denseMaskOf(model);
    model.applyMask(dense);
    task.train(model, gmp, new TrainingContext(1, 5, TrainingListener.NONE));

    assertThat(gmp.started.kept()).isEqualTo(dense.size());
    assertThat(gmp.calls).hasSize(100);
    long n = dense.size();
    List<Double> seen = new ArrayList<>();
    for (RecordingController.Call c : gmp.calls) {
      double s = cubic(c.step(), 10, 10, 6, 0.9);
      assertThat(c.after().kept()).as("kept after step %s", c.step())
          .isEqualTo(n - (long) Math.rint(s * n));
      if (!seen.contains(s)) {
        seen.add(s);
      }
    }
    // 0 until the second pruning step (the first prunes to s_i = 0), then five levels to 0.9
    assertThat(seen).hasSize(6);
    assertThat(seen.get(5)).isEqualTo(0.9);
    assertThat(gmp.calls.get(99).after().kept()).isEqualTo(n - Math.round(0.9 * n));
  }

  @Test
  void eachPruningStepRemovesTheSmallestSurvivingMagnitudes() {
    ToyModel model = ToyModel.mlp(30, 20, 10, 4, 4);
    ToyTask task = new ToyTask(2, 25);
    RecordingController gmp = new RecordingController(GradualMagnitudePruning.builder(0.8)
        .optSpan(0.2, 0.8).optPruningSteps(4).build());
    model.applyMask(denseMaskOf(model));
    task.train(model, gmp, new TrainingContext(1, 5, TrainingListener.NONE));
    int events = 0;
    for (RecordingController.Call c : gmp.calls) {
      if (c.after().equals(c.before())) {
        continue;
      }
      events++;
      float largestPruned = 0;
      float smallestKept = Float.MAX_VALUE;
      for (String layer : c.before().layers()) {
        float[] w = c.weights().values(layer);
        for (int i = 0; i < w.length; i++) {
          boolean wasKept = c.before().isKept(layer, i);
          boolean kept = c.after().isKept(layer, i);
          assertThat(!wasKept && kept).as("a pruned weight came back").isFalse();
          if (wasKept && !kept) {
            largestPruned = Math.max(largestPruned, Math.abs(w[i]));
          } else if (kept) {
            smallestKept = Math.min(smallestKept, Math.abs(w[i]));
          }
        }
      }
      assertThat(largestPruned).isLessThanOrEqualTo(smallestKept);
    }
    assertThat(events).isEqualTo(3);   // the first of the four prunes to s_i = 0
  }

  @Test
  void layerScopeGivesEveryLayerTheScheduledSparsity() {
    ToyModel model = ToyModel.mlp(30, 20, 10, 4, 6);
    ToyTask task = new ToyTask(2, 50);
    RecordingController gmp = new RecordingController(GradualMagnitudePruning.builder(0.75)
        .optSpan(0.0, 0.5).optPruningSteps(5).optScope(PruningScope.LAYER).build());
    model.applyMask(denseMaskOf(model));
    task.train(model, gmp, new TrainingContext(1, 5, TrainingListener.NONE));
    // start 0, end 50, every 12 steps: events after steps 0 (in start), 12, 24, 36, 48
    for (RecordingController.Call c : gmp.calls) {
      double s = cubic(c.step(), 0, 12, 5, 0.75);
      for (String layer : c.after().layers()) {
        long size = c.after().size(layer);
        assertThat(c.after().kept(layer)).as("layer %s after step %s", layer, c.step())
            .isEqualTo(size - (long) Math.rint(s * size));
      }
    }
  }

  @Test
  void nextPruningStepLooksAheadToTheSchedulesSteps() {
    CubicSchedule s = CubicSchedule.of(0, 0.9, 100, 1000, 50);
    assertThat(s.nextPruningStep(0)).isEqualTo(100);
    assertThat(s.nextPruningStep(100)).isEqualTo(100);
    assertThat(s.nextPruningStep(101)).isEqualTo(150);
    assertThat(s.nextPruningStep(1000)).isEqualTo(1000);
    assertThat(s.nextPruningStep(1001)).isEqualTo(-1);
    // a span the frequency does not divide ends at its last multiple
    CubicSchedule cut = CubicSchedule.of(0, 0.9, 10, 47, 10);
    assertThat(cut.nextPruningStep(31)).isEqualTo(40);
    assertThat(cut.nextPruningStep(41)).isEqualTo(-1);
    for (long step = 0; step <= 50; step++) {
      long next = cut.nextPruningStep(step);
      assertThat(next == -1 || cut.isPruningStep(next)).as("step %s", step).isTrue();
    }
  }

  @Test
  void scheduleIsCheckedWhenBuilt() {
    assertThatThrownBy(() -> GradualMagnitudePruning.builder(1.0))
        .hasMessage("target sparsity must be in [0, 1): 1.0");
    assertThatThrownBy(() -> GradualMagnitudePruning.builder(0.9).optSpan(0.8, 0.2))
        .hasMessage("pruning span must satisfy 0 <= start <= end <= 1: start 0.8, end 0.2");
    assertThatThrownBy(() -> CubicSchedule.of(0.5, 0.4, 0, 10, 1))
        .hasMessage("initial sparsity must be in [0, target = 0.4]: 0.5");
  }

  static Mask denseMaskOf(ToyModel model) {
    java.util.Map<String, long[]> shapes = new java.util.LinkedHashMap<>();
    model.parameters().stream().filter(p -> p.name().endsWith("weight"))
        .forEach(p -> shapes.put(p.name(), p.shape()));
    return Mask.dense(shapes);
  }
}
