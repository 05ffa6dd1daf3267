package io.github.lth.cli;

import io.github.lth.core.sweep.SweepPoint;
import io.github.lth.core.sweep.SweepStore;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/**
 * The local backend of {@code lth sweep}: points run in worker processes on this machine, at
 * most {@code workers} at a time, each limited to its share of the cores (PyTorch's intra-op
 * threads and OpenMP) so that workers do not oversubscribe them. A worker's output goes to
 * {@code SWEEP_DIR/logs/ID.log}.
 *
 * <pre>{@code
 * int exit = LocalWorkers.run(store, List.of(0, 1, 2, 3), 2, out, err);
 * }</pre>
 */
final class LocalWorkers {
  private LocalWorkers() {}

  /** Runs the points and reports them; exit 0 when every one is done, else 1. */
  static int run(SweepStore store, List<Integer> todo, int workers, PrintWriter out,
      PrintWriter err) throws IOException, InterruptedException {
    int threads = Math.max(1, Runtime.getRuntime().availableProcessors()
        / Math.min(workers, todo.size()));
    List<String> base = PointRunner.command(store.directory(), threads);
    Path logs = store.directory().resolve("logs");
    Files.createDirectories(logs);
    out.printf(Locale.ROOT, "%d worker%s, %d thread%s each; logs in %s%n", workers,
        workers == 1 ? "" : "s", threads, threads == 1 ? "" : "s", logs);
    out.flush();
    ExecutorService pool = Executors.newFixedThreadPool(workers);
    // a stopped sweep stops its workers too (SIGTERM: each removes its temporaries and leaves
    // its point to resume), instead of leaving them running unseen
    Set<Process> children = ConcurrentHashMap.newKeySet();
    Thread stopChildren = new Thread(() -> {
      children.forEach(Process::destroy);
      for (Process c : children) {
        try {
          c.waitFor(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return;
        }
      }
    }, "lth-sweep-stop-workers");
    Runtime.getRuntime().addShutdownHook(stopChildren);
    try (ProgressBar bar = new ProgressBarBuilder().setTaskName("sweep").setInitialMax(todo.size())
        .setStyle(ProgressBarStyle.ASCII).setUpdateIntervalMillis(1000)
        .setConsumer(new ConsoleProgressBarConsumer(System.err)).build()) {
      List<Future<Integer>> running = new ArrayList<>();
      for (int index : todo) {
        SweepPoint point = store.points().get(index);
        running.add(pool.submit(() -> {
          List<String> command = new ArrayList<>(base);
          command.add(Integer.toString(index));
          ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true)
              .redirectOutput(ProcessBuilder.Redirect.appendTo(
                  logs.resolve(point.id() + ".log").toFile()));
          pb.environment().put("OMP_NUM_THREADS", Integer.toString(threads));
          pb.environment().put("MKL_NUM_THREADS", Integer.toString(threads));
          Process child = pb.start();
          children.add(child);
          int exit = child.waitFor();
          children.remove(child);
          bar.step();
          return exit;
        }));
      }
      for (Future<Integer> f : running) {
        try {
          f.get();
        } catch (java.util.concurrent.ExecutionException e) {
          throw new IOException("a sweep worker could not start: " + e.getCause().getMessage(),
              e.getCause());
        }
      }
    } finally {
      pool.shutdownNow();
      try {
        Runtime.getRuntime().removeShutdownHook(stopChildren);
      } catch (IllegalStateException e) {
        // already shutting down: the hook stops the workers
      }
    }
    return report(store, todo, logs, out, err);
  }

  /**
   * Says how the points ended (from their state files): exit 0 when all are done, else one line
   * naming the points that are not, with their last error, and exit 1.
   */
  static int report(SweepStore store, List<Integer> todo, Path logs, PrintWriter out,
      PrintWriter err) throws IOException {
    List<String> notDone = new ArrayList<>();
    for (int index : todo) {
      SweepPoint p = store.points().get(index);
      SweepStore.PointState s = store.state(p);
      if (s.status() != SweepStore.Status.DONE) {
        notDone.add(String.format(Locale.ROOT, "%d (%s, %s%s)", index, p.id(),
            SweepCommand.describe(p.axisValues()), s.status() == SweepStore.Status.FAILED
                ? ": exit " + s.exitCode() + ", " + s.lastErrorLine() : ": did not run"));
      }
    }
    if (notDone.isEmpty()) {
      out.printf("all %d points done; collect them with: lth collect %s%n", todo.size(),
          store.directory());
      out.flush();
      return 0;
    }
    err.printf(Locale.ROOT, "lth sweep: %d of %d points failed: %s; logs in %s%n",
        notDone.size(), todo.size(), String.join("; ", notDone), logs);
    err.flush();
    return 1;
  }
}
