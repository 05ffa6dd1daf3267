package io.github.lth.cli;

import com.google.gson.Gson;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.github.lth.core.io.AtomicWrite;
import io.github.lth.core.run.RunStore;
import io.github.lth.core.sweep.SweepPoint;
import io.github.lth.core.sweep.SweepStore;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

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
    Map<Integer, String> slurm = slurmStates(store, out);
    Table t = new Table("point", "id", "settings", "state", "rounds").rightAlignFrom(4);
    int[] counts = new int[4];
    for (SweepPoint p : store.points()) {
      SweepStore.PointState s = store.state(p);
      Path dir = store.pointDirectory(p);
      String state;
      if (s.status() == SweepStore.Status.DONE) {
        state = "done";
        counts[0]++;
      } else if (slurm.containsKey(p.index()) || RunStore.isHeldByLiveProcess(dir)) {
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
          Integer.toString(RunStore.storedRoundIndices(dir).size()));
    }
    out.printf(Locale.ROOT, "%s: %s, %d points: %d done, %d running or queued, %d failed, %d"
        + " pending%n", store.directory(), store.spec().command(), store.points().size(),
        counts[0], counts[1], counts[2], counts[3]);
    t.print(out);
    out.flush();
  }

  /** The Slurm job a sweep submitted last (array index i runs points[i]), from job.json. */
  private record Job(String id, List<Integer> points) {
    static Optional<Job> read(Path sweepDir) throws IOException {
      Path file = sweepDir.resolve("slurm").resolve(JOB);
      if (!Files.isRegularFile(file)) {
        return Optional.empty();
      }
      JsonObject json = JsonParser.parseString(Files.readString(file)).getAsJsonObject();
      List<Integer> points = new ArrayList<>();
      json.getAsJsonArray("points").forEach(e -> points.add(e.getAsInt()));
      return Optional.of(new Job(json.get("job").getAsString(), points));
    }
  }

  /** Point index -> Slurm state of its array task, for tasks still in the queue. */
  private static Map<Integer, String> slurmStates(SweepStore store, PrintWriter notes)
      throws IOException {
    Map<Integer, String> out = new HashMap<>();
    Optional<Job> job = Job.read(store.directory());
    Optional<SlurmBackend> slurm = SlurmBackend.find(System.getenv("PATH"));
    if (job.isEmpty() || slurm.isEmpty()) {
      return out;
    }
    List<Integer> points = job.get().points();
    try {
      slurm.get().taskStates(job.get().id()).forEach((task, state) -> {
        if (task >= 0 && task < points.size()) {
          out.put(points.get(task), state);
        }
      });
    } catch (IOException | RuntimeException e) {
      // Slurm's view is a bonus: the run store's view stands without it
      notes.println("squeue failed (" + ErrorReporter.oneLine(String.valueOf(e.getMessage()))
          + "); the states below come from the sweep directory only");
    }
    return out;
  }

  /**
   * Refuses to submit or run a sweep again while the Slurm job it submitted last still has
   * tasks in the queue: they would run their points twice. Without a Slurm client here the job
   * is not this machine's to see.
   */
  static void checkNoJobQueued(Path sweepDir) throws IOException {
    Optional<Job> job = Job.read(sweepDir);
    Optional<SlurmBackend> slurm = SlurmBackend.find(System.getenv("PATH"));
    if (job.isEmpty() || slurm.isEmpty()) {
      return;
    }
    Map<Integer, String> queued = slurm.get().taskStates(job.get().id());
    if (!queued.isEmpty()) {
      throw new IllegalArgumentException(String.format(Locale.ROOT, "SWEEP_DIR %s: Slurm job %s"
          + " still has %d tasks queued or running; wait for it (lth sweep --status %s) or"
          + " cancel it (scancel %s)", sweepDir, job.get().id(), queued.size(), sweepDir,
          job.get().id()));
    }
  }
}
