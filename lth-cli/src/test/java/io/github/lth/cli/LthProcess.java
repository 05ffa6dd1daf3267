package io.github.lth.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.lth.core.internal.KillPoints;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The real command line in a child JVM (the test's class path, the launcher's JVM options), for
 * tests that kill it or send it signals. Output goes to files beside the run, so a test can wait
 * for a line without a reader thread.
 *
 * <pre>{@code
 * LthProcess p = LthProcess.start(logs, "write mask.npz", "imp", "--out", run.toString());
 * p.awaitPause();
 * p.kill();   // SIGKILL
 * }</pre>
 */
final class LthProcess {
  private static final Duration PAUSE_TIMEOUT = Duration.ofMinutes(3);
  private static int started;

  private final Process process;
  private final Path stdout;
  private final Path stderr;
  private final String pauseAt;

  private LthProcess(Process process, Path stdout, Path stderr, String pauseAt) {
    this.process = process;
    this.stdout = stdout;
    this.stderr = stderr;
    this.pauseAt = pauseAt;
  }

  /**
   * Starts {@code lth ARGS}; with {@code pauseAt} non-null the child pauses at that kill point
   * ({@link KillPoints}).
   */
  static LthProcess start(Path logs, String pauseAt, String... args) throws IOException {
    return start(logs, pauseAt, Map.of(), args);
  }

  /** As {@link #start(Path, String, String...)}, with {@code environment} set in the child. */
  static LthProcess start(Path logs, String pauseAt, Map<String, String> environment,
      String... args) throws IOException {
    Files.createDirectories(logs);
    int n;
    synchronized (LthProcess.class) {
      n = ++started;
    }
    Path out = logs.resolve("lth-" + n + ".out");
    Path err = logs.resolve("lth-" + n + ".err");
    String classPath = System.getProperty("surefire.test.class.path",
        System.getProperty("java.class.path"));
    List<String> command = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Dai.djl.offline=true", "-Xmx1g", "-cp", classPath, Lth.class.getName()));
    command.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(command).redirectOutput(out.toFile())
        .redirectError(err.toFile());
    pb.environment().remove(KillPoints.ENVIRONMENT);
    if (pauseAt != null) {
      pb.environment().put(KillPoints.ENVIRONMENT, pauseAt);
    }
    pb.environment().putAll(environment);
    return new LthProcess(pb.start(), out, err, pauseAt);
  }

  /** Runs {@code lth ARGS} to its end and returns its exit code. */
  static Finished run(Path logs, String... args) throws IOException, InterruptedException {
    LthProcess p = start(logs, null, args);
    int exit = p.await();
    return new Finished(exit, p.stdout(), p.stderr());
  }

  /** A child that ran to its end. */
  record Finished(int exit, String out, String err) {}

  /** Waits until the child says it paused at its kill point. */
  void awaitPause() throws IOException, InterruptedException {
    long deadline = System.nanoTime() + PAUSE_TIMEOUT.toNanos();
    String point = pauseAt.contains("#") ? pauseAt.substring(0, pauseAt.lastIndexOf('#'))
        : pauseAt;
    String marker = "lth: paused at " + point + " (pid " + process.pid() + ")";
    while (!stderr().contains(marker)) {
      if (!process.isAlive()) {
        throw new AssertionError("lth ended (exit " + process.exitValue() + ") before pausing at '"
            + pauseAt + "'; stderr:\n" + stderr() + "\nstdout:\n" + stdout());
      }
      if (System.nanoTime() > deadline) {
        process.destroyForcibly();
        throw new AssertionError("lth did not reach '" + pauseAt + "' within " + PAUSE_TIMEOUT
            + "; stderr:\n" + stderr());
      }
      Thread.sleep(50);
    }
  }

  /** SIGKILL (what {@link Process#destroyForcibly} sends on Linux), and waits for the end. */
  void kill() throws InterruptedException {
    process.destroyForcibly();
    assertThat(process.waitFor(1, TimeUnit.MINUTES)).as("killed child ends").isTrue();
  }

  /** Sends {@code signal} (e.g. "TERM", "INT") with the shell's kill. */
  void signal(String signal) throws IOException, InterruptedException {
    Process kill = new ProcessBuilder("bash", "-c", "kill -" + signal + " " + process.pid())
        .inheritIO().start();
    assertThat(kill.waitFor()).as("kill -%s", signal).isZero();
  }

  long pid() {
    return process.pid();
  }

  /** Waits for the child's end (at most 10 minutes) and returns its exit code. */
  int await() throws InterruptedException {
    if (!process.waitFor(10, TimeUnit.MINUTES)) {
      process.destroyForcibly();
      throw new AssertionError("lth did not end within 10 minutes");
    }
    return process.exitValue();
  }

  String stdout() throws IOException {
    return Files.readString(stdout, StandardCharsets.UTF_8);
  }

  String stderr() throws IOException {
    return Files.readString(stderr, StandardCharsets.UTF_8);
  }
}
