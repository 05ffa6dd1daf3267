package io.github.lth.core.sparse;

import static com.google.common.base.Preconditions.checkArgument;

import io.github.lth.core.Mask;
import io.github.lth.core.SparsityController;
import io.github.lth.core.TrainingState;
import io.github.lth.core.prune.PruningScope;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Gradual magnitude pruning (GMP; Zhu &amp; Gupta 2017): while the network trains, the smallest
 * weights are pruned on a {@link CubicSchedule}, globally or per layer, and the network trains on
 * with the mask for the rest of the run. Pruned weights stay pruned. The default prunes in 20
 * steps from 10 % to 75 % of training, leaving the last quarter to recover.
 *
 * <pre>{@code
 * SparsityController gmp = GradualMagnitudePruning.builder(0.9).optScope(PruningScope.LAYER).build();
 * task.train(model, gmp, new TrainingContext(1, seed, listener));
 * }</pre>
 */
public final class GradualMagnitudePruning implements SparsityController {
  private final double target;
  private final double initial;
  private final CubicSchedule.Span span;
  private final PruningScope scope;
  private CubicSchedule schedule;

  private GradualMagnitudePruning(Builder b) {
    this.target = b.target;
    this.initial = b.initial;
    this.span = b.span;
    this.scope = b.scope;
  }

  /** GMP to {@code targetSparsity}, in [0, 1). */
  public static Builder builder(double targetSparsity) {
    return new Builder(targetSparsity);
  }

  /** The schedule of the current run (known once the run has started). */
  public CubicSchedule schedule() {
    return schedule;
  }

  @Override
  public Mask start(TrainingState state) {
    schedule = span.over(state.totalSteps(), initial, target);
    // a run that starts late (rewound to step k) starts at the sparsity the schedule has there
    return pruneTo(state, schedule.start() <= state.step() ? schedule.sparsityAt(state.step())
        : 0);
  }

  @Override
  public Mask afterStep(TrainingState state) {
    if (!schedule.isPruningStep(state.step())) {
      return state.mask();
    }
    return pruneTo(state, schedule.sparsityAt(state.step()));
  }

  private Mask pruneTo(TrainingState state, double sparsity) {
    Mask current = state.mask();
    if (MagnitudeMasks.nothingToPrune(current, scope, sparsity)) {
      return current;
    }
    return MagnitudeMasks.prune(state.model(), current, scope, sparsity);
  }

  @Override
  public Map<String, Object> settings() {
    Map<String, Object> s = new LinkedHashMap<>();
    s.put("method", "gmp");
    s.put("target_sparsity", target);
    s.put("initial_sparsity", initial);
    span.addTo(s);
    s.put("scope", scope.name().toLowerCase(Locale.ROOT));
    return s;
  }

  @Override
  public String toString() {
    return "gmp" + settings();
  }

  /** Configures {@link GradualMagnitudePruning}. */
  public static final class Builder {
    private final double target;
    private double initial;
    private CubicSchedule.Span span = new CubicSchedule.Span(0.1, 0.75, 20);
    private PruningScope scope = PruningScope.GLOBAL;

    private Builder(double target) {
      checkArgument(target >= 0 && target < 1, "target sparsity must be in [0, 1): %s", target);
      this.target = target;
    }

    /** The sparsity of the first pruning step; default 0. */
    public Builder optInitialSparsity(double value) {
      checkArgument(value >= 0 && value <= target,
          "initial sparsity must be in [0, target = %s]: %s", target, value);
      this.initial = value;
      return this;
    }

    /** Pruning runs from {@code start} to {@code end}, fractions of training; default 0.1, 0.75. */
    public Builder optSpan(double start, double end) {
      this.span = span.withFractions(start, end);
      return this;
    }

    /**
     * Pruning steps in the span (the first prunes to the initial sparsity, the last to the
     * target; 1: once, to the target, at the start of the span); default 20.
     */
    public Builder optPruningSteps(int value) {
      this.span = span.withSteps(value);
      return this;
    }

    /** Global (one threshold) or per layer; default global. */
    public Builder optScope(PruningScope value) {
      checkArgument(value != null, "scope must not be null");
      this.scope = value;
      return this;
    }

    public GradualMagnitudePruning build() {
      return new GradualMagnitudePruning(this);
    }
  }
}
