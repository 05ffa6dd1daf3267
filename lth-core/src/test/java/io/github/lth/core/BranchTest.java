package io.github.lth.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.github.lth.core.branch.Control;
import io.github.lth.core.io.WeightsIO;
import io.github.lth.core.rewind.Rewinds;
import io.github.lth.core.run.RunStore;
import io.github.lth.core.run.StoredBranch;
import io.github.lth.core.run.StoredRun;
import io.github.lth.core.schedule.PruningSchedules;
import io.github.lth.core.testing.ToyModel;
import io.github.lth.core.testing.ToyTask;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BranchTest {
  @TempDir
  Path tmp;

  private static ToyModel model() {
    return ToyModel.mlp(20, 30, 10, 4, 3);
  }

  /** A finished 3-round run (20 % per round to 48.8 %) with the given rewind. */
  private Path run(String name, io.github.lth.core.rewind.Rewind rewind) {
    Path dir = tmp.resolve(name);
    Imp.builder().setSchedule(PruningSchedules.imp(0.2, 0.5)).optSeed(11).optRewind(rewind)
        .optRunDirectory(dir).build().run(model(), new ToyTask(2, 3));
    return dir;
  }

  private static BranchResult branch(Path run, String control, ToyTask task, List<Integer> rounds) {
    Branch.Builder b = Branch.builder().setRunDirectory(run).setControl(Control.parse(control));
    if (rounds != null) {
      b.optRounds(rounds);
    }
    return b.build().run(model(), task);
  }

  private static Weights masked(Weights w, Mask m) {
    Weights.Builder b = Weights.builder();
    for (String name : w.names()) {
      float[] v = w.values(name);
      if (m.contains(name)) {
        m.applyTo(name, v);
      }
      b.put(name, w.shape(name), v);
    }
    return b.build();
  }

  @Test
  void randomMaskTrainsFromTheRewindPointWithTheTicketsScheduleAndDataOrder() throws IOException {
    Path dir = run("late", Rewinds.toStep(2));
    StoredRun stored = StoredRun.open(dir);
    ToyTask task = new ToyTask(2, 3);
    BranchResult r = branch(dir, "random-mask", task, null);

    assertThat(r.name()).isEqualTo("random-mask");
    assertThat(r.trainedNow()).containsExactly(1, 2, 3);
    Weights rewindPoint = stored.rewindWeights().orElseThrow();
    for (int i = 0; i < 3; i++) {
      int round = i + 1;
      Mask ticket = stored.round(round).mask();
      Mask control = task.trainedMasks().get(i);
      for (String layer : ticket.layers()) {
        assertThat(control.kept(layer)).isEqualTo(ticket.kept(layer));
      }
      assertThat(control).isNotEqualTo(ticket);
      // same start step and data seed as the ticket's round: only the mask differs
      assertThat(task.contexts().get(i).startStep()).isEqualTo(2);
      assertThat(task.contexts().get(i).seed()).isEqualTo(Imp.dataSeed(11, 2, round));
      assertThat(task.startWeights().get(i)).isEqualTo(masked(rewindPoint, control));
      assertThat(r.rounds().get(i).mask()).isEqualTo(control);
      assertThat(r.rounds().get(i).training().startStep()).isEqualTo(2);
    }
  }

  @Test
  void reinitStartsFromFreshWeightsThatAreNotTheInitialOnes() throws IOException {
    Path dir = run("init", Rewinds.toInit());
    StoredRun stored = StoredRun.open(dir);
    ToyTask task = new ToyTask(2, 3);
    branch(dir, "reinit", task, List.of(2));

    Mask ticket = stored.round(2).mask();
    assertThat(task.trainedMasks()).containsExactly(ticket);
    Weights start = task.startWeights().get(0);
    Weights theta0 = masked(stored.initialWeights(), ticket);
    for (String name : start.names()) {
      assertThat(start.values(name)).as(name).isNotEqualTo(theta0.values(name));
    }
    ToyModel fresh = model();
    fresh.reinitialize(Seeds.derive(11, "branch:reinit", 2));
    assertThat(start).isEqualTo(masked(fresh.state(), ticket));
  }

  @Test
  void retrainUsesTheTicketsMaskAndStartWithAnotherDataOrder() throws IOException {
    Path dir = run("init", Rewinds.toInit());
    StoredRun stored = StoredRun.open(dir);
    ToyTask task = new ToyTask(2, 3);
    branch(dir, "retrain", task, List.of(1, 3));
    for (int i = 0; i < 2; i++) {
      int round = i == 0 ? 1 : 3;
      Mask ticket = stored.round(round).mask();
      assertThat(task.trainedMasks().get(i)).isEqualTo(ticket);
      assertThat(task.startWeights().get(i)).isEqualTo(masked(stored.initialWeights(), ticket));
      assertThat(task.contexts().get(i).seed()).isNotEqualTo(Imp.dataSeed(11, 0, round));
      assertThat(task.contexts().get(i).startStep()).isZero();
    }
  }

  @Test
  void noneRewindStartsFromThePreviousRoundsTrainedWeights() throws IOException {
    Path dir = run("none", Rewinds.none());
    StoredRun stored = StoredRun.open(dir);
    ToyTask task = new ToyTask(2, 3);
    branch(dir, "complement", task, List.of(2));
    Mask control = stored.round(2).mask().not();
    assertThat(task.trainedMasks()).containsExactly(control);
    assertThat(task.startWeights().get(0)).isEqualTo(masked(stored.trainedWeights(1), control));
  }

  @Test
  void naturalRandomReadsTheDenseTrainedWeights() throws IOException {
    Path dir = run("init", Rewinds.toInit());
    // make some trained weights naturally zero
    StoredRun stored = StoredRun.open(dir);
    ToyTask task = new ToyTask(2, 3);
    BranchResult r = branch(dir, "natural-random:0.02", task, List.of(1));
    Weights dense = stored.trainedWeights(0);
    Mask ticket = stored.round(1).mask();
    Mask control = task.trainedMasks().get(0);
    long natural = 0;
    for (String layer : ticket.layers()) {
      assertThat(control.kept(layer)).isEqualTo(ticket.kept(layer));
      float[] v = dense.values(layer);
      boolean[] kept = control.toBooleans(layer);
      long zeros = 0;
      for (int i = 0; i < v.length; i++) {
        if (Math.abs(v[i]) <= 0.02) {
          zeros++;
          if (zeros <= ticket.size(layer) - ticket.kept(layer)) {
            natural++;
          }
        }
      }
      long prunedZeros = 0;
      for (int i = 0; i < v.length; i++) {
        prunedZeros += Math.abs(v[i]) <= 0.02 && !kept[i] ? 1 : 0;
      }
      assertThat(prunedZeros).as(layer).isEqualTo(
          Math.min(zeros, ticket.size(layer) - ticket.kept(layer)));
    }
    assertThat(natural).as("the toy run has natural zeros to exclude").isPositive();
    JsonObject settings = StoredRun.open(dir).branches().get(0).settings();
    assertThat(settings.get("natural_zero_threshold").getAsDouble()).isEqualTo(0.02);
    assertThat(r.name()).isEqualTo("natural-random-0.02");
  }

  @Test
  void aBranchResumesAndJoinsTheRunsResults() throws IOException {
    Path dir = run("init", Rewinds.toInit());
    ToyTask first = new ToyTask(2, 3);
    BranchResult one = branch(dir, "perturbed:20", first, List.of(2));
    assertThat(one.trainedNow()).containsExactly(2);
    ToyTask second = new ToyTask(2, 3);
    BranchResult all = branch(dir, "perturbed:20", second, null);
    assertThat(all.trainedNow()).containsExactly(1, 3);
    assertThat(all.rounds()).extracting(Round::index).containsExactly(1, 2, 3);
    // the resumed rounds are those a single invocation makes
    ToyTask again = new ToyTask(2, 3);
    Path copy = run("init2", Rewinds.toInit());
    BranchResult uninterrupted = branch(copy, "perturbed:20", again, null);
    assertThat(uninterrupted.rounds()).extracting(Round::mask)
        .isEqualTo(all.rounds().stream().map(Round::mask).toList());
    // and start from the same weights with the same data order and start step
    List<Weights> resumedStarts = List.of(second.startWeights().get(0),
        first.startWeights().get(0), second.startWeights().get(1));
    assertThat(again.startWeights()).isEqualTo(resumedStarts);
    List<TrainingContext> resumedContexts = List.of(second.contexts().get(0),
        first.contexts().get(0), second.contexts().get(1));
    assertThat(again.contexts()).extracting(TrainingContext::seed).isEqualTo(
        resumedContexts.stream().map(TrainingContext::seed).toList());
    assertThat(again.contexts()).extracting(TrainingContext::startStep).isEqualTo(
        resumedContexts.stream().map(TrainingContext::startStep).toList());
    assertThat(uninterrupted.rounds()).extracting(r -> r.metrics().get("accuracy"))
        .isEqualTo(all.rounds().stream().map(r -> r.metrics().get("accuracy")).toList());

    List<String> csv = Files.readAllLines(dir.resolve(RunStore.RESULTS));
    String[] header = csv.get(0).split(",");
    assertThat(header).contains("perturbed-20.sparsity", "perturbed-20.accuracy");
    int col = List.of(header).indexOf("perturbed-20.accuracy");
    assertThat(csv.get(1).split(",", -1)[col]).isEmpty(); // round 0 has no control
    assertThat(Double.parseDouble(csv.get(3).split(",", -1)[col]))
        .isEqualTo(all.rounds().get(1).metrics().get("accuracy"));
    JsonObject summary = JsonParser.parseString(Files.readString(dir.resolve(RunStore.SUMMARY)))
        .getAsJsonObject();
    assertThat(summary.getAsJsonObject("branches").getAsJsonArray("perturbed-20")).hasSize(3);
    List<StoredBranch> branches = StoredRun.open(dir).branches();
    assertThat(branches).extracting(StoredBranch::control).containsExactly("perturbed:20");
    assertThat(Files.exists(dir.resolve("branches/perturbed-20/round-02/mask.npz"))).isTrue();
    assertThat(Files.exists(dir.resolve("branches/perturbed-20/round-00"))).isFalse();
  }

  @Test
  void anotherSeedIsAnotherBranch() {
    Path dir = run("init", Rewinds.toInit());
    BranchResult r = Branch.builder().setRunDirectory(dir).setControl(new Control.RandomMask())
        .optSeed(5).optRounds(List.of(1)).build().run(model(), new ToyTask(2, 3));
    assertThat(r.name()).isEqualTo("random-mask-seed5");
    BranchResult base = branch(dir, "random-mask", new ToyTask(2, 3), List.of(1));
    assertThat(base.rounds().get(0).mask()).isNotEqualTo(r.rounds().get(0).mask());
  }

  @Test
  void aRunInProgressStillGetsTheBranchInItsSummary() throws IOException {
    Path dir = run("init", Rewinds.toInit());
    // an IMP process holding the run: the branch's summary lock is another file
    try (FileChannel c = FileChannel.open(dir.resolve(".lock"), StandardOpenOption.WRITE);
        FileLock held = c.lock()) {
      BranchResult r = branch(dir, "random-global", new ToyTask(2, 3), List.of(1));
      assertThat(r.rounds()).hasSize(1);
    }
    assertThat(Files.readAllLines(dir.resolve(RunStore.RESULTS)).get(0))
        .contains("random-global.accuracy");
  }

  @Test
  void reinitUnderLateRewindingStartsAtTheRewindStepFromFreshWeights() throws IOException {
    Path dir = run("late", Rewinds.toStep(2));
    StoredRun stored = StoredRun.open(dir);
    ToyTask task = new ToyTask(2, 3);
    branch(dir, "reinit", task, List.of(1));
    Mask ticket = stored.round(1).mask();
    assertThat(task.contexts().get(0).startStep()).isEqualTo(2);
    assertThat(task.contexts().get(0).seed()).isEqualTo(Imp.dataSeed(11, 2, 1));
    assertThat(task.startWeights().get(0)).isNotEqualTo(
        masked(stored.rewindWeights().orElseThrow(), ticket));
    ToyModel fresh = model();
    fresh.reinitialize(Seeds.derive(11, "branch:reinit", 1));
    assertThat(task.startWeights().get(0)).isEqualTo(masked(fresh.state(), ticket));
  }

  @Test
  void aRunLackingAFileTheBranchNeedsLeavesNoBranchBehind() throws IOException {
    Path late = run("late", Rewinds.toStep(2));
    Files.delete(late.resolve(RunStore.REWIND_WEIGHTS));
    assertThatThrownBy(() -> branch(late, "random-mask", new ToyTask(2, 3), null))
        .hasMessageContaining("lacks rewind-point.npz");
    assertThat(late.resolve(RunStore.BRANCHES)).doesNotExist();

    Path none = run("none", Rewinds.none());
    Files.delete(none.resolve("round-01/weights.npz"));
    assertThatThrownBy(() -> branch(none, "complement", new ToyTask(2, 3), List.of(2)))
        .hasMessageContaining("lacks round-01/weights.npz");
    Files.delete(none.resolve("round-00/weights.npz"));
    assertThatThrownBy(() -> branch(none, "natural-random", new ToyTask(2, 3), List.of(3)))
        .hasMessageContaining("lacks round-00/weights.npz");
    assertThat(none.resolve(RunStore.BRANCHES)).doesNotExist();
  }

  @Test
  void aPerturbationThatSwapsNothingAndAnEmptyRoundListAreRefused() {
    Path dir = run("init", Rewinds.toInit());
    assertThatThrownBy(() -> branch(dir, "perturbed:0.001", new ToyTask(2, 3), List.of(1)))
        .hasMessageContaining("swaps no weight of round 1");
    assertThatThrownBy(() -> branch(dir, "reinit", new ToyTask(2, 3), List.of()))
        .hasMessageContaining("no round chosen");
    assertThat(dir.resolve(RunStore.BRANCHES)).doesNotExist();
  }

  @Test
  void theControlsDescriptionIsProvenanceNotASetting() throws IOException {
    Path dir = run("init", Rewinds.toInit());
    branch(dir, "complement", new ToyTask(2, 3), List.of(1));
    JsonObject config = JsonParser.parseString(Files.readString(
        dir.resolve("branches/complement/config.json"))).getAsJsonObject();
    assertThat(config.getAsJsonObject("settings").keySet())
        .containsExactly("control", "seed", "run_settings_sha256");
    assertThat(config.getAsJsonObject("provenance").get("control_description").getAsString())
        .startsWith("the complement mask");
  }

  @Test
  void badRequestsAreRefusedBeforeAnythingIsWritten() throws IOException {
    Path dir = run("init", Rewinds.toInit());
    assertThatThrownBy(() -> branch(dir, "reinit", new ToyTask(2, 3), List.of(0)))
        .hasMessageContaining("round 0 is the dense network");
    assertThatThrownBy(() -> branch(dir, "reinit", new ToyTask(2, 3), List.of(7)))
        .hasMessageContaining("round 7 does not exist").hasMessageContaining("rounds 0 to 3");
    assertThatThrownBy(() -> branch(dir, "reinit", new ToyTask(3, 3), null))
        .hasMessageContaining("the task differs").hasMessageContaining("epochs: 2 -> 3");
    assertThatThrownBy(() -> Branch.builder().setRunDirectory(dir).setControl(new Control.Reinit())
        .build().run(ToyModel.mlp(21, 30, 10, 4, 3), new ToyTask(2, 3)))
        .hasMessageContaining("fc1.weight").hasMessageContaining("(30, 21)");
    assertThat(Files.exists(dir.resolve(RunStore.BRANCHES))).isFalse();
    assertThatThrownBy(() -> branch(tmp.resolve("nowhere"), "reinit", new ToyTask(2, 3), null))
        .hasMessageContaining("not found");
    Files.createDirectories(tmp.resolve("empty"));
    assertThatThrownBy(() -> branch(tmp.resolve("empty"), "reinit", new ToyTask(2, 3), null))
        .hasMessageContaining("not an lth4j run directory");
  }

  @Test
  void aRunOfAnotherFormatIsRefused() throws IOException {
    Path dir = run("init", Rewinds.toInit());
    Path config = dir.resolve(RunStore.CONFIG);
    Files.writeString(config, Files.readString(config).replace("lth4j-run/2", "lth4j-run/1"));
    assertThatThrownBy(() -> branch(dir, "reinit", new ToyTask(2, 3), null))
        .hasMessageContaining("run format lth4j-run/1");
  }

  @Test
  void aStoppedRunWithoutRoundsIsRefused() throws IOException {
    Path dir = run("init", Rewinds.toInit());
    for (int r = 0; r <= 3; r++) {
      try (var walk = Files.walk(dir.resolve(RunStore.roundDirectoryName(r)))) {
        for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
          Files.delete(p);
        }
      }
    }
    assertThatThrownBy(() -> branch(dir, "reinit", new ToyTask(2, 3), null))
        .hasMessageContaining("holds no complete round");
    WeightsIO.read(dir.resolve(RunStore.INITIAL_WEIGHTS)); // untouched
  }
}
