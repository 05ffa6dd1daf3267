package io.github.lth.cli;

import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The single-node Slurm cluster of {@code scripts/slurm-local.sh}, for tests that submit real jobs.
 * Started once per JVM; stopped at the end by the test class that started it, so a cluster that
 * was already running stays running. Where the script cannot start it (not root, slurm-wlm not
 * installable) a test is skipped with the script's reason, unless LTH_REQUIRE_SLURM=1 (CI), where
 * it fails.
 *
 * <pre>{@code
 * @BeforeEach void slurm() { LocalSlurm.assumeRunning(); }
 * @AfterAll static void stop() { LocalSlurm.stopIfStartedHere(); }
 * }</pre>
 */
final class LocalSlurm {
  // installing slurm-wlm on a fresh CI machine takes a while
  private static final long START_TIMEOUT_MINUTES = 10;

  private static boolean tried;
  private static String unavailable;
  private static boolean startedHere;

  private LocalSlurm() {}

  /** Starts the cluster unless it runs; skips (or, in CI, fails) the test when it cannot. */
  static synchronized void assumeRunning() {
    if (!tried) {
      tried = true;
      unavailable = start();
    }
    if (unavailable != null && "1".equals(System.getenv("LTH_REQUIRE_SLURM"))) {
      fail("LTH_REQUIRE_SLURM=1 but " + unavailable);
    }
    assumeTrue(unavailable == null, () -> "skipped: " + unavailable);
  }

  /** Stops the cluster when {@link #assumeRunning} started it. */
  static synchronized void stopIfStartedHere() {
    if (startedHere) {
      startedHere = false;
      tried = false;
      script("stop");
    }
  }

  /** Null when the cluster runs, else why not. */
  private static String start() {
    Result status = script("status");
    Result start = script("start");
    if (start.exit() != 0) {
      return "scripts/slurm-local.sh start cannot start a Slurm cluster: " + start.output();
    }
    startedHere = status.exit() != 0;
    return null;
  }

  private record Result(int exit, String output) {}

  private static Result script(String action) {
    Path script = find();
    if (script == null) {
      return new Result(-1, "scripts/slurm-local.sh not found above " + Path.of("")
          .toAbsolutePath());
    }
    try {
      Process p = new ProcessBuilder(List.of("bash", script.toString(), action))
          .redirectErrorStream(true).start();
      p.getOutputStream().close();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!p.waitFor(START_TIMEOUT_MINUTES, TimeUnit.MINUTES)) {
        p.destroyForcibly();
        return new Result(-1, "no answer within " + START_TIMEOUT_MINUTES + " min: " + out);
      }
      return new Result(p.exitValue(), out.strip());
    } catch (IOException e) {
      return new Result(-1, e.toString());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return new Result(-1, "interrupted");
    }
  }

  /** The project's script, found from the working directory (the module's or the project's). */
  static Path find() {
    for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
      Path script = dir.resolve("scripts/slurm-local.sh");
      if (Files.isRegularFile(script)) {
        return script;
      }
    }
    return null;
  }
}
