package io.github.lth.benchmarks.training;

import static com.google.common.base.Preconditions.checkArgument;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import io.github.lth.core.Imp;
import io.github.lth.core.ImpResult;
import io.github.lth.core.Mask;
import io.github.lth.core.ParameterInfo;
import io.github.lth.core.prune.ParameterSelectors;
import io.github.lth.core.prune.PruningCriteria;
import io.github.lth.core.schedule.PruningSchedules;
import io.github.lth.core.prune.PruningScope;
import io.github.lth.core.prune.PruningStep;
import io.github.lth.core.Round;
import io.github.lth.core.TrainingContext;
import io.github.lth.core.TrainingListener;
import io.github.lth.djl.DjlModel;
import io.github.lth.djl.data.BatchSource;
import io.github.lth.djl.data.BatchSources;
import io.github.lth.djl.data.DataSources;
import io.github.lth.djl.data.ImageBatches;
import io.github.lth.djl.data.Shuffle;
import io.github.lth.djl.data.ImageDataset;
import io.github.lth.djl.data.TrainTestSplit;
import io.github.lth.djl.models.Models;
import io.github.lth.djl.train.ClassificationTask;
import io.github.lth.djl.train.OptimizerSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Stream;

/**
 * Times LeNet-300-100 training on Fashion-MNIST (batch 60, CPU) in one JVM: lth4j's
 * {@link io.github.lth.djl.train.MaskedTrainer} ({@link TrainerLoop}) against the plain DJL
 * loop ({@link PlainDjlLoop}, DJL's own {@code Trainer}), then IMP end to end (what {@code lth
 * imp --data fashion-mnist --epochs 1 --target-sparsity 0.68} runs: round 0 plus 5 pruning
 * rounds of one epoch each, evaluation after each, run directory written). Variants:
 *
 * <ul>
 *   <li>{@code plain}, {@code plain-sgd}: DJL's {@code Trainer} with {@code Optimizer.adam()}
 *       (1.2e-3), or {@code Optimizer.sgd()} (0.05, momentum 0.9); no masks.
 *   <li>{@code unmasked}, {@code dense}, {@code sparse}: MaskedTrainer with Adam (1.2e-3)
 *       without any mask, with a mask that prunes nothing, with a 90%-sparse global magnitude
 *       mask; {@code unmasked-sgd}, {@code sparse-sgd} the same with SGD (0.05, momentum 0.9).
 *   <li>{@code task}: {@code ClassificationTask.train} with the 90%-sparse mask (the trainer
 *       plus the task's bookkeeping).
 * </ul>
 *
 * <p>Every variant first trains one warm-up epoch; then the repetitions run interleaved
 * (variant after variant, repetition after repetition) so that drifts of the machine's load
 * hit them alike; each reports the median and the best seconds per epoch. Then the step loops
 * (all but {@code task}) take turns of 50 steps on the same batches, and report the 20%
 * quantile and the median of their turns: on a machine other jobs share, that is the steadier
 * measure of the cost of a step. The ratios of both follow. Lines starting with {@code result}
 * are for scripts: {@code result NAME VALUE}.
 *
 * <pre>{@code
 * java -Dai.djl.offline=true -cp lth-benchmarks/target/benchmarks.jar \
 *     io.github.lth.benchmarks.training.TrainingSpeed --data fashion-mnist --epochs 1 \
 *     --repetitions 3 [--step-rounds 40] [--variants plain,unmasked,sparse] [--no-imp]
 * }</pre>
 */
public final class TrainingSpeed {
  private static final int BATCH = 60;
  private static final float ADAM_LR = 1.2e-3f;
  private static final float SGD_LR = 0.05f;
  private static final float SGD_MOMENTUM = 0.9f;
  private static final List<String> VARIANTS = List.of("plain", "unmasked", "dense", "sparse",
      "task", "plain-sgd", "unmasked-sgd", "sparse-sgd");
  /** Ratios printed after the timings: numerator, denominator, label, target (0: none). */
  private static final List<Ratio> RATIOS = List.of(
      new Ratio("sparse", "plain", "epoch, MaskedTrainer Adam 90%-sparse / plain DJL loop", 1.1),
      new Ratio("unmasked", "plain", "epoch, MaskedTrainer Adam unmasked / plain DJL loop", 0),
      new Ratio("dense", "plain", "epoch, MaskedTrainer Adam dense mask / plain DJL loop", 1.1),
      new Ratio("sparse", "unmasked", "masked step, Adam: 90%-sparse / unmasked", 1.03),
      new Ratio("dense", "unmasked", "masked step, Adam: dense mask / unmasked", 1.03),
      new Ratio("task", "sparse", "ClassificationTask.train / its MaskedTrainer loop", 0),
      new Ratio("sparse-sgd", "plain-sgd", "epoch, MaskedTrainer SGD 90%-sparse / plain DJL"
          + " loop SGD", 1.1),
      new Ratio("unmasked-sgd", "plain-sgd", "epoch, MaskedTrainer SGD unmasked / plain DJL"
          + " loop SGD", 0),
      new Ratio("sparse-sgd", "unmasked-sgd", "masked step, SGD: 90%-sparse / unmasked", 1.03));

  private TrainingSpeed() {}

  /** Steps per turn of the interleaved step timing. */
  private static final int BLOCK = 50;
  /** The quantile of block times that estimates a loop's undisturbed speed. */
  private static final double QUIET = 0.2;

  private record Ratio(String numerator, String denominator, String label, double target) {}

  public static void main(String[] args) throws IOException {
    if (System.getProperty("ai.djl.offline") == null) {
      System.setProperty("ai.djl.offline", "true");
    }
    Map<String, String> o = parse(args);
    String dataSpec = o.getOrDefault("data", DataSources.FASHION_MNIST);
    int epochs = positive(o, "epochs", 1);
    int repetitions = positive(o, "repetitions", 3);
    List<String> variants = List.of(o.getOrDefault("variants", String.join(",", VARIANTS))
        .split(","));
    for (String v : variants) {
      checkArgument(VARIANTS.contains(v), "--variants: unknown variant '%s' (known: %s)", v,
          String.join(",", VARIANTS));
    }
    int stepRounds = positive(o, "step-rounds", 40);
    boolean imp = !o.containsKey("no-imp");
    double impTarget = Double.parseDouble(o.getOrDefault("imp-target-sparsity", "0.68"));

    long loadStart = System.nanoTime();
    TrainTestSplit split = DataSources.load(dataSpec);
    double loadSeconds = (System.nanoTime() - loadStart) / 1e9;
    ImageDataset train = split.train();
    Engine engine = Engine.getInstance();
    System.out.printf(Locale.ROOT, "%s on %s, %s %s, intra-op threads %d, inter-op threads %d,"
        + " %d cores; data loaded in %.2f s%n", train, Device.cpu(), engine.getEngineName(),
        engine.getVersion(), JniUtils.getNumThreads(), JniUtils.getNumInteropThreads(),
        Runtime.getRuntime().availableProcessors(), loadSeconds);
    result("threads", JniUtils.getNumThreads());
    result("interop_threads", JniUtils.getNumInteropThreads());
    result("load_s", loadSeconds);

    Map<String, Contender> contenders = new LinkedHashMap<>();
    List<AutoCloseable> resources = new ArrayList<>();
    ImageBatches images = BatchSources.of(train);
    resources.add(images);
    OptimizerSpec adam = OptimizerSpec.adam(ADAM_LR);
    OptimizerSpec sgd = OptimizerSpec.sgd(SGD_LR, SGD_MOMENTUM);
    try {
      for (String v : variants) {
        switch (v) {
          case "plain", "plain-sgd" -> {
            PlainDjlLoop loop = new PlainDjlLoop(images, split.classes(), BATCH,
                v.equals("plain") ? PlainDjlLoop.adam(ADAM_LR)
                    : PlainDjlLoop.sgd(SGD_LR, SGD_MOMENTUM));
            resources.add(loop);
            contenders.put(v, loop);
          }
          case "task" -> {
            ClassificationTask task = ClassificationTask.builder().setTrainData(train)
                .setTestData(split.test()).optEpochs(epochs).optBatchSize(BATCH)
                .optOptimizer("adam").optLearningRate(ADAM_LR).build();
            resources.add(task);
            DjlModel model = newModel(split, resources);
            Mask mask = sparseMask(model, 0.9);
            // the task trains its configured epochs: time one call per repetition
            contenders.put(v, new Contender() {
              @Override
              public long runEpochs(int e, long seed) {
                return task.train(model, mask, new TrainingContext(0, seed,
                    TrainingListener.NONE)).steps();
              }

              @Override
              public void runSteps(BatchSource.Epoch order, int from, int count) {
                throw new UnsupportedOperationException("a task trains whole epochs");
              }
            });
          }
          default -> {
            DjlModel model = newModel(split, resources);
            Mask mask = v.startsWith("unmasked") ? null
                : v.equals("dense") ? denseMask(model) : sparseMask(model, 0.9);
            TrainerLoop loop = new TrainerLoop(model, mask, v.endsWith("-sgd") ? sgd : adam,
                images, BATCH);
            resources.add(loop);
            contenders.put(v, loop);
          }
        }
      }
      Map<String, Double> epochSeconds = timeEpochs(contenders, epochs, repetitions);
      Map<String, double[]> stepMicros = timeSteps(contenders, images, stepRounds);
      ratios(epochSeconds, stepMicros);
      if (imp) {
        runImp(split, impTarget);
      }
    } finally {
      for (int i = resources.size() - 1; i >= 0; i--) {
        try {
          resources.get(i).close();
        } catch (Exception e) {
          System.err.println("closing failed: " + e);
        }
      }
    }
  }

  /** Times whole epochs of every contender; returns the median seconds per epoch of each. */
  private static Map<String, Double> timeEpochs(Map<String, Contender> contenders, int epochs,
      int repetitions) {
    long seed = 1;
    Map<String, Long> stepsPerEpoch = new LinkedHashMap<>();
    for (Map.Entry<String, Contender> c : contenders.entrySet()) {
      long t = System.nanoTime();
      c.getValue().runEpochs(1, seed++);
      System.out.printf(Locale.ROOT, "warm-up %-14s %.2f s%n", c.getKey(),
          (System.nanoTime() - t) / 1e9);
    }
    Map<String, double[]> seconds = new LinkedHashMap<>();
    contenders.keySet().forEach(k -> seconds.put(k, new double[repetitions]));
    for (int r = 0; r < repetitions; r++) {
      for (Map.Entry<String, Contender> c : contenders.entrySet()) {
        long t = System.nanoTime();
        long steps = c.getValue().runEpochs(epochs, seed++);
        seconds.get(c.getKey())[r] = (System.nanoTime() - t) / 1e9 / epochs;
        stepsPerEpoch.put(c.getKey(), steps / epochs);
      }
    }
    System.out.printf(Locale.ROOT, "%nwhole epochs%n%-14s %9s %9s %10s %s%n", "variant",
        "median s", "best s", "steps/s", "(all repetitions, s/epoch)");
    Map<String, Double> medians = new LinkedHashMap<>();
    for (Map.Entry<String, double[]> e : seconds.entrySet()) {
      double m = median(e.getValue());
      double best = Arrays.stream(e.getValue()).min().orElse(Double.NaN);
      long steps = stepsPerEpoch.get(e.getKey());
      System.out.printf(Locale.ROOT, "%-14s %9.3f %9.3f %10.1f %s%n", e.getKey(), m, best,
          steps / m, Arrays.toString(Arrays.stream(e.getValue())
              .mapToObj(v -> String.format(Locale.ROOT, "%.3f", v)).toArray()));
      String key = e.getKey().replace('-', '_');
      result(key + "_epoch_s", m);
      result(key + "_best_epoch_s", best);
      result(key + "_steps_per_s", steps / m);
      medians.put(e.getKey(), m);
    }
    result("steps_per_epoch", stepsPerEpoch.values().iterator().next());
    return medians;
  }

  /**
   * Times the step loops in turns of {@link #BLOCK} steps on the same batches, {@code rounds}
   * rounds after two warm-up rounds; returns per contender the {@link #QUIET} quantile and the
   * median of its turns in microseconds per step. Other jobs on a shared machine disturb short
   * turns that take place side by side far less evenly than they disturb whole epochs run one
   * after another, and a low quantile of the turns estimates the undisturbed cost.
   */
  private static Map<String, double[]> timeSteps(Map<String, Contender> contenders,
      ImageBatches images, int rounds) {
    Map<String, List<Long>> turns = new LinkedHashMap<>();
    contenders.keySet().stream().filter(k -> !k.equals("task"))
        .forEach(k -> turns.put(k, new ArrayList<>()));
    int n = images.size();
    int span = BLOCK * BATCH;
    try (NDManager scope = NDManager.newBaseManager(Device.cpu())) {
      BatchSource.Epoch order = images.epoch(scope, Device.cpu(),
          Shuffle.order(n, new SplittableRandom(99)));
      int from = 0;
      for (int r = 0; r < rounds + 2; r++) {
        if (from + span > n) {
          from = 0;
        }
        for (Map.Entry<String, List<Long>> turn : turns.entrySet()) {
          long t = System.nanoTime();
          contenders.get(turn.getKey()).runSteps(order, from, BLOCK);
          if (r >= 2) {
            turn.getValue().add(System.nanoTime() - t);
          }
        }
        from += span;
      }
    }
    System.out.printf(Locale.ROOT, "%nsteps in turns of %d, %d rounds%n%-14s %9s %9s %9s%n",
        BLOCK, rounds, "variant", "min us", "q" + (int) (100 * QUIET) + " us", "median us");
    Map<String, double[]> out = new LinkedHashMap<>();
    for (Map.Entry<String, List<Long>> turn : turns.entrySet()) {
      long[] sorted = turn.getValue().stream().mapToLong(Long::longValue).sorted().toArray();
      double min = sorted[0] / 1e3 / BLOCK;
      double quiet = sorted[(int) Math.round(QUIET * (sorted.length - 1))] / 1e3 / BLOCK;
      double median = sorted[sorted.length / 2] / 1e3 / BLOCK;
      System.out.printf(Locale.ROOT, "%-14s %9.0f %9.0f %9.0f%n", turn.getKey(), min, quiet,
          median);
      String key = turn.getKey().replace('-', '_');
      result(key + "_step_quiet_us", quiet);
      result(key + "_step_median_us", median);
      out.put(turn.getKey(), new double[] {quiet, median});
    }
    return out;
  }

  /** Prints the ratios of {@link #RATIOS} whose variants ran. */
  private static void ratios(Map<String, Double> epochs, Map<String, double[]> steps) {
    System.out.printf(Locale.ROOT, "%n%7s %7s %7s%n%7s %7s %7s%n", "epoch", "step", "step",
        "median", "q" + (int) (100 * QUIET), "median");
    for (Ratio r : RATIOS) {
      Double ea = epochs.get(r.numerator());
      Double eb = epochs.get(r.denominator());
      if (ea == null || eb == null) {
        continue;
      }
      double[] sa = steps.get(r.numerator());
      double[] sb = steps.get(r.denominator());
      double quiet = sa == null || sb == null ? Double.NaN : sa[0] / sb[0];
      double median = sa == null || sb == null ? Double.NaN : sa[1] / sb[1];
      String target = r.target() == 0 ? "" : String.format(Locale.ROOT, "  (target <= %s)",
          r.target());
      System.out.printf(Locale.ROOT, "%7.3f %7.3f %7.3f  %s%s%n", ea / eb, quiet, median,
          r.label(), target);
      String key = r.numerator().replace('-', '_') + "_to_" + r.denominator().replace('-', '_');
      result("ratio_" + key, ea / eb);
      result("step_quiet_ratio_" + key, quiet);
      result("step_median_ratio_" + key, median);
    }
  }

  /** IMP as {@code lth imp --epochs 1 --target-sparsity S} runs it, run directory included. */
  private static void runImp(TrainTestSplit split, double target) throws IOException {
    ImageDataset train = split.train();
    Path dir = Files.createTempDirectory("lth-imp-speed");
    try {
      long t = System.nanoTime();
      ImpResult result;
      try (ClassificationTask task = ClassificationTask.builder().setTrainData(train)
          .setTestData(split.test()).optEpochs(1).optBatchSize(BATCH).optOptimizer("adam")
          .optLearningRate(ADAM_LR).build();
          DjlModel model = DjlModel.create(Models.lenet300(split.classes()),
              new Shape(1, train.channels(), train.height(), train.width()), Device.cpu(), 0)) {
        result = Imp.builder().setSchedule(PruningSchedules.imp(0.2, target)).optSeed(0)
            .optRunDirectory(dir.resolve("run")).build().run(model, task);
      }
      double seconds = (System.nanoTime() - t) / 1e9;
      System.out.printf(Locale.ROOT, "%nIMP, %d trainings of 1 epoch (round 0 + %d pruning rounds"
          + " to %.1f%%), evaluation and run directory: %.2f s%n", result.rounds().size(),
          result.rounds().size() - 1, 100 * result.rounds().get(result.rounds().size() - 1)
              .sparsity(), seconds);
      for (Round r : result.rounds()) {
        System.out.printf(Locale.ROOT, "  round %d  sparsity %5.1f%%  accuracy %.4f%n", r.index(),
            100 * r.sparsity(), r.metrics().get("accuracy"));
      }
      result("imp_s", seconds);
      result("imp_trainings", result.rounds().size());
      result("imp_last_accuracy",
          result.rounds().get(result.rounds().size() - 1).metrics().get("accuracy"));
    } finally {
      try (Stream<Path> files = Files.walk(dir)) {
        for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
          Files.delete(p);
        }
      }
    }
  }

  private static DjlModel newModel(TrainTestSplit split, List<AutoCloseable> resources) {
    ImageDataset train = split.train();
    DjlModel model = DjlModel.create(Models.lenet300(split.classes()),
        new Shape(1, train.channels(), train.height(), train.width()), Device.cpu(), 0);
    resources.add(model);
    return model;
  }

  /** The IMP mask layout (all weights but the classifier's), nothing pruned. */
  private static Mask denseMask(DjlModel model) {
    Map<String, long[]> shapes = new LinkedHashMap<>();
    for (ParameterInfo p : ParameterSelectors.defaults().select(model.parameters())) {
      shapes.put(p.name(), p.shape());
    }
    return Mask.dense(shapes);
  }

  /** The initial weights pruned by global magnitude to {@code sparsity}, as IMP would. */
  private static Mask sparseMask(DjlModel model, double sparsity) {
    return model.prune(new PruningStep(denseMask(model), PruningCriteria.magnitude(),
        PruningScope.GLOBAL, PruningSchedules.oneShot(sparsity), 1, null));
  }

  private static double median(double[] values) {
    double[] v = values.clone();
    Arrays.sort(v);
    int n = v.length;
    return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
  }

  private static void result(String name, double value) {
    System.out.printf(Locale.ROOT, "result %s %.6g%n", name, value);
  }

  private static Map<String, String> parse(String[] args) {
    Map<String, String> o = new LinkedHashMap<>();
    for (int i = 0; i < args.length; i++) {
      String a = args[i];
      checkArgument(a.startsWith("--"), "unexpected argument '%s' (options: --data, --epochs,"
          + " --repetitions, --step-rounds, --variants, --imp-target-sparsity, --no-imp)", a);
      String key = a.substring(2);
      if (key.equals("no-imp")) {
        o.put(key, "");
      } else {
        checkArgument(i + 1 < args.length, "option %s needs a value", a);
        o.put(key, args[++i]);
      }
    }
    for (String key : o.keySet()) {
      checkArgument(List.of("data", "epochs", "repetitions", "step-rounds", "variants",
          "imp-target-sparsity", "no-imp").contains(key), "unknown option --%s", key);
    }
    return o;
  }

  private static int positive(Map<String, String> o, String key, int fallback) {
    int v = Integer.parseInt(o.getOrDefault(key, Integer.toString(fallback)));
    checkArgument(v > 0, "--%s must be positive: %s", key, v);
    return v;
  }
}
