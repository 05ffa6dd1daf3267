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
import io.github.lth.core.rewind.Rewind;
import io.github.lth.core.rewind.Rewinds;
import io.github.lth.core.schedule.PruningSchedules;
import io.github.lth.djl.Devices;
import io.github.lth.djl.DjlModel;
import io.github.lth.djl.ParamsFiles;
import io.github.lth.djl.data.DataSources;
import io.github.lth.djl.data.ImageDataset;
import io.github.lth.djl.data.TrainTestSplit;
import io.github.lth.djl.models.Models;
import io.github.lth.djl.ssl.Pretext;
import io.github.lth.djl.ssl.Views;
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
        "  # continue a run that was stopped",
        "  lth imp --data fashion-mnist --out runs/lenet-fmnist --resume",
    })
final class ImpCommand implements Callable<Integer> {

  @Spec
  CommandSpec spec;

  @Option(names = "--data", defaultValue = "embedded", paramLabel = "embedded|fashion-mnist|DIR",
      description = "Data set: the embedded 6,000/1,000 Fashion-MNIST sample, the Debian package"
          + " dataset-fashion-mnist, or a directory: MNIST-format IDX files, CIFAR-10/100 binary"
          + " files, or an image folder (train/CLASS/*.png|jpg, test/CLASS/...)."
          + " Default: ${DEFAULT-VALUE}.")
  String data;

  @Option(names = "--classes", split = ",", paramLabel = "C",
      description = "Keep only these classes of --data, relabelled in this order (a source task"
          + " for transfer: --classes 0,1,2,3,4).")
  List<Integer> classes;

  @Option(names = "--model", defaultValue = "lenet300", paramLabel = "NAME",
      description = "lenet300, conv2, conv4, conv6, resnet20, resnet18 or vgg16."
          + " Default: ${DEFAULT-VALUE}.")
  String model;

  @Option(names = "--task", defaultValue = "classification",
      paramLabel = "classification|rotnet|simclr|exemplar|npid|s4l",
      description = "What the network learns: the labels (classification), or a self-supervised"
          + " task that does not use them: rotnet (predict the rotation, 0/90/180/270 degrees),"
          + " simclr (two views of each image, NT-Xent), exemplar (each image its own class)"
          + " or npid (instance discrimination against a memory bank); s4l is RotNet plus the"
          + " labels of --labelled % of each class. The task's head stays dense and is replaced"
          + " when the ticket transfers (classify is read as classification)."
          + " Default: ${DEFAULT-VALUE}.")
  String task;

  @Option(names = "--temperature", paramLabel = "T",
      description = "Softmax temperature of simclr (default 0.5) and npid (default 0.07).")
  Double temperature;

  @Option(names = "--embedding-dim", paramLabel = "D",
      description = "Output size of simclr's projection head (default 64) and npid's"
          + " embedding (default 128).")
  Integer embeddingDim;

  @Option(names = "--views", paramLabel = "SPEC",
      description = "The random views simclr, exemplar and npid train on: parts of"
          + " crop:S (random resized crop of S..1 of the area), flip, jitter:J (brightness and"
          + " contrast), blur:P (3x3 Gaussian with probability P), noise:N, or none."
          + " Default: crop:0.3,flip,jitter:0.4,blur:0.5,noise:0.05.")
  String views;

  @Option(names = "--memory-momentum", paramLabel = "M",
      description = "npid's memory-bank momentum, in [0, 1). Default: 0.5.")
  Double memoryMomentum;

  @Option(names = "--labelled", paramLabel = "X",
      description = "s4l: X % of each class's training images keep their labels (0 < X <= 100)."
          + " Default: 10.")
  Double labelled;

  @Option(names = "--labelled-classes", paramLabel = "X",
      description = "s4l: all images of the first X % of the classes keep their labels, instead"
          + " of --labelled.")
  Double labelledClasses;

  @Option(names = "--target-sparsity", defaultValue = "0.9", paramLabel = "S",
      description = "Stop at the last round whose sparsity does not pass S, in (0, 1)."
          + " Default: ${DEFAULT-VALUE}.")
  double targetSparsity;

  @Option(names = "--rate", defaultValue = "0.2", paramLabel = "P",
      description = "Share of the remaining weights pruned per round, in (0, 1)."
          + " Default: ${DEFAULT-VALUE}.")
  double rate;

  @Option(names = "--epochs", paramLabel = "N",
      description = "Training epochs per round. Default: 5 (unless --steps is given).")
  Integer epochs;

  @Option(names = "--steps", paramLabel = "N",
      description = "Training steps per round, instead of --epochs.")
  Long steps;

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

  @Option(names = "--validation", defaultValue = "0.1", paramLabel = "F",
      description = "Share of the training images held out as validation data (stratified by"
          + " class, drawn with --seed), on which the sparsest-ticket selection is made; the"
          + " test set is reported beside it. 0 turns it off (selection then uses the test set)."
          + " Default: ${DEFAULT-VALUE}.")
  double validation;

  @Option(names = "--augment", defaultValue = "none", paramLabel = "none|flip|crop:P[,flip]",
      description = "Training-image augmentation, drawn from --seed: a random crop after P"
          + " pixels of black padding on each side and/or a random horizontal flip (the standard"
          + " CIFAR recipe is crop:4,flip). Validation and test images are never augmented."
          + " Default: ${DEFAULT-VALUE}.")
  String augment;

  @Mixin
  PruningOptions pruning;

  @Option(names = "--depth", paramLabel = "N",
      description = "Prune only the first N of the prunable layers (forward order); deeper"
          + " layers stay dense: pruning up to depth N, as the limited-supervision paper prunes"
          + " self-supervised networks (add --scope layer to prune each of them by the same"
          + " share).")
  Integer depth;

  @Option(names = "--batch-size", defaultValue = "60", paramLabel = "N",
      description = "Training batch size. Default: ${DEFAULT-VALUE}.")
  int batchSize;

  @Option(names = "--optimizer", defaultValue = "adam", paramLabel = "adam|adamw|sgd|nesterov",
      description = "Adam, AdamW (decoupled weight decay), SGD with momentum, or SGD with"
          + " Nesterov momentum. Default: ${DEFAULT-VALUE}.")
  String optimizer;

  @Option(names = "--lr", paramLabel = "LR",
      description = "Learning rate. Default: 1.2e-3 for adam and adamw, 0.1 for sgd and"
          + " nesterov.")
  Double learningRate;

  @Option(names = "--momentum", paramLabel = "M",
      description = "Momentum of sgd and nesterov, in [0, 1). Default: 0.9.")
  Double momentum;

  @Option(names = "--weight-decay", defaultValue = "0", paramLabel = "D",
      description = "Weight decay: L2 added to the gradient, decoupled for adamw."
          + " Default: ${DEFAULT-VALUE}.")
  double weightDecay;

  @Option(names = "--lr-schedule", defaultValue = "constant",
      paramLabel = "SCHEDULE",
      description = "Learning-rate schedule over a round's steps: constant, cosine,"
          + " step:EVERY:GAMMA, milestones:GAMMA:S1,S2,... (×GAMMA at each step S), or"
          + " warmup:N:SCHEDULE (linear warm-up over N steps, then SCHEDULE)."
          + " Default: ${DEFAULT-VALUE}.")
  String lrSchedule;

  @Option(names = "--seed", defaultValue = "0", paramLabel = "S",
      description = "Seed of the initial weights, the data order and random criteria."
          + " Default: ${DEFAULT-VALUE}.")
  long seed;

  @Option(names = "--out", paramLabel = "DIR",
      description = "Run directory. Default: runs/MODEL-DATA-HASH, named from the settings and"
          + " resumed automatically.")
  Path outDirectory;

  @Option(names = "--resume",
      description = "Continue the run in --out after its last complete round.")
  boolean resume;

  @Mixin
  DeviceOption device;

  @Override
  public Integer call() throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    checkArgument(targetSparsity > 0 && targetSparsity < 1,
        "--target-sparsity must be in (0, 1): %s", targetSparsity);
    checkArgument(rate > 0 && rate < 1, "--rate must be in (0, 1): %s", rate);
    checkArgument(epochs == null || epochs > 0, "--epochs must be positive: %s", epochs);
    checkArgument(steps == null || steps > 0, "--steps must be positive: %s", steps);
    checkArgument(epochs == null || steps == null, "--epochs and --steps exclude each other");
    checkArgument(Models.names().contains(model), "--model: unknown model '%s' (known: %s)", model,
        String.join(", ", Models.names()));
    checkArgument(validation >= 0 && validation < 1, "--validation must be in [0, 1): %s",
        validation);
    RunSetup setup = new RunSetup(data, model, epochs, steps, batchSize,
        optimizer, learningRate, momentum, weightDecay, lrSchedule, validation, seed, augment,
        pretext(), classes);
    Device dev = Devices.parse(device.device);
    var schedule = PruningSchedules.imp(rate, targetSparsity);
    var pruningCriterion = PruningCriteria.byName(pruning.criterion, seed);
    ParameterSelector selector = selector();
    TrainTestSplit split = setup.loadData();
    ImageDataset train = split.train();
    Rewind rewindTo = parseRewind(setup, split);
    boolean resumeRun = resume || outDirectory == null;

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
          : defaultRunDirectory(imp.settingsFingerprint(net, task));
      // the run store says "resume it"; on the command line that is a flag
      checkArgument(resumeRun || !Files.exists(runDir.resolve(RunStore.CONFIG)),
          "--out %s already holds a run; add --resume to continue it or choose another --out",
          runDir);
      int rounds = schedule.rounds();
      out.printf(Locale.ROOT, "lth imp: %s on %s (%s), %s, %d rounds to %.2f%% sparsity, %s steps"
          + " per round on %s%n", model, data, train, setup.taskName(), rounds,
          100 * schedule.sparsityAfter(rounds).orElse(0), Table.count(task.totalSteps()), dev);
      out.printf("run directory: %s%n", runDir);
      out.flush();
      ImpResult result = imp.toBuilder()
          .optRunDirectory(runDir)
          .optResume(resumeRun)
          .addListener(new ProgressReporter(System.err, out, task.primaryMetric(), task.totalSteps()))
          .build()
          .run(net, task);
      printSummary(out, result, runDir);
    }
    return 0;
  }

  /** --task, lower case, with {@code classify} read as {@code classification}. */
  private String taskName() {
    String name = task.trim().toLowerCase(Locale.ROOT);
    return name.equals("classify") ? "classification" : name;
  }

  /** The self-supervised task the flags describe, or null for classification. */
  private Pretext pretext() {
    String name = taskName();
    if (name.equals("classification")) {
      List<String> given = new ArrayList<>();
      Object[][] flags = {{"--temperature", temperature}, {"--embedding-dim", embeddingDim},
          {"--views", views}, {"--memory-momentum", memoryMomentum}, {"--labelled", labelled},
          {"--labelled-classes", labelledClasses}};
      for (Object[] f : flags) {
        if (f[1] != null) {
          given.add((String) f[0]);
        }
      }
      checkArgument(given.isEmpty(), "%s %s to the self-supervised tasks, not to --task"
          + " classification", String.join(", ", given), given.size() == 1 ? "applies"
          : "apply");
      return null;
    }
    checkArgument(Pretext.NAMES.contains(name), "--task: unknown task '%s' (known:"
        + " classification, %s)", task, String.join(", ", Pretext.NAMES));
    Pretext p = Pretext.parse(name);
    if (temperature != null) {
      p = p.withTemperature(temperature);
    }
    if (embeddingDim != null) {
      p = p.withEmbeddingDimension(embeddingDim);
    }
    if (views != null) {
      p = p.withViews(Views.parse(views));
    }
    if (memoryMomentum != null) {
      p = p.withMemoryMomentum(memoryMomentum);
    }
    checkArgument(labelled == null || labelledClasses == null,
        "--labelled and --labelled-classes exclude each other");
    checkArgument(p.kind() == Pretext.Kind.S4L || (labelled == null && labelledClasses == null),
        "%s applies to s4l, not %s", labelled != null ? "--labelled" : "--labelled-classes",
        name);
    if (labelled != null || labelledClasses != null) {
      double percent = labelled != null ? labelled : labelledClasses;
      String flag = labelled != null ? "--labelled" : "--labelled-classes";
      checkArgument(percent > 0 && percent <= 100, "%s must be in (0, 100]: %s", flag, percent);
      p = p.withLabelled(percent / 100, labelledClasses != null);
    }
    return p;
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

  /** The model's preset (what its paper prunes), unless --include replaces it. */
  private ParameterSelector selector() {
    ParameterSelector s = pruning.include != null ? ParameterSelectors.matching(pruning.include)
        : Models.defaultPrunable(model);
    if (pruning.exclude != null) {
      s = s.and(ParameterSelectors.excluding(pruning.exclude));
    }
    return depth != null ? s.and(ParameterSelectors.firstLayers(depth)) : s;
  }

  /** Pre-trained weights come from .npz, .safetensors or a DJL .params file of the same model. */
  private Rewind parseRewind(RunSetup setup, TrainTestSplit split)
      throws java.io.IOException {
    if (rewind.startsWith("pretrained:")) {
      Path file = Path.of(rewind.substring("pretrained:".length()));
      checkArgument(Files.isRegularFile(file), "--rewind pretrained: file %s not found", file);
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

  /**
   * runs/MODEL-DATA-HASH, HASH from the run's settings fingerprint (config.json's
   * settings_sha256): the same settings find (and resume) the same directory.
   */
  private Path defaultRunDirectory(String settingsFingerprint) {
    String dataName = Path.of(data).getFileName().toString();
    // classification runs keep the directory names they had before other tasks existed
    String taskPart = taskName().equals("classification") ? "" : taskName() + "-";
    return Path.of("runs", model + "-" + taskPart + dataName + "-"
        + settingsFingerprint.substring(0, 8));
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
