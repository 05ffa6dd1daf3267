package io.github.lth.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import io.github.lth.core.sweep.SweepSpec;
import io.github.lth.core.sweep.SweepStore;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The same sweep through a real single-node Slurm cluster ({@link LocalSlurm}) and through
 * local workers: one array task is killed midway, requeued and resumed, and every point ends
 * with the same masks at the same relative paths.
 */
@Timeout(value = 20, unit = TimeUnit.MINUTES)
class SlurmSweepTest {
  @TempDir Path tmp;

  @BeforeEach
  void slurm() {
    LocalSlurm.assumeRunning();
  }

  @AfterAll
  static void stopSlurm() {
    LocalSlurm.stopIfStartedHere();
  }

  @Test
  void aKilledArrayTaskIsRequeuedResumesAndEveryPointEndsAsWithLocalWorkers() throws Exception {
    Path file = tmp.resolve("sweep.json");
    // 60 steps a round: round 1 takes seconds, so the kill below lands inside it
    Files.writeString(file, SweepCommandTest.SWEEP.replace("\"steps\": 10", "\"steps\": 60"));

    // local: two workers of one thread each, as each array task has one CPU
    Path local = tmp.resolve("local");
    CliRun l = CliRun.of("sweep", file.toString(), "--out", local.toString(), "--workers", "2");
    assertThat(l.exit()).as(l.err()).isZero();

    Path slurm = tmp.resolve("slurm");
    CompletableFuture<CliRun> submitted = CompletableFuture.supplyAsync(() -> CliRun.of("sweep",
        file.toString(), "--out", slurm.toString(), "--backend", "slurm", "--wait"));
    // kill point 0's process once its round 0 is stored: the task fails midway
    Path point0 = awaitPointDirectory(slurm, submitted);
    Path round0 = point0.resolve("round-00");
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(5);
    while (!Files.isDirectory(round0)) {
      assertThat(System.nanoTime()).as("point 0's round 0 within 5 minutes").isLessThan(deadline);
      assertThat(submitted).as("the sweep ended before point 0 stored round 0").isNotDone();
      Thread.sleep(100);
    }
    String pid = Files.readString(point0.resolve(".lock")).strip().split(" ")[0];
    Process kill = new ProcessBuilder("bash", "-c", "kill -9 " + pid).inheritIO().start();
    assertThat(kill.waitFor()).isZero();

    CliRun s = submitted.get(15, TimeUnit.MINUTES);
    assertThat(s.exit()).as(s.err() + s.out()).isZero();
    assertThat(s.out()).contains("submitted Slurm job ").contains("all 4 points done");

    Map<String, byte[]> expected = SweepCommandTest.masks(local);
    Map<String, byte[]> actual = SweepCommandTest.masks(slurm);
    assertThat(actual.keySet()).containsExactlyElementsOf(expected.keySet()).hasSize(8);
    expected.forEach((f, bytes) -> assertThat(actual.get(f)).as(f).isEqualTo(bytes));
    // the killed task was requeued by its job script and continued after its stored round
    assertThat(taskLog(slurm, 0)).contains("lth sweep: point 0 failed with exit code 137 on"
        + " attempt 1; requeueing task ").contains("lth sweep: point 0, attempt 2 of 3")
        .contains("resuming after round 0");

    CliRun collect = CliRun.of("collect", slurm.toString());
    assertThat(collect.exit()).as(collect.err()).isZero();
    CliRun collectLocal = CliRun.of("collect", local.toString());
    assertThat(collectLocal.exit()).as(collectLocal.err()).isZero();
    assertThat(Files.readString(slurm.resolve("summary.csv")))
        .isEqualTo(Files.readString(local.resolve("summary.csv")));
  }

  @Test
  void aSweepWhoseJobIsStillQueuedIsNotSubmittedAgain() throws Exception {
    Path file = tmp.resolve("sweep.json");
    Files.writeString(file, SweepCommandTest.SWEEP);
    Path dir = tmp.resolve("queued");
    SweepStore store = SweepStore.create(dir, SweepSpec.read(file));
    // a job that stays in the queue for a while stands in for the sweep's earlier submission
    SlurmBackend slurm = SlurmBackend.locate();
    Path script = slurm.writeJobScript(dir, List.of(0), new SlurmBackend.Options(null, null,
        null, null, null, 1, 1), List.of("sleep", "60"));
    String job = slurm.submit(script);
    try {
      SweepStatus.recordJob(store, job, List.of(0));
      CliRun again = CliRun.of("sweep", file.toString(), "--out", dir.toString(), "--backend",
          "slurm");
      assertThat(again.exit()).isEqualTo(2);
      assertThat(again.err()).isEqualTo("lth sweep: SWEEP_DIR " + dir + ": Slurm job " + job
          + " still has 1 tasks queued or running; wait for it (lth sweep --status " + dir
          + ") or cancel it (scancel " + job + ")\n");
      assertThat(dir.resolve("points")).doesNotExist();
    } finally {
      new ProcessBuilder("scancel", job).inheritIO().start().waitFor();
    }
  }

  private static Path awaitPointDirectory(Path sweepDir, CompletableFuture<CliRun> submitted)
      throws Exception {
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
    while (!Files.isRegularFile(sweepDir.resolve("sweep.json"))) {
      if (submitted.isDone()) {
        fail("the sweep ended before it wrote sweep.json: " + submitted.get().err());
      }
      assertThat(System.nanoTime()).as("sweep.json within 2 minutes").isLessThan(deadline);
      Thread.sleep(100);
    }
    SweepStore store = SweepStore.open(sweepDir);
    return store.pointDirectory(store.points().get(0));
  }

  /** The Slurm output of array task {@code task} of the sweep's job. */
  private static String taskLog(Path sweepDir, int task) throws IOException {
    try (DirectoryStream<Path> s = Files.newDirectoryStream(sweepDir.resolve("slurm"),
        "*_" + task + ".out")) {
      StringBuilder all = new StringBuilder();
      for (Path p : s) {
        all.append(Files.readString(p));
      }
      return all.toString();
    }
  }
}
