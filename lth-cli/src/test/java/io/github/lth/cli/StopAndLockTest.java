package io.github.lth.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * SIGTERM and Ctrl-C abandon the round in progress cleanly (temporary files removed, lock
 * released, a line on how to continue, exit 143 / 130); a second process on a run directory is
 * refused naming the holder; the lock of a killed process is taken over.
 */
class StopAndLockTest {
  @TempDir Path tmp;

  private static String[] imp(Path run, boolean resume) {
    List<String> a = new java.util.ArrayList<>(List.of("imp", "--steps", "20",
        "--target-sparsity", "0.36", "--out", run.toString(), "--device", "cpu"));
    if (resume) {
      a.add("--resume");
    }
    return a.toArray(String[]::new);
  }

  @Test
  void sigtermWhileARoundIsWrittenRemovesItsTemporariesAndSaysHowToContinue() throws Exception {
    Path run = tmp.resolve("run");
    LthProcess p = LthProcess.start(tmp.resolve("logs"), "write weights.npz#2",
        imp(run, false));
    p.awaitPause();
    // round 1's directory is half written: its mask and the weights' temporary file
    assertThat(temporaries(run)).anyMatch(f -> f.contains(".round-01.tmp"));
    p.signal("TERM");
    assertThat(p.await()).isEqualTo(143);
    assertThat(p.stderr().split("\\R")).contains("lth imp: stopped; round 0 of " + run
        + " is complete, the round in progress is abandoned; run the same command with --resume"
        + " to continue");
    assertThat(temporaries(run)).isEmpty();
    assertThat(run.resolve("round-00")).isDirectory();
    assertThat(run.resolve("round-01")).doesNotExist();

    CliRun resumed = CliRun.of(imp(run, true));
    assertThat(resumed.exit()).as(resumed.err()).isZero();
    assertThat(resumed.out()).contains("resuming after round 0\n");
    assertThat(run.resolve("round-02/mask.npz")).isRegularFile();
  }

  @Test
  void ctrlCDuringTrainingExits130() throws Exception {
    Path run = tmp.resolve("run");
    LthProcess p = LthProcess.start(tmp.resolve("logs"), "round-00 step 4", imp(run, false));
    p.awaitPause();
    p.signal("INT");
    assertThat(p.await()).isEqualTo(130);
    assertThat(p.stderr().split("\\R")).contains("lth imp: stopped; no round of " + run
        + " is complete yet; run the same command with --resume to continue");
    assertThat(temporaries(run)).isEmpty();
  }

  @Test
  void aSecondProcessIsRefusedNamingTheHolderAndAKilledHoldersLockIsTakenOver()
      throws Exception {
    Path run = tmp.resolve("run");
    LthProcess holder = LthProcess.start(tmp.resolve("logs"), "round-00 step 2",
        imp(run, false));
    holder.awaitPause();
    String lock = Files.readString(run.resolve(".lock"));
    assertThat(lock).matches(holder.pid() + " \\S+\n");
    String host = lock.strip().split(" ")[1];

    CliRun second = CliRun.of(imp(run, true));
    assertThat(second.exit()).isEqualTo(2);
    assertThat(second.err()).isEqualTo("lth imp: --out: run directory " + run + " is in use by another"
        + " run (process " + holder.pid() + " on host " + host + "); wait for it to end or stop"
        + " it\n");

    holder.kill();
    // the dead holder's pid is still in the file; the operating system released its lock
    assertThat(Files.readString(run.resolve(".lock"))).startsWith(holder.pid() + " ");
    CliRun takeover = CliRun.of(imp(run, true));
    assertThat(takeover.exit()).as(takeover.err()).isZero();
    assertThat(Files.readString(run.resolve(".lock")))
        .isEqualTo(ProcessHandle.current().pid() + " " + host + "\n");
    assertThat(run.resolve("round-02/mask.npz")).isRegularFile();
  }

  /** Temporary files and directories anywhere under {@code dir}. */
  static List<String> temporaries(Path dir) throws IOException {
    try (Stream<Path> walk = Files.walk(dir)) {
      return walk.map(p -> dir.relativize(p).toString()).filter(n -> n.endsWith(".tmp")
          || n.contains(".tmp/")).toList();
    }
  }
}
