package io.github.lth.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.lth.core.prune.ParameterSelectors;
import io.github.lth.core.prune.PruningCriteria;
import io.github.lth.core.prune.PruningScope;
import io.github.lth.core.rewind.Rewinds;
import io.github.lth.core.schedule.PruningSchedule;
import io.github.lth.core.schedule.PruningSchedules;
import io.github.lth.core.testing.ToyModel;
import io.github.lth.core.testing.ToyTask;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;

class ImpTest {
  private static final PruningSchedule IMP_20_90 = PruningSchedules.imp(0.2, 0.9);

  /** 30,000 + 15,000 prunable weights; the classifier stays dense. */
  private static ToyModel model(long seed) {
    return ToyModel.mlp(100, 300, 50, 10, seed);
  }

  @Test
  void prunesTwentyPercentOfTheRemainingWeightsEachRound() {
    // LeNet-300-100's shapes: 235,200 + 30,000 prunable weights
    ImpResult r = Imp.run(ToyModel.mlp(784, 300, 100, 10, 1), new ToyTask(1, 1), IMP_20_90);

    List<String> percents = new ArrayList<>();
    List<Long> kept = new ArrayList<>();
    for (Round round : r.rounds()) {
      percents.add(String.format(Locale.ROOT, "%.2f", 100 * round.sparsity()));
      kept.add(round.kept());
    }
    assertThat(percents).containsExactly("0.00", "20.00", "36.00", "48.80", "59.04", "67.23",
        "73.79", "79.03", "83.22", "86.58", "89.26");
    long expected = 265_200;
    for (int i = 0; i < kept.size(); i++) {
      assertThat(kept.get(i)).as("round %s", i).isEqualTo(expected);
      expected -= Math.round(0.2 * expected);
    }
    assertThat(r.dense().mask().layers()).containsExactly("fc1.weight", "fc2.weight");
  }

  @Test
  void masksAreNestedAndPrunedWeightsStayZero() {
    ToyTask task = new ToyTask(1, 2);
    ImpResult r = Imp.run(model(2), task, PruningSchedules.imp(0.2, 0.6));
    for (int i = 1; i < r.rounds().size(); i++) {
      Mask before = r.rounds().get(i - 1).mask();
      Mask now = r.rounds().get(i).mask();
      assertThat(now.andNot(before).kept()).as("round %s revives nothing", i).isZero();
    }
    // every round started with its pruned weights at zero
    for (int i = 0; i < task.startWeights().size(); i++) {
      Weights w = task.startWeights().get(i);
      Mask m = task.trainedMasks().get(i);
      assertThat(w.masked(m)).isEqualTo(w);
    }
  }

  @Test
  void sameSeedGivesSameMasks() {
    ImpResult a = Imp.builder().setSchedule(IMP_20_90).optSeed(5).build()
        .run(model(3), new ToyTask(1, 2));
    ImpResult b = Imp.builder().setSchedule(IMP_20_90).optSeed(5).build()
        .run(model(3), new ToyTask(1, 2));
    ImpResult c = Imp.builder().setSchedule(IMP_20_90).optSeed(6).build()
        .run(model(3), new ToyTask(1, 2));
    for (int i = 0; i < a.rounds().size(); i++) {
      assertThat(a.rounds().get(i).mask()).isEqualTo(b.rounds().get(i).mask());
    }
    assertThat(a.last().mask()).isNotEqualTo(c.last().mask());
  }

  @Test
  void rewindToInitStartsEveryRoundFromTheInitialWeights() {
    ToyModel m = model(4);
    Weights init = m.state();
    ToyTask task = new ToyTask(1, 2);
    ImpResult r = Imp.builder().setSchedule(PruningSchedules.imp(0.2, 0.5))
        .optRewind(Rewinds.toInit()).build().run(m, task);
    for (int i = 0; i < r.rounds().size(); i++) {
      assertThat(task.startWeights().get(i)).isEqualTo(init.masked(r.rounds().get(i).mask()));
    }
    assertThat(m.openSnapshots()).isZero();
  }

  @Test
  void lateRewindGoesBackToTheWeightsAfterThatStepOfRoundZero() {
    ToyModel m = model(5);
    ToyTask task = new ToyTask(2, 3);
    List<Weights> atStep = new ArrayList<>();
    ImpListener recordStep2 = new ImpListener() {
      @Override
      public TrainingListener onRoundStart(int round, Mask mask) {
        return new TrainingListener() {
          @Override
          public void onStep(long step, int epoch, long batch, java.util.function.DoubleSupplier l) {
            if (round == 0 && step == 2) {
              atStep.add(m.state());
            }
          }
        };
      }
    };
    ImpResult r = Imp.builder().setSchedule(PruningSchedules.imp(0.2, 0.4))
        .optRewind(Rewinds.toStep(2)).addListener(recordStep2).build().run(m, task);
    assertThat(atStep).hasSize(1);
    for (int i = 1; i < r.rounds().size(); i++) {
      assertThat(task.startWeights().get(i)).isEqualTo(atStep.get(0).masked(r.rounds().get(i).mask()));
    }
    assertThat(m.openSnapshots()).isZero();
  }

  @Test
  void lateRewindTrainsTheRemainingStepsWithRoundZerosDataOrder() {
    ToyTask task = new ToyTask(2, 3);   // T = 6
    ImpResult r = Imp.builder().setSchedule(PruningSchedules.imp(0.2, 0.4))
        .optRewind(Rewinds.toStep(2)).optSeed(9).build().run(model(5), task);
    assertThat(r.rounds()).hasSize(3);
    assertThat(r.dense().training().startStep()).isZero();
    assertThat(r.dense().training().steps()).isEqualTo(6);
    for (int i = 1; i < r.rounds().size(); i++) {
      assertThat(r.rounds().get(i).training().startStep()).isEqualTo(2);
      assertThat(r.rounds().get(i).training().steps()).isEqualTo(4);
      assertThat(task.contexts().get(i).startStep()).isEqualTo(2);
      assertThat(task.contexts().get(i).seed()).isEqualTo(task.contexts().get(0).seed());
    }
  }

  @Test
  void aRunFromStepKContinuesRoundZeroStepForStep() {
    ToyModel a = model(8);
    ToyTask task = new ToyTask(2, 3);
    Mask dense = Mask.dense(a.weights(List.of("fc1.weight", "fc2.weight")).shapes());
    long seed = Seeds.derive(0, "train", 0);
    List<Weights> at2 = new ArrayList<>();
    TrainingListener capture = new TrainingListener() {
      @Override
      public void onStep(long step, int epoch, long batch, java.util.function.DoubleSupplier l) {
        if (step == 2) {
          at2.add(a.state());
        }
      }
    };
    task.train(a, dense, new TrainingContext(0, seed, capture));
    Weights end = a.state();
    ToyModel b = model(8);
    b.load(at2.get(0));
    TrainingSummary s = task.train(b, dense, new TrainingContext(1, seed, TrainingListener.NONE, 2));
    assertThat(s.steps()).isEqualTo(4);
    assertThat(s.startStep()).isEqualTo(2);
    assertThat(b.state()).isEqualTo(end);
  }

  @Test
  void fractionRewindIsRoundedShareOfRoundZerosSteps() {
    assertThat(Imp.rewindStep(Rewinds.toFraction(0.5), new TrainingPlan(6, 3))).isEqualTo(3);
    assertThat(Imp.rewindStep(Rewinds.toFraction(0.05), new TrainingPlan(1000, 100)))
        .isEqualTo(50);
    assertThat(Imp.rewindStep(Rewinds.toEpoch(2), new TrainingPlan(1000, 100))).isEqualTo(200);
    assertThat(Imp.rewindStep(Rewinds.toInit(), new TrainingPlan(1000, 100))).isZero();
    ToyTask task = new ToyTask(2, 3);
    ImpResult r = Imp.builder().setSchedule(PruningSchedules.imp(0.2, 0.2))
        .optRewind(Rewinds.parse("fraction:0.5")).build().run(model(5), task);
    assertThat(r.last().training().startStep()).isEqualTo(3);
  }

  @Test
  void rewindPointPastTheEndOfTrainingIsRefusedBeforeTraining() {
    ToyTask task = new ToyTask(1, 2);
    assertThatThrownBy(() -> Imp.builder().setSchedule(PruningSchedules.imp(0.2, 0.4))
        .optRewind(Rewinds.toStep(2)).build().run(model(5), task))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("step:2")
        .hasMessageContaining("ends after 2 steps");
    assertThat(task.startWeights()).isEmpty();
  }

  @Test
  void epochRewindGoesBackToTheWeightsAfterThatEpoch() {
    ToyModel m = model(6);
    ToyTask task = new ToyTask(3, 2);
    ToyTask reference = new ToyTask(1, 2);
    ToyModel copy = model(6);
    // one epoch of the same round-0 training gives the rewind point
    reference.train(copy, Mask.dense(copy.weights(List.of("fc1.weight", "fc2.weight")).shapes()),
        new TrainingContext(0, Seeds.derive(0, "train", 0), TrainingListener.NONE));
    ImpResult r = Imp.builder().setSchedule(PruningSchedules.imp(0.2, 0.2))
        .optRewind(Rewinds.toEpoch(1)).build().run(m, task);
    assertThat(task.startWeights().get(1)).isEqualTo(copy.state().masked(r.last().mask()));
  }

  @Test
  void reinitDrawsFreshWeightsFromTheDerivedSeed() {
    ToyModel m = model(7);
    Weights init = m.state();
    ToyTask task = new ToyTask(1, 1);
    ImpResult r = Imp.builder().setSchedule(PruningSchedules.imp(0.2, 0.2)).optSeed(9)
        .optRewind(Rewinds.reinit()).build().run(m, task);
    ToyModel fresh = model(0);
    fresh.reinitialize(Seeds.derive(9, "reinit", 1));
    assertThat(task.startWeights().get(1)).isEqualTo(fresh.state().masked(r.last().mask()));
    assertThat(task.startWeights().get(1)).isNotEqualTo(init.masked(r.last().mask()));
  }

  @Test
  void noRewindContinuesFromTheTrainedWeights() {
    ToyModel m = model(8);
    ToyTask task = new ToyTask(1, 2);
    List<Weights> trained = new ArrayList<>();
    ImpListener afterTraining = new ImpListener() {
      @Override
      public void onRoundEnd(Round round) {
        trained.add(m.state());
      }
    };
    ImpResult r = Imp.builder().setSchedule(PruningSchedules.imp(0.2, 0.4))
        .optRewind(Rewinds.none()).addListener(afterTraining).build().run(m, task);
    for (int i = 1; i < r.rounds().size(); i++) {
      assertThat(task.startWeights().get(i))
          .isEqualTo(trained.get(i - 1).masked(r.rounds().get(i).mask()));
    }
  }

  @Test
  void pretrainedWeightsAreLoadedAndRewoundTo() {
    ToyModel m = model(10);
    Weights pretrained = model(11).state();
    ToyTask task = new ToyTask(1, 1);
    ImpResult r = Imp.builder().setSchedule(PruningSchedules.imp(0.2, 0.4))
        .optRewind(Rewinds.toPretrained("test", pretrained)).build().run(m, task);
    for (int i = 0; i < r.rounds().size(); i++) {
      assertThat(task.startWeights().get(i)).isEqualTo(pretrained.masked(r.rounds().get(i).mask()));
    }
  }

  @Test
  void rewindStepBeyondRoundZeroIsAnError() {
    assertThatThrownBy(() -> Imp.builder().setSchedule(IMP_20_90).optRewind(Rewinds.toStep(50))
        .build().run(model(1), new ToyTask(1, 3)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("rewind step:50 is step 50, but training ends after 3 steps (3 per epoch)");
  }

  @Test
  void layerScopeGivesEveryLayerTheSameSparsity() {
    ImpResult r = Imp.builder().setSchedule(PruningSchedules.imp(0.2, 0.5))
        .optScope(PruningScope.LAYER).build().run(model(12), new ToyTask(1, 1));
    Round last = r.last();
    assertThat(last.mask().kept("fc1.weight")).isEqualTo(30_000 - 6_000 - 4_800 - 3_840);
    assertThat(last.mask().kept("fc2.weight")).isEqualTo(15_000 - 3_000 - 2_400 - 1_920);
  }

  @Test
  void selectorDecidesWhatIsPrunable() {
    ImpResult r = Imp.builder().setSchedule(PruningSchedules.imp(0.2, 0.2))
        .optSelector(ParameterSelectors.layerWeights()).build().run(model(13), new ToyTask(1, 1));
    assertThat(r.last().mask().layers()).containsExactly("fc1.weight", "fc2.weight", "out.weight");
    assertThatThrownBy(() -> Imp.builder().setSchedule(IMP_20_90)
        .optSelector(ParameterSelectors.matching("nothing.*")).build()
        .run(model(1), new ToyTask(1, 1)))
        .hasMessageStartingWith("no prunable parameters: the selector chose none of [fc1.weight");
  }

  @Test
  void magnitudeChangeScoresMovementFromTheInitialWeights() {
    ToyModel m = model(14);
    Weights init = m.state();
    List<Weights> trained = new ArrayList<>();
    ImpResult r = Imp.builder().setSchedule(PruningSchedules.imp(0.2, 0.2))
        .optCriterion(PruningCriteria.magnitudeChange())
        .addListener(new ImpListener() {
          @Override
          public void onRoundEnd(Round round) {
            trained.add(m.state());
          }
        }).build().run(m, new ToyTask(1, 2));
    Mask dense = r.dense().mask();
    Subnetwork s = Subnetwork.of(dense, trained.get(0).select(dense.layers()),
        init.select(dense.layers()));
    Mask expected = Pruner.prune(dense, PruningCriteria.magnitudeChange().score(s),
        PruningScope.GLOBAL, PruningSchedules.imp(0.2, 0.2), 1, io.github.lth.core.select.LowestSelections.sorting());
    assertThat(r.last().mask()).isEqualTo(expected);
  }

  private static Round round(int index, int kept, double loss) {
    boolean[] bits = new boolean[100];
    for (int i = 0; i < kept; i++) {
      bits[i] = true;
    }
    Mask mask = Mask.builder().put("w", new long[] {100}, bits).build();
    return new Round(index, mask, Metrics.of(java.util.Map.of("val_loss", loss)),
        new TrainingSummary(10, 1, loss));
  }

  @Test
  void sparsestWithinFollowsWhetherLowerIsBetter() {
    List<Round> rounds = List.of(round(0, 100, 0.50), round(1, 80, 0.505), round(2, 64, 0.52));
    ImpResult lossBased = new ImpResult(rounds, "val_loss", false, null);
    ImpResult accuracyLike = new ImpResult(rounds, "val_loss", true, null);
    // a loss at most 0.01 above dense: round 1 (0.505), not round 2 (0.52)
    assertThat(lossBased.sparsestWithin(0.01).index()).isEqualTo(1);
    assertThat(accuracyLike.sparsestWithin(0.01).index()).isEqualTo(2);
  }
}
