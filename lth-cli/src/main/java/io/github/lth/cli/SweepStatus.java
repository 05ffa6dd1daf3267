package io.github.lth.cli;

import com.google.gson.Gson;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.github.lth.core.io.AtomicWrite;
import io.github.lth.core.sweep.SweepPoint;
import io.github.lth.core.sweep.SweepStore;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code lth sweep --status}: each point of a sweep directory with its state — done, failed
 * (exit code and last error), running (its run directory is locked by a live process, or Slurm
 * says so), pending — and its complete rounds. Slurm's view comes from {@code squeue} for the
 * job the sweep submitted last, where squeue is on the PATH.
 *
 * <pre>{@code
 * lth sweep --status sweeps/seeds
 * }</pre>
 */
final class SweepStatus {
  private static final String JOB = "job.json";

  private SweepStatus() {}

  /** Remembers the Slurm job that runs {@code points} (array index i runs points[i]). */
  static void recordJob(SweepStore store, String job, List<Integer> points) throws IOException {
    JsonObject json = new JsonObject();
    json.addProperty("job", job);
    json.add("points", new Gson().toJsonTree(points));
    AtomicWrite.text(store.directory().resolve("slurm").resolve(JOB), json + "\n");
  }

  static void print(SweepStore store, PrintWriter out) throws IOException {
    Map<Integer, String> slurm = slurmStates(store);
    Table t = new Table("point", "id", "settings", "state", "rounds").rightAlignFrom(4);
    int[] counts = new int[4];
    for (SweepPoint p : store.points()) {
      SweepStore.PointState s = store.state(p);
      Path dir = store.pointDirectory(p);
      String state;
      if (s.status() == SweepStore.Status.DONE) {
        state = "done";
        counts[0]++;
      } else if (slurm.containsKey(p.index()) || locked(dir)) {
        state = slurm.containsKey(p.index()) ? slurm.get(p.index()).toLowerCase(Locale.ROOT)
            : "running";
        counts[1]++;
      } else if (s.status() == SweepStore.Status.FAILED) {
        state = "failed (exit " + s.exitCode() + ": " + s.lastErrorLine() + ")";
        counts[2]++;
      } else {
        state = "pending";
        counts[3]++;
      }
      t.row(Integer.toString(p.index()), p.id(), SweepCommand.describe(p.axisValues()), state,
          Integer.toString(completeRounds(dir)));
    }
    out.printf(Locale.ROOT, "%s: %s, %d points: %d done, %d running or queued, %d failed, %d"
        + " pending%n", store.directory(), store.spec().command(), store.points().size(),
        counts[0], counts[1], counts[2], counts[3]);
    t.print(out);
    out.flush();
  }

  /** Point index -> Slurm state of its array task, for tasks still in the queue. */
  private static Map<Integer, String> slurmStates(SweepStore store) throws IOException {
    Path file = store.directory().resolve("slurm").resolve(JOB);
    Map<Integer, String> out = new java.util.HashMap<>();
    if (!Files.isRegularFile(file) || !onPath("squeue")) {
      return out;
    }
    JsonObject json = JsonParser.parseString(Files.readString(file)).getAsJsonObject();
    List<Integer> points = new ArrayList<>();
    json.getAsJsonArray("points").forEach(e -> points.add(e.getAsInt()));
    SlurmBackend.locate().taskStates(json.get("job").getAsString()).forEach((task, state) -> {
      if (task >= 0 && task < points.size()) {
        out.put(points.get(task), state);
      }
    });
    return out;
  }

  private static boolean onPath(String program) {
    String path = System.getenv("PATH");
    if (path == null) {
      return false;
    }
    for (String d : path.split(java.io.File.pathSeparator)) {
      if (!d.isEmpty() && Files.isExecutable(Path.of(d, program))) {
        return true;
      }
    }
    return false;
  }

  /** Whether a live process holds the run directory's lock (released when it dies). */
  private static boolean locked(Path dir) {
    Path lock = dir.resolve(".lock");
    if (!Files.isRegularFile(lock)) {
      return false;
    }
    try (FileChannel c = FileChannel.open(lock, StandardOpenOption.WRITE)) {
      FileLock held = c.tryLock();
      if (held == null) {
        return true;
      }
      held.release();
      return false;
    } catch (IOException | RuntimeException e) {
      return false;
    }
  }

  private static int completeRounds(Path dir) throws IOException {
    if (!Files.isDirectory(dir)) {
      return 0;
    }
    int n = 0;
    try (DirectoryStream<Path> s = Files.newDirectoryStream(dir, "round-[0-9]*")) {
      for (Path p : s) {
        n++;
      }
    }
    return n;
  }
}
