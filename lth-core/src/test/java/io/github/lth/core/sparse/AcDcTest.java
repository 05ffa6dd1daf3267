package io.github.lth.core.sparse;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.lth.core.Mask;
import io.github.lth.core.Pruner;
import io.github.lth.core.Scores;
import io.github.lth.core.TrainingContext;
import io.github.lth.core.TrainingListener;
import io.github.lth.core.TrainingSummary;
import io.github.lth.core.Weights;
import io.github.lth.core.prune.PruningScope;
import io.github.lth.core.testing.ToyModel;
import io.github.lth.core.testing.ToyTask;
import org.junit.jupiter.api.Test;

class AcDcTest {

  /**
   * The phase of the step taken at 0-based step index t in a run of 100 steps with warm-up 10,
   * sparse and dense phases of 5 and a final sparse phase of 15: dense 0-9, then sparse 10-14,
   * dense 15-19, ..., sparse 80-84, and sparse from 85 to the end.
   */
  private static boolean sparseAt(long t) {
    if (t >= 85) {
      return true;
    }
    return t >= 10 && ((t - 10) / 5) % 2 == 0;
  }

  @Test
  void sparsePhasesHaveTheExactSparsityAndDensePhasesNone() {
    ToyModel model = ToyModel.mlp(30, 20, 10, 4, 3);
    ToyTask task = new ToyTask(4, 25);
    AcDc acdc = AcDc.builder(0.9).optPhases(0.1, 0.05, 0.05, 0.15).build();
    RecordingController rec = new RecordingController(acdc);
    Mask dense = GradualMagnitudePruningTest.denseMaskOf(model);
    model.applyMask(dense);
    TrainingSummary summary = task.train(model, rec,
        new TrainingContext(1, 5, TrainingListener.NONE));

    long n = dense.size();
    long sparseKept = n - Math.round(0.9 * n);
    assertThat(rec.started.kept()).isEqualTo(n);
    int sparsePhases = 0;
    for (RecordingController.Call c : rec.calls) {
      long next = c.step();   // the mask returned after step count t is used by step index t
      if (next >= 100) {
        continue;
      }
      assertThat(acdc.isSparse(next)).isEqualTo(sparseAt(next));
      assertThat(c.after().kept()).as("mask of step index %s", next)
          .isEqualTo(sparseAt(next) ? sparseKept : n);
      if (sparseAt(next) && c.before().kept() == n) {
        sparsePhases++;
        // a sparse phase starts from the top-k magnitudes of the dense weights it inherits
        Weights w = c.weights();
        Weights.Builder abs = Weights.builder();
        for (String layer : w.names()) {
          float[] v = w.values(layer);
          for (int i = 0; i < v.length; i++) {
            v[i] = Math.abs(v[i]);
          }
          abs.put(layer, w.shape(layer), v);
        }
        assertThat(c.after()).isEqualTo(Pruner.pruneTo(dense, Scores.of(abs.build()),
            PruningScope.GLOBAL, 0.9));
      }
    }
    assertThat(sparsePhases).isEqualTo(8);   // 10, 20, ..., 80; the final phase continues the last
    assertThat(summary.finalMask().kept()).isEqualTo(sparseKept);
  }

  @Test
  void layerScopeKeepsEachLayerAtTheTarget() {
    ToyModel model = ToyModel.mlp(30, 20, 10, 4, 3);
    ToyTask task = new ToyTask(2, 50);
    RecordingController rec = new RecordingController(AcDc.builder(0.5)
        .optScope(PruningScope.LAYER).build());
    model.applyMask(GradualMagnitudePruningTest.denseMaskOf(model));
    task.train(model, rec, new TrainingContext(1, 5, TrainingListener.NONE));
    Mask last = rec.calls.get(rec.calls.size() - 1).after();
    for (String layer : last.layers()) {
      long size = last.size(layer);
      assertThat(last.kept(layer)).isEqualTo(size - Math.round(0.5 * size));
    }
  }

  @Test
  void phasesAreChecked() {
    assertThatThrownBy(() -> AcDc.builder(0.9).optPhases(0.5, 0.1, 0.1, 0.6))
        .hasMessage("warm-up 0.5 and final phase 0.6 exceed the run");
    assertThatThrownBy(() -> AcDc.builder(0))
        .hasMessage("target sparsity must be in (0, 1): 0.0");
  }
}
