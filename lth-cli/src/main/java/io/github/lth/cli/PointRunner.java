package io.github.lth.cli;

import static com.google.common.base.Preconditions.checkArgument;

import io.github.lth.core.run.RunStore;
import io.github.lth.core.sweep.SweepPoint;
import io.github.lth.core.sweep.SweepStore;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.Writer;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Runs one point of a sweep in this process: the ordinary command with the point's settings,
 * into the point's directory (resumed when it holds a run), then records done or failed. Local
 * workers and Slurm array tasks are processes that do exactly this.
 *
 * <pre>{@code
 * // what a worker process runs:
 * //   java ... io.github.lth.cli.Lth sweep sweeps/seeds --run-point 3
 * }</pre>
 */
final class PointRunner {
  private PointRunner() {}

  /** Runs point {@code index} and returns the command's exit code. */
  static int run(SweepStore store, int index, PrintWriter err) throws IOException {
    checkArgument(index >= 0 && index < store.points().size(), "--run-point %s: %s has points"
        + " 0 to %s", index, store.directory(), store.points().size() - 1);
    SweepPoint point = store.points().get(index);
    Path dir = store.pointDirectory(point);
    List<String> args = arguments(point, dir, branchName(store, point));
    LastLine last = new LastLine(err);
    int exit = Lth.commandLine().setErr(new PrintWriter(last, true)).execute(
        args.toArray(String[]::new));
    if (point.command().equals("branch") && exit == 0
        && !Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
      // a branch lives under its run; the sweep directory links to it (relatively, so the two
      // can move together)
      Files.createDirectories(dir.getParent());
      Path target = branchDirectory(store, point).toAbsolutePath().normalize();
      Files.createSymbolicLink(dir, dir.getParent().toAbsolutePath().normalize()
          .relativize(target));
    }
    if (exit == 0) {
      store.markDone(point);
    } else {
      store.markFailed(point, exit, last.line());
    }
    return exit;
  }

  /**
   * The command line of the point: its settings as flags, its directory, --resume if due (a
   * branch point: its run first and {@code branchName} as its name).
   */
  static List<String> arguments(SweepPoint point, Path dir, String branchName) {
    List<String> args = new ArrayList<>();
    args.add(point.command());
    List<String> flags = new ArrayList<>(point.arguments());
    if (point.command().equals("branch")) {
      int at = flags.indexOf("--run");
      args.add(flags.get(at + 1));
      flags.remove(at + 1);
      flags.remove(at);
      args.addAll(flags);
      args.addAll(List.of("--name", branchName));
      return args;
    }
    args.addAll(flags);
    args.addAll(List.of("--out", dir.toString()));
    boolean resumable = point.command().equals("imp") || point.command().equals("train");
    if (resumable && Files.exists(dir.resolve(RunStore.CONFIG))) {
      args.add("--resume");
    }
    return args;
  }

  /**
   * The branch's name under its run: the sweep's fingerprint in it, so two sweeps (say a local
   * and a Slurm one) never share a branch directory.
   */
  private static String branchName(SweepStore store, SweepPoint point) {
    return "sweep-" + store.spec().fingerprint().substring(0, 8) + "-" + point.id();
  }

  private static Path branchDirectory(SweepStore store, SweepPoint point) {
    return Path.of(String.valueOf(point.settings().get("run"))).resolve(RunStore.BRANCHES)
        .resolve(branchName(store, point));
  }

  /**
   * The java command that runs a point of {@code sweepDir} when the point's index is appended:
   * this JVM's java, heap and system properties, and class path, limited to {@code threads}
   * cores: PyTorch's intra-op threads and the JVM's own view of the machine (its thread pools
   * and lth4j's parallel selection size themselves from it). A point's CPU results can depend on
   * the PyTorch thread count, so sweeps run with equal counts agree bit for bit.
   */
  static List<String> command(Path sweepDir, int threads) {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    for (String a : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
      if (a.startsWith("-Xmx") || a.startsWith("-Xms") || a.startsWith("-D")) {
        cmd.add(a);
      }
    }
    if (cmd.stream().noneMatch(a -> a.startsWith("-Dai.djl.offline"))) {
      cmd.add("-Dai.djl.offline=true");
    }
    cmd.removeIf(a -> a.startsWith("-Dai.djl.pytorch.num_"));
    cmd.add("-XX:ActiveProcessorCount=" + threads);
    cmd.add("-Dai.djl.pytorch.num_threads=" + threads);
    cmd.add("-Dai.djl.pytorch.num_interop_threads=1");
    cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), Lth.class.getName(),
        "sweep", sweepDir.toAbsolutePath().toString(), "--run-point"));
    return cmd;
  }

  /** Passes text through and keeps its last non-empty line, for the point's failure record. */
  private static final class LastLine extends Writer {
    private final PrintWriter target;
    private final StringBuilder current = new StringBuilder();
    private String last = "";

    LastLine(PrintWriter target) {
      this.target = target;
    }

    String line() {
      String pending = current.toString().strip();
      return pending.isEmpty() ? last : pending;
    }

    @Override
    public void write(char[] buf, int off, int len) {
      target.write(buf, off, len);
      for (int i = off; i < off + len; i++) {
        char c = buf[i];
        if (c == '\n' || c == '\r') {
          if (!current.toString().isBlank()) {
            last = current.toString().strip();
          }
          current.setLength(0);
        } else {
          current.append(c);
        }
      }
    }

    @Override
    public void flush() {
      target.flush();
    }

    @Override
    public void close() {
      target.flush();
    }
  }
}
