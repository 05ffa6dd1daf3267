package io.github.lth.cli;

import static com.google.common.base.Preconditions.checkArgument;

import io.github.lth.djl.models.Models;
import io.github.lth.djl.ssl.Pretext;
import io.github.lth.djl.ssl.Views;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import picocli.CommandLine.Option;

/**
 * The flags of every command that trains a network from scratch ({@code lth imp}, {@code lth
 * train}): data, model, task, training settings, seed and run directory, turned into a
 * {@link RunSetup}.
 *
 * <pre>{@code
 * @Mixin TrainingOptions training;
 * ...
 * RunSetup setup = training.setup();
 * }</pre>
 */
final class TrainingOptions {

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
          + " labels of --labelled %% of each class. The task's head stays dense and is replaced"
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
      description = "s4l: X %% of each class's training images keep their labels (0 < X <= 100)."
          + " Default: 10.")
  Double labelled;

  @Option(names = "--labelled-classes", paramLabel = "X",
      description = "s4l: all images of the first X %% of the classes keep their labels, instead"
          + " of --labelled.")
  Double labelledClasses;

  @Option(names = "--epochs", paramLabel = "N",
      description = "Training epochs (of each round, for lth imp). Default: 5 (unless --steps is given).")
  Integer epochs;

  @Option(names = "--steps", paramLabel = "N",
      description = "Training steps (of each round, for lth imp), instead of --epochs.")
  Long steps;

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
      description = "Learning-rate schedule over the training steps (of each round): constant, cosine,"
          + " step:EVERY:GAMMA, milestones:GAMMA:S1,S2,... (×GAMMA at each step S), or"
          + " warmup:N:SCHEDULE (linear warm-up over N steps, then SCHEDULE)."
          + " Default: ${DEFAULT-VALUE}.")
  String lrSchedule;

  @Option(names = "--seed", defaultValue = "0", paramLabel = "S",
      description = "Seed of the initial weights, the data order and random criteria."
          + " Default: ${DEFAULT-VALUE}.")
  long seed;

  @Option(names = "--out", paramLabel = "DIR",
      description = "Run directory. Default: runs/MODEL-[METHOD-][TASK-]DATA-HASH (METHOD for"
          + " lth train, TASK for a self-supervised task), named from the settings and resumed"
          + " automatically.")
  Path outDirectory;

  @Option(names = "--resume",
      description = "Continue the run in --out after its last complete round.")
  boolean resume;


  /**
   * The setting the flags describe.
   *
   * @throws IllegalArgumentException naming the flag of the first bad value
   */
  RunSetup setup() {
    checkArgument(epochs == null || epochs > 0, "--epochs must be positive: %s", epochs);
    checkArgument(steps == null || steps > 0, "--steps must be positive: %s", steps);
    checkArgument(epochs == null || steps == null, "--epochs and --steps exclude each other");
    checkArgument(Models.names().contains(model), "--model: unknown model '%s' (known: %s)", model,
        String.join(", ", Models.names()));
    checkArgument(validation >= 0 && validation < 1, "--validation must be in [0, 1): %s",
        validation);
    return new RunSetup(data, model, epochs, steps, batchSize, optimizer, learningRate, momentum,
        weightDecay, lrSchedule, validation, seed, augment, pretext(), classes);
  }

  /** Whether an existing run in the run directory is continued (always for a default one). */
  boolean resumeRun() {
    return resume || outDirectory == null;
  }

  /** --task, lower case, with {@code classify} read as {@code classification}. */
  String taskName() {
    String name = task.trim().toLowerCase(Locale.ROOT);
    return name.equals("classify") ? "classification" : name;
  }

  /** The self-supervised task the flags describe, or null for classification. */
  Pretext pretext() {
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
   * runs/MODEL-[METHOD-][TASK-]DATA-HASH, HASH from the run's settings fingerprint (config.json's
   * settings_sha256): the same settings find (and resume) the same directory.
   *
   * @param method the sparse training method, or null for IMP
   */
  Path defaultRunDirectory(String method, String settingsFingerprint) {
    String dataName = Path.of(data).getFileName().toString();
    // classification runs keep the directory names they had before other tasks existed
    String taskPart = taskName().equals("classification") ? "" : taskName() + "-";
    String methodPart = method == null ? "" : method + "-";
    return Path.of("runs", model + "-" + methodPart + taskPart + dataName + "-"
        + settingsFingerprint.substring(0, 8));
  }

}
