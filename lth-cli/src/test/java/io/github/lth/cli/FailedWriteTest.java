package io.github.lth.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A write that fails — a full disk, a file system turned read-only — leaves every earlier round
 * as it was and names the file that could not be written. The run lives on a small tmpfs mounted
 * for the test, which needs root (CAP_SYS_ADMIN); elsewhere the test is skipped saying so.
 */
class FailedWriteTest {
  @TempDir Path tmp;
  private Path mount;

  @BeforeEach
  void mountSmallFileSystem() throws Exception {
    mount = tmp.resolve("fs");
    Files.createDirectories(mount);
    String failure = command("mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs",
        mount.toString());
    Assumptions.assumeTrue(failure == null, "skipped: cannot mount a tmpfs for a small or"
        + " read-only file system (needs root with CAP_SYS_ADMIN): " + failure);
  }

  @AfterEach
  void unmount() throws Exception {
    if (mount != null) {
      command("umount", "-l", mount.toString());
    }
  }

  private static String[] imp(Path run) {
    return new String[] {"imp", "--steps", "20", "--target-sparsity", "0.36", "--out",
        run.toString(), "--device", "cpu", "--resume"};
  }

  /** Round 0 complete on the small file system, the process killed while training round 1. */
  private Path runKilledInRoundOne() throws Exception {
    Path run = mount.resolve("run");
    LthProcess p = LthProcess.start(tmp.resolve("logs"), "round-01 step 3", imp(run));
    p.awaitPause();
    p.kill();
    assertThat(run.resolve("round-00/weights.npz")).isRegularFile();
    return run;
  }

  @Test
  void aFullDiskNamesTheFileAndKeepsEarlierRounds() throws Exception {
    Path run = runKilledInRoundOne();
    Map<String, byte[]> before = contents(run);
    // leave 64 KiB: round 1's mask may fit, its weights (about 1 MB) cannot
    Path filler = mount.resolve("filler");
    fill(filler);
    shrink(filler, 64 << 10);

    CliRun full = CliRun.of(imp(run));
    assertThat(full.exit()).isEqualTo(2);
    assertThat(full.err()).matches("lth imp: cannot write " + java.util.regex.Pattern.quote(
        run.toString()) + "/(\\.round-01\\.tmp/)?[a-z._-]+(\\.[0-9a-f]+\\.tmp)?: No space left"
        + " on device\n");
    assertThat(full.err()).contains(".round-01.tmp/");
    // earlier rounds and the summary untouched, nothing half written left behind
    assertSameFiles(contentsWithoutLocks(run), withoutLocks(before));
    assertThat(StopAndLockTest.temporaries(run)).isEmpty();

    Files.delete(filler);
    CliRun resumed = CliRun.of(imp(run));
    assertThat(resumed.exit()).as(resumed.err()).isZero();
    assertThat(run.resolve("round-02/mask.npz")).isRegularFile();
  }

  @Test
  void aReadOnlyFileSystemNamesTheFileAndChangesNothing() throws Exception {
    Path run = runKilledInRoundOne();
    Map<String, byte[]> before = contents(run);
    assertThat(command("mount", "-o", "remount,ro", mount.toString())).isNull();

    CliRun refused = CliRun.of(imp(run));
    assertThat(refused.exit()).isEqualTo(2);
    assertThat(refused.err()).isEqualTo("lth imp: cannot write " + run.resolve(".lock")
        + ": Read-only file system\n");
    assertSameFiles(contents(run), before);
  }

  private static void assertSameFiles(Map<String, byte[]> actual, Map<String, byte[]> expected) {
    assertThat(actual.keySet()).containsExactlyElementsOf(expected.keySet());
    expected.forEach((file, bytes) -> assertThat(actual.get(file)).as(file).isEqualTo(bytes));
  }

  private static Map<String, byte[]> contents(Path dir) throws IOException {
    Map<String, byte[]> out = new TreeMap<>();
    try (Stream<Path> walk = Files.walk(dir)) {
      for (Path p : walk.filter(Files::isRegularFile).toList()) {
        out.put(dir.relativize(p).toString(), Files.readAllBytes(p));
      }
    }
    return out;
  }

  /** The lock file records the last process that held it; everything else must not change. */
  private static Map<String, byte[]> contentsWithoutLocks(Path dir) throws IOException {
    return withoutLocks(contents(dir));
  }

  private static Map<String, byte[]> withoutLocks(Map<String, byte[]> files) {
    Map<String, byte[]> out = new TreeMap<>(files);
    out.keySet().removeIf(n -> n.endsWith(".lock"));
    return out;
  }

  /** Appends to {@code file} until the file system is full. */
  private static void fill(Path file) throws IOException {
    byte[] block = new byte[1 << 16];
    try (OutputStream out = Files.newOutputStream(file,
        java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND)) {
      while (true) {
        out.write(block);
      }
    } catch (IOException full) {
      // the file system is full: that is the point
    }
  }

  private static void shrink(Path file, long by) throws IOException {
    try (var c = java.nio.channels.FileChannel.open(file,
        java.nio.file.StandardOpenOption.WRITE)) {
      c.truncate(Math.max(0, c.size() - by));
    }
  }

  /** Runs a system command; null when it succeeded, else what it printed. */
  private static String command(String... args) throws Exception {
    Process p;
    try {
      p = new ProcessBuilder(List.of(args)).redirectErrorStream(true).start();
    } catch (IOException e) {
      return e.getMessage();
    }
    String output = new String(p.getInputStream().readAllBytes()).strip();
    return p.waitFor() == 0 ? null : (output.isEmpty() ? "exit " + p.exitValue() : output);
  }
}
