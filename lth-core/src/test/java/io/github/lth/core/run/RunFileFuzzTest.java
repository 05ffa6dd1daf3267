package io.github.lth.core.run;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.lth.core.Imp;
import io.github.lth.core.rewind.Rewinds;
import io.github.lth.core.schedule.PruningSchedules;
import io.github.lth.core.testing.ReaderFuzzer;
import io.github.lth.core.testing.ToyModel;
import io.github.lth.core.testing.ToyTask;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The JSON files of a run directory, read through {@link StoredRun#open}, against damaged
 * variants (see {@link ReaderFuzzer}): a run with a corrupt config.json or round metrics.json
 * opens, or is refused with a one-line {@link IOException} naming the file. Each variant is
 * written over the file of a real (toy) run, whose other files stay valid.
 */
class RunFileFuzzTest {
  @TempDir Path tmp;

  /** A finished two-round toy run with late rewinding, as Imp writes it. */
  private Path run() {
    Path dir = tmp.resolve("run");
    Imp.builder().setSchedule(PruningSchedules.of(0.5)).optSeed(5).optRewind(Rewinds.toStep(1))
        .optRunDirectory(dir).optSetting("model", "toy").build()
        .run(ToyModel.mlp(6, 5, 4, 3, 5), new ToyTask(1, 2));
    return dir;
  }

  /** Opens the run and asks for everything its config.json and settings feed. */
  private static void open(Path dir) throws IOException {
    StoredRun run = StoredRun.open(dir);
    run.settings();
    run.settingsFingerprint();
    run.provenance();
    run.seed();
    run.isFinished();
    run.rounds().forEach(r -> r.metrics().asMap());
  }

  @Test
  void configJson() throws IOException {
    Path dir = run();
    Path config = dir.resolve(RunStore.CONFIG);
    fuzz("run-config.json", f -> open(dir), Files.readAllBytes(config), config);
  }

  @Test
  void roundMetricsJson() throws IOException {
    Path dir = run();
    Path metrics = dir.resolve("round-01").resolve(RunStore.METRICS);
    fuzz("run-metrics.json", f -> open(dir), Files.readAllBytes(metrics), metrics);
  }

  @Test
  void representativeMessages() throws IOException {
    Path dir = run();
    Path config = dir.resolve(RunStore.CONFIG);
    String valid = Files.readString(config);
    Files.writeString(config, valid.substring(0, valid.length() / 2));
    assertThatThrownBy(() -> StoredRun.open(dir)).isInstanceOf(IOException.class)
        .hasMessageStartingWith("cannot read " + config + ": not valid JSON (");
    Files.writeString(config, valid.replace(RunStore.FORMAT, "lth4j-run/1"));
    assertThatThrownBy(() -> StoredRun.open(dir)).isInstanceOf(IOException.class)
        .hasMessage("cannot read " + config + ": the run is in run format lth4j-run/1; this"
            + " version reads " + RunStore.FORMAT + " (run it again with this version)");
    Files.writeString(config, valid);

    Path metrics = dir.resolve("round-01").resolve(RunStore.METRICS);
    String m = Files.readString(metrics);
    Files.writeString(metrics, m.replace("\"steps\":", "\"steps\": \"many\", \"was\":"));
    assertThatThrownBy(() -> StoredRun.open(dir)).isInstanceOf(IOException.class)
        .hasMessage("cannot read " + metrics + ": training.steps is \"many\", expected a"
            + " non-negative integer");
  }

  private static void fuzz(String name, ReaderFuzzer.Reader reader, byte[] valid, Path target)
      throws IOException {
    ReaderFuzzer.Report r = ReaderFuzzer.forReader(name, reader).run(valid, target);
    assertThat(r.rejected()).as(name + " rejections").isPositive();
  }
}
