package io.github.lth.benchmarks.training;

import static com.google.common.base.Preconditions.checkArgument;
import static com.google.common.base.Preconditions.checkState;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.dataset.Batch;
import io.github.lth.core.Mask;
import io.github.lth.core.ParameterInfo;
import io.github.lth.core.PrunableModel;
import io.github.lth.core.Snapshot;
import io.github.lth.core.SparsityController;
import io.github.lth.core.SparsityControllers;
import io.github.lth.core.TrainingContext;
import io.github.lth.core.TrainingListener;
import io.github.lth.core.TrainingState;
import io.github.lth.core.TrainingSummary;
import io.github.lth.core.Weights;
import io.github.lth.core.sparse.AcDc;
import io.github.lth.core.sparse.BlockFisher;
import io.github.lth.core.sparse.GradualMagnitudePruning;
import io.github.lth.core.sparse.Rigl;
import io.github.lth.core.sparse.WoodFisherPruning;
import io.github.lth.djl.DjlModel;
import io.github.lth.djl.data.BatchSource;
import io.github.lth.djl.data.BatchSources;
import io.github.lth.djl.data.DataSources;
import io.github.lth.djl.data.ImageBatches;
import io.github.lth.djl.data.ImageDataset;
import io.github.lth.djl.data.Shuffle;
import io.github.lth.djl.data.TrainTestSplit;
import io.github.lth.djl.models.Models;
import io.github.lth.djl.train.ClassificationObjective;
import io.github.lth.djl.train.ClassificationTask;
import io.github.lth.djl.train.LrSchedules;
import io.github.lth.djl.train.MaskedTrainer;
import io.github.lth.djl.train.OptimizerSpec;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Times the extra per-step work of lth4j's sparse training methods against a plain masked step,
 * in one JVM, on the same model initialisation, data, batch size (60) and optimizer (Adam,
 * 1.2e-3), all at 90 % target sparsity, CPU:
 *
 * <ul>
 *   <li>{@code fixed}: a fixed random mask, 90 % sparse in every layer ({@link
 *       SparsityControllers#fixed}): the plain masked step every ratio refers to;
 *   <li>{@code gmp}: {@link GradualMagnitudePruning} with its defaults;
 *   <li>{@code acdc}: {@link AcDc} with its defaults;
 *   <li>{@code rigl}: {@link Rigl} with its defaults (ΔT = 100), and {@code rigl-dt10} with
 *       ΔT = 10, which makes the cost of RigL's dense gradients visible on short runs;
 *   <li>{@code woodfisher}: {@link WoodFisherPruning}, gradual, with its defaults (16 gradient
 *       samples per Fisher, blocks of 128).
 * </ul>
 *
 * <p>Each method trains whole runs of {@code --epochs} epochs through {@code
 * ClassificationTask.train}, every run from the same initial weights and a dense mask. After one
 * warm-up run each, the repetitions run interleaved (method after method) so that drifts of the
 * machine's load hit them alike; the table gives each method's median milliseconds per step
 * (run seconds divided by its steps) and the ratio to {@code fixed}, with the steps on which the
 * method asked for dense gradients and the number of mask changes, to show what the run
 * exercised (on the embedded sample one epoch is 90 steps, so RigL with ΔT = 100 makes no
 * update at all).
 *
 * <p>Then the two costly pieces, each as a multiple of one plain masked step taken beside it on
 * the same model: RigL's update (the on-device copy of the dense gradients, their host copy,
 * drop and grow on the host, applying the new mask, the first step on it) at the first update's
 * drop fraction 0.3; and one WoodFisher pruning step (BlockFisher estimate, saliencies, global
 * selection, OBS update of the survivors, over all layers, 16 gradient samples, blocks of 128;
 * one-shot from dense to 90 %), with the cost of collecting one gradient sample. Lines starting
 * with {@code result} are for scripts: {@code result NAME VALUE}.
 *
 * <p>On a machine other jobs share, PyTorch's intra-op threads wait for each other and a step
 * can take ten times as long; run with one intra-op thread there, and {@code --clock cpu} to
 * time the calling thread's CPU time (PyTorch then computes on that thread), which leaves out
 * the time the thread waited for a core.
 *
 * <pre>{@code
 * java -Dai.djl.offline=true -cp lth-benchmarks/target/benchmarks.jar \
 *     io.github.lth.benchmarks.training.SparseMethodSpeed [--data embedded] [--model lenet300] \
 *     [--repetitions 3] [--epochs 1] [--micro-rounds 9]
 * # on a busy machine
 * java -Dai.djl.offline=true -Dai.djl.pytorch.num_threads=1 \
 *     -Dai.djl.pytorch.num_interop_threads=1 -cp lth-benchmarks/target/benchmarks.jar \
 *     io.github.lth.benchmarks.training.SparseMethodSpeed --clock cpu
 * }</pre>
 */
public final class SparseMethodSpeed {
  private static final double TARGET = 0.9;
  private static final int BATCH = 60;
  private static final double LR = 1.2e-3;
  private static final List<String> METHODS =
      List.of("fixed", "gmp", "acdc", "rigl", "rigl-dt10", "woodfisher");
  /** WoodFisher's defaults, stated so that the timed split uses the controller's settings. */
  private static final int FISHER_SAMPLES = 16;
  private static final int FISHER_BLOCK = 128;
  private static final double FISHER_DAMPENING = 1e-5;
  /** Untimed RigL rounds first, so that allocation and JIT settle. */
  private static final int MICRO_WARMUP = 2;
  /** Plain and gradient-keeping steps per RigL round, alternating. */
  private static final int PAIRS = 5;

  private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();
  /** Whether timings read the calling thread's CPU time instead of the wall clock. */
  private static boolean cpuClock;

  private SparseMethodSpeed() {}

  public static void main(String[] args) throws IOException {
    if (System.getProperty("ai.djl.offline") == null) {
      System.setProperty("ai.djl.offline", "true");
    }
    String data = DataSources.EMBEDDED;
    String modelName = "lenet300";
    int repetitions = 3;
    int epochs = 1;
    int microRounds = 9;
    for (int i = 0; i < args.length; i += 2) {
      checkArgument(i + 1 < args.length, "option %s needs a value", args[i]);
      switch (args[i]) {
        case "--data" -> data = args[i + 1];
        case "--model" -> modelName = args[i + 1];
        case "--repetitions" -> repetitions = positive(args[i], args[i + 1]);
        case "--epochs" -> epochs = positive(args[i], args[i + 1]);
        case "--micro-rounds" -> microRounds = positive(args[i], args[i + 1]);
        case "--clock" -> {
          checkArgument(List.of("wall", "cpu").contains(args[i + 1]),
              "--clock: wall or cpu, not '%s'", args[i + 1]);
          cpuClock = args[i + 1].equals("cpu");
        }
        default -> throw new IllegalArgumentException("unknown option " + args[i]
            + " (use --data, --model, --repetitions, --epochs, --micro-rounds, --clock)");
      }
    }
    checkArgument(Models.names().contains(modelName), "--model: unknown model '%s' (known: %s)",
        modelName, String.join(",", Models.names()));
    TrainTestSplit split = DataSources.load(data);
    Engine engine = Engine.getInstance();
    // with one intra-op thread PyTorch computes on the calling thread, whose CPU time then
    // holds the whole step; with more, the pool's work would be missed
    checkArgument(!cpuClock || JniUtils.getNumThreads() == 1, "--clock cpu needs one intra-op"
        + " thread (-Dai.djl.pytorch.num_threads=1 -Dai.djl.pytorch.num_interop_threads=1),"
        + " not %s", JniUtils.getNumThreads());
    checkArgument(!cpuClock || THREADS.isCurrentThreadCpuTimeSupported(),
        "--clock cpu: this JVM cannot read a thread's CPU time");
    System.out.printf(Locale.ROOT, "%s, %s on %s, %s %s, intra-op threads %d, %d cores,"
        + " load average %s; %s clock%n", modelName, split.train(), Device.cpu(),
        engine.getEngineName(), engine.getVersion(), JniUtils.getNumThreads(),
        Runtime.getRuntime().availableProcessors(), loadAverage(),
        cpuClock ? "thread CPU" : "wall");

    runs(split, modelName, epochs, repetitions);
    try (ImageBatches images = BatchSources.of(split.train())) {
      riglUpdate(split, modelName, images, microRounds);
      woodFisherStep(split, modelName, images, microRounds);
    }
    System.out.printf(Locale.ROOT, "%nload average at the end %s%n", loadAverage());
  }

  // ---------------------------------------------------------------------------------------------
  // whole runs

  private static void runs(TrainTestSplit split, String modelName, int epochs,
      int repetitions) {
    Map<String, DjlModel> models = new LinkedHashMap<>();
    Map<String, Snapshot> initial = new LinkedHashMap<>();
    Map<String, double[]> msPerStep = new LinkedHashMap<>();
    Map<String, Counted> lastRun = new LinkedHashMap<>();
    Map<String, Double> lastSparsity = new LinkedHashMap<>();
    long steps = 0;
    try (ClassificationTask task = ClassificationTask.builder().setTrainData(split.train())
        .setTestData(split.test()).optEpochs(epochs).optBatchSize(BATCH).optOptimizer("adam")
        .optLearningRate(LR).build()) {
      Mask fixed = null;
      for (String method : METHODS) {
        DjlModel model = newModel(split, modelName);
        models.put(method, model);
        initial.put(method, model.snapshot());
        if (fixed == null) {
          fixed = uniformRandom(denseMask(model, modelName), TARGET, 11);
        }
        msPerStep.put(method, new double[repetitions]);
      }
      long seed = 1;
      for (String method : METHODS) {
        long t = now();
        run(task, models.get(method), initial.get(method), modelName, method, fixed, seed);
        System.out.printf(Locale.ROOT, "warm-up %-11s %.2f s%n", method,
            (now() - t) / 1e9);
      }
      for (int r = 0; r < repetitions; r++) {
        seed++;
        // one seed per repetition: every method sees the same batch order
        for (String method : METHODS) {
          Counted c = controller(method, fixed);
          DjlModel model = models.get(method);
          model.restore(initial.get(method));
          model.applyMask(denseMask(model, modelName));
          long t = now();
          TrainingSummary s = task.train(model, c, new TrainingContext(1, seed,
              TrainingListener.NONE));
          double seconds = (now() - t) / 1e9;
          msPerStep.get(method)[r] = 1e3 * seconds / s.steps();
          steps = s.steps();
          lastRun.put(method, c);
          lastSparsity.put(method, s.finalMask().sparsity());
        }
      }
    } finally {
      initial.values().forEach(Snapshot::close);
      models.values().forEach(DjlModel::close);
    }
    double reference = median(msPerStep.get("fixed"));
    System.out.printf(Locale.ROOT, "%nwhole runs: %d epoch(s) of %s, %d steps of %d images,"
        + " target %.0f %%, median of %d%n%-11s %9s %9s %8s %7s %8s  %s%n", epochs,
        split.train().name(), steps, BATCH, 100 * TARGET, repetitions, "method", "ms/step",
        "x fixed", "dense-g", "masks", "sparsity", "(all repetitions, ms/step)");
    for (String method : METHODS) {
      double[] v = msPerStep.get(method);
      double m = median(v);
      Counted c = lastRun.get(method);
      System.out.printf(Locale.ROOT, "%-11s %9.3f %9.3f %8d %7d %7.1f%%  %s%n", method, m,
          m / reference, c.denseGradientSteps, c.maskChanges, 100 * lastSparsity.get(method),
          Arrays.toString(Arrays.stream(v)
              .mapToObj(x -> String.format(Locale.ROOT, "%.3f", x)).toArray()));
    }
    System.out.println("(dense-g: steps that kept dense gradients; masks: mask changes after"
        + " the start)");
    for (String method : METHODS) {
      String key = method.replace('-', '_');
      double m = median(msPerStep.get(method));
      result("sparse_step_ms_" + key, m);
      result("sparse_step_ratio_" + key, m / reference);
    }
    result("sparse_run_steps", steps);
  }

  private static void run(ClassificationTask task, DjlModel model, Snapshot initial,
      String modelName, String method, Mask fixed, long seed) {
    model.restore(initial);
    // a method that starts from the run's mask (GMP, AC/DC, WoodFisher) must find a dense one,
    // not the sparse mask the previous run ended with
    model.applyMask(denseMask(model, modelName));
    task.train(model, controller(method, fixed), new TrainingContext(1, seed,
        TrainingListener.NONE));
  }

  private static Counted controller(String method, Mask fixed) {
    SparsityController c = switch (method) {
      case "fixed" -> SparsityControllers.fixed(fixed);
      case "gmp" -> GradualMagnitudePruning.builder(TARGET).build();
      case "acdc" -> AcDc.builder(TARGET).build();
      case "rigl" -> Rigl.builder(TARGET).build();
      case "rigl-dt10" -> Rigl.builder(TARGET).optUpdateEvery(10).build();
      case "woodfisher" -> WoodFisherPruning.builder(TARGET).build();
      default -> throw new IllegalArgumentException("unknown method " + method);
    };
    return new Counted(c);
  }

  /**
   * Passes everything to the method and counts what it asked of the loop, so the table shows
   * whether a run actually exercised the method's costly path. Costs a virtual call per step,
   * the same for every method.
   */
  private static final class Counted implements SparsityController {
    private final SparsityController inner;
    private long denseGradientSteps;
    private long maskChanges;

    Counted(SparsityController inner) {
      this.inner = inner;
    }

    @Override
    public Mask start(TrainingState state) {
      return inner.start(state);
    }

    @Override
    public Mask afterStep(TrainingState state) {
      return counted(state.mask(), inner.afterStep(state));
    }

    @Override
    public Mask atEpochEnd(TrainingState state) {
      return counted(state.mask(), inner.atEpochEnd(state));
    }

    private Mask counted(Mask before, Mask after) {
      if (after != before && !after.equals(before)) {
        maskChanges++;
      }
      return after;
    }

    @Override
    public boolean needsDenseGradients(long step) {
      boolean needs = inner.needsDenseGradients(step);
      if (needs) {
        denseGradientSteps++;
      }
      return needs;
    }

    @Override
    public Map<String, Double> statistics() {
      return inner.statistics();
    }

    @Override
    public Map<String, Object> settings() {
      return inner.settings();
    }
  }

  // ---------------------------------------------------------------------------------------------
  // isolated pieces

  /**
   * RigL's update against the plain masked steps beside it, round after round on one model:
   * plain steps alternating with steps that keep the dense gradients, then the update itself
   * ({@code afterStep}: host copies and drop/grow), applying the new mask, and the first step on
   * it. Per round each piece is divided by that round's plain step, and the medians of those
   * ratios are reported, so that drifts between rounds cancel.
   */
  private static void riglUpdate(TrainTestSplit split, String modelName, ImageBatches images,
      int rounds) {
    long total = 1_000_000;
    Rigl rigl = Rigl.builder(TARGET).build();
    double[] plainMs = new double[rounds];
    double[] copy = new double[rounds];
    double[] host = new double[rounds];
    double[] dropGrow = new double[rounds];
    double[] apply = new double[rounds];
    double[] firstAfter = new double[rounds];
    try (DjlModel model = newModel(split, modelName);
        NDManager scope = model.manager().newSubManager()) {
      // step 100 of a long run: an update step early enough that its drop fraction is the
      // initial 0.3, the largest swap RigL makes
      Stub state = new Stub(model, total, denseMask(model, modelName));
      state.step = 100;
      state.mask = rigl.start(state);
      model.applyMask(state.mask);
      checkState(rigl.isUpdateStep(state.step), "step %s is no RigL update step", state.step);
      Batches batches = new Batches(images, scope);
      ClassificationObjective objective = new ClassificationObjective();
      try (MaskedTrainer trainer = new MaskedTrainer(model, OptimizerSpec.adam(LR),
          LrSchedules.constant(), total, 0)) {
        state.trainer = trainer;
        for (int r = -MICRO_WARMUP; r < rounds; r++) {
          // the first step on the new mask may pay for it (fresh arrays, optimizer state): kept
          // out of the plain median and reported apart
          double first = step(trainer, model, objective, batches, false);
          // the copy costs a fraction of a step: single steps on a shared machine differ by
          // more than that, so each round compares the medians of alternating pairs
          double[] plain = new double[PAIRS];
          double[] kept = new double[PAIRS];
          double ta = 0;
          double tm = 0;
          for (int k = 0; k < PAIRS; k++) {
            plain[k] = step(trainer, model, objective, batches, false);
            try (NDManager batch = scope.newSubManager()) {
              kept[k] = stepIn(batch, trainer, model, objective, batches, true);
              if (k == PAIRS - 1) {
                state.hostCopyNanos = 0;
                long t = now();
                Mask next = rigl.afterStep(state);
                ta = (now() - t) / 1e6;
                t = now();
                model.applyMask(next);
                trainer.maskChanged();
                tm = (now() - t) / 1e6;
                state.mask = next;
              }
            }
          }
          double tp = median(plain);
          double tk = median(kept);
          if (r >= 0) {
            double hostMs = state.hostCopyNanos / 1e6;
            plainMs[r] = tp;
            copy[r] = (tk - tp) / tp;
            host[r] = hostMs / tp;
            dropGrow[r] = (ta - hostMs) / tp;
            apply[r] = tm / tp;
            // round r's first step follows the update of round r - 1 (a warm-up round for 0)
            firstAfter[r] = (first - tp) / tp;
          }
        }
      }
    }
    System.out.printf(Locale.ROOT, "%nRigL update (drop fraction 0.3, %s layers), median of %d"
        + " rounds; one masked step %.3f ms%n", modelName, rounds, median(plainMs));
    piece("dense-gradient copy on the device (step with copy - step)", median(copy));
    piece("dense gradients to the host", median(host));
    piece("drop and grow on the host", median(dropGrow));
    piece("apply the new mask (model and optimizer state)", median(apply));
    piece("first step on the new mask, extra over a plain step", median(firstAfter));
    // the sum of the pieces' medians: one bad round should not decide the total
    double whole = median(copy) + median(host) + median(dropGrow) + median(apply)
        + median(firstAfter);
    piece("whole update, extra over the plain step", whole);
    result("rigl_update_x_masked_step", whole);
    result("rigl_update_drop_grow_x_masked_step", median(dropGrow));
    result("rigl_update_gradient_copy_x_masked_step", median(copy) + median(host));
  }

  /**
   * One WoodFisher pruning step (one-shot, dense to 90 %, global) against the plain masked
   * steps of the same round. Every round starts from the same weights and a dense mask, takes
   * the plain steps the schedule asks no gradient for, then the 16 steps that keep dense
   * gradients, then the pruning step. The estimate and the saliencies are timed once more
   * directly on the same gradients and weights, to split the pruning step.
   */
  private static void woodFisherStep(TrainTestSplit split, String modelName,
      ImageBatches images, int rounds) {
    long total = 400;
    double[] plainMs = new double[rounds];
    double[] sample = new double[rounds];
    double[] pruneStep = new double[rounds];
    double[] estimate = new double[rounds];
    double[] saliency = new double[rounds];
    double[] apply = new double[rounds];
    double[] firstAfter = new double[rounds];
    try (DjlModel model = newModel(split, modelName);
        Snapshot initial = model.snapshot();
        NDManager scope = model.manager().newSubManager()) {
      Mask dense = denseMask(model, modelName);
      Batches batches = new Batches(images, scope);
      ClassificationObjective objective = new ClassificationObjective();
      // one extra round first, untimed, to warm up the Fisher code
      for (int r = -1; r < rounds; r++) {
        model.restore(initial);
        model.applyMask(dense);
        WoodFisherPruning wf = WoodFisherPruning.builder(TARGET).optPruningSteps(1)
            .optFisherSamples(FISHER_SAMPLES).optBlockSize(FISHER_BLOCK)
            .optDampening(FISHER_DAMPENING).build();
        Stub state = new Stub(model, total, dense);
        state.recordLast = FISHER_SAMPLES;
        state.mask = wf.start(state);
        long at = wf.schedule().start();
        checkState(wf.schedule().isPruningStep(at) && wf.schedule().sparsityAt(at) == TARGET,
            "step %s is no one-shot pruning step: %s", at, wf.schedule());
        List<Double> plain = new ArrayList<>();
        List<Double> collect = new ArrayList<>();
        double prune = 0;
        double tm = 0;
        double pruneHost = 0;
        double afterPrune = 0;
        Weights before = null;
        try (MaskedTrainer trainer = new MaskedTrainer(model, OptimizerSpec.adam(LR),
            LrSchedules.constant(), total, 0)) {
          state.trainer = trainer;
          for (long s = 1; s <= at; s++) {
            boolean keep = wf.needsDenseGradients(s);
            try (NDManager batch = scope.newSubManager()) {
              double ts = stepIn(batch, trainer, model, objective, batches, keep);
              state.step = trainer.steps();
              if (s == at) {
                before = model.weights(state.mask.layers());
              }
              state.hostCopyNanos = 0;
              long t = now();
              Mask next = wf.afterStep(state);
              double ta = (now() - t) / 1e6;
              if (!keep) {
                plain.add(ts);
              } else if (s < at) {
                collect.add(ts + ta);
              } else {
                pruneHost = state.hostCopyNanos / 1e6;
                prune = ta - pruneHost;
                t = now();
                model.applyMask(next);
                trainer.maskChanged();
                tm = (now() - t) / 1e6;
                collect.add(ts + pruneHost);
              }
              state.mask = next;
            }
          }
          afterPrune = step(trainer, model, objective, batches, false);
        }
        checkState(!plain.isEmpty(), "the schedule left no plain step before pruning");
        checkState(collect.size() == FISHER_SAMPLES, "%s gradient samples, expected %s",
            collect.size(), FISHER_SAMPLES);
        checkState(Math.abs(state.mask.sparsity() - TARGET) < 1e-3,
            "the pruning step left sparsity %s", state.mask.sparsity());
        double tp = median(plain.stream().mapToDouble(Double::doubleValue).toArray());
        double[] parts = estimateAndSaliencies(state.recorded, before);
        if (r >= 0) {
          plainMs[r] = tp;
          sample[r] = (median(collect.stream().mapToDouble(Double::doubleValue).toArray()) - tp)
              / tp;
          pruneStep[r] = prune / tp;
          estimate[r] = parts[0] / tp;
          saliency[r] = parts[1] / tp;
          apply[r] = tm / tp;
          firstAfter[r] = (afterPrune - tp) / tp;
        }
      }
    }
    System.out.printf(Locale.ROOT, "%nWoodFisher pruning step (one-shot to %.0f %%, global, %d"
        + " gradient samples, blocks of %d, %s layers), median of %d rounds; one masked step"
        + " %.3f ms%n", 100 * TARGET, FISHER_SAMPLES, FISHER_BLOCK, modelName, rounds,
        median(plainMs));
    piece("collecting one gradient sample, extra over the plain step", median(sample));
    piece("  x " + FISHER_SAMPLES + " samples before each pruning step",
        FISHER_SAMPLES * median(sample));
    piece("pruning step: estimate, saliencies, selection, OBS update, load", median(pruneStep));
    piece("  of which BlockFisher.estimate (timed apart)", median(estimate));
    piece("  of which saliencies (timed apart)", median(saliency));
    piece("apply the new mask (model and optimizer state)", median(apply));
    piece("first step on the new mask, extra over a plain step", median(firstAfter));
    piece("whole pruning step with its samples, extra over plain steps",
        FISHER_SAMPLES * median(sample) + median(pruneStep) + median(apply) + median(firstAfter));
    result("woodfisher_prune_x_masked_step", median(pruneStep));
    result("woodfisher_sample_x_masked_step", median(sample));
    result("woodfisher_estimate_x_masked_step", median(estimate));
  }

  /** Milliseconds of {@link BlockFisher#estimate} and of the saliencies, over all layers. */
  private static double[] estimateAndSaliencies(Deque<Weights> gradients, Weights weights) {
    long estimate = 0;
    long saliencies = 0;
    for (String layer : weights.names()) {
      List<float[]> g = new ArrayList<>();
      for (Weights w : gradients) {
        g.add(w.values(layer));
      }
      float[] values = weights.values(layer);
      long t = now();
      BlockFisher fisher = BlockFisher.estimate(g, FISHER_BLOCK, FISHER_DAMPENING);
      long u = now();
      float[] rho = fisher.saliencies(values);
      saliencies += now() - u;
      estimate += u - t;
      checkState(rho.length == values.length);
    }
    return new double[] {estimate / 1e6, saliencies / 1e6};
  }

  /** What the controllers see of the stand-alone steps: the training loop's view, by hand. */
  private static final class Stub implements TrainingState {
    private final DjlModel model;
    private final long total;
    private MaskedTrainer trainer;
    private Mask mask;
    private long step;
    private long hostCopyNanos;
    /** Keeps this many of the latest dense gradients handed out (0: none). */
    private int recordLast;
    private final Deque<Weights> recorded = new ArrayDeque<>();

    Stub(DjlModel model, long total, Mask mask) {
      this.model = model;
      this.total = total;
      this.mask = mask;
    }

    @Override
    public long step() {
      return step;
    }

    @Override
    public long totalSteps() {
      return total;
    }

    @Override
    public long stepsPerEpoch() {
      return total;
    }

    @Override
    public int epoch() {
      return 0;
    }

    @Override
    public Mask mask() {
      return mask;
    }

    @Override
    public PrunableModel model() {
      return model;
    }

    /** The same host copy as the training loop's. */
    @Override
    public Weights denseGradients(List<String> names) {
      long t = now();
      Weights.Builder b = Weights.builder();
      for (String name : names) {
        NDArray g = trainer.denseGradient(name).orElseThrow(() -> new IllegalStateException(
            "no dense gradient of " + name + " at step " + step));
        b.putOwned(name, g.getShape().getShape(),
            g.toType(DataType.FLOAT32, false).toFloatArray());
      }
      Weights out = b.build();
      hostCopyNanos += now() - t;
      if (recordLast > 0) {
        recorded.addLast(out);
        if (recorded.size() > recordLast) {
          recorded.removeFirst();
        }
      }
      return out;
    }
  }

  /** The training batches in one fixed order, cycled. */
  private static final class Batches {
    private final BatchSource.Epoch order;
    private final int size;
    private int from;

    Batches(ImageBatches images, NDManager scope) {
      this.size = images.size();
      this.order = images.epoch(scope, Device.cpu(), Shuffle.order(size,
          new SplittableRandom(99)));
    }

    Batch next(NDManager manager) {
      if (from + BATCH > size) {
        from = 0;
      }
      Batch b = order.batch(manager, from, from + BATCH);
      from += BATCH;
      return b;
    }
  }

  private static double step(MaskedTrainer trainer, DjlModel model,
      ClassificationObjective objective, Batches batches, boolean keepDense) {
    try (NDManager batch = model.manager().newSubManager()) {
      return stepIn(batch, trainer, model, objective, batches, keepDense);
    }
  }

  /** One step as the training loop takes it; milliseconds, batch gathering excluded. */
  private static double stepIn(NDManager batch, MaskedTrainer trainer, DjlModel model,
      ClassificationObjective objective, Batches batches, boolean keepDense) {
    Batch b = batches.next(batch);
    long t = now();
    trainer.keepDenseGradients(keepDense);
    trainer.step(batch, () -> objective.loss(model, b));
    return (now() - t) / 1e6;
  }

  // ---------------------------------------------------------------------------------------------
  // helpers

  private static DjlModel newModel(TrainTestSplit split, String modelName) {
    ImageDataset train = split.train();
    return DjlModel.create(Models.create(modelName, train.channels(), train.height(),
        train.width(), split.classes()), new Shape(1, train.channels(), train.height(),
        train.width()), Device.cpu(), 0);
  }

  /** The model's default prunable layers, nothing pruned. */
  private static Mask denseMask(DjlModel model, String modelName) {
    Map<String, long[]> shapes = new LinkedHashMap<>();
    for (ParameterInfo p : Models.defaultPrunable(modelName).select(model.parameters())) {
      shapes.put(p.name(), p.shape());
    }
    return Mask.dense(shapes);
  }

  /** {@code sparsity} of every layer pruned at random positions. */
  private static Mask uniformRandom(Mask dense, double sparsity, long seed) {
    Mask.Builder b = Mask.builder();
    for (String layer : dense.layers()) {
      int size = Math.toIntExact(dense.size(layer));
      boolean[] keep = new boolean[size];
      Arrays.fill(keep, 0, (int) (size - Math.round(sparsity * size)), true);
      b.put(layer, dense.shape(layer), keep);
    }
    return b.build().randomLike(seed);
  }

  /** Nanoseconds on the clock {@code --clock} chose. */
  private static long now() {
    return cpuClock ? THREADS.getCurrentThreadCpuTime() : System.nanoTime();
  }

  private static void piece(String label, double timesMaskedStep) {
    System.out.printf(Locale.ROOT, "  %-66s %8.2f x one masked step%n", label, timesMaskedStep);
  }

  private static String loadAverage() {
    try {
      String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
      return f[0] + " " + f[1] + " " + f[2];
    } catch (IOException | RuntimeException e) {
      return "unknown";
    }
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

  private static int positive(String option, String value) {
    int v = Integer.parseInt(value);
    checkArgument(v > 0, "%s must be positive: %s", option, v);
    return v;
  }
}
