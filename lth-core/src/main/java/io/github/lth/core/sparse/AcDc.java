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
 * AC/DC, alternating compressed / decompressed training (Peste et al. 2021): a dense warm-up,
 * then sparse and dense phases in turn, and a final sparse phase. Each sparse phase starts by
 * keeping the largest-magnitude weights of the (dense) network at the target sparsity, globally
 * or per layer, and trains with that mask; each dense phase trains every weight again, the ones
 * the sparse phase pruned starting from zero. The run ends sparse.
 *
 * <p>Phase lengths are fractions of the run; the default (warm-up 10 %, sparse and dense phases
 * of 5 % each, final sparse phase 10 %) is the paper's 100-epoch schedule of 10 / 5 / 5 / 10
 * epochs scaled to the run. A dense phase that would run into the final phase is cut short.
 *
 * <pre>{@code
 * SparsityController acdc = AcDc.builder(0.9).optPhases(0.1, 0.05, 0.05, 0.1).build();
 * task.train(model, acdc, new TrainingContext(1, seed, listener));
 * }</pre>
 */
public final class AcDc implements SparsityController {
  private final double target;
  private final double warmup;
  private final double sparsePhase;
  private final double densePhase;
  private final double finalPhase;
  private final PruningScope scope;
  private long warmupSteps;
  private long sparseSteps;
  private long denseSteps;
  private long finalStart;

  private AcDc(Builder b) {
    this.target = b.target;
    this.warmup = b.warmup;
    this.sparsePhase = b.sparsePhase;
    this.densePhase = b.densePhase;
    this.finalPhase = b.finalPhase;
    this.scope = b.scope;
  }

  /** AC/DC at {@code targetSparsity}, in [0, 1). */
  public static Builder builder(double targetSparsity) {
    return new Builder(targetSparsity);
  }

  /**
   * Whether the optimizer step taken at step count {@code step} (0-based) is in a sparse phase.
   * Known once the run has started.
   */
  public boolean isSparse(long step) {
    if (step >= finalStart) {
      return true;
    }
    if (step < warmupSteps) {
      return false;
    }
    return (step - warmupSteps) % (sparseSteps + denseSteps) < sparseSteps;
  }

  @Override
  public Mask start(TrainingState state) {
    long total = state.totalSteps();
    warmupSteps = Math.round(warmup * total);
    sparseSteps = Math.max(1, Math.round(sparsePhase * total));
    denseSteps = Math.max(1, Math.round(densePhase * total));
    finalStart = Math.max(warmupSteps, total - Math.max(1, Math.round(finalPhase * total)));
    return maskFor(state, MagnitudeMasks.dense(state.mask()));
  }

  @Override
  public Mask afterStep(TrainingState state) {
    return state.step() < state.totalSteps() ? maskFor(state, state.mask()) : state.mask();
  }

  /** The mask of the step about to be taken: a new top-k mask when a sparse phase begins. */
  private Mask maskFor(TrainingState state, Mask current) {
    boolean sparseNow = current.kept() < current.size();
    boolean sparseNext = isSparse(state.step());
    if (sparseNext == sparseNow) {
      return current;
    }
    return sparseNext
        ? MagnitudeMasks.prune(state.model(), MagnitudeMasks.dense(current), scope, target)
        : MagnitudeMasks.dense(current);
  }

  @Override
  public Map<String, Object> settings() {
    Map<String, Object> s = new LinkedHashMap<>();
    s.put("method", "acdc");
    s.put("target_sparsity", target);
    s.put("warmup_fraction", warmup);
    s.put("sparse_phase_fraction", sparsePhase);
    s.put("dense_phase_fraction", densePhase);
    s.put("final_phase_fraction", finalPhase);
    s.put("scope", scope.name().toLowerCase(Locale.ROOT));
    return s;
  }

  @Override
  public String toString() {
    return "acdc" + settings();
  }

  /** Configures {@link AcDc}. */
  public static final class Builder {
    private final double target;
    private double warmup = 0.1;
    private double sparsePhase = 0.05;
    private double densePhase = 0.05;
    private double finalPhase = 0.1;
    private PruningScope scope = PruningScope.GLOBAL;

    private Builder(double target) {
      checkArgument(target > 0 && target < 1, "target sparsity must be in (0, 1): %s", target);
      this.target = target;
    }

    /**
     * Phase lengths as fractions of training: dense warm-up, each sparse phase, each dense
     * phase, and the final sparse phase.
     */
    public Builder optPhases(double warmup, double sparse, double dense, double last) {
      checkArgument(warmup >= 0 && warmup < 1, "warm-up fraction must be in [0, 1): %s", warmup);
      checkArgument(sparse > 0 && sparse < 1, "sparse phase fraction must be in (0, 1): %s",
          sparse);
      checkArgument(dense > 0 && dense < 1, "dense phase fraction must be in (0, 1): %s", dense);
      checkArgument(last > 0 && last <= 1, "final phase fraction must be in (0, 1]: %s", last);
      checkArgument(warmup + last <= 1, "warm-up %s and final phase %s exceed the run", warmup,
          last);
      this.warmup = warmup;
      this.sparsePhase = sparse;
      this.densePhase = dense;
      this.finalPhase = last;
      return this;
    }

    /** Global (one threshold) or per layer; default global. */
    public Builder optScope(PruningScope value) {
      checkArgument(value != null, "scope must not be null");
      this.scope = value;
      return this;
    }

    public AcDc build() {
      return new AcDc(this);
    }
  }
}
