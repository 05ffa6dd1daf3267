package io.github.lth.cli;

import static com.google.common.base.Preconditions.checkArgument;

import io.github.lth.core.run.RunStore;
import io.github.lth.core.sweep.SweepPoint;
import io.github.lth.core.sweep.SweepSpec;
import io.github.lth.core.sweep.SweepStore;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code lth sweep}: one command over a grid of settings, each point an ordinary run in its own
 * directory under SWEEP_DIR, run by local worker processes or as a Slurm job array; {@code
 * --status} shows where each point is.
 *
 * <pre>{@code
 * lth sweep seeds.json --out sweeps/seeds --workers 2
 * lth sweep seeds.yaml --out sweeps/seeds --backend slurm --partition gpu --gres gpu:1 --wait
 * lth sweep --status sweeps/seeds
 * }</pre>
 */
@Command(
    name = "sweep",
    mixinStandardHelpOptions = true,
    versionProvider = VersionProvider.class,
    sortOptions = false,
    description = {
        "Run imp, train, branch or transfer over a grid of settings, locally or on Slurm.",
        "",
        "SWEEP_FILE (JSON, or YAML with the same structure) has three keys: command (imp, train,"
            + " branch or transfer), settings (fixed options by their long names without dashes,"
            + " e.g. {\"data\": \"embedded\", \"target-sparsity\": 0.36}) and axes (option -> list"
            + " of values, e.g. {\"seed\": [0, 1, 2], \"rewind\": [\"init\", \"step:500\"]}). The"
            + " sweep is the product of the axes; each point is one ordinary run in"
            + " SWEEP_DIR/points/ID (ID from a hash of its settings). A point already done is"
            + " skipped; an unfinished one resumes from its last complete round.",
    },
    footer = {
        "",
        "Examples:",
        "  lth sweep seeds.json --out sweeps/seeds --workers 2",
        "  lth sweep seeds.json --out sweeps/seeds --backend slurm --partition gpu --gres gpu:1"
            + " --time 4:00:00 --wait",
        "  lth sweep --status sweeps/seeds",
        "  lth collect sweeps/seeds",
    })
final class SweepCommand implements Callable<Integer> {
  /** Options the sweep itself sets for every point; a sweep file may not. */
  private static final List<String> RESERVED = List.of("out", "resume", "name", "help",
      "version");

  @Spec
  CommandSpec spec;

  @Parameters(index = "0", paramLabel = "SWEEP_FILE|SWEEP_DIR",
      description = "The sweep file; with --status or --run-point, the sweep directory.")
  Path input;

  @Option(names = "--out", paramLabel = "SWEEP_DIR",
      description = "The sweep directory (created; a sweep run again into it continues).")
  Path out;

  @Option(names = "--backend", defaultValue = "local", paramLabel = "local|slurm",
      description = "Where the points run. Default: ${DEFAULT-VALUE}.")
  String backend;

  @Option(names = "--workers", paramLabel = "N",
      description = "Local backend: points run at once, each in its own process with its share"
          + " of the cores. Default: 1 on up to 3 cores, else cores / 2.")
  Integer workers;

  @Option(names = "--partition", paramLabel = "P", description = "Slurm: sbatch --partition.")
  String partition;

  @Option(names = "--time", paramLabel = "T", description = "Slurm: sbatch --time per point.")
  String time;

  @Option(names = "--gres", paramLabel = "G", description = "Slurm: sbatch --gres, e.g. gpu:1.")
  String gres;

  @Option(names = "--cpus-per-task", paramLabel = "N",
      description = "Slurm: sbatch --cpus-per-task.")
  Integer cpusPerTask;

  @Option(names = "--mem", paramLabel = "M", description = "Slurm: sbatch --mem, e.g. 8G.")
  String mem;

  @Option(names = "--parallel", paramLabel = "P",
      description = "Slurm: array tasks running at once (--array=...%%P). Default: all.")
  Integer parallel;

  @Option(names = "--attempts", defaultValue = "3", paramLabel = "K",
      description = "Slurm: runs of a point before it counts as failed (a failed or preempted"
          + " task is requeued and resumes). Default: ${DEFAULT-VALUE}.")
  int attempts;

  @Option(names = "--wait", description = "Slurm: wait until every array task has ended.")
  boolean await;

  @Option(names = "--status", description = "Show each point of SWEEP_DIR: done, running,"
      + " failed or pending, with its complete rounds.")
  boolean status;

  @Option(names = "--max-points", defaultValue = "1000", paramLabel = "N",
      description = "Refuse sweeps of more points. Default: ${DEFAULT-VALUE}.")
  int maxPoints;

  @Option(names = "--run-point", hidden = true, paramLabel = "I",
      description = "Run point I of SWEEP_DIR in this process (what workers and array tasks do).")
  Integer runPoint;

  @Override
  public Integer call() throws Exception {
    PrintWriter stdout = spec.commandLine().getOut();
    if (runPoint != null) {
      return PointRunner.run(SweepStore.open(input), runPoint, spec.commandLine().getErr());
    }
    if (status) {
      SweepStatus.print(SweepStore.open(input), stdout);
      return 0;
    }
    checkArgument(out != null, "--out: the sweep directory is missing");
    checkArgument(backend.equals("local") || backend.equals("slurm"),
        "--backend: unknown backend '%s' (use local or slurm)", backend);
    checkArgument(maxPoints > 0, "--max-points must be positive: %s", maxPoints);
    SweepSpec sweep = SweepSpec.read(input);
    checkSettings(sweep);
    checkArgument(sweep.size() <= maxPoints, "%s: %s points, more than --max-points %s",
        input, sweep.size(), maxPoints);
    checkValues(sweep);
    // everything is checked before anything is written: a sweep that cannot run leaves no
    // directory and submits nothing
    SlurmBackend slurm = null;
    SlurmBackend.Options options = null;
    if (backend.equals("slurm")) {
      checkArgument(workers == null, "--workers is for --backend local; Slurm runs"
          + " --parallel array tasks at once");
      slurm = SlurmBackend.locate();
      options = new SlurmBackend.Options(partition, time, gres, cpusPerTask, mem,
          parallel != null ? parallel : (int) sweep.size(), attempts);
    } else {
      checkArgument(partition == null && time == null && gres == null && cpusPerTask == null
          && mem == null && parallel == null && !await, "--partition, --time, --gres,"
          + " --cpus-per-task, --mem, --parallel and --wait are for --backend slurm");
      checkArgument(workers == null || workers >= 1, "--workers must be positive: %s", workers);
    }
    if (Files.isDirectory(out)) {
      SweepStatus.checkNoJobQueued(out);
    }
    SweepStore store = SweepStore.create(out, sweep);
    List<Integer> todo = new ArrayList<>();
    int busy = 0;
    for (SweepPoint p : store.points()) {
      if (store.state(p).status() == SweepStore.Status.DONE) {
        continue;
      }
      if (RunStore.isHeldByLiveProcess(store.pointDirectory(p))) {
        busy++;   // another lth is running this point now: leave it to that one
      } else {
        todo.add(p.index());
      }
    }
    if (busy > 0) {
      stdout.printf(Locale.ROOT, "%d points are being run by another process; left to it%n",
          busy);
    }
    stdout.printf(Locale.ROOT, "lth sweep: %s, %d points (%d done, %d to run) into %s%n",
        sweep.command(), store.points().size(), store.points().size() - todo.size(),
        todo.size(), out);
    stdout.flush();
    if (todo.isEmpty()) {
      return 0;
    }
    if (slurm != null) {
      return submit(slurm, options, store, todo, stdout);
    }
    int n = workers != null ? workers : defaultWorkers();
    return LocalWorkers.run(store, todo, n, stdout, spec.commandLine().getErr());
  }

  private int submit(SlurmBackend slurm, SlurmBackend.Options options, SweepStore store,
      List<Integer> todo, PrintWriter out) throws IOException, InterruptedException {
    Path script = slurm.writeJobScript(store.directory(), todo, options,
        PointRunner.command(store.directory(), cpusPerTask != null ? cpusPerTask : 1));
    String job = slurm.submit(script);
    SweepStatus.recordJob(store, job, todo);
    out.printf(Locale.ROOT, "submitted Slurm job %s: %d array tasks (%s); logs in %s%n", job,
        todo.size(), script, store.directory().resolve("slurm"));
    out.flush();
    if (!await) {
      out.printf("follow it with: lth sweep --status %s%n", store.directory());
      return 0;
    }
    slurm.await(job, Duration.ofSeconds(2));
    return LocalWorkers.report(store, todo, store.directory().resolve("slurm"), out,
        spec.commandLine().getErr());
  }

  /** Every key must be a long option of the command (branch's run directory is "run"). */
  private void checkSettings(SweepSpec sweep) {
    CommandSpec command = spec.root().subcommands().get(sweep.command()).getCommandSpec();
    List<String> keys = new ArrayList<>(sweep.settings().keySet());
    keys.addAll(sweep.axes().keySet());
    for (String key : keys) {
      checkArgument(!RESERVED.contains(key), "%s: '%s' is set by the sweep itself (each point"
          + " gets its own directory); remove it", input, key);
      boolean positional = sweep.command().equals("branch") && key.equals("run");
      checkArgument(positional || command.findOption("--" + key) != null, "%s: unknown %s '%s'"
          + " for lth %s (see 'lth %s --help')", input, sweep.axes().containsKey(key) ? "axis"
          : "setting", key, sweep.command(), sweep.command());
    }
    if (sweep.command().equals("branch")) {
      checkArgument(keys.contains("run"), "%s: a branch sweep needs the run to branch from as"
          + " the setting 'run'", input);
    }
  }

  /**
   * Every point's command line must parse (a value of the wrong type, say), so that a typo is
   * refused here rather than in every array task on the cluster.
   */
  private void checkValues(SweepSpec sweep) {
    Path placeholder = Path.of("SWEEP_DIR", "points", "ID");
    for (SweepPoint p : sweep.points()) {
      List<String> args = PointRunner.arguments(p, placeholder, "NAME");
      try {
        Lth.commandLine().parseArgs(args.toArray(String[]::new));
      } catch (ParameterException e) {
        throw new IllegalArgumentException(String.format("%s: point %d (%s): %s", input,
            p.index(), describe(p.axisValues()), ErrorReporter.oneLine(e.getMessage())), e);
      }
    }
  }

  /** One worker on up to 3 cores (two JVMs would fight over 2); else one per 2 cores. */
  static int defaultWorkers() {
    int cores = Runtime.getRuntime().availableProcessors();
    return cores <= 3 ? 1 : cores / 2;
  }

  /** The settings of a point as flags, for messages. */
  static String describe(Map<String, Object> settings) {
    List<String> parts = new ArrayList<>();
    settings.forEach((k, v) -> parts.add(k + "=" + v));
    return String.join(" ", parts);
  }
}
