package io.github.lth.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Slurm backend: the job script's text and behaviour without Slurm (bash with the variables
 * Slurm sets, a stand-in scontrol), then real job arrays on the single-node cluster of
 * scripts/slurm-local.sh: every point runs once, a failed attempt is requeued and runs again.
 */
// a job held in the queue would make await wait for ever; fail instead
@Timeout(value = 15, unit = java.util.concurrent.TimeUnit.MINUTES)
class SlurmBackendTest {
  private static final Duration POLL = Duration.ofMillis(500);
  private static final SlurmBackend.Options ALL = new SlurmBackend.Options("gpu", "02:00:00",
      "gpu:1", 4, "8G", 2, 3);
  private static final SlurmBackend.Options NONE = new SlurmBackend.Options(null, null, null,
      null, null, 1, 1);

  @TempDir Path tmp;

  @AfterAll
  static void stopCluster() {
    LocalSlurm.stopIfStartedHere();
  }

  private static List<String> sbatchLines(String script) {
    return script.lines().filter(l -> l.startsWith("#SBATCH")).toList();
  }

  @Test
  void everyOptionIsAnSbatchLine() {
    String script = SlurmBackend.jobScript(Path.of("/runs/sweep/slurm"), List.of(0, 1, 2, 3, 4),
        ALL, List.of("lth"));
    assertThat(script).startsWith("#!/bin/bash\n");
    assertThat(sbatchLines(script)).containsExactly(
        "#SBATCH --job-name=lth-sweep",
        "#SBATCH --array=0-4%2",
        "#SBATCH --requeue",
        "#SBATCH --open-mode=append",
        "#SBATCH --output=\"/runs/sweep/slurm/%A_%a.out\"",
        "#SBATCH --partition=gpu",
        "#SBATCH --time=02:00:00",
        "#SBATCH --gres=gpu:1",
        "#SBATCH --cpus-per-task=4",
        "#SBATCH --mem=8G");
    assertThat(script).contains("\npoints=(0 1 2 3 4)\nmax_attempts=3\ncommand=('lth')\n");
  }

  @Test
  void optionsNotGivenAreLeftToTheCluster() {
    String script = SlurmBackend.jobScript(Path.of("/a b/100%/slurm"), List.of(7), NONE,
        List.of("lth"));
    assertThat(sbatchLines(script)).containsExactly(
        "#SBATCH --job-name=lth-sweep",
        "#SBATCH --array=0-0%1",
        "#SBATCH --requeue",
        "#SBATCH --open-mode=append",
        "#SBATCH --output=\"/a b/100%%/slurm/%A_%a.out\"");
  }

  @Test
  void writesTheScriptUnderTheSweepDirectory() throws IOException {
    Path script = new SlurmBackend(tmp).writeJobScript(tmp.resolve("sweep"), List.of(3),
        NONE, List.of("lth"));
    assertThat(script).isEqualTo(tmp.resolve("sweep/slurm/job.sh"));
    assertThat(Files.readString(script)).isEqualTo(SlurmBackend.jobScript(
        tmp.resolve("sweep/slurm"), List.of(3), NONE, List.of("lth")));
  }

  @Test
  void refusesWhatSbatchCannotTake() {
    assertThatThrownBy(() -> new SlurmBackend.Options("a b", null, null, null, null, 1, 1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("--partition 'a b': must be non-empty, without spaces, quotes or"
            + " backslashes");
    assertThatThrownBy(() -> new SlurmBackend.Options(null, null, null, null, "", 1, 1))
        .hasMessage("--mem '': must be non-empty, without spaces, quotes or backslashes");
    assertThatThrownBy(() -> new SlurmBackend.Options(null, null, null, 0, null, 1, 1))
        .hasMessage("--cpus-per-task must be at least 1, not 0");
    assertThatThrownBy(() -> new SlurmBackend.Options(null, null, null, null, null, 0, 1))
        .hasMessage("--parallel must be at least 1, not 0");
    assertThatThrownBy(() -> new SlurmBackend.Options(null, null, null, null, null, 1, 0))
        .hasMessage("--attempts must be at least 1, not 0");
    assertThatThrownBy(() -> SlurmBackend.jobScript(Path.of("/runs/sweep/slurm"), List.of(),
        NONE, List.of("lth")))
        .hasMessage("--backend slurm: no points to submit");
    assertThatThrownBy(() -> SlurmBackend.jobScript(Path.of("/runs/a\"b/slurm"), List.of(0),
        NONE, List.of("lth")))
        .hasMessage("SWEEP_DIR /runs/a\"b: sbatch cannot write output under a path with a double"
            + " quote, backslash or line break");
  }

  @Test
  void withoutSbatchOnThePathItRefuses() throws IOException {
    Files.createDirectories(tmp.resolve("bin"));
    assertThatThrownBy(() -> SlurmBackend.locate(tmp.resolve("bin") + ":/nonexistent"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("--backend slurm: sbatch is not on the PATH; run on a Slurm login node or use"
            + " --backend local");
  }

  private record Bash(int exit, String output) {}

  /** Runs the job script as Slurm would run array task {@code task}, attempt restarts+1. */
  private Bash runAsTask(Path script, int task, Integer restarts) throws Exception {
    ProcessBuilder pb = new ProcessBuilder("bash", script.toString()).redirectErrorStream(true);
    pb.environment().put("SLURM_ARRAY_JOB_ID", "41");
    pb.environment().put("SLURM_ARRAY_TASK_ID", String.valueOf(task));
    pb.environment().remove("SLURM_RESTART_COUNT");
    if (restarts != null) {
      pb.environment().put("SLURM_RESTART_COUNT", String.valueOf(restarts));
    }
    // a stand-in scontrol that records how it was called
    Path bin = Files.createDirectories(tmp.resolve("bin"));
    pb.environment().put("PATH", bin + ":" + System.getenv("PATH"));
    Files.writeString(bin.resolve("scontrol"),
        "#!/bin/bash\necho \"$*\" >> " + SlurmBackend.bashQuote(tmp.resolve("scontrol.log")
            .toString()) + "\n");
    bin.resolve("scontrol").toFile().setExecutable(true);
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    // the first line names the host and the time
    String[] lines = out.split("\n", 2);
    assertThat(lines[0]).matches("lth sweep: point \\d+, attempt \\d+ of \\d+, task 41_\\d+ on"
        + " .+ at \\d{4}-.*");
    return new Bash(p.exitValue(), lines.length > 1 ? lines[1] : "");
  }

  @Test
  void everyWordOfTheCommandReachesItAsWritten() throws Exception {
    List<String> awkward = List.of("a b", "it's", "$HOME", "`id`", "*", "\"q\"", "back\\slash",
        "line\nbreak", "");
    Path script = new SlurmBackend(tmp).writeJobScript(tmp.resolve("sweep"),
        List.of(8, 5), ALL, Stream.concat(Stream.of("printf", "<%s>\\n"), awkward.stream())
            .toList());
    Bash run = runAsTask(script, 1, null);
    assertThat(run.exit()).isZero();
    assertThat(run.output()).isEqualTo(
        "<a b>\n<it's>\n<$HOME>\n<`id`>\n<*>\n<\"q\">\n<back\\slash>\n<line\nbreak>\n<>\n<5>\n");
    assertThat(tmp.resolve("scontrol.log")).doesNotExist();
  }

  @Test
  void aFailedAttemptRequeuesItsTaskWhileAttemptsRemain() throws Exception {
    Path script = new SlurmBackend(tmp).writeJobScript(tmp.resolve("sweep"),
        List.of(8, 5), ALL, List.of("bash", "-c", "exit 3"));
    Bash first = runAsTask(script, 0, null);
    assertThat(first.exit()).isEqualTo(3);
    assertThat(first.output()).isEqualTo(
        "lth sweep: point 8 failed with exit code 3 on attempt 1; requeueing task 41_0\n");
    Bash second = runAsTask(script, 0, 1);
    assertThat(second.output()).isEqualTo(
        "lth sweep: point 8 failed with exit code 3 on attempt 2; requeueing task 41_0\n");
    Bash last = runAsTask(script, 0, 2);
    assertThat(last.exit()).isEqualTo(3);
    assertThat(last.output()).isEqualTo(
        "lth sweep: point 8 failed with exit code 3 on attempt 3 of 3\n");
    assertThat(Files.readString(tmp.resolve("scontrol.log")))
        .isEqualTo("requeue 41_0\nrequeue 41_0\n");
  }

  // ---- on a real cluster ----

  private static String read(Path file) throws IOException {
    return Files.readString(file, StandardCharsets.UTF_8);
  }

  @Test
  void eachArrayTaskRunsItsPointOnce() throws Exception {
    LocalSlurm.assumeRunning();
    SlurmBackend slurm = SlurmBackend.locate();
    Path sweep = tmp.resolve("sweep");
    Files.createDirectories(sweep);
    // $0 is the sweep directory, $1 the point index the script appends
    List<String> command = List.of("bash", "-c",
        "echo \"$SLURM_ARRAY_TASK_ID ${SLURM_RESTART_COUNT:-0}\" > \"$0/point-$1\"",
        sweep.toString());
    Path script = slurm.writeJobScript(sweep, List.of(4, 7, 9),
        new SlurmBackend.Options(null, null, null, 1, "100M", 2, 2), command);
    String job = slurm.submit(script);
    assertThat(slurm.taskStates(job).keySet()).isSubsetOf(0, 1, 2);
    slurm.await(job, POLL);
    assertThat(slurm.taskStates(job)).isEmpty();
    try (Stream<Path> files = Files.list(sweep)) {
      assertThat(files.map(f -> f.getFileName().toString()).sorted())
          .containsExactly("point-4", "point-7", "point-9", "slurm");
    }
    assertThat(read(sweep.resolve("point-4"))).isEqualTo("0 0\n");
    assertThat(read(sweep.resolve("point-7"))).isEqualTo("1 0\n");
    assertThat(read(sweep.resolve("point-9"))).isEqualTo("2 0\n");
    assertThat(read(sweep.resolve("slurm/" + job + "_2.out")))
        .startsWith("lth sweep: point 9, attempt 1 of 2, task " + job + "_2 on ");
  }

  @Test
  void aTaskThatFailsIsRequeuedAndRunsAgain() throws Exception {
    LocalSlurm.assumeRunning();
    SlurmBackend slurm = SlurmBackend.locate();
    Path sweep = tmp.resolve("sweep");
    Files.createDirectories(sweep);
    // point 5 fails on its first attempt only; point 6 on every attempt
    List<String> command = List.of("bash", "-c",
        "echo \"${SLURM_RESTART_COUNT:-0}\" >> \"$0/runs-$1\";"
            + " [[ $1 == 5 && ${SLURM_RESTART_COUNT:-0} -ge 1 ]] || exit 7",
        sweep.toString());
    Path script = slurm.writeJobScript(sweep, List.of(5, 6), new SlurmBackend.Options(null,
        null, null, null, null, 2, 2), command);
    String job = slurm.submit(script);
    long start = System.nanoTime();
    slurm.await(job, POLL);
    long seconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start);
    assertThat(read(sweep.resolve("runs-5"))).isEqualTo("0\n1\n");
    assertThat(read(sweep.resolve("runs-6"))).isEqualTo("0\n1\n");
    String out5 = read(sweep.resolve("slurm/" + job + "_0.out"));
    assertThat(out5.lines().filter(l -> l.startsWith("lth sweep:"))
        .map(l -> l.replaceAll(" on [^ ]+ at .*", ""))).containsExactly(
            "lth sweep: point 5, attempt 1 of 2, task " + job + "_0",
            "lth sweep: point 5 failed with exit code 7 on attempt 1; requeueing task " + job
                + "_0",
            "lth sweep: point 5, attempt 2 of 2, task " + job + "_0");
    String out6 = read(sweep.resolve("slurm/" + job + "_1.out"));
    assertThat(out6.lines().filter(l -> l.startsWith("lth sweep:"))
        .map(l -> l.replaceAll(" on [^ ]+ at .*", ""))).containsExactly(
            "lth sweep: point 6, attempt 1 of 2, task " + job + "_1",
            "lth sweep: point 6 failed with exit code 7 on attempt 1; requeueing task " + job
                + "_1",
            "lth sweep: point 6, attempt 2 of 2, task " + job + "_1",
            "lth sweep: point 6 failed with exit code 7 on attempt 2 of 2");
    System.out.println("SlurmBackendTest: requeued job " + job + " ended after " + seconds + " s");
  }

  @Test
  void sbatchRefusalIsOneLine() throws Exception {
    LocalSlurm.assumeRunning();
    SlurmBackend slurm = SlurmBackend.locate();
    Path script = slurm.writeJobScript(tmp.resolve("sweep"), List.of(0),
        new SlurmBackend.Options("nosuchpartition", null, null, null, null, 1, 1),
        List.of("true"));
    assertThatThrownBy(() -> slurm.submit(script))
        .isInstanceOf(IOException.class)
        .hasMessage("sbatch " + script + ": sbatch: error: Batch job submission failed: Invalid"
            + " partition name specified");
    assertThat(slurm.taskStates("999999")).isEqualTo(Map.of());
  }
}
