package io.github.lth.core.sparse;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.lth.core.Mask;
import io.github.lth.core.TrainingContext;
import io.github.lth.core.TrainingListener;
import io.github.lth.core.testing.ToyModel;
import io.github.lth.core.testing.ToyTask;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RiglTest {

  private static RecordingController train(Rigl rigl, ToyModel model, int epochs, int perEpoch) {
    RecordingController rec = new RecordingController(rigl);
    model.applyMask(GradualMagnitudePruningTest.denseMaskOf(model));
    new ToyTask(epochs, perEpoch).train(model, rec,
        new TrainingContext(1, 11, TrainingListener.NONE));
    return rec;
  }

  /** Indices of the k entries of {@code candidates} with the smallest key; ties: lower index. */
  private static List<Integer> smallest(List<Integer> candidates, float[] key, long k) {
    List<Integer> sorted = new ArrayList<>(candidates);
    sorted.sort(Comparator.<Integer>comparingDouble(i -> key[i]).thenComparing(i -> i));
    return sorted.subList(0, (int) k);
  }

  @Test
  void startsFromARandomMaskWithTheDistributionsCountsAndKeepsThemAtEveryStep() {
    ToyModel model = ToyModel.mlp(40, 30, 20, 5, 2);
    Rigl rigl = Rigl.builder(0.8).optUpdateEvery(10).optSeed(3).build();
    RecordingController rec = train(rigl, model, 4, 25);
    Map<String, Long> erk = SparsityDistributions.erk().keptCounts(rec.started.shapes(), 0.8);
    for (String layer : rec.started.layers()) {
      assertThat(rec.started.kept(layer)).isEqualTo(erk.get(layer));
      for (RecordingController.Call c : rec.calls) {
        assertThat(c.after().kept(layer)).as("%s after step %s", layer, c.step())
            .isEqualTo(erk.get(layer));
      }
    }
    // updates after steps 10, 20, ..., 70 (end: 0.75 of 100 steps)
    assertThat(rigl.updates()).isEqualTo(7);
    assertThat(rigl.statistics()).containsEntry("rigl_updates", 7.0);
    assertThat(rigl.updatesIn(100)).isEqualTo(7);
    assertThat(rigl.updatesIn(13)).isZero();   // updates stop at step 10, the first would be 10
    // the same seed draws the same start, another seed another one
    assertThat(Rigl.builder(0.8).optSeed(3).build().initialMask(rec.started))
        .isEqualTo(rec.started);
    assertThat(Rigl.builder(0.8).optSeed(4).build().initialMask(rec.started))
        .isNotEqualTo(rec.started);
  }

  @Test
  void dropsTheSmallestActiveWeightsAndGrowsTheLargestGradientsOfTheInactiveOnes() {
    ToyModel model = ToyModel.mlp(40, 30, 20, 5, 5);
    Rigl rigl = Rigl.builder(0.7).optDistribution(SparsityDistributions.uniform())
        .optUpdateEvery(8).optDropFraction(0.4).optEndFraction(0.8).build();
    RecordingController rec = train(rigl, model, 2, 30);
    int updates = 0;
    for (RecordingController.Call c : rec.calls) {
      boolean update = c.step() % 8 == 0 && c.step() < 48;
      assertThat(c.gradients() != null).as("gradients kept after step %s", c.step())
          .isEqualTo(update);
      if (!update) {
        assertThat(c.after()).isEqualTo(c.before());
        continue;
      }
      updates++;
      double f = 0.4 / 2 * (1 + Math.cos(Math.PI * c.step() / 48));
      for (String layer : c.before().layers()) {
        Mask before = c.before();
        int size = (int) before.size(layer);
        long kept = before.kept(layer);
        long k = Math.min(Math.round(f * kept), size - kept);
        float[] w = c.weights().values(layer);
        float[] g = c.gradients().values(layer);
        List<Integer> active = new ArrayList<>();
        float[] magnitude = new float[size];
        float[] growth = new float[size];
        for (int i = 0; i < size; i++) {
          if (before.isKept(layer, i)) {
            active.add(i);
          }
          magnitude[i] = Math.abs(w[i]);
          growth[i] = -Math.abs(g[i]);
        }
        List<Integer> dropped = smallest(active, magnitude, k);
        // the paper's candidates for growth: everything inactive once the drop is done
        List<Integer> inactive = new ArrayList<>();
        for (int i = 0; i < size; i++) {
          if (!before.isKept(layer, i) || dropped.contains(i)) {
            inactive.add(i);
          }
        }
        List<Integer> grown = smallest(inactive, growth, k);
        for (int i = 0; i < size; i++) {
          boolean expected = (before.isKept(layer, i) && !dropped.contains(i))
              || grown.contains(i);
          assertThat(c.after().isKept(layer, i)).as("%s[%s] after step %s", layer, i, c.step())
              .isEqualTo(expected);
        }
        assertThat(k).as("%s swaps something at step %s", layer, c.step()).isPositive();
      }
    }
    assertThat(updates).isEqualTo(5);   // after steps 8, 16, 24, 32, 40
  }

  @Test
  void settingsAreChecked() {
    assertThatThrownBy(() -> Rigl.builder(0.9).optDropFraction(0))
        .hasMessage("drop fraction must be in (0, 1]: 0.0");
    assertThatThrownBy(() -> Rigl.builder(0.9).optUpdateEvery(0))
        .hasMessage("update interval must be at least one step: 0");
  }
}
