package io.github.lth.djl.transfer;

import static com.google.common.base.Preconditions.checkArgument;

import ai.djl.Device;
import ai.djl.ndarray.types.Shape;
import io.github.lth.core.Imp;
import io.github.lth.core.ImpResult;
import io.github.lth.core.Mask;
import io.github.lth.core.Metrics;
import io.github.lth.core.Round;
import io.github.lth.core.Seeds;
import io.github.lth.core.SparsityControllers;
import io.github.lth.core.TrainingContext;
import io.github.lth.core.TrainingListener;
import io.github.lth.core.Weights;
import io.github.lth.core.rewind.Rewinds;
import io.github.lth.core.schedule.PruningSchedules;
import io.github.lth.djl.DjlModel;
import io.github.lth.djl.data.ImageDataset;
import io.github.lth.djl.data.TrainTestSplit;
import io.github.lth.djl.models.Models;
import io.github.lth.djl.train.ClassificationTask;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * A miniature of Chen et al.'s transfer experiment on one data set split by classes: a dense
 * model is pre-trained on the source classes (θp); IMP from θp finds masks mP on the source and
 * mT on the target classes; then, at every sparsity and over several seeds, subnetworks train on
 * the target by full fine-tuning and by a linear probe:
 *
 * <ul>
 *   <li>{@code dense}: θp, no mask (the reference of the verdicts);
 *   <li>{@code mP,θp}, {@code mT,θp}, {@code mT,θ0} and {@code mT,θ5%} (θp trained on the target
 *       for 5 % of a round's steps, Chen et al.'s early rewinding point);
 *   <li>{@code random-mask} (mP's per-layer counts, drawn at random, from θp) and
 *       {@code reinit} (mP from a fresh random initialization).
 * </ul>
 *
 * <pre>{@code
 * List<TransferRecord> records = TransferStudy.run(DataSources.load("fashion-mnist"),
 *     TransferStudy.Settings.defaults(), Device.cpu(), Path.of("runs/reproduce"), System.out::println);
 * }</pre>
 */
public final class TransferStudy {
  /** The configurations in the order they are trained and plotted. */
  public static final List<String> CONFIGURATIONS = List.of("dense", "mP,θp", "mT,θp", "mT,θ0",
      "mT,θ5%", "random-mask", "reinit");

  private TransferStudy() {}

  /**
   * What the study trains.
   *
   * @param perClass training images kept per class of each side (0: all)
   * @param epochs epochs of every training (pre-training, IMP rounds, transfers)
   * @param configurations which of {@link #CONFIGURATIONS} are transferred, {@code dense}
   *     always among them; {@code mP,θp} is Iofinova et al.'s upstream pruning (during
   *     pre-training), {@code mT,θp} their downstream pruning (during transfer)
   * @param targetSamplesPercent the low-shot setting: % of each target class's training images
   *     the transfers train on (the IMP on the target uses them all)
   * @param permuteTargetLabels whether the transfers train on the target with permuted labels
   */
  public record Settings(String model, int[] sourceClasses, int[] targetClasses, int perClass,
      int epochs, double rate, double targetSparsity, int seeds, List<TransferMode> modes,
      List<String> configurations, double targetSamplesPercent, boolean permuteTargetLabels,
      double validation, int batchSize, double learningRate, long seed) {
    public Settings {
      checkArgument(Models.names().contains(model), "model: unknown model '%s'", model);
      checkArgument(sourceClasses.length > 1 && targetClasses.length > 1,
          "source and target need at least 2 classes each");
      checkArgument(perClass >= 0, "images per class must be >= 0: %s", perClass);
      checkArgument(epochs > 0, "epochs must be positive: %s", epochs);
      checkArgument(seeds >= 2, "a verdict needs at least 2 seeds: %s", seeds);
      checkArgument(!modes.isEmpty(), "no transfer mode");
      checkArgument(configurations.contains("dense"), "the configurations must include dense,"
          + " the reference of the verdicts: %s", configurations);
      for (String c : configurations) {
        checkArgument(CONFIGURATIONS.contains(c), "unknown configuration '%s' (known: %s)", c,
            String.join(", ", CONFIGURATIONS));
      }
      checkArgument(targetSamplesPercent > 0 && targetSamplesPercent <= 100,
          "% of samples per class must be in (0, 100]: %s", targetSamplesPercent);
      sourceClasses = sourceClasses.clone();
      targetClasses = targetClasses.clone();
      modes = List.copyOf(modes);
      configurations = CONFIGURATIONS.stream().filter(configurations::contains).toList();
    }

    /**
     * Fashion-MNIST classes 0–4 → 5–9, LeNet-300-100, all images, 2 epochs per training,
     * 20 % per round to 89.26 %, 3 seeds, both modes, every configuration.
     */
    public static Settings defaults() {
      return new Settings("lenet300", new int[] {0, 1, 2, 3, 4}, new int[] {5, 6, 7, 8, 9}, 0,
          2, 0.2, 0.9, 3, List.of(TransferMode.FULL, TransferMode.LINEAR), CONFIGURATIONS, 100,
          false, 0.1, 60, 1.2e-3, 0);
    }

    /** The same with 200 images per class, 1 epoch, 50 % per round to 75 % and 2 seeds. */
    public static Settings quick() {
      return new Settings("lenet300", new int[] {0, 1, 2, 3, 4}, new int[] {5, 6, 7, 8, 9}, 200,
          1, 0.5, 0.8, 2, List.of(TransferMode.FULL, TransferMode.LINEAR), CONFIGURATIONS, 100,
          false, 0.1, 60, 1.2e-3, 0);
    }

    public Settings withSeeds(int count) {
      return new Settings(model, sourceClasses, targetClasses, perClass, epochs, rate,
          targetSparsity, count, modes, configurations, targetSamplesPercent,
          permuteTargetLabels, validation, batchSize, learningRate, seed);
    }

    public Settings withModes(List<TransferMode> chosen) {
      return new Settings(model, sourceClasses, targetClasses, perClass, epochs, rate,
          targetSparsity, seeds, chosen, configurations, targetSamplesPercent,
          permuteTargetLabels, validation, batchSize, learningRate, seed);
    }

    public Settings withConfigurations(List<String> chosen) {
      return new Settings(model, sourceClasses, targetClasses, perClass, epochs, rate,
          targetSparsity, seeds, modes, chosen, targetSamplesPercent, permuteTargetLabels,
          validation, batchSize, learningRate, seed);
    }

    /** The low-shot and permuted-label settings of the transfers. */
    public Settings withTarget(double samplesPercent, boolean permuteLabels) {
      return new Settings(model, sourceClasses, targetClasses, perClass, epochs, rate,
          targetSparsity, seeds, modes, configurations, samplesPercent, permuteLabels,
          validation, batchSize, learningRate, seed);
    }

    /** The settings as written to the study's settings.json. */
    public Map<String, Object> asMap() {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("model", model);
      m.put("source_classes", sourceClasses);
      m.put("target_classes", targetClasses);
      m.put("images_per_class", perClass);
      m.put("epochs", epochs);
      m.put("rate", rate);
      m.put("target_sparsity", targetSparsity);
      m.put("seeds", seeds);
      m.put("modes", modes.stream().map(TransferMode::label).toList());
      m.put("configurations", configurations);
      m.put("target_samples_percent", targetSamplesPercent);
      m.put("permute_target_labels", permuteTargetLabels);
      m.put("validation", validation);
      m.put("batch_size", batchSize);
      m.put("learning_rate", learningRate);
      m.put("seed", seed);
      return m;
    }
  }

  /**
   * Runs the study; the two IMP runs are stored (and resumed) under {@code out/source-imp} and
   * {@code out/target-imp}.
   *
   * @param progress receives one line per finished step of the study
   */
  public static List<TransferRecord> run(TrainTestSplit data, Settings s, Device device,
      Path out, Consumer<String> progress) {
    TrainTestSplit source = side(data, s.sourceClasses(), s);
    TrainTestSplit target = side(data, s.targetClasses(), s);
    ImageDataset image = data.train();
    Shape input = new Shape(1, image.channels(), image.height(), image.width());
    List<TransferRecord> records = new ArrayList<>();
    try (ClassificationTask sourceTask = task(source, s, 0);
        ClassificationTask targetTask = task(target, s, 0);
        DjlModel sourceModel = model(s, source.classes(), input, device, s.seed())) {
      Weights theta0 = sourceModel.state();
      sourceTask.train(sourceModel, SparsityControllers.unchanged(),
          new TrainingContext(0, Seeds.derive(s.seed(), "pretrain", 0), TrainingListener.NONE, 0));
      Weights thetaP = sourceModel.state();
      progress.accept(String.format("pre-trained on %s: %s", source.train().name(),
          sourceTask.evaluate(sourceModel)));

      ImpResult sourceImp = imp(s, out.resolve("source-imp"), "θp", thetaP, sourceModel,
          sourceTask);
      progress.accept("mP: IMP on the source, " + describe(sourceImp));
      Weights thetaPTarget;
      ImpResult targetImp;
      Weights theta5;
      try (DjlModel targetModel = model(s, target.classes(), input, device, s.seed())) {
        Transfer.prepare(targetModel, thetaP, Mask.dense(Map.of()));
        thetaPTarget = targetModel.state();
        targetImp = imp(s, out.resolve("target-imp"), "θp", thetaPTarget, targetModel,
            targetTask);
        progress.accept("mT: IMP on the target, " + describe(targetImp));
        long early = Math.max(1, Math.round(0.05 * targetTask.totalSteps()));
        targetModel.load(thetaPTarget);
        targetModel.applyMask(Mask.dense(Map.of()));
        try (ClassificationTask earlyTask = task(target, s, early)) {
          earlyTask.train(targetModel, SparsityControllers.unchanged(), new TrainingContext(0,
              Seeds.derive(s.seed(), "early", 0), TrainingListener.NONE, 0));
        }
        theta5 = targetModel.state();
      }
      checkArgument(sourceImp.rounds().size() == targetImp.rounds().size(),
          "the two IMP runs have different numbers of rounds");

      TrainTestSplit transferTarget = new TargetData(new int[0], s.targetSamplesPercent(), 100,
          s.permuteTargetLabels(), s.seed()).apply(target);
      int rounds = sourceImp.rounds().size();
      try (ClassificationTask transferTask = task(transferTarget, s, 0)) {
        TransferTrainer trainer = new TransferTrainer(s.model(), transferTarget, transferTask,
            s.validation(), s.seed(), s.batchSize(), device);
        for (int r = 0; r < rounds; r++) {
          Mask mP = sourceImp.rounds().get(r).mask();
          Mask mT = targetImp.rounds().get(r).mask();
          for (int i = 0; i < s.seeds(); i++) {
            long seed = Seeds.derive(s.seed(), "transfer", i);
            for (String configuration : s.configurations()) {
              if (r == 0 != configuration.equals("dense")) {
                continue;
              }
              Mask mask = switch (configuration) {
                case "dense", "mP,θp", "reinit" -> mP;
                case "random-mask" -> mP.randomLike(Seeds.derive(seed, "random-mask", r));
                default -> mT;
              };
              Weights start = switch (configuration) {
                case "mT,θ0" -> theta0;
                case "mT,θ5%" -> theta5;
                case "reinit" -> trainer.freshWeights(Seeds.derive(seed, "reinit", r));
                default -> thetaP;
              };
              for (TransferMode mode : s.modes()) {
                Metrics metrics = trainer.train(mode, start, mask, Seeds.derive(seed, "head", r),
                    seed);
                records.add(new TransferRecord(mode, configuration, r, mask.sparsity(), i,
                    metrics));
              }
            }
          }
          progress.accept(String.format("transferred round %d (%.2f%% sparse): %s", r,
              100 * mP.sparsity(), summary(records, r)));
        }
      }
    }
    return records;
  }

  private static String summary(List<TransferRecord> records, int round) {
    Map<String, double[]> sums = new LinkedHashMap<>();
    for (TransferRecord t : records) {
      if (t.round() == round) {
        double[] acc = sums.computeIfAbsent(t.mode().label() + " " + t.configuration(),
            k -> new double[2]);
        acc[0] += t.metrics().get("test_accuracy");
        acc[1]++;
      }
    }
    List<String> parts = new ArrayList<>();
    sums.forEach((k, v) -> parts.add(String.format("%s %.2f%%", k, 100 * v[0] / v[1])));
    return String.join(", ", parts);
  }

  private static String describe(ImpResult r) {
    Round last = r.last();
    return String.format("%d rounds to %.2f%%", r.rounds().size() - 1, 100 * last.sparsity());
  }

  private static TrainTestSplit side(TrainTestSplit data, int[] classes, Settings s) {
    ImageDataset train = data.train().classSubset(classes);
    if (s.perClass() > 0) {
      train = train.samplePerClass(s.perClass(), s.seed());
    }
    return new TrainTestSplit(train, data.test().classSubset(classes));
  }

  private static ClassificationTask task(TrainTestSplit side, Settings s, long steps) {
    ClassificationTask.Builder b = ClassificationTask.builder().setTrainData(side.train())
        .setTestData(side.test()).optValidation(s.validation(), s.seed())
        .optBatchSize(s.batchSize()).optLearningRate(s.learningRate());
    if (steps > 0) {
      b.optSteps(steps);
    } else {
      b.optEpochs(s.epochs());
    }
    return b.build();
  }

  private static DjlModel model(Settings s, int classes, Shape input, Device device, long seed) {
    return DjlModel.create(Models.create(s.model(), (int) input.get(1), (int) input.get(2),
        (int) input.get(3), classes), input, device, seed);
  }

  private static ImpResult imp(Settings s, Path dir, String name, Weights start, DjlModel model,
      ClassificationTask task) {
    return Imp.builder().setSchedule(PruningSchedules.imp(s.rate(), s.targetSparsity()))
        .optRewind(Rewinds.toPretrained(name, start)).optSelector(Models.defaultPrunable(
            s.model())).optSeed(s.seed()).optRunDirectory(dir).optResume(true)
        .optSetting("model", s.model()).build().run(model, task);
  }

}
