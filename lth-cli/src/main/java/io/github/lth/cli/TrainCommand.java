package io.github.lth.cli;

import static com.google.common.base.Preconditions.checkArgument;

import ai.djl.Device;
import io.github.lth.core.ImpResult;
import io.github.lth.core.Round;
import io.github.lth.core.SparseTraining;
import io.github.lth.core.SparsityController;
import io.github.lth.core.prune.ParameterSelector;
import io.github.lth.core.prune.PruningScope;
import io.github.lth.core.run.RunStore;
import io.github.lth.core.sparse.Rigl;
import io.github.lth.core.sparse.SparsityDistribution;
import io.github.lth.core.sparse.SparsityDistributions;
import io.github.lth.djl.Devices;
import io.github.lth.djl.DjlModel;
import io.github.lth.djl.data.TrainTestSplit;
import io.github.lth.djl.train.DjlTask;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.Supplier;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code lth train}: one sparse training run by a method that changes the mask while the network
 * trains (GMP, AC/DC, RigL, STR, WoodFisher), beside the dense network trained the same way,
 * written as a run directory whose round 0 is the dense network and round 1 the sparse one.
 *
 * <pre>{@code
 * lth train --method rigl --target-sparsity 0.9 --model conv4 --out runs/rigl
 * lth transfer --ticket runs/rigl --data fashion-mnist --classes 5,6,7,8,9 --mode linear,full
 * }</pre>
 */
@Command(
    name = "train",
    mixinStandardHelpOptions = true,
    versionProvider = VersionProvider.class,
    sortOptions = false,
    description = {
        "Train a sparse network with a sparse training method.",
        "",
        "Trains the dense network (round 0), then, from the same initial weights and with the"
            + " same data order, the network whose mask --method changes as it trains, ending at"
            + " --target-sparsity (round 1). The run directory is that of lth imp, so lth"
            + " transfer, branch and report read it; lth transfer takes its trained weights.",
        "",
        "Methods and their --method-options (fractions are of the training steps):",
        "  gmp   gradual magnitude pruning on Zhu & Gupta's cubic schedule:",
        "        initial=0 (first sparsity), start=0.1, end=0.75, steps=20 (prunings)",
        "  acdc  alternating compressed / decompressed training: warmup=0.1",
        "        (dense), sparse=0.05, dense=0.05 (alternating), final=0.1 (sparse)",
        "  rigl  the Rigged Lottery: a random sparse start (--distribution), then",
        "        drop and grow: every=100 (steps between updates), alpha=0.3",
        "        (fraction swapped, cosine-decayed), end=0.75",
        "  str   soft threshold reparametrization: a learned threshold per layer",
        "        (one for all with --scope global), its decay steered to the target",
        "        by dual ascent; at freeze the mask is fixed and topped up to the",
        "        target: init=-10 (s), lr=0.1 (of s), decay=5e-4, rho=10, freeze=0.8",
        "  woodfisher  OBS pruning with a block-diagonal empirical Fisher:",
        "        start=0.1, end=0.75, steps=10 (1: one-shot at start), block=128,",
        "        dampening=1e-5, samples=16 (gradients per Fisher estimate)",
    },
    footer = {
        "",
        "Examples:",
        "  # RigL with ERK layer sparsities on the embedded sample",
        "  lth train --method rigl --target-sparsity 0.9",
        "  # GMP per layer, pruning between 20 %% and 80 %% of a 10-epoch Conv-4 run",
        "  lth train --method gmp --scope layer --method-options start=0.2,end=0.8 \\",
        "      --model conv4 --epochs 10 --data fashion-mnist --out runs/gmp-conv4",
        "  # AC/DC beside the same dense network, not trained again",
        "  lth train --method acdc --model conv4 --epochs 10 --data fashion-mnist \\",
        "      --dense-from runs/gmp-conv4 --out runs/acdc-conv4",
        "  # the sparse model on a new task, linear probe and full fine-tuning",
        "  lth transfer --ticket runs/gmp-conv4 --data fashion-mnist --classes 5,6,7,8,9 \\",
        "      --mode linear,full",
    })
final class TrainCommand implements Callable<Integer> {

  @Spec
  CommandSpec spec;

  @Option(names = "--method", required = true, paramLabel = "gmp|acdc|rigl|str|woodfisher",
      description = "The sparse training method (see above).")
  String method;

  @Option(names = "--target-sparsity", defaultValue = "0.9", paramLabel = "S",
      description = "Sparsity of the trained network, in (0, 1). Default: ${DEFAULT-VALUE}.")
  double targetSparsity;

  @Option(names = "--method-options", paramLabel = "KEY=VALUE,...",
      description = "Settings of the method (see above).")
  String methodOptions;

  @Option(names = "--distribution", paramLabel = "erk|er|uniform",
      description = "rigl: how the sparsity is split over the layers: Erdős–Rényi-Kernel,"
          + " Erdős–Rényi, or the same in every layer. Default: erk.")
  String distribution;

  @Option(names = "--dense-from", paramLabel = "RUN",
      description = "Take the dense reference (round 0) from RUN, a run of lth imp or lth train"
          + " with the same data, model, task, training settings and seed, instead of training"
          + " it again (checked): one dense network for several methods.")
  Path denseFrom;

  @Mixin
  TrainingOptions training;

  @Mixin
  PruningOptions pruning;

  @Mixin
  DeviceOption device;

  @Override
  public Integer call() throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    checkArgument(targetSparsity > 0 && targetSparsity < 1,
        "--target-sparsity must be in (0, 1): %s", targetSparsity);
    String name = method.trim().toLowerCase(Locale.ROOT);
    checkArgument(pruning.criterion.equals("magnitude"), "--criterion: the sparse training"
        + " methods score the weights themselves; --criterion applies to lth imp and lth mask");
    boolean scopeGiven = spec.commandLine().getParseResult().hasMatchedOption("--scope");
    checkArgument(!(name.equals("rigl") && scopeGiven), "--scope does not apply to rigl: its"
        + " layer sparsities come from --distribution");
    checkArgument(distribution == null || name.equals("rigl"), "--distribution applies to rigl,"
        + " not to %s", name);
    SparsityDistribution layerSparsities =
        SparsityDistributions.byName(distribution == null ? "erk" : distribution);
    RunSetup setup = training.setup();
    // STR learns one threshold per layer unless told otherwise (Kusupati et al.'s setting)
    PruningScope scope = scopeGiven || !name.equals("str") ? pruning.scope : PruningScope.LAYER;
    Supplier<SparsityController> controller = SparseMethods.parse(name, targetSparsity, scope,
        layerSparsities, methodOptions, setup.seed());
    Device dev = Devices.parse(device.device);
    TrainTestSplit split = setup.loadData();
    try (DjlModel net = setup.model(split, dev); DjlTask task = setup.task(split)) {
      SparseTraining.Builder builder = SparseTraining.builder()
          .setController(controller)
          .optSelector(pruning.selector(setup.model()))
          .optSeed(setup.seed())
          .optSetting("model", setup.model())
          .optSetting("data", setup.data());
      if (setup.classes() != null) {
        builder.optSetting("classes", setup.classes());
      }
      if (denseFrom != null) {
        checkArgument(Files.isRegularFile(denseFrom.resolve(RunStore.CONFIG)),
            "--dense-from %s is not a run directory (no %s)", denseFrom, RunStore.CONFIG);
        builder.optDenseFrom(denseFrom);
      }
      SparseTraining sparse = builder.build();
      Path runDir = training.outDirectory != null ? training.outDirectory
          : training.defaultRunDirectory(name, sparse.settingsFingerprint(net, task));
      checkArgument(training.resumeRun() || !Files.exists(runDir.resolve(RunStore.CONFIG)),
          "--out %s already holds a run; add --resume to continue it or choose another --out",
          runDir);
      out.printf(Locale.ROOT, "lth train: %s to %.2f%% sparsity, %s on %s (%s), %s, %s steps"
          + " (dense reference, then sparse) on %s%n", name, 100 * targetSparsity,
          setup.model(), setup.data(), split.train(), setup.taskName(),
          Table.count(task.totalSteps()), dev);
      if (controller.get() instanceof Rigl rigl && rigl.updatesIn(task.totalSteps()) == 0) {
        // a legal setting, but one that trains a static random mask: say so before the hours go
        PrintWriter err = spec.commandLine().getErr();
        err.printf(Locale.ROOT, "lth train: note: rigl makes no update in %d steps (every=%s,"
            + " updates stop at end=%s of the run); lower every= in --method-options%n",
            task.totalSteps(), rigl.settings().get("update_every"),
            rigl.settings().get("end_fraction"));
        err.flush();
      }
      out.printf("run directory: %s%n", runDir);
      out.flush();
      ImpResult result;
      try (StopNotice notice = StopNotice.install(spec.commandLine().getErr(), "lth train",
          () -> StopNotice.rounds(runDir) + "; run the same command with --resume to continue")) {
        result = builder
            .optRunDirectory(runDir)
            .optResume(training.resumeRun())
            .addListener(new ProgressReporter(System.err, out, task.primaryMetric(),
                task.totalSteps()))
            .build()
            .run(net, task);
      }
      printSummary(out, name, result, runDir);
    }
    return 0;
  }

  private static void printSummary(PrintWriter out, String method, ImpResult result,
      Path runDir) {
    String metric = result.primaryMetric();
    String test = metric.startsWith("val_") ? "test_" + metric.substring(4) : null;
    Table t = test != null
        ? new Table("round", "network", "sparsity", "kept", metric, test).rightAlignFrom(2)
        : new Table("round", "network", "sparsity", "kept", metric).rightAlignFrom(2);
    for (Round r : result.rounds()) {
      String network = r.index() == 0 ? "dense" : method;
      String value = Table.percent(r.metrics().get(metric));
      if (test != null) {
        t.row(Integer.toString(r.index()), network, Table.percent(r.sparsity()),
            Table.count(r.kept()), value, Table.percent(r.metrics().get(test)));
      } else {
        t.row(Integer.toString(r.index()), network, Table.percent(r.sparsity()),
            Table.count(r.kept()), value);
      }
    }
    out.println();
    t.print(out);
    Map<String, Double> taskMetrics = result.dense().metrics().asMap();
    result.last().metrics().asMap().forEach((k, v) -> {
      if (!taskMetrics.containsKey(k)) {
        out.printf(Locale.ROOT, "%s %s: %s%n", method, k, Table.number(v));
      }
    });
    out.printf("written: %s/{config.json, round-00/, round-01/{mask.npz, metrics.json,"
        + " weights.npz}, results.csv, summary.json, curve.png}%n", runDir);
    out.flush();
  }
}
