package io.github.lth.cli;

import ai.djl.Device;
import io.github.lth.core.Branch;
import io.github.lth.core.BranchResult;
import io.github.lth.core.Round;
import io.github.lth.core.branch.Control;
import io.github.lth.core.branch.ControlMasks;
import io.github.lth.core.run.RunStore;
import io.github.lth.core.run.StoredBranch;
import io.github.lth.core.run.StoredRun;
import io.github.lth.djl.DjlModel;
import io.github.lth.djl.Devices;
import io.github.lth.djl.data.TrainTestSplit;
import io.github.lth.djl.train.DjlTask;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code lth branch}: trains a control of every (or every chosen) round of a finished
 * {@code lth imp} run and stores it under {@code RUN/branches/NAME/}; the run's results.csv and
 * curve.png gain the control.
 *
 * <pre>{@code
 * lth branch runs/lenet --control reinit
 * lth branch runs/lenet --control perturbed:10 --rounds 3,5
 * }</pre>
 */
@Command(
    name = "branch",
    mixinStandardHelpOptions = true,
    versionProvider = VersionProvider.class,
    sortOptions = false,
    description = {
        "Train a control of a finished IMP run's tickets.",
        "",
        "For each round (or each of --rounds), trains a variant of the round's ticket exactly as"
            + " the round was trained (same data, steps, learning rates, start step and data"
            + " order) and writes it to RUN/branches/NAME/round-NN/, a round at a time; running"
            + " the command again continues where it stopped. The run's results.csv gets a"
            + " column group and its curve.png a line per branch.",
        "",
        "Controls:",
        "  reinit            the ticket's mask from a fresh random initialization",
        "  random-mask       a random mask with each layer's kept count (layer-wise)",
        "  random-global     a random mask with the same overall kept count",
        "  complement        keeps exactly what the ticket prunes",
        "  perturbed:X       X % of the kept weights of each layer swapped for pruned ones",
        "  natural-random[:T]  random-mask that first prunes weights |w| <= T after dense"
            + " training (T: float32 machine epsilon, 1.19e-07, by default)",
        "  retrain           the ticket again with another data order (its noise floor)",
    },
    footer = {
        "",
        "Examples:",
        "  # Frankle & Carbin's control for every round",
        "  lth branch runs/lenet --control reinit",
        "  # layer-wise random pruning for rounds 3, 5 and 7, two seeds",
        "  lth branch runs/lenet --control random-mask --rounds 3,5,7",
        "  lth branch runs/lenet --control random-mask --rounds 3,5,7 --seed 1",
        "  # Chen et al.'s perturbed masks",
        "  lth branch runs/lenet --control perturbed:10",
    })
final class BranchCommand implements Callable<Integer> {

  @Spec
  CommandSpec spec;

  @Parameters(index = "0", paramLabel = "RUN", description = "Run directory made by lth imp.")
  Path runDirectory;

  @Option(names = "--control", required = true, paramLabel = "NAME",
      description = "reinit, random-mask, random-global, complement, perturbed:X,"
          + " natural-random[:T] or retrain.")
  String control;

  @Option(names = "--rounds", split = ",", paramLabel = "R",
      description = "Rounds to train the control for, e.g. 3,5,7. Default: every pruned round.")
  List<Integer> rounds;

  @Option(names = "--seed", paramLabel = "S",
      description = "Seed of the control's random draws (masks, re-initialization, retrain data"
          + " order). Default: the run's seed. Another seed makes another branch, NAME-seedS.")
  Long seed;

  @Option(names = "--name", paramLabel = "NAME",
      description = "Branch directory name. Default: the control (perturbed-10, ...).")
  String name;

  @Mixin
  DeviceOption device;

  @Override
  public Integer call() throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    Control parsed = Control.parse(control);
    StoredRun run = StoredRun.open(runDirectory);
    RunSetup setup = RunSetup.fromRun(run.settings(), runDirectory);
    Branch.Builder builder = Branch.builder().setRunDirectory(runDirectory).setControl(parsed);
    if (rounds != null) {
      builder.optRounds(rounds);
    }
    if (seed != null) {
      builder.optSeed(seed);
    }
    if (name != null) {
      builder.optName(name);
    }
    // checks the rounds and the name before the data is loaded
    List<Integer> chosen = builder.build().rounds(run);
    String branchName = builder.build().name(run);
    Device dev = Devices.parse(device.device);
    TrainTestSplit split = setup.loadData();
    try (DjlModel net = setup.model(split, dev); DjlTask task = setup.task(split)) {
      out.printf(Locale.ROOT, "lth branch: %s of %s, rounds %s, %s steps per round on %s%n",
          parsed.spec(), runDirectory, chosen, Table.count(task.totalSteps()), dev);
      out.printf("%s%n", parsed.description());
      describeMasks(out, run, parsed, chosen);
      Path branchDir = runDirectory.resolve(RunStore.BRANCHES).resolve(branchName);
      out.printf("branch directory: %s%n", branchDir);
      List<Integer> stored = storedRounds(branchDir);
      if (!stored.isEmpty()) {
        out.printf("already trained: rounds %s%n", stored);
      }
      out.flush();
      BranchResult result;
      try (StopNotice notice = StopNotice.install(spec.commandLine().getErr(), "lth branch",
          () -> StopNotice.rounds(branchDir) + "; run the same command to continue")) {
        result = builder.addListener(new ProgressReporter(System.err, out,
            task.primaryMetric(), task.totalSteps())).build().run(net, task);
      }
      printSummary(out, run, result, task.primaryMetric());
    }
    return 0;
  }

  /** What the control's masks are where that is not the ticket's sparsity, or uses a threshold. */
  private static void describeMasks(PrintWriter out, StoredRun run, Control control,
      List<Integer> rounds) throws java.io.IOException {
    if (control instanceof Control.Complement) {
      for (int r : rounds) {
        Round ticket = run.round(r);
        out.printf(Locale.ROOT, "round %d: the complement keeps %s weights (%.2f%% sparse) where"
            + " the ticket keeps %s (%.2f%% sparse)%n", r, Table.count(ticket.mask().pruned()),
            100 * (1 - ticket.sparsity()), Table.count(ticket.kept()), 100 * ticket.sparsity());
      }
    } else if (control instanceof Control.NaturalRandom n) {
      Round dense = run.round(0);
      long zeros = ControlMasks.naturalZeroCounts(dense.mask(), run.trainedWeights(0),
          n.threshold()).values().stream().mapToLong(Long::longValue).sum();
      out.printf(Locale.ROOT, "natural zeros after dense training: %s of %s prunable weights"
          + " (%.2f%%) have |w| <= %.3g%n", Table.count(zeros), Table.count(dense.mask().size()),
          100.0 * zeros / dense.mask().size(), n.threshold());
    }
  }

  /** The rounds a branch directory already holds (none if it does not exist yet). */
  private static List<Integer> storedRounds(Path branchDir) throws java.io.IOException {
    if (!java.nio.file.Files.isDirectory(branchDir)) {
      return List.of();
    }
    return StoredBranch.read(branchDir).roundIndices();
  }

  private static void printSummary(PrintWriter out, StoredRun run, BranchResult result,
      String metric) {
    Table t = new Table("round", "ticket sparsity", "ticket " + metric, result.name()
        + " sparsity", result.name() + " " + metric, "difference").rightAlignFrom(0);
    for (Round b : result.rounds()) {
      Round ticket = run.round(b.index());
      double tv = ticket.metrics().get(metric);
      double bv = b.metrics().get(metric);
      t.row(Integer.toString(b.index()), Table.percent(ticket.sparsity()),
          String.format(Locale.ROOT, "%.2f%%", 100 * tv), Table.percent(b.sparsity()),
          String.format(Locale.ROOT, "%.2f%%", 100 * bv),
          String.format(Locale.ROOT, "%+.2f", 100 * (bv - tv)));
    }
    out.println();
    t.print(out);
    out.printf("written: %s/round-NN/{mask.npz, metrics.json, weights.npz}%n",
        result.directory());
    out.println("updated: " + run.directory() + "/{results.csv, summary.json, curve.png}");
    out.flush();
  }
}
