package io.github.lth.cli;

import static com.google.common.base.Preconditions.checkArgument;

import ai.djl.Device;
import com.google.gson.Gson;
import com.google.gson.JsonObject;
import io.github.lth.core.Mask;
import io.github.lth.core.Metrics;
import io.github.lth.core.Round;
import io.github.lth.core.Seeds;
import io.github.lth.core.SparseTraining;
import io.github.lth.core.Weights;
import io.github.lth.core.run.RunStore;
import io.github.lth.core.run.StoredBranch;
import io.github.lth.core.run.StoredRun;
import io.github.lth.djl.DjlModel;
import io.github.lth.djl.Devices;
import io.github.lth.djl.data.DataSources;
import io.github.lth.djl.data.TrainTestSplit;
import io.github.lth.djl.train.ClassificationTask;
import io.github.lth.djl.transfer.TargetData;
import io.github.lth.djl.transfer.Transfer;
import io.github.lth.djl.transfer.TransferMode;
import io.github.lth.djl.transfer.TransferRecord;
import io.github.lth.djl.transfer.TransferTrainer;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code lth transfer}: trains the tickets of a finished {@code lth imp} run on another task
 * (full fine-tuning or a linear probe), beside the dense network and controls, over several
 * seeds, and writes results.csv, verdicts and a plot.
 *
 * <pre>{@code
 * lth transfer --ticket runs/lenet --data /data/kmnist --mode full,linear --seeds 3
 * }</pre>
 */
@Command(
    name = "transfer",
    mixinStandardHelpOptions = true,
    versionProvider = VersionProvider.class,
    sortOptions = false,
    description = {
        "Transfer the tickets of an IMP run to a target task.",
        "",
        "Each chosen round's mask, on the weights the run rewinds to, trains on the target with"
            + " a fresh head sized to the target's classes: by full fine-tuning (the mask fixed)"
            + " or by a linear probe (frozen backbone, features computed once). Beside it, over"
            + " the same seeds: the dense network from the same weights (the reference), a"
            + " layer-wise random mask and the mask from a random re-initialization. Training"
            + " settings (epochs, batch size, optimizer) are the run's. Writes results.csv (one"
            + " row per training), verdicts.json and verdicts.csv (matching: mean within one"
            + " standard deviation of dense; δ: relative increase in error) and a plot per"
            + " mode.",
    },
    footer = {
        "",
        "Examples:",
        "  # classes 5-9 of Fashion-MNIST, both modes, every round",
        "  lth transfer --ticket runs/lenet --data fashion-mnist --classes 5,6,7,8,9"
            + " --mode full,linear",
        "  # low-shot: 10 % of each class's training images, round 5 only",
        "  lth transfer --ticket runs/lenet --data /data/kmnist --round 5 --low-shot 10",
        "  # a RotNet ticket's trained features, then those of its reinit branch",
        "  lth transfer --ticket runs/rotnet --weights trained --data fashion-mnist"
            + " --classes 5,6,7,8,9 --mode linear",
        "  lth transfer --ticket runs/rotnet --branch reinit --weights trained"
            + " --data fashion-mnist --classes 5,6,7,8,9 --mode linear",
    })
final class TransferCommand implements Callable<Integer> {

  /** The configurations beside the ticket, in plotting order. */
  static final List<String> CONTROLS = List.of("random-mask", "reinit");

  @Spec
  CommandSpec spec;

  @Option(names = "--ticket", required = true, paramLabel = "RUN",
      description = "Run directory made by lth imp.")
  Path ticket;

  @ArgGroup(exclusive = true)
  RoundChoice roundChoice;

  static final class RoundChoice {
    @Option(names = "--round", split = ",", paramLabel = "N",
        description = "Rounds whose tickets transfer, e.g. 5 or 3,5,7.")
    List<Integer> rounds;

    @Option(names = "--all-rounds", description = "Every pruned round (the default).")
    boolean all;
  }

  @Option(names = "--weights", paramLabel = "rewind|trained",
      description = "The weights each ticket starts from: the run's rewind point (θ0, θp or the"
          + " late-rewinding point), or the round's own trained weights (what the run's task,"
          + " e.g. a self-supervised one, taught the subnetwork: Caron et al.'s protocol; the"
          + " dense reference is then round 0's trained network). Default: trained for a run"
          + " of lth train (a sparse training method's model is its trained weights), rewind"
          + " otherwise.")
  String weights;

  @Option(names = "--branch", paramLabel = "NAME",
      description = "Take the masks and trained weights from the run's branch NAME (lth branch,"
          + " e.g. reinit) instead of its rounds; needs --weights trained.")
  String branch;

  @Option(names = "--data", required = true, paramLabel = "fashion-mnist|embedded|DIR",
      description = "Target data: an IDX directory, CIFAR binary directory or image folder.")
  String data;

  @Option(names = "--classes", split = ",", paramLabel = "C",
      description = "Keep only these classes of the target, relabelled in this order.")
  int[] classes;

  @Option(names = "--low-shot", paramLabel = "X",
      description = "Train on X % of each class's training images (0 < X <= 100).")
  Double lowShot;

  @Option(names = "--class-fraction", paramLabel = "X",
      description = "Keep the first X % of the classes (0 < X <= 100).")
  Double classFraction;

  @Option(names = "--permute-labels",
      description = "Train on the target with its labels permuted among the images.")
  boolean permuteLabels;

  @Option(names = "--mode", split = ",", defaultValue = "full", paramLabel = "full|linear",
      description = "full (fine-tune, mask fixed), linear (probe), or both: full,linear."
          + " Default: ${DEFAULT-VALUE}.")
  List<String> modes;

  @Option(names = "--seeds", defaultValue = "3", paramLabel = "K",
      description = "Seeds per configuration (at least 2 for a verdict). Default:"
          + " ${DEFAULT-VALUE}.")
  int seeds;

  @Option(names = "--controls", split = ",", defaultValue = "random-mask,reinit",
      paramLabel = "NAME", description = "Controls beside the ticket: random-mask, reinit, or"
          + " none. Default: ${DEFAULT-VALUE}.")
  List<String> controls;

  @Option(names = "--epochs", paramLabel = "E",
      description = "Epochs of every training on the target. Default: the run's.")
  Integer epochs;

  @Option(names = "--steps", paramLabel = "N",
      description = "Steps of every training on the target, instead of --epochs.")
  Long steps;

  @Option(names = "--out", paramLabel = "DIR",
      description = "Output directory. Default: RUN/transfers/DATA (with the cut's flags).")
  Path out;

  @Mixin
  DeviceOption device;

  @Override
  public Integer call() throws Exception {
    PrintWriter stdout = spec.commandLine().getOut();
    checkArgument(seeds >= 2, "--seeds %s: a verdict needs at least 2 seeds", seeds);
    List<TransferMode> chosenModes = modes.stream().map(TransferMode::parse).distinct().toList();
    List<String> chosenControls = controls.equals(List.of("none")) ? List.of() : controls;
    for (String c : chosenControls) {
      checkArgument(CONTROLS.contains(c), "--controls: unknown control '%s' (known: %s, none)",
          c, String.join(", ", CONTROLS));
    }
    checkArgument(epochs == null || epochs > 0, "--epochs must be positive: %s", epochs);
    checkArgument(steps == null || steps > 0, "--steps must be positive: %s", steps);
    checkArgument(epochs == null || steps == null, "--epochs and --steps exclude each other");
    StoredRun run = StoredRun.open(ticket);
    if (weights == null) {
      boolean sparseTraining = run.settings().has("schedule")
          && run.settings().get("schedule").getAsString().equals(SparseTraining.SCHEDULE);
      weights = sparseTraining ? "trained" : "rewind";
    }
    checkArgument(weights.equals("rewind") || weights.equals("trained"),
        "--weights: unknown weights '%s' (use rewind or trained)", weights);
    boolean trained = weights.equals("trained");
    checkArgument(branch == null || trained, "--branch %s: a branch's rounds transfer with"
        + " their trained weights; add --weights trained", branch);
    TargetData cut = targetData();
    Tickets tickets = Tickets.of(run, ticket, branch, trained);
    RunSetup runSetup = RunSetup.fromRun(run.settings(), ticket);
    List<Integer> rounds = rounds(tickets.available());
    TrainTestSplit target = cut.apply(DataSources.load(data));
    Path dir = out != null ? out : defaultOut();
    checkArgument(!Files.exists(dir) || Files.isDirectory(dir), "--out %s is a file", dir);
    boolean ownLength = epochs != null || steps != null;
    RunSetup setup = new RunSetup(data, runSetup.model(),
        ownLength ? epochs : runSetup.epochs(), ownLength ? steps : runSetup.steps(),
        runSetup.batchSize(), runSetup.optimizer(), runSetup.learningRate(),
        runSetup.momentum(), runSetup.weightDecay(), runSetup.lrSchedule(),
        runSetup.validation(), runSetup.seed(), runSetup.augmentation());
    Device dev = Devices.parse(device.device);
    List<TransferRecord> records = new ArrayList<>();
    Map<String, Object> settings = new LinkedHashMap<>();
    settings.put("ticket", ticket.toString());
    settings.put("rounds", rounds);
    settings.put("rewind", run.rewind());
    settings.put("weights", weights);
    if (branch != null) {
      settings.put("branch", branch);
    }
    settings.put("data", data);
    settings.put("target", cut.asMap());
    settings.put("modes", chosenModes.stream().map(TransferMode::label).toList());
    settings.put("seeds", seeds);
    settings.put("controls", chosenControls);
    settings.put("epochs", setup.epochs());
    settings.put("steps", setup.steps());
    try (ClassificationTask task = setup.classificationTask(target)) {
      TransferTrainer trainer = new TransferTrainer(setup.model(), target, task,
          setup.validation(), setup.seed(), setup.batchSize(), dev);
      // every mask must fit the target's model before anything trains or is written
      try (DjlModel probe = trainer.freshModel(0)) {
        for (int r : rounds) {
          try {
            Transfer.checkFits(probe, tickets.start(r), tickets.mask(r));
          } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(String.format("--ticket %s round %d does not fit"
                + " %s's model for --data %s: %s", ticket, r, setup.model(), data,
                e.getMessage()), e);
          }
        }
      }
      Files.createDirectories(dir);
      TransferCheckpoint checkpoint = TransferCheckpoint.open(dir,
          checkpointKey(settings, run, dev), stdout);
      try (StopNotice notice = StopNotice.install(spec.commandLine().getErr(), "lth transfer",
          () -> "the finished trainings are kept in " + dir.resolve(TransferCheckpoint.DIRECTORY)
              + "; run the same command to continue")) {
        stdout.printf(Locale.ROOT, "lth transfer: %s rounds %s to %s (%d classes, %s training"
                + " images), %s, %d seeds, into %s%n", ticket, rounds, target.train().name(),
            target.classes(), Table.count(target.train().size()),
            String.join("+", chosenModes.stream().map(TransferMode::label).toList()), seeds, dir);
        stdout.flush();
        Mask dense = run.round(0).mask();
        Weights denseStart = tickets.denseStart();
        for (int i = 0; i < seeds; i++) {
          long seed = Seeds.derive(run.seed(), "transfer", i);
          for (TransferMode mode : chosenModes) {
            records.add(record(checkpoint, trainer, mode, "dense", 0, dense, denseStart, i, seed));
          }
        }
        for (int r : rounds) {
          Mask mask = tickets.mask(r);
          Weights start = tickets.start(r);
          for (int i = 0; i < seeds; i++) {
            long seed = Seeds.derive(run.seed(), "transfer", i);
            for (TransferMode mode : chosenModes) {
              records.add(record(checkpoint, trainer, mode, "ticket", r, mask, start, i, seed));
              for (String control : chosenControls) {
                Mask controlMask = control.equals("random-mask")
                    ? mask.randomLike(Seeds.derive(seed, "random-mask", r)) : mask;
                Weights controlStart = control.equals("reinit")
                    ? trainer.freshWeights(Seeds.derive(seed, "reinit", r)) : start;
                records.add(record(checkpoint, trainer, mode, control, r, controlMask, controlStart,
                    i, seed));
              }
            }
          }
          stdout.printf(Locale.ROOT, "transferred round %d (%.2f%% sparse)%n", r,
              100 * mask.sparsity());
          stdout.flush();
        }
      }
      if (checkpoint.reused() > 0) {
        stdout.printf("continued: %d trainings were already done in %s%n", checkpoint.reused(),
            dir.resolve(TransferCheckpoint.DIRECTORY));
      }
    }
    TransferOutputs.write(dir, records, settings, "transfer of " + ticket.getFileName() + " to "
        + target.train().name(), stdout);
    return 0;
  }

  /**
   * What decides one training's result, and so whether a stored one can stand in for it: the
   * ticket's (and branch's) settings, the weights, the target data and its cut, the training
   * length and the device — not the rounds, modes, seeds and controls chosen, which only say
   * which trainings there are (each stored training is named after its own).
   */
  private JsonObject checkpointKey(Map<String, Object> settings, StoredRun run, Device dev)
      throws IOException {
    Map<String, Object> key = new LinkedHashMap<>(settings);
    key.keySet().removeAll(List.of("rounds", "modes", "seeds", "controls"));
    JsonObject json = new Gson().toJsonTree(key).getAsJsonObject();
    // a run or branch made again under the same name is another ticket
    json.addProperty("ticket_settings_sha256", run.settingsFingerprint());
    if (branch != null) {
      json.addProperty("branch_settings_sha256", RunStore.settingsFingerprint(StoredBranch.read(
          ticket.resolve(RunStore.BRANCHES).resolve(branch)).settings()));
    }
    json.addProperty("device", dev.toString());
    return json;
  }

  private static TransferRecord record(TransferCheckpoint checkpoint, TransferTrainer trainer,
      TransferMode mode, String configuration, int round, Mask mask, Weights start,
      int seedIndex, long seed) throws IOException {
    return checkpoint.getOrTrain(mode, configuration, round, seedIndex, () -> {
      Metrics m = trainer.train(mode, start, mask, Seeds.derive(seed, "head", round), seed);
      return new TransferRecord(mode, configuration, round, mask.sparsity(), seedIndex, m);
    });
  }

  private TargetData targetData() {
    TargetData cut = TargetData.all();
    if (classes != null) {
      cut = cut.withClasses(classes);
    }
    if (lowShot != null) {
      checkArgument(lowShot > 0 && lowShot <= 100, "--low-shot %s: x % must be in (0, 100]",
          lowShot);
      cut = cut.withSamplesPercent(lowShot);
    }
    if (classFraction != null) {
      checkArgument(classFraction > 0 && classFraction <= 100,
          "--class-fraction %s: x % must be in (0, 100]", classFraction);
      cut = cut.withClassesPercent(classFraction);
    }
    return cut.withPermutedLabels(permuteLabels);
  }

  /** The chosen rounds among the pruned rounds {@code available}. */
  private List<Integer> rounds(List<Integer> available) {
    checkArgument(!available.isEmpty(), "--ticket %s has no pruned round yet%s", ticket,
        branch == null ? "" : " in branch " + branch);
    if (roundChoice == null || roundChoice.rounds == null) {
      return available;
    }
    for (int r : roundChoice.rounds) {
      checkArgument(available.contains(r), "--round %s: %s has pruned rounds %s", r,
          branch == null ? ticket : ticket + " branch " + branch, available);
    }
    return roundChoice.rounds.stream().distinct().sorted().toList();
  }

  private Path defaultOut() {
    StringBuilder name = new StringBuilder(Path.of(data).getFileName().toString());
    if (classes != null) {
      name.append("-classes");
      for (int c : classes) {
        name.append('-').append(c);
      }
    }
    if (lowShot != null) {
      name.append("-low-shot-").append(Table.number(lowShot));
    }
    if (classFraction != null) {
      name.append("-class-fraction-").append(Table.number(classFraction));
    }
    if (permuteLabels) {
      name.append("-permuted-labels");
    }
    if (branch != null) {
      name.append("-branch-").append(branch);
    }
    if (weights.equals("trained")) {
      name.append("-trained");
    }
    return ticket.resolve("transfers").resolve(name.toString());
  }
}
