package io.github.lth.benchmarks.training;

import static com.google.common.base.Preconditions.checkArgument;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import io.github.lth.core.Imp;
import io.github.lth.core.ImpResult;
import io.github.lth.core.Mask;
import io.github.lth.core.ParameterInfo;
import io.github.lth.core.Round;
import io.github.lth.core.TrainingContext;
import io.github.lth.core.TrainingListener;
import io.github.lth.core.prune.ParameterSelectors;
import io.github.lth.core.prune.PruningCriteria;
import io.github.lth.core.prune.PruningScope;
import io.github.lth.core.prune.PruningStep;
import io.github.lth.core.schedule.PruningSchedules;
import io.github.lth.djl.DjlModel;
import io.github.lth.djl.data.BatchSources;
import io.github.lth.djl.data.DataSources;
import io.github.lth.djl.data.ImageBatches;
import io.github.lth.djl.data.ImageDataset;
import io.github.lth.djl.data.TrainTestSplit;
import io.github.lth.djl.models.Models;
import io.github.lth.djl.train.ClassificationTask;
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
import java.util.stream.Stream;

/**
 * Times LeNet-300-100 training on Fashion-MNIST (Adam 1.2e-3, batch 60) in one JVM: the plain
 * DJL loop ({@link PlainDjlLoop}), lth4j's {@code ClassificationTask.train} with a dense and a
 * 90%-sparse mask, the probed copy of lth4j's trainer and the fused-Adam prototype
 * ({@link ProbedLoop}), with and without a mask, and IMP end to end (what {@code lth imp --data
 * fashion-mnist --epochs 1 --target-sparsity 0.68} runs: round 0 plus 5 pruning rounds of one
 * epoch each, evaluation after each, run directory written).
 *
 * <p>Every contender first trains one warm-up epoch; then the repetitions run interleaved
 * (contender after contender, repetition after repetition) so that machine load drifts hit them
 * alike. Each reports the median seconds per epoch. Lines starting with {@code result} are for
 * scripts: {@code result NAME VALUE}.
 *
 * <pre>{@code
 * java -Dai.djl.offline=true -cp lth-benchmarks/target/benchmarks.jar \
 *     io.github.lth.benchmarks.training.TrainingSpeed --data fashion-mnist --epochs 1 \
 *     --repetitions 3 [--variants plain,dense,sparse,copy,fused] [--no-imp]
 * }</pre>
 */
public final class TrainingSpeed {
  private static final int BATCH = 60;
  private static final float LEARNING_RATE = 1.2e-3f;
  private static final List<String> VARIANTS = List.of("plain", "dense", "sparse", "copy",
      "copy-unmasked", "copy-nonzero-sqrt", "copy-nonzero-sqrt-unmasked", "fused", "fused-unmasked", "fused-noremask");

  private TrainingSpeed() {}

  /** One timed training loop. */
  private interface Contender {
    long run(int epochs, long seed);
  }

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
    Map<String, ProbedLoop> probed = new LinkedHashMap<>();
    List<AutoCloseable> resources = new ArrayList<>();
    ImageBatches images = BatchSources.of(train);
    resources.add(images);
    ClassificationTask task = ClassificationTask.builder().setTrainData(train)
        .setTestData(split.test()).optEpochs(epochs).optBatchSize(BATCH).optOptimizer("adam")
        .optLearningRate(LEARNING_RATE).build();
    resources.add(task);
    try {
      for (String v : variants) {
        switch (v) {
          case "plain" -> {
            PlainDjlLoop loop = new PlainDjlLoop(images, split.classes(), BATCH, LEARNING_RATE);
            resources.add(loop);
            contenders.put(v, (e, seed) -> loop.runEpochs(e, seed));
          }
          case "dense", "sparse" -> {
            DjlModel model = newModel(split, resources);
            Mask mask = v.equals("dense") ? denseMask(model) : sparseMask(model, 0.9);
            contenders.put(v, (e, seed) -> task.train(model, mask,
                new TrainingContext(0, seed, TrainingListener.NONE)).steps());
          }
          default -> {
            DjlModel model = newModel(split, resources);
            Mask mask = v.endsWith("-unmasked") ? null : sparseMask(model, 0.9);
            ProbedLoop.Update update = v.startsWith("copy-nonzero-sqrt")
                ? ProbedLoop.Update.COPY_NONZERO_SQRT
                : v.startsWith("copy") ? ProbedLoop.Update.COPY
                : v.equals("fused-noremask") ? ProbedLoop.Update.FUSED_NO_REMASK
                : ProbedLoop.Update.FUSED;
            ProbedLoop loop = new ProbedLoop(model, mask, update, images, BATCH, LEARNING_RATE);
            probed.put(v, loop);
            contenders.put(v, loop::runEpochs);
          }
        }
      }
      time(contenders, probed, epochs, repetitions);
      if (variants.contains("copy") && variants.contains("fused")) {
        parity(split, images);
      }
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

  private static void time(Map<String, Contender> contenders, Map<String, ProbedLoop> probed,
      int epochs, int repetitions) {
    long seed = 1;
    Map<String, Long> stepsPerRun = new LinkedHashMap<>();
    for (Map.Entry<String, Contender> c : contenders.entrySet()) {
      long t = System.nanoTime();
      stepsPerRun.put(c.getKey(), c.getValue().run(1, seed++));
      System.out.printf(Locale.ROOT, "warm-up %-27s %.2f s%n", c.getKey(),
          (System.nanoTime() - t) / 1e9);
    }
    probed.values().forEach(p -> p.phases().reset());
    Map<String, double[]> seconds = new LinkedHashMap<>();
    contenders.keySet().forEach(k -> seconds.put(k, new double[repetitions]));
    for (int r = 0; r < repetitions; r++) {
      for (Map.Entry<String, Contender> c : contenders.entrySet()) {
        long t = System.nanoTime();
        long steps = c.getValue().run(epochs, seed++);
        double s = (System.nanoTime() - t) / 1e9 / epochs;
        seconds.get(c.getKey())[r] = s;
        stepsPerRun.put(c.getKey(), steps / epochs);
      }
    }
    System.out.printf(Locale.ROOT, "%n%-27s %10s %10s %9s %s%n", "variant", "s/epoch", "steps/s",
        "vs plain", "(all repetitions, s/epoch)");
    double plain = seconds.containsKey("plain") ? median(seconds.get("plain")) : Double.NaN;
    for (Map.Entry<String, double[]> e : seconds.entrySet()) {
      double m = median(e.getValue());
      long steps = stepsPerRun.get(e.getKey());
      System.out.printf(Locale.ROOT, "%-27s %10.3f %10.1f %9s %s%n", e.getKey(), m, steps / m,
          Double.isNaN(plain) ? "" : String.format(Locale.ROOT, "%.3f", m / plain),
          Arrays.toString(Arrays.stream(e.getValue())
              .mapToObj(v -> String.format(Locale.ROOT, "%.3f", v)).toArray()));
      result(e.getKey().replace('-', '_') + "_epoch_s", m);
      result(e.getKey().replace('-', '_') + "_steps_per_s", steps / m);
    }
    result("steps_per_epoch", stepsPerRun.values().iterator().next());
    if (!probed.isEmpty()) {
      System.out.println("\nphases per step (probed loops, measured repetitions):");
      for (Map.Entry<String, ProbedLoop> p : probed.entrySet()) {
        System.out.printf(Locale.ROOT, "%-27s %s%n", p.getKey(), p.getValue().phases().report());
        for (int i = 0; i < Phases.count(); i++) {
          result("phase_" + p.getKey().replace('-', '_') + "_" + Phases.name(i)
              .replace('+', '_') + "_us", p.getValue().phases().perStepMicros(i));
        }
      }
    }
  }

  /** One epoch of the copied trainer and of the fused prototype from the same start. */
  private static void parity(TrainTestSplit split, ImageBatches images) {
    List<AutoCloseable> resources = new ArrayList<>();
    try {
      DjlModel a = newModel(split, resources);
      DjlModel b = newModel(split, resources);
      Mask mask = sparseMask(a, 0.9);
      new ProbedLoop(a, mask, ProbedLoop.Update.COPY, images, BATCH, LEARNING_RATE)
          .runEpochs(1, 99);
      new ProbedLoop(b, mask, ProbedLoop.Update.FUSED_NO_REMASK, images, BATCH, LEARNING_RATE)
          .runEpochs(1, 99);
      double maxDiff = 0;
      double maxWeight = 0;
      long prunedNonZero = 0;
      for (ParameterInfo p : a.parameters()) {
        float[] wa = a.parameterArray(p.name()).toFloatArray();
        float[] wb = b.parameterArray(p.name()).toFloatArray();
        for (int i = 0; i < wa.length; i++) {
          maxDiff = Math.max(maxDiff, Math.abs(wa[i] - wb[i]));
          maxWeight = Math.max(maxWeight, Math.abs(wa[i]));
          if (mask.contains(p.name()) && !mask.isKept(p.name(), i)
              && Float.floatToRawIntBits(wb[i]) != 0) {
            prunedNonZero++;
          }
        }
      }
      System.out.printf(Locale.ROOT, "%nparity after one epoch, copy vs fused-noremask: max |Δw| %.3g"
          + " (max |w| %.3g), pruned weights not +0.0 in fused: %d%n", maxDiff, maxWeight,
          prunedNonZero);
      result("parity_max_abs_diff", maxDiff);
      result("parity_pruned_nonzero", prunedNonZero);
    } finally {
      resources.forEach(r -> {
        try {
          r.close();
        } catch (Exception e) {
          System.err.println("closing failed: " + e);
        }
      });
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
          .optLearningRate(LEARNING_RATE).build();
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
          + " --repetitions, --variants, --imp-target-sparsity, --no-imp)", a);
      String key = a.substring(2);
      if (key.equals("no-imp")) {
        o.put(key, "");
      } else {
        checkArgument(i + 1 < args.length, "option %s needs a value", a);
        o.put(key, args[++i]);
      }
    }
    for (String key : o.keySet()) {
      checkArgument(List.of("data", "epochs", "repetitions", "variants", "imp-target-sparsity",
          "no-imp").contains(key), "unknown option --%s", key);
    }
    return o;
  }

  private static int positive(Map<String, String> o, String key, int fallback) {
    int v = Integer.parseInt(o.getOrDefault(key, Integer.toString(fallback)));
    checkArgument(v > 0, "--%s must be positive: %s", key, v);
    return v;
  }
}
