package io.github.lth.core;

import static com.google.common.base.Preconditions.checkArgument;
import static com.google.common.base.Preconditions.checkState;

import com.google.gson.JsonObject;
import io.github.lth.core.prune.ParameterSelector;
import io.github.lth.core.prune.ParameterSelectors;
import io.github.lth.core.prune.PruningCriteria;
import io.github.lth.core.prune.PruningCriterion;
import io.github.lth.core.prune.PruningScope;
import io.github.lth.core.prune.PruningStep;
import io.github.lth.core.rewind.Rewind;
import io.github.lth.core.rewind.Rewinds;
import io.github.lth.core.run.RunStore;
import io.github.lth.core.schedule.PruningSchedule;
import io.github.lth.core.schedule.PruningSchedules;
import io.github.lth.core.structured.FilterCriterion;
import io.github.lth.core.structured.FilterLayout;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.DoubleSupplier;

/**
 * Iterative magnitude pruning (Frankle &amp; Carbin; Algorithm 1 of Chen et al. 2021): train the
 * dense network (round 0), then repeatedly prune a share of the remaining weights, rewind the
 * survivors and train again, until the schedule ends.
 *
 * <pre>{@code
 * ImpResult r = Imp.run(model, task, PruningSchedules.imp(0.2, 0.9));
 *
 * ImpResult late = Imp.builder()
 *     .setSchedule(PruningSchedules.imp(0.2, 0.9))
 *     .optRewind(Rewinds.toStep(500))
 *     .optSeed(7)
 *     .optRunDirectory(Path.of("runs/lenet"))
 *     .build()
 *     .run(model, task);
 * }</pre>
 *
 * <p>A run directory (see {@link RunStore}) receives every completed round atomically; with
 * {@link Builder#optResume} a run continues after its last complete round and ends with the same
 * masks as an uninterrupted run of the same seed.
 */
public final class Imp {
  private final PruningSchedule schedule;
  private final PruningCriterion criterion;
  private final PruningScope scope;
  private final ParameterSelector selector;
  private final Rewind rewind;
  private final long seed;
  private final Path runDirectory;
  private final boolean resume;
  private final List<ImpListener> listeners;
  private final Map<String, Object> extraSettings;

  private Imp(Builder b) {
    this.schedule = b.schedule;
    this.criterion = b.criterion;
    this.scope = b.scope;
    this.selector = b.selector;
    this.rewind = b.rewind;
    this.seed = b.seed;
    this.runDirectory = b.runDirectory;
    this.resume = b.resume;
    this.listeners = List.copyOf(b.listeners);
    // insertion order: settings are hashed into the run's fingerprint
    this.extraSettings = Collections.unmodifiableMap(new LinkedHashMap<>(b.extraSettings));
  }

  /** Runs IMP with the defaults: magnitude, global scope, rewind to θ₀, seed 0, nothing stored. */
  public static <M extends PrunableModel> ImpResult run(M model, Task<? super M> task,
      PruningSchedule schedule) {
    return builder().setSchedule(schedule).build().run(model, task);
  }

  public static Builder builder() {
    return new Builder();
  }

  /** A builder holding this IMP's settings, to change some of them. */
  public Builder toBuilder() {
    Builder b = new Builder();
    b.schedule = schedule;
    b.criterion = criterion;
    b.scope = scope;
    b.selector = selector;
    b.rewind = rewind;
    b.seed = seed;
    b.runDirectory = runDirectory;
    b.resume = resume;
    b.listeners.addAll(listeners);
    b.extraSettings.putAll(extraSettings);
    return b;
  }

  /**
   * Runs IMP on {@code model}, which is changed in place (it ends holding the last round's
   * trained weights).
   *
   * @throws UncheckedIOException if the run directory cannot be read or written
   * @throws IllegalArgumentException on settings that do not fit the model, or a run directory
   *     holding a different run
   */
  public <M extends PrunableModel> ImpResult run(M model, Task<? super M> task) {
    List<ParameterInfo> prunable = selector.select(model.parameters());
    checkArgument(!prunable.isEmpty(), "no prunable parameters: the selector chose none of %s",
        model.parameters().stream().map(ParameterInfo::name).toList());
    Map<String, long[]> shapes = new LinkedHashMap<>();
    prunable.forEach(p -> shapes.put(p.name(), p.shape()));
    Mask dense = Mask.dense(shapes);
    checkFilterLayout(dense);
    int rounds = schedule.rounds();

    long rewindStep = rewindStep(rewind, task.plan());
    if (rewind instanceof Rewind.ToPretrained pretrained) {
      model.load(pretrained.weights());
    }
    try (RunStore store = openStore(model, task, prunable, rounds)) {
      return new Execution<>(model, task, store, rounds, rewindStep).run(dense);
    } catch (IOException e) {
      throw new UncheckedIOException(e.getMessage(), e);
    }
  }

  /** A filter criterion's layout problems show before round 0 trains, not after it. */
  private void checkFilterLayout(Mask dense) {
    if (criterion instanceof FilterCriterion) {
      try {
        FilterLayout.of(dense);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("criterion: " + describe(criterion)
            + " prunes whole filters: " + e.getMessage(), e);
      }
    }
  }

  /**
   * The step of a late rewind point ({@code step:K}, {@code epoch:E} = E × steps per epoch,
   * {@code fraction:F} = round(F × T)), or 0 for every other rewind.
   *
   * @throws IllegalArgumentException if the point is not before the end of training
   */
  static long rewindStep(Rewind rewind, TrainingPlan plan) {
    long k;
    if (rewind instanceof Rewind.ToStep s) {
      k = s.step();
    } else if (rewind instanceof Rewind.ToEpoch e) {
      k = e.epoch() * plan.stepsPerEpoch();
    } else if (rewind instanceof Rewind.ToFraction f) {
      k = Math.round(f.fraction() * plan.totalSteps());
    } else {
      return 0;
    }
    checkArgument(k < plan.totalSteps(), "rewind %s is step %s, but training ends after %s steps"
        + " (%s per epoch)", rewind.spec(), k, plan.totalSteps(), plan.stepsPerEpoch());
    return k;
  }

  /** The seed of a round's data order: round 0's for late rewinding, the round's own otherwise. */
  static long dataSeed(long seed, long rewindStep, int round) {
    return Seeds.derive(seed, "train", rewindStep > 0 ? 0 : round);
  }

  /** The step a round's training starts at: the rewind step after round 0 of late rewinding. */
  static long startStep(long rewindStep, int round) {
    return round > 0 && rewindStep > 0 ? rewindStep : 0;
  }

  static boolean isLate(Rewind rewind) {
    return rewind instanceof Rewind.ToStep || rewind instanceof Rewind.ToEpoch
        || rewind instanceof Rewind.ToFraction;
  }

  /**
   * The SHA-256 of the settings a run of this IMP on {@code model} and {@code task} records in
   * its config.json ({@code settings_sha256}): the same settings give the same fingerprint, so a
   * command line can name a run directory after it and find the run again.
   */
  public String settingsFingerprint(PrunableModel model, Task<?> task) {
    List<ParameterInfo> prunable = selector.select(model.parameters());
    return RunStore.settingsFingerprint(settings(task, prunable, schedule.rounds()));
  }

  private RunStore openStore(PrunableModel model, Task<?> task, List<ParameterInfo> prunable,
      int rounds) throws IOException {
    if (runDirectory == null) {
      return null;
    }
    return RunStore.open(runDirectory, settings(task, prunable, rounds), model.provenance(),
        resume);
  }

  /** Every setting that decides the outcome; a resumed run must match it exactly. */
  JsonObject settings(Task<?> task, List<ParameterInfo> prunable, int rounds) {
    JsonObject s = new JsonObject();
    s.addProperty("schedule", schedule.toString());
    if (schedule instanceof PruningSchedules.FixedRate fixed) {
      s.addProperty("rate", fixed.rate());
      s.addProperty("target_sparsity", fixed.target());
    }
    s.addProperty("rounds", rounds);
    s.addProperty("criterion", describe(criterion));
    s.addProperty("scope", scope.name().toLowerCase(java.util.Locale.ROOT));
    s.addProperty("rewind", rewind.spec());
    if (rewind instanceof Rewind.ToPretrained p) {
      s.addProperty("pretrained_sha256", RunStore.fingerprint(p.weights()));
    }
    return RunSettings.complete(s, seed, prunable, task, extraSettings);
  }

  private static String describe(PruningCriterion c) {
    String name = c.toString();
    String className = c.getClass().getName();
    int lambda = className.indexOf("$$Lambda");
    if (lambda >= 0) {
      return className.substring(0, lambda) + " (lambda)";
    }
    return name.startsWith(className + "@") ? className : name;
  }

  /** The state of one run: the model, the rewind points and the rounds so far. */
  private final class Execution<M extends PrunableModel> {
    private final M model;
    private final Task<? super M> task;
    private final RunStore store;
    private final int rounds;
    private final List<Round> done = new ArrayList<>();
    private final long rewindStep;
    private Snapshot initial;
    private Snapshot rewindPoint;

    Execution(M model, Task<? super M> task, RunStore store, int rounds, long rewindStep) {
      this.model = model;
      this.task = task;
      this.store = store;
      this.rounds = rounds;
      this.rewindStep = rewindStep;
    }

    ImpResult run(Mask dense) throws IOException {
      try {
        if (store != null) {
          for (Round r : store.completedRounds()) {
            checkState(r.mask().sameLayout(dense),
                "run directory %s: round %s has a mask of other layers", runDirectory, r.index());
            done.add(r);
          }
        }
        int first = done.size();
        if (first > 0) {
          store.writeSummaryIfStale(done, task.primaryMetric());
        }
        listeners.forEach(l -> l.onRunStart(rounds, first));
        restoreOrCaptureInitial();
        if (first == 0) {
          trainRound(0, dense);
        } else {
          restoreRewindPoint();
          model.load(store.readTrainedWeights(done.size() - 1));
        }
        Mask mask = done.get(done.size() - 1).mask();
        for (int r = Math.max(1, first); r <= rounds; r++) {
          Snapshot reference = rewindPoint != null ? rewindPoint : initial;
          Mask next = model.prune(new PruningStep(mask, criterion, scope, schedule, r, reference));
          rewindBefore(r);
          trainRound(r, next);
          mask = next;
        }
        ImpResult result = new ImpResult(done, task.primaryMetric(), task.higherIsBetter(),
            runDirectory);
        listeners.forEach(l -> l.onRunEnd(result));
        return result;
      } finally {
        if (initial != null) {
          initial.close();
        }
        if (rewindPoint != null) {
          rewindPoint.close();
        }
      }
    }

    private void restoreOrCaptureInitial() throws IOException {
      if (store != null) {
        var saved = store.readWeights(RunStore.INITIAL_WEIGHTS);
        if (saved.isPresent()) {
          model.load(saved.get());
        } else {
          store.writeWeights(RunStore.INITIAL_WEIGHTS, model.state());
        }
      }
      initial = model.snapshot();
    }

    private void restoreRewindPoint() throws IOException {
      if (rewindStep > 0) {
        Weights w = store.readWeights(RunStore.REWIND_WEIGHTS).orElseThrow(() ->
            new IllegalStateException("run directory " + runDirectory + " lacks "
                + RunStore.REWIND_WEIGHTS + " for rewind " + rewind.spec()));
        model.load(w);
        rewindPoint = model.snapshot();
      }
    }

    private void rewindBefore(int round) {
      if (rewindStep > 0) {
        model.restore(rewindPoint);
      } else if (rewind instanceof Rewind.ToInit || rewind instanceof Rewind.ToPretrained
          || isLate(rewind)) {
        // a late point that falls on step 0 (a small fraction of a short run) is θ₀
        model.restore(initial);
      } else if (rewind instanceof Rewind.Reinit) {
        model.reinitialize(Seeds.derive(seed, "reinit", round));
      }
      // Rewind.None: continue from the trained weights
    }

    private void trainRound(int round, Mask mask) throws IOException {
      TrainingListener listener = TrainingListener.NONE;
      for (ImpListener l : listeners) {
        listener = listener.andThen(l.onRoundStart(round, mask));
      }
      if (round == 0 && rewindStep > 0) {
        listener = listener.andThen(new RewindCapture());
      }
      model.applyMask(mask);
      // Late rewinding continues round 0's schedule from step k: same data order, same
      // learning rate at every step; other rewinds train every round from step 0 with its own
      // data order.
      TrainingSummary training = task.train(model, SparsityControllers.fixed(mask),
          new TrainingContext(round, dataSeed(seed, rewindStep, round), listener,
              startStep(rewindStep, round)));
      if (round == 0 && rewindStep > 0) {
        checkState(rewindPoint != null, "rewind %s: round 0 ended after %s steps, before the "
            + "rewind point at step %s", rewind.spec(), training.steps(), rewindStep);
        if (store != null) {
          store.writeWeights(RunStore.REWIND_WEIGHTS, rewindPoint.toWeights());
        }
      }
      Metrics metrics = task.evaluate(model);
      Round r = new Round(round, mask, metrics, training);
      done.add(r);
      if (store != null) {
        store.writeRound(r, model.state());
        store.writeSummary(done, task.primaryMetric());
      }
      listeners.forEach(l -> l.onRoundEnd(r));
    }

    /** Snapshots the weights after the rewind step of round 0 (late resetting). */
    private final class RewindCapture implements TrainingListener {
      @Override
      public void onStep(long step, int epoch, long batch, DoubleSupplier loss) {
        if (step == rewindStep && rewindPoint == null) {
          rewindPoint = model.snapshot();
        }
      }
    }
  }

  /** Configures an {@link Imp}; only the schedule is required. */
  public static final class Builder {
    private PruningSchedule schedule;
    private PruningCriterion criterion = PruningCriteria.magnitude();
    private PruningScope scope = PruningScope.GLOBAL;
    private ParameterSelector selector = ParameterSelectors.defaults();
    private Rewind rewind = Rewinds.toInit();
    private long seed;
    private Path runDirectory;
    private boolean resume;
    private final List<ImpListener> listeners = new ArrayList<>();
    private final Map<String, Object> extraSettings = new LinkedHashMap<>();

    private Builder() {}

    public Builder setSchedule(PruningSchedule schedule) {
      this.schedule = schedule;
      return this;
    }

    /** Default {@link PruningCriteria#magnitude()}. */
    public Builder optCriterion(PruningCriterion criterion) {
      this.criterion = criterion;
      return this;
    }

    /** Default {@link PruningScope#GLOBAL}. */
    public Builder optScope(PruningScope scope) {
      this.scope = scope;
      return this;
    }

    /** Default {@link ParameterSelectors#defaults()}. */
    public Builder optSelector(ParameterSelector selector) {
      this.selector = selector;
      return this;
    }

    /** Default {@link Rewinds#toInit()}. */
    public Builder optRewind(Rewind rewind) {
      this.rewind = rewind;
      return this;
    }

    /** Seed of the data order and re-initializations; default 0. */
    public Builder optSeed(long seed) {
      this.seed = seed;
      return this;
    }

    /** Writes the run there (config, rounds, results, plot); default: nothing is written. */
    public Builder optRunDirectory(Path runDirectory) {
      this.runDirectory = runDirectory;
      return this;
    }

    /** Continue the run in the run directory after its last complete round. */
    public Builder optResume(boolean resume) {
      this.resume = resume;
      return this;
    }

    public Builder addListener(ImpListener listener) {
      listeners.add(listener);
      return this;
    }

    /**
     * Records a setting that is not visible to IMP itself (model name, data set) in the run's
     * config; a resumed run must have the same value.
     */
    public Builder optSetting(String key, Object value) {
      extraSettings.put(key, value);
      return this;
    }

    public Imp build() {
      checkArgument(schedule != null, "a pruning schedule is required (setSchedule)");
      checkArgument(criterion != null && scope != null && selector != null && rewind != null,
          "criterion, scope, selector and rewind must not be null");
      checkArgument(!resume || runDirectory != null,
          "resume needs a run directory (optRunDirectory)");
      return new Imp(this);
    }
  }
}
