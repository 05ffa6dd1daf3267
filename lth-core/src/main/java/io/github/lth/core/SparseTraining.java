package io.github.lth.core;

import static com.google.common.base.Preconditions.checkArgument;
import static com.google.common.base.Preconditions.checkState;

import com.google.gson.Gson;
import com.google.gson.JsonObject;
import io.github.lth.core.prune.ParameterSelector;
import io.github.lth.core.prune.ParameterSelectors;
import io.github.lth.core.run.RunStore;
import io.github.lth.core.run.StoredRun;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * A sparse model made by one training run whose {@link SparsityController} changes the mask as
 * the network trains (gradual magnitude pruning, AC/DC, RigL, STR, WoodFisher), beside the dense
 * network trained the same way. Both start from the same initial weights and see the same data
 * order; round 0 is the dense network, round 1 the sparse one, written to a run directory in
 * the same format as {@link Imp}'s, so everything that reads IMP runs (transfer, branches,
 * reports) reads these too.
 *
 * <pre>{@code
 * ImpResult r = SparseTraining.builder()
 *     .setController(() -> GradualMagnitudePruning.builder(0.9).build())
 *     .optRunDirectory(Path.of("runs/gmp"))
 *     .build()
 *     .run(model, task);
 * double sparse = r.last().metrics().get("accuracy");
 * }</pre>
 */
public final class SparseTraining {
  /** The {@code schedule} setting of a sparse training run's config.json, telling it from IMP's. */
  public static final String SCHEDULE = "sparse-training";

  private final Supplier<? extends SparsityController> controller;
  private final ParameterSelector selector;
  private final long seed;
  private final Path runDirectory;
  private final boolean resume;
  private final List<ImpListener> listeners;
  private final Map<String, Object> extraSettings;
  private final Path denseFrom;

  private SparseTraining(Builder b) {
    this.denseFrom = b.denseFrom;
    this.controller = b.controller;
    this.selector = b.selector;
    this.seed = b.seed;
    this.runDirectory = b.runDirectory;
    this.resume = b.resume;
    this.listeners = List.copyOf(b.listeners);
    this.extraSettings = Collections.unmodifiableMap(new LinkedHashMap<>(b.extraSettings));
  }

  public static Builder builder() {
    return new Builder();
  }

  /**
   * Trains the dense reference (round 0) and the sparse model (round 1) on {@code model}, which
   * ends holding the sparse model's trained weights. A resumed run skips the rounds its run
   * directory holds.
   *
   * @throws UncheckedIOException if the run directory cannot be read or written
   * @throws IllegalArgumentException on a run directory holding a different run
   */
  public <M extends PrunableModel> ImpResult run(M model, Task<? super M> task) {
    List<ParameterInfo> prunable = selector.select(model.parameters());
    checkArgument(!prunable.isEmpty(), "no prunable parameters: the selector chose none of %s",
        model.parameters().stream().map(ParameterInfo::name).toList());
    Map<String, long[]> shapes = new LinkedHashMap<>();
    prunable.forEach(p -> shapes.put(p.name(), p.shape()));
    Mask dense = Mask.dense(shapes);
    SparsityController method = Objects.requireNonNull(controller.get(),
        "the controller supplier returned null");
    JsonObject settings = settings(method, task, prunable);
    boolean fresh = runDirectory == null || !Files.exists(runDirectory.resolve(RunStore.CONFIG));
    // a fresh run checks the reference before anything is written, so a refused one leaves no
    // half-made run behind; a resumed run checks it against its stored initial weights below
    StoredRun reference = denseFrom != null && fresh ? checkDenseFrom(settings, model.state())
        : null;
    try (RunStore store = runDirectory == null ? null : RunStore.open(runDirectory, settings,
        model.provenance(), resume)) {
      List<Round> done = new ArrayList<>(store == null ? List.of() : store.completedRounds());
      if (!done.isEmpty()) {
        store.writeSummaryIfStale(done, task.primaryMetric());
      }
      listeners.forEach(l -> l.onRunStart(1, done.size()));
      Weights initial = initialWeights(model, store);
      if (done.isEmpty() && denseFrom != null) {
        done.add(copyDense(store,
            reference != null ? reference : checkDenseFrom(settings, initial)));
      } else if (done.isEmpty()) {
        done.add(train(model, task, store, done, 0, SparsityControllers.fixed(dense), dense));
      }
      if (done.size() < 2) {
        model.load(initial);
        Throwable failure = null;
        try {
          done.add(train(model, task, store, done, 1, method, dense));
        } catch (Throwable t) {
          failure = t;
          throw t;
        } finally {
          // a controller holding arrays where the weights live (STR's thresholds) frees them
          if (method instanceof AutoCloseable closeable) {
            closeController(closeable, failure);
          }
        }
      } else {
        model.load(store.readTrainedWeights(1));
      }
      ImpResult result = new ImpResult(done, task.primaryMetric(), task.higherIsBetter(),
          runDirectory);
      listeners.forEach(l -> l.onRunEnd(result));
      return result;
    } catch (IOException e) {
      throw new UncheckedIOException(e.getMessage(), e);
    }
  }

  /** The run of {@link Builder#optDenseFrom}, if it trained this network's dense round. */
  private StoredRun checkDenseFrom(JsonObject mine, Weights initial) {
    StoredRun other;
    try {
      other = StoredRun.open(denseFrom);
    } catch (IOException e) {
      throw new IllegalArgumentException("dense reference " + denseFrom + ": " + e.getMessage(),
          e);
    }
    JsonObject theirs = other.settings();
    List<String> keys = new ArrayList<>(List.of("seed", "prunable", "primary_metric"));
    keys.addAll(extraSettings.keySet());
    for (String key : keys) {
      checkArgument(Objects.equals(theirs.get(key), mine.get(key)), "dense reference %s: its %s"
          + " differs from this run's (%s, here %s)", denseFrom, key, theirs.get(key),
          mine.get(key));
    }
    checkArgument(Objects.equals(theirs.get("task"), mine.get("task")), "dense reference %s:"
        + " its task settings differ from this run's (%s)", denseFrom,
        RunStore.differences(theirs.get("task"), mine.getAsJsonObject("task")));
    try {
      checkArgument(RunStore.fingerprint(other.initialWeights()).equals(
          RunStore.fingerprint(initial)), "dense reference %s: its initial weights differ from"
          + " this run's", denseFrom);
    } catch (IOException e) {
      throw new IllegalArgumentException("dense reference " + denseFrom + ": " + e.getMessage(),
          e);
    }
    checkArgument(!other.rounds().isEmpty(), "dense reference %s has no complete round 0 yet",
        denseFrom);
    return other;
  }

  /**
   * Round 0 of the run in {@link Builder#optDenseFrom}, once {@link #checkDenseFrom} found that
   * it trained this network: same task settings, seed, prunable parameters, recorded settings
   * and initial weights (the dense round depends on nothing else).
   */
  private Round copyDense(RunStore store, StoredRun other) throws IOException {
    Round dense = other.round(0);
    Weights trained = other.trainedWeights(0);
    if (store != null) {
      store.writeRound(dense, trained);
      store.writeSummary(List.of(dense), other.primaryMetric());
    }
    listeners.forEach(l -> l.onRoundEnd(dense));
    return dense;
  }

  /**
   * Closes the controller; if the training failed ({@code failure} not null), that error is the
   * one to report and a failing close is added to it.
   */
  private static void closeController(AutoCloseable closeable, Throwable failure) {
    try {
      closeable.close();
    } catch (Exception e) {
      if (failure != null) {
        failure.addSuppressed(e);
      } else {
        throw new IllegalStateException("closing the sparsity controller failed: "
            + e.getMessage(), e);
      }
    }
  }

  private static Weights initialWeights(PrunableModel model, RunStore store) throws IOException {
    if (store != null) {
      var saved = store.readWeights(RunStore.INITIAL_WEIGHTS);
      if (saved.isPresent()) {
        model.load(saved.get());
        return saved.get();
      }
      Weights w = model.state();
      store.writeWeights(RunStore.INITIAL_WEIGHTS, w);
      return w;
    }
    return model.state();
  }

  private <M extends PrunableModel> Round train(M model, Task<? super M> task, RunStore store,
      List<Round> done, int round, SparsityController method, Mask dense) throws IOException {
    TrainingListener listener = TrainingListener.NONE;
    for (ImpListener l : listeners) {
      listener = listener.andThen(l.onRoundStart(round, dense));
    }
    model.applyMask(dense);
    // both rounds see round 0's data order: the method is the only difference
    TrainingSummary training = task.train(model, method,
        new TrainingContext(round, Seeds.derive(seed, "train", 0), listener));
    Mask mask = training.finalMask();
    checkState(mask != null && mask.sameLayout(dense), "the %s controller ended with no mask or"
        + " a mask of other layers", method);
    model.applyMask(mask);
    Map<String, Double> metrics = new LinkedHashMap<>(task.evaluate(model).asMap());
    metrics.putAll(method.statistics());
    Round r = new Round(round, mask, Metrics.of(metrics), training);
    if (store != null) {
      List<Round> all = new ArrayList<>(done);
      all.add(r);
      store.writeRound(r, model.state());
      store.writeSummary(all, task.primaryMetric());
    }
    listeners.forEach(l -> l.onRoundEnd(r));
    return r;
  }

  /** Every setting that decides the outcome; a resumed run must match it exactly. */
  private JsonObject settings(SparsityController method, Task<?> task,
      List<ParameterInfo> prunable) {
    JsonObject s = new JsonObject();
    Map<String, Object> methodSettings = method.settings();
    s.addProperty("schedule", SCHEDULE);
    s.addProperty("rounds", 1);
    Object name = methodSettings.get("method");
    s.addProperty("method", name == null ? method.getClass().getName() : name.toString());
    s.add("method_settings", new Gson().toJsonTree(methodSettings));
    // the sparse round starts from the initial weights, as IMP's rewind to init does
    s.addProperty("rewind", "init");
    return RunSettings.complete(s, seed, prunable, task, extraSettings);
  }

  /** The SHA-256 of the settings this run records (names a run directory after them). */
  public String settingsFingerprint(PrunableModel model, Task<?> task) {
    return RunStore.settingsFingerprint(settings(controller.get(), task,
        selector.select(model.parameters())));
  }

  /** Configures a {@link SparseTraining}; only the controller is required. */
  public static final class Builder {
    private Supplier<? extends SparsityController> controller;
    private ParameterSelector selector = ParameterSelectors.defaults();
    private long seed;
    private Path runDirectory;
    private boolean resume;
    private final List<ImpListener> listeners = new ArrayList<>();
    private final Map<String, Object> extraSettings = new LinkedHashMap<>();
    private Path denseFrom;

    private Builder() {}

    /**
     * Takes round 0 (the dense network) from another run of the same network, data, task, seed
     * and initial weights (an {@link Imp} run or another sparse training run) instead of training
     * it again: one dense reference for several methods.
     */
    public Builder optDenseFrom(Path runDirectory) {
      this.denseFrom = runDirectory;
      return this;
    }

    /**
     * The method: a fresh controller for the sparse run (also asked once for its settings by
     * {@link #settingsFingerprint}).
     */
    public Builder setController(Supplier<? extends SparsityController> value) {
      this.controller = value;
      return this;
    }

    /** The parameters the method may prune; default {@link ParameterSelectors#defaults()}. */
    public Builder optSelector(ParameterSelector value) {
      this.selector = value;
      return this;
    }

    /** Seed of the data order; default 0. */
    public Builder optSeed(long value) {
      this.seed = value;
      return this;
    }

    /** Writes the run there; default: nothing is written. */
    public Builder optRunDirectory(Path value) {
      this.runDirectory = value;
      return this;
    }

    /** Continue the run in the run directory (skip its complete rounds). */
    public Builder optResume(boolean value) {
      this.resume = value;
      return this;
    }

    public Builder addListener(ImpListener listener) {
      listeners.add(listener);
      return this;
    }

    /** Records a setting the run does not see itself (model name, data set) in its config. */
    public Builder optSetting(String key, Object value) {
      extraSettings.put(key, value);
      return this;
    }

    public SparseTraining build() {
      checkArgument(controller != null, "a sparsity controller is required (setController)");
      checkArgument(selector != null, "selector must not be null");
      checkArgument(!resume || runDirectory != null,
          "resume needs a run directory (optRunDirectory)");
      return new SparseTraining(this);
    }
  }
}
