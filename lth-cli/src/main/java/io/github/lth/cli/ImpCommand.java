package io.github.lth.cli;

import static com.google.common.base.Preconditions.checkArgument;

import ai.djl.Device;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import io.github.lth.core.Imp;
import io.github.lth.core.ParameterInfo;
import io.github.lth.core.ImpResult;
import io.github.lth.core.Round;
import io.github.lth.core.Weights;
import io.github.lth.core.io.KeyMapping;
import io.github.lth.core.io.WeightsIO;
import io.github.lth.core.run.RunStore;
import io.github.lth.core.prune.ParameterSelector;
import io.github.lth.core.prune.ParameterSelectors;
import io.github.lth.core.prune.PruningCriteria;
import io.github.lth.core.prune.PruningCriterion;
import io.github.lth.core.rewind.Rewind;
import io.github.lth.core.rewind.Rewinds;
import io.github.lth.core.schedule.PruningSchedules;
import io.github.lth.core.structured.FilterCriterion;
import io.github.lth.djl.Devices;
import io.github.lth.djl.DjlModel;
import io.github.lth.djl.ParamsFiles;
import io.github.lth.djl.data.DataSources;
import io.github.lth.djl.data.ImageDataset;
import io.github.lth.djl.data.TrainTestSplit;
import io.github.lth.djl.models.Models;
import io.github.lth.djl.train.DjlTask;
import io.github.lth.djl.train.LrSchedules;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code lth imp}: iterative magnitude pruning on an image data set, with the labels or a
 * self-supervised task, written as a run directory (config, one directory per round,
 * results.csv, summary.json, curve.png).
 *
 * <pre>{@code
 * lth imp --data fashion-mnist --model lenet300 --target-sparsity 0.9 --out runs/lenet
 * }</pre>
 */
@Command(
    name = "imp",
    mixinStandardHelpOptions = true,
    versionProvider = VersionProvider.class,
    sortOptions = false,
    description = {
        "Find lottery tickets by iterative magnitude pruning (IMP).",
        "",
        "Trains the dense network (round 0), then round after round prunes --rate of the"
            + " remaining weights, rewinds the survivors and trains again, until the next round"
            + " would pass --target-sparsity. Each finished round is written to the run"
            + " directory at once; --resume continues after the last one.",
        "",
        "With --criterion filter-l1 or filter-l2 whole output filters go (structured pruning):"
            + " --rate and --target-sparsity then count filters, each pruned filter takes its"
            + " bias and BatchNorm entries with it, and the model's structured preset (below)"
            + " is what is pruned unless --include says otherwise.",
    },
    footer = {
        "",
        "Examples:",
        "  # the default: LeNet-300-100 on the embedded Fashion-MNIST sample",
        "  lth imp",
        "  # the full Fashion-MNIST (apt-get install dataset-fashion-mnist)",
        "  lth imp --data fashion-mnist --model lenet300 --target-sparsity 0.9 \\",
        "      --out runs/lenet-fmnist",
        "  # late rewinding to the weights after 500 steps, SGD, layer-wise pruning",
        "  lth imp --model conv2 --rewind step:500 --optimizer sgd --lr 0.05 \\",
        "      --scope layer",
        "  # a self-supervised ticket: rotation prediction, then SimCLR with tau 0.2",
        "  lth imp --task rotnet --epochs 2",
        "  lth imp --task simclr --temperature 0.2 --batch-size 128",
        "  # structured: 20%% of the remaining conv/fc filters per round, by L1 norm",
        "  lth imp --model conv2 --criterion filter-l1 --target-sparsity 0.5",
        "  # continue a run that was stopped",
        "  lth imp --data fashion-mnist --out runs/lenet-fmnist --resume",
    })
final class ImpCommand implements Callable<Integer> {

  @Spec
  CommandSpec spec;

  @Mixin
  TrainingOptions training;

  @Option(names = "--target-sparsity", defaultValue = "0.9", paramLabel = "S",
      description = "Stop at the last round whose sparsity does not pass S, in (0, 1) (the"
          + " share of filters for filter criteria). Default: ${DEFAULT-VALUE}.")
  double targetSparsity;

  @Option(names = "--rate", defaultValue = "0.2", paramLabel = "P",
      description = "Share of the remaining weights (filters, for filter criteria) pruned per"
          + " round, in (0, 1). Default: ${DEFAULT-VALUE}.")
  double rate;

  @Option(names = "--rewind", defaultValue = "init",
      paramLabel = "init|step:K|epoch:E|fraction:F|pretrained:PATH|reinit|none",
      description = "Where the surviving weights go back to after each pruning: the initial"
          + " weights; the weights after K steps, E epochs or the fraction F of round 0's steps"
          + " (late rewinding: every later round then trains only the remaining steps, with"
          + " round 0's data order and learning rates from there on); pre-trained weights"
          + " (.npz, .safetensors or DJL .params; also the starting point); a fresh random"
          + " initialization; or nowhere (fine-tuning). Default: ${DEFAULT-VALUE}.")
  String rewind;

  @Option(names = "--key-map", paramLabel = "FILE",
      description = "Renames the keys of the --rewind pretrained: weights to the model's"
          + " parameter names: lines 'file_key model_parameter' (or 'a -> b', 'a=b'; # comments)"
          + " or a .json object, so a PyTorch state_dict saved with numpy or safetensors loads."
          + " Keys not listed keep their names; parameters left unmatched are listed.")
  Path keyMap;

  @Mixin
  PruningOptions pruning;

  @Option(names = "--depth", paramLabel = "N",
      description = "Prune only the first N of the prunable layers (forward order); deeper"
          + " layers stay dense: pruning up to depth N, as the limited-supervision paper prunes"
          + " self-supervised networks (add --scope layer to prune each of them by the same"
          + " share).")
  Integer depth;

  @Mixin
  DeviceOption device;

  @Override
  public Integer call() throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    checkArgument(targetSparsity > 0 && targetSparsity < 1,
        "--target-sparsity must be in (0, 1): %s", targetSparsity);
    checkArgument(rate > 0 && rate < 1, "--rate must be in (0, 1): %s", rate);
    RunSetup setup = training.setup();
    long seed = setup.seed();
    String model = setup.model();
    String data = setup.data();
    List<Integer> classes = setup.classes();
    Path outDirectory = training.outDirectory;
    Device dev = Devices.parse(device.device);
    var schedule = PruningSchedules.imp(rate, targetSparsity);
    var pruningCriterion = PruningCriteria.byName(pruning.criterion, seed);
    ParameterSelector selector = selector(model, pruningCriterion);
    boolean filters = pruningCriterion instanceof FilterCriterion;
    TrainTestSplit split = setup.loadData();
    ImageDataset train = split.train();
    Rewind rewindTo = parseRewind(setup, split);
    boolean resumeRun = training.resumeRun();

    // the model first: a model that does not fit the images is the clearer error
    try (DjlModel net = setup.model(split, dev);
        DjlTask task = setup.task(split)) {
      Imp.Builder impBuilder = Imp.builder()
          .setSchedule(schedule)
          .optCriterion(pruningCriterion)
          .optScope(pruning.scope)
          .optSelector(selector)
          .optRewind(rewindTo)
          .optSeed(seed)
          .optSetting("model", model)
          .optSetting("data", data);
      if (classes != null) {
        // only when given: the fingerprints of runs on whole data sets stay as they were
        impBuilder.optSetting("classes", classes);
      }
      Imp imp = impBuilder.build();
      Path runDir = outDirectory != null ? outDirectory
          : training.defaultRunDirectory(null, imp.settingsFingerprint(net, task));
      // the run store says "resume it"; on the command line that is a flag
      checkArgument(resumeRun || !Files.exists(runDir.resolve(RunStore.CONFIG)),
          "--out %s already holds a run; add --resume to continue it or choose another --out",
          runDir);
      int rounds = schedule.rounds();
      out.printf(Locale.ROOT, "lth imp: %s on %s (%s), %s, %d rounds to %.2f%% %s, %s steps"
          + " per round on %s%n", model, data, train, setup.taskName(), rounds,
          100 * schedule.sparsityAfter(rounds).orElse(0),
          filters ? "of the filters pruned" : "sparsity", Table.count(task.totalSteps()), dev);
      out.printf("run directory: %s%n", runDir);
      out.flush();
      ImpResult result;
      try (StopNotice notice = StopNotice.install(spec.commandLine().getErr(), "lth imp",
          () -> StopNotice.rounds(runDir) + "; run the same command with --resume to continue")) {
        result = imp.toBuilder()
            .optRunDirectory(runDir)
            .optResume(resumeRun)
            .addListener(new ProgressReporter(System.err, out, task.primaryMetric(),
                task.totalSteps()))
            .build()
            .run(net, task);
      }
      printSummary(out, result, runDir);
    }
    return 0;
  }

  /**
   * Lists each model's default prunable set (from {@link Models#presets()}, so help and code
   * cannot disagree) at the end of {@code lth imp --help}.
   */
  static void addPresetsToHelp(CommandSpec imp) {
    List<String> footer = new ArrayList<>(List.of(imp.usageMessage().footer()));
    footer.add("");
    footer.add("What each --model prunes by default (--include/--exclude override it):");
    // picocli wraps footer lines without indenting them: wrap here, continuation indented
    Models.presets().forEach((name, text) -> footer.addAll(wrap(name + ": " + text, 78)));
    footer.add("");
    footer.add("What each --model prunes with --criterion filter-l1|filter-l2 (structured):");
    Models.structuredPresets().forEach((name, text) -> footer.addAll(wrap(name + ": " + text,
        78)));
    imp.usageMessage().footer(footer.toArray(new String[0]));
  }

  /** {@code text} in lines of at most {@code width}: the first after "  ", the rest indented. */
  static List<String> wrap(String text, int width) {
    List<String> out = new ArrayList<>();
    StringBuilder current = new StringBuilder("  ");
    boolean empty = true;
    for (String word : text.split(" ")) {
      if (!empty && current.length() + 1 + word.length() > width) {
        out.add(current.toString());
        current = new StringBuilder("      ");
        empty = true;
      }
      current.append(empty ? "" : " ").append(word);
      empty = false;
    }
    out.add(current.toString());
    return out;
  }

  /** {@link PruningOptions#selector}, cut to the first --depth layers when given. */
  private ParameterSelector selector(String model, PruningCriterion criterion) {
    ParameterSelector s = pruning.selector(model, criterion);
    return depth != null ? s.and(ParameterSelectors.firstLayers(depth)) : s;
  }

  /** Pre-trained weights come from .npz, .safetensors or a DJL .params file of the same model. */
  private Rewind parseRewind(RunSetup setup, TrainTestSplit split)
      throws java.io.IOException {
    if (rewind.startsWith("pretrained:")) {
      Path file = Path.of(rewind.substring("pretrained:".length()));
      checkArgument(Files.isRegularFile(file), "--rewind pretrained: file %s not found", file);
      Phase.reading("--rewind pretrained:", file);
      Weights weights = file.toString().endsWith(".params")
          ? ParamsFiles.read(file, setup.block(split))
          : WeightsIO.read(file);
      if (keyMap != null) {
        checkArgument(Files.isRegularFile(keyMap), "--key-map: file %s not found", keyMap);
        List<String> expected;
        try (DjlModel m = setup.model(split, Device.cpu())) {
          expected = m.parameters().stream().map(ParameterInfo::name).toList();
        }
        weights = KeyMapping.read(keyMap).apply(weights, expected);
      }
      return Rewinds.toPretrained(file.toString(), weights);
    }
    checkArgument(keyMap == null, "--key-map renames the keys of --rewind pretrained:PATH;"
        + " --rewind is %s", rewind);
    return Rewinds.parse(rewind);
  }

  private static void printSummary(PrintWriter out, ImpResult result, Path runDir) {
    String metric = result.primaryMetric();
    // the test metric is shown beside the one selection uses (when that is a validation metric)
    String test = metric.startsWith("val_") ? "test_" + metric.substring(4) : null;
    double dense = result.dense().metrics().get(metric);
    Table t = test != null
        ? new Table("round", "sparsity", "kept", metric, "vs dense", test).rightAlignFrom(0)
        : new Table("round", "sparsity", "kept", metric, "vs dense").rightAlignFrom(0);
    for (Round r : result.rounds()) {
      double v = r.metrics().get(metric);
      String percent = String.format(Locale.ROOT, "%.2f%%", 100 * v);
      String delta = r.index() == 0 ? "" : String.format(Locale.ROOT, "%+.2f", 100 * (v - dense));
      if (test != null) {
        t.row(Integer.toString(r.index()), Table.percent(r.sparsity()), Table.count(r.kept()),
            percent, delta, String.format(Locale.ROOT, "%.2f%%", 100 * r.metrics().get(test)));
      } else {
        t.row(Integer.toString(r.index()), Table.percent(r.sparsity()), Table.count(r.kept()),
            percent, delta);
      }
    }
    out.println();
    t.print(out);
    Round ticket = result.sparsestWithin(0.01);
    out.printf(Locale.ROOT, "%nsparsest subnetwork within 1 point of dense: round %d, %.2f%% sparse,"
        + " %s %.2f%% (dense %.2f%%)%n", ticket.index(), 100 * ticket.sparsity(), metric,
        100 * ticket.metrics().get(metric), 100 * dense);
    out.printf("written: %s/{config.json, round-NN/mask.npz, results.csv, summary.json, curve.png}%n",
        runDir);
    out.flush();
  }
}
