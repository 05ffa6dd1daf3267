package io.github.lth.core.run;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.gson.Gson;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.github.lth.core.Imp;
import io.github.lth.core.ImpListener;
import io.github.lth.core.ImpResult;
import io.github.lth.core.Mask;
import io.github.lth.core.Round;
import io.github.lth.core.TrainingListener;
import io.github.lth.core.io.MaskIO;
import io.github.lth.core.rewind.Rewinds;
import io.github.lth.core.schedule.PruningSchedules;
import io.github.lth.core.testing.ToyModel;
import io.github.lth.core.testing.ToyTask;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RunStoreTest {
  @TempDir
  Path tmp;

  private static ToyModel model() {
    return ToyModel.mlp(20, 30, 10, 4, 3);
  }

  private static Imp.Builder imp(Path dir) {
    return Imp.builder().setSchedule(PruningSchedules.imp(0.2, 0.6)).optSeed(11)
        .optRewind(Rewinds.toStep(2)).optRunDirectory(dir).optSetting("model", "toy");
  }

  /** Fails when round {@code round} starts, like a run killed at that moment. */
  private static ImpListener crashAt(int round) {
    return new ImpListener() {
      @Override
      public TrainingListener onRoundStart(int r, Mask mask) {
        if (r == round) {
          throw new IllegalStateException("killed");
        }
        return TrainingListener.NONE;
      }
    };
  }

  @Test
  void metricsJsonRecordsStartStepAndStepsTrained() throws IOException {
    Path dir = tmp.resolve("runs/steps");
    imp(dir).build().run(model(), new ToyTask(2, 3));
    JsonObject r0 = JsonParser.parseString(Files.readString(dir.resolve("round-00/metrics.json")))
        .getAsJsonObject();
    JsonObject r1 = JsonParser.parseString(Files.readString(dir.resolve("round-01/metrics.json")))
        .getAsJsonObject();
    assertThat(r0.get("start_step").getAsLong()).isZero();
    assertThat(r0.get("steps_trained").getAsLong()).isEqualTo(6);
    assertThat(r1.get("start_step").getAsLong()).isEqualTo(2);
    assertThat(r1.get("steps_trained").getAsLong()).isEqualTo(4);
    JsonObject config = JsonParser.parseString(Files.readString(dir.resolve("config.json")))
        .getAsJsonObject();
    assertThat(config.get("format").getAsString()).isEqualTo("lth4j-run/2");
  }

  @Test
  void settingsFingerprintIsTheOneConfigJsonRecords() throws IOException {
    Path dir = tmp.resolve("runs/fp");
    Imp imp = imp(dir).build();
    String before = imp.settingsFingerprint(model(), new ToyTask(2, 3));
    imp.run(model(), new ToyTask(2, 3));
    JsonObject config = JsonParser.parseString(Files.readString(dir.resolve("config.json")))
        .getAsJsonObject();
    assertThat(config.get("settings_sha256").getAsString()).isEqualTo(before).hasSize(64);
    assertThat(imp(dir).optSeed(12).build().settingsFingerprint(model(), new ToyTask(2, 3)))
        .isNotEqualTo(before);
  }

  @Test
  void aRunOfAnEarlierFormatWithOtherSettingsIsRefusedNamingTheFormat() throws IOException {
    Path dir = tmp.resolve("runs/old");
    imp(dir).build().run(model(), new ToyTask(2, 3));
    Path config = dir.resolve("config.json");
    String old = Files.readString(config).replace("lth4j-run/2", "lth4j-run/1")
        .replace("\"seed\": 11", "\"seed\": 12");
    Files.writeString(config, old);
    assertThatThrownBy(() -> imp(dir).optResume(true).build().run(model(), new ToyTask(2, 3)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("run format lth4j-run/1")
        .hasMessageContaining("this version writes lth4j-run/2");
    assertThat(Files.readString(config)).isEqualTo(old);
  }

  @Test
  void writesTheRunLayout() throws IOException {
    Path dir = tmp.resolve("runs/a");
    ImpResult r = imp(dir).build().run(model(), new ToyTask(2, 3));
    assertThat(r.rounds()).hasSize(5);
    for (String f : List.of("config.json", "initial.npz", "rewind-point.npz", "results.csv",
        "summary.json", "curve.png")) {
      assertThat(dir.resolve(f)).as(f).isRegularFile();
    }
    for (int i = 0; i < 5; i++) {
      Path round = dir.resolve(String.format("round-%02d", i));
      assertThat(MaskIO.read(round.resolve("mask.npz"))).isEqualTo(r.rounds().get(i).mask());
      assertThat(round.resolve("metrics.json")).isRegularFile();
      assertThat(round.resolve("weights.npz")).isRegularFile();
    }
    List<String> csv = Files.readAllLines(dir.resolve("results.csv"));
    assertThat(csv).hasSize(6);
    assertThat(csv.get(0)).isEqualTo(
        "round,sparsity,sparsity_percent,kept,prunable,accuracy,loss,start_step,steps_trained,"
            + "epochs,train_loss");
    assertThat(csv.get(2)).startsWith("1,0.2,20.00,720,900,");
    // late rewinding to step 2 of 6: later rounds start at step 2 and train 4 steps
    assertThat(csv.get(1).split(",")[7]).isEqualTo("0");
    assertThat(csv.get(1).split(",")[8]).isEqualTo("6");
    assertThat(csv.get(2).split(",")[7]).isEqualTo("2");
    assertThat(csv.get(2).split(",")[8]).isEqualTo("4");
    byte[] png = Files.readAllBytes(dir.resolve("curve.png"));
    assertThat(png).startsWith(0x89, 'P', 'N', 'G');
    JsonObject config = new Gson().fromJson(Files.readString(dir.resolve("config.json")),
        JsonObject.class);
    JsonObject settings = config.getAsJsonObject("settings");
    assertThat(settings.get("rewind").getAsString()).isEqualTo("step:2");
    assertThat(settings.get("seed").getAsLong()).isEqualTo(11);
    assertThat(settings.get("model").getAsString()).isEqualTo("toy");
    assertThat(settings.getAsJsonObject("task").get("epochs").getAsInt()).isEqualTo(2);
    assertThat(config.getAsJsonObject("provenance").get("java").getAsString())
        .isEqualTo(System.getProperty("java.version"));
    try (Stream<Path> files = Files.list(dir)) {
      assertThat(files.map(p -> p.getFileName().toString()))
          .noneMatch(n -> n.endsWith(".tmp"));
    }
  }

  @Test
  void resumeAfterACrashEndsWithTheSameMasks() throws IOException {
    ImpResult uninterrupted = imp(tmp.resolve("full")).build().run(model(), new ToyTask(2, 3));

    Path dir = tmp.resolve("crashed");
    assertThatThrownBy(() -> imp(dir).addListener(crashAt(3)).build()
        .run(model(), new ToyTask(2, 3))).hasMessage("killed");
    assertThat(dir.resolve("round-02")).isDirectory();
    assertThat(dir.resolve("round-03")).doesNotExist();

    ToyTask task = new ToyTask(2, 3);
    ImpResult resumed = imp(dir).optResume(true).build().run(model(), task);
    assertThat(task.startWeights()).as("only rounds 3 and 4 trained again").hasSize(2);
    assertThat(resumed.rounds()).hasSize(5);
    for (int i = 0; i < 5; i++) {
      Round a = uninterrupted.rounds().get(i);
      Round b = resumed.rounds().get(i);
      assertThat(b.mask()).as("round %s", i).isEqualTo(a.mask());
      assertThat(b.metrics()).as("round %s", i).isEqualTo(a.metrics());
    }
    assertThat(Files.readAllLines(dir.resolve("results.csv")))
        .isEqualTo(Files.readAllLines(tmp.resolve("full/results.csv")));
  }

  @Test
  void resumingACompleteRunTrainsNothing() {
    Path dir = tmp.resolve("done");
    ImpResult first = imp(dir).build().run(model(), new ToyTask(1, 3));
    ToyTask task = new ToyTask(1, 3);
    ImpResult again = imp(dir).optResume(true).build().run(model(), task);
    assertThat(task.startWeights()).isEmpty();
    assertThat(again.last().mask()).isEqualTo(first.last().mask());
  }

  @Test
  void refusesARunDirectoryWithOtherSettings() throws IOException {
    Path dir = tmp.resolve("b");
    imp(dir).build().run(model(), new ToyTask(1, 3));
    byte[] config = Files.readAllBytes(dir.resolve("config.json"));
    assertThatThrownBy(() -> imp(dir).optSeed(12).optResume(true).build()
        .run(model(), new ToyTask(1, 3)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("run directory " + dir
            + " was made with other settings (seed: 11 -> 12); choose another directory");
    assertThat(Files.readAllBytes(dir.resolve("config.json"))).isEqualTo(config);
  }

  @Test
  void refusesToOverwriteARunWithoutResume() {
    Path dir = tmp.resolve("c");
    imp(dir).build().run(model(), new ToyTask(1, 3));
    assertThatThrownBy(() -> imp(dir).build().run(model(), new ToyTask(1, 3)))
        .hasMessage("run directory " + dir
            + " already holds a run; resume it or choose another directory");
  }

  @Test
  void refusesANonEmptyDirectoryThatIsNoRun() throws IOException {
    Path dir = tmp.resolve("d");
    Files.createDirectories(dir);
    Files.writeString(dir.resolve("notes.txt"), "mine");
    assertThatThrownBy(() -> imp(dir).build().run(model(), new ToyTask(1, 3)))
        .hasMessage("run directory " + dir
            + " exists and is not an lth4j run directory (no config.json)");
    try (Stream<Path> files = Files.list(dir)) {
      assertThat(files).hasSize(1);
    }
  }

  @Test
  void leftoverTemporaryRoundIsRemovedOnResume() throws IOException {
    Path dir = tmp.resolve("e");
    assertThatThrownBy(() -> imp(dir).addListener(crashAt(2)).build()
        .run(model(), new ToyTask(1, 3))).hasMessage("killed");
    Path partial = dir.resolve(".round-02.tmp");
    Files.createDirectories(partial);
    Files.writeString(partial.resolve("mask.npz"), "half");
    imp(dir).optResume(true).build().run(model(), new ToyTask(1, 3));
    assertThat(partial).doesNotExist();
    assertThat(dir.resolve("round-04")).isDirectory();
  }

  @Test
  void aSummaryLeftBehindByItsRoundIsRewrittenOnResumeAndACurrentOneIsLeftAlone()
      throws IOException {
    Path dir = tmp.resolve("f");
    imp(dir).build().run(model(), new ToyTask(1, 3));
    byte[] complete = Files.readAllBytes(dir.resolve("summary.json"));
    byte[] table = Files.readAllBytes(dir.resolve("results.csv"));
    // as if killed after the last round was stored and before its summary was written
    Files.delete(dir.resolve("summary.json"));
    Files.writeString(dir.resolve("results.csv"), "stale\n");
    imp(dir).optResume(true).build().run(model(), new ToyTask(1, 3));
    assertThat(Files.readAllBytes(dir.resolve("summary.json"))).isEqualTo(complete);
    assertThat(Files.readAllBytes(dir.resolve("results.csv"))).isEqualTo(table);

    // current: summary.json lists every round, so nothing is rewritten (the table stays as is)
    Files.writeString(dir.resolve("results.csv"), "kept\n");
    imp(dir).optResume(true).build().run(model(), new ToyTask(1, 3));
    assertThat(Files.readString(dir.resolve("results.csv"))).isEqualTo("kept\n");
  }

  @Test
  void aDirectoryHoldingOnlyALockAndTemporariesIsARunKilledBeforeItsConfig()
      throws IOException {
    Path dir = tmp.resolve("g");
    Files.createDirectories(dir);
    Files.writeString(dir.resolve(".lock"), "12345 elsewhere\n");
    Files.writeString(dir.resolve(".config.json.1a2b.tmp"), "{\"form");
    imp(dir).build().run(model(), new ToyTask(1, 3));
    assertThat(dir.resolve("config.json")).isRegularFile();
    assertThat(dir.resolve(".config.json.1a2b.tmp")).doesNotExist();
    assertThat(Files.readString(dir.resolve(".lock")))
        .startsWith(ProcessHandle.current().pid() + " ");
  }

  @Test
  void aSecondOpenOfARunInUseIsRefusedNamingTheHolder() throws IOException {
    Path dir = tmp.resolve("h");
    JsonObject settings = new JsonObject();
    settings.addProperty("model", "toy");
    try (RunStore first = RunStore.open(dir, settings, java.util.Map.of(), true)) {
      assertThatThrownBy(() -> RunStore.open(dir, settings, java.util.Map.of(), true))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageStartingWith("run directory " + dir + " is in use by another run (process "
              + ProcessHandle.current().pid() + " on host ")
          .hasMessageEndingWith("); wait for it to end or stop it");
    }
    // released on close
    RunStore.open(dir, settings, java.util.Map.of(), true).close();
  }

  @Test
  void storedRoundIndicesAreTheCompleteRoundDirectoriesInOrder() throws IOException {
    Path dir = tmp.resolve("indices");
    assertThat(RunStore.storedRoundIndices(dir)).isEmpty();
    for (String d : List.of("round-03", "round-01", "round-1", "round-xx", ".round-02.tmp",
        "round-123456789012")) {
      Files.createDirectories(dir.resolve(d));
    }
    Files.writeString(dir.resolve("round-05"), "a file, not a round");
    assertThat(RunStore.storedRoundIndices(dir)).containsExactly(1, 3);
  }

  @Test
  void aRunIsHeldByThisLiveProcessOnceItOpensIt() throws IOException {
    Path dir = tmp.resolve("held");
    assertThat(RunStore.isHeldByLiveProcess(dir)).isFalse();
    JsonObject settings = new JsonObject();
    settings.addProperty("model", "toy");
    try (RunStore store = RunStore.open(dir, settings, java.util.Map.of(), true)) {
      assertThat(RunStore.isHeldByLiveProcess(dir)).isTrue();
    }
    // a pid no live process has
    Files.writeString(dir.resolve(".lock"), Long.MAX_VALUE / 2 + " "
        + Files.readString(dir.resolve(".lock")).strip().split(" ", 2)[1] + "\n");
    assertThat(RunStore.isHeldByLiveProcess(dir)).isFalse();
    Files.writeString(dir.resolve(".lock"), ProcessHandle.current().pid() + " another-host\n");
    assertThat(RunStore.isHeldByLiveProcess(dir)).isFalse();
  }
}
