package io.github.lth.core.sparse;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.lth.core.Mask;
import io.github.lth.core.Pruner;
import io.github.lth.core.Scores;
import io.github.lth.core.TrainingContext;
import io.github.lth.core.TrainingListener;
import io.github.lth.core.Weights;
import io.github.lth.core.prune.PruningScope;
import io.github.lth.core.testing.ToyModel;
import io.github.lth.core.testing.ToyTask;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class WoodFisherPruningTest {

  private static RecordingController train(WoodFisherPruning wf, ToyModel model, int epochs,
      int perEpoch) {
    RecordingController rec = new RecordingController(wf);
    model.applyMask(GradualMagnitudePruningTest.denseMaskOf(model));
    new ToyTask(epochs, perEpoch).train(model, rec,
        new TrainingContext(1, 9, TrainingListener.NONE));
    return rec;
  }

  @Test
  void eachPruningStepKeepsTheLowestSaliencyOutAndUpdatesTheSurvivorsByObs() {
    ToyModel model = ToyModel.mlp(20, 12, 8, 3, 7);
    WoodFisherPruning wf = WoodFisherPruning.builder(0.8).optSpan(0.2, 0.8).optPruningSteps(4)
        .optBlockSize(16).optFisherSamples(5).optDampening(1e-3)
        .optScope(PruningScope.GLOBAL).build();
    RecordingController rec = train(wf, model, 2, 50);
    CubicSchedule s = wf.schedule();
    int prunings = 0;
    List<RecordingController.Call> calls = rec.calls;
    for (int c = 0; c < calls.size(); c++) {
      RecordingController.Call call = calls.get(c);
      boolean window = false;
      for (long e = s.start(); e <= s.lastPruningStep(); e += s.frequency()) {
        window |= call.step() <= e && call.step() > e - 5 && s.sparsityAt(e) > 0;
      }
      assertThat(call.gradients() != null).as("gradients after step %s", call.step())
          .isEqualTo(window);
      if (!s.isPruningStep(call.step()) || s.sparsityAt(call.step()) == 0) {
        assertThat(call.after()).isEqualTo(call.before());
        continue;
      }
      prunings++;
      // the reference: the Fisher of the five gradients up to this step, computed here
      Mask before = call.before();
      Weights.Builder saliency = Weights.builder();
      List<BlockFisher> fishers = new ArrayList<>();
      for (String layer : before.layers()) {
        List<float[]> g = new ArrayList<>();
        for (int k = c - 4; k <= c; k++) {
          g.add(calls.get(k).gradients().values(layer));
        }
        BlockFisher f = BlockFisher.estimate(g, 16, 1e-3);
        fishers.add(f);
        saliency.put(layer, before.shape(layer), f.saliencies(call.weights().values(layer)));
      }
      Mask expected = Pruner.pruneTo(before, Scores.of(saliency.build()), PruningScope.GLOBAL,
          s.sparsityAt(call.step()));
      assertThat(call.after()).isEqualTo(expected);
      long n = before.size();
      assertThat(call.after().kept()).isEqualTo(n - Math.round(s.sparsityAt(call.step()) * n));
      for (int l = 0; l < before.layers().size(); l++) {
        String layer = before.layers().get(l);
        float[] want = expected.kept(layer) < before.kept(layer)
            ? fishers.get(l).prune(call.weights().values(layer), expected.words(layer))
            : call.weights().values(layer);
        assertThat(call.weightsAfter().values(layer)).as(layer).containsExactly(want);
      }
    }
    assertThat(prunings).isEqualTo(3);   // the first of four prunes to 0
    assertThat(calls.get(calls.size() - 1).after().sparsity()).isCloseTo(0.8,
        org.assertj.core.data.Offset.offset(1e-3));
  }

  @Test
  void oneShotPrunesOnceToTheTargetPerLayer() {
    ToyModel model = ToyModel.mlp(20, 12, 8, 3, 8);
    WoodFisherPruning wf = WoodFisherPruning.builder(0.6).optSpan(0.5, 0.5).optPruningSteps(1)
        .optBlockSize(32).optFisherSamples(4).optScope(PruningScope.LAYER).build();
    RecordingController rec = train(wf, model, 1, 40);
    long changes = rec.calls.stream().filter(c -> !c.after().equals(c.before())).count();
    assertThat(changes).isEqualTo(1);
    assertThat(wf.schedule().lastPruningStep()).isEqualTo(20);
    Mask last = rec.calls.get(rec.calls.size() - 1).after();
    for (String layer : last.layers()) {
      long size = last.size(layer);
      assertThat(last.kept(layer)).isEqualTo(size - Math.round(0.6 * size));
    }
  }

  @Test
  void settingsAreChecked() {
    assertThatThrownBy(() -> WoodFisherPruning.builder(0.9).optBlockSize(0))
        .hasMessage("Fisher block size must be at least 1: 0");
    assertThatThrownBy(() -> WoodFisherPruning.builder(0.9).optDampening(0))
        .hasMessage("Fisher dampening must be positive and finite: 0.0");
  }
}
