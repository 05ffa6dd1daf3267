package io.github.lth.core.sparse;

import static com.google.common.base.Preconditions.checkArgument;

import io.github.lth.core.Mask;
import io.github.lth.core.Pruner;
import io.github.lth.core.Scores;
import io.github.lth.core.SparsityController;
import io.github.lth.core.TrainingState;
import io.github.lth.core.Weights;
import io.github.lth.core.prune.PruningScope;
import io.github.lth.core.schedule.PruningSchedules;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * WoodFisher (Singh &amp; Alistarh 2020): second-order pruning while the network trains. At each
 * pruning step the empirical Fisher of every layer is estimated, block-diagonally
 * ({@link BlockFisher}), from the dense gradients of the last {@code fisherSamples} optimizer
 * steps; the weights with the smallest Optimal Brain Surgeon saliency
 * {@code w² / (2 [F⁻¹]_qq)} are pruned, globally or per layer, and the surviving weights of each
 * block receive the OBS update that compensates for the removed ones. Gradual pruning follows
 * Zhu &amp; Gupta's {@link CubicSchedule}; {@code pruningSteps = 1} prunes once (one-shot) at the
 * start of the span and fine-tunes for the rest of the run.
 *
 * <p>The gradients are mini-batch gradients of consecutive steps (the weights move a little
 * between them), the usual cheap estimate of the empirical Fisher; they are copied to the host
 * only on the steps that feed a pruning step, and each pruning step uses only gradients taken
 * since the previous one (fewer than {@code fisherSamples} when pruning steps are closer than
 * that). Memory: the samples take {@code fisherSamples} host copies of the pruned layers'
 * gradients, and each pruning step holds every layer's Fisher factors (in double) at once.
 *
 * <pre>{@code
 * SparsityController wf = WoodFisherPruning.builder(0.9).optBlockSize(128).optFisherSamples(16)
 *     .build();
 * task.train(model, wf, new TrainingContext(1, seed, listener));
 * }</pre>
 */
public final class WoodFisherPruning implements SparsityController {
  private final double target;
  private final PruningScope scope;
  private final CubicSchedule.Span span;
  private final int blockSize;
  private final double dampening;
  private final int fisherSamples;
  private final List<Weights> gradients = new ArrayList<>();
  private CubicSchedule schedule;

  private WoodFisherPruning(Builder b) {
    this.target = b.target;
    this.scope = b.scope;
    this.span = b.span;
    this.blockSize = b.blockSize;
    this.dampening = b.dampening;
    this.fisherSamples = b.fisherSamples;
  }

  /** WoodFisher to {@code targetSparsity}, in (0, 1). */
  public static Builder builder(double targetSparsity) {
    return new Builder(targetSparsity);
  }

  /** The schedule of the current run (known once the run has started). */
  public CubicSchedule schedule() {
    return schedule;
  }

  @Override
  public Mask start(TrainingState state) {
    long total = state.totalSteps();
    checkArgument(total > fisherSamples, "WoodFisher needs more training steps than gradients"
        + " per Fisher estimate: %s steps, %s samples", total, fisherSamples);
    CubicSchedule planned = span.over(total, 0, target);
    // the first pruning step needs that many gradients before it
    long start = Math.min(Math.max(planned.start(), fisherSamples), total - 1);
    long end = Math.max(start, planned.end());
    // one pruning step: the span's last step is its first, so start == end after the shift too
    schedule = CubicSchedule.of(0, target, start, end, planned.frequency());
    gradients.clear();
    return state.mask();
  }

  @Override
  public boolean needsDenseGradients(long step) {
    long next = schedule.nextPruningStep(step);
    return next >= 0 && next - step < fisherSamples && schedule.sparsityAt(next) > 0;
  }

  @Override
  public Mask afterStep(TrainingState state) {
    long step = state.step();
    Mask mask = state.mask();
    if (needsDenseGradients(step)) {
      gradients.add(state.denseGradients(mask.layers()));
      if (gradients.size() > fisherSamples) {
        gradients.remove(0);
      }
    }
    if (!schedule.isPruningStep(step)) {
      return mask;
    }
    double sparsity = schedule.sparsityAt(step);
    if (MagnitudeMasks.nothingToPrune(mask, scope, sparsity)) {
      gradients.clear();
      return mask;
    }
    Mask next = prune(state, mask, sparsity);
    gradients.clear();
    return next;
  }

  private Mask prune(TrainingState state, Mask mask, double sparsity) {
    List<String> layers = mask.layers();
    Weights weights = state.model().weights(layers);
    Map<String, BlockFisher> fishers = new LinkedHashMap<>();
    Weights.Builder saliency = Weights.builder();
    for (String layer : layers) {
      List<float[]> samples = new ArrayList<>(gradients.size());
      for (Weights g : gradients) {
        samples.add(g.values(layer));
      }
      BlockFisher fisher = BlockFisher.estimate(samples, blockSize, dampening);
      fishers.put(layer, fisher);
      saliency.putOwned(layer, mask.shape(layer), fisher.saliencies(weights.values(layer)));
    }
    Mask next = Pruner.prune(mask, Scores.of(saliency.build()), scope,
        PruningSchedules.oneShot(sparsity), 1);
    Weights.Builder updated = Weights.builder();
    for (String layer : layers) {
      if (next.kept(layer) < mask.kept(layer)) {
        updated.putOwned(layer, mask.shape(layer),
            fishers.get(layer).prune(weights.values(layer), next.words(layer)));
      }
    }
    state.model().load(updated.build());
    return next;
  }

  @Override
  public Map<String, Object> settings() {
    Map<String, Object> s = new LinkedHashMap<>();
    s.put("method", "woodfisher");
    s.put("target_sparsity", target);
    s.put("scope", scope.name().toLowerCase(Locale.ROOT));
    span.addTo(s);
    s.put("block_size", blockSize);
    s.put("dampening", dampening);
    s.put("fisher_samples", fisherSamples);
    return s;
  }

  @Override
  public String toString() {
    return "woodfisher" + settings();
  }

  /** Configures {@link WoodFisherPruning}. */
  public static final class Builder {
    private final double target;
    private PruningScope scope = PruningScope.GLOBAL;
    private CubicSchedule.Span span = new CubicSchedule.Span(0.1, 0.75, 10);
    private int blockSize = 128;
    private double dampening = 1e-5;
    private int fisherSamples = 16;

    private Builder(double target) {
      checkArgument(target > 0 && target < 1, "target sparsity must be in (0, 1): %s", target);
      this.target = target;
    }

    /** Global (saliencies compared over all layers) or per layer; default global. */
    public Builder optScope(PruningScope value) {
      checkArgument(value != null, "scope must not be null");
      this.scope = value;
      return this;
    }

    /** Pruning runs from {@code start} to {@code end}, fractions of training; default 0.1, 0.75. */
    public Builder optSpan(double start, double end) {
      this.span = span.withFractions(start, end);
      return this;
    }

    /**
     * Pruning steps in the span (the first prunes nothing, the last to the target; 1: one-shot
     * pruning to the target at the start of the span); default 10.
     */
    public Builder optPruningSteps(int value) {
      this.span = span.withSteps(value);
      return this;
    }

    /** Size of the Fisher's diagonal blocks, in weights; default 128. */
    public Builder optBlockSize(int value) {
      checkArgument(value >= 1, "Fisher block size must be at least 1: %s", value);
      this.blockSize = value;
      return this;
    }

    /** λ added to the Fisher's diagonal; default 1e-5. */
    public Builder optDampening(double value) {
      checkArgument(value > 0 && Double.isFinite(value),
          "Fisher dampening must be positive and finite: %s", value);
      this.dampening = value;
      return this;
    }

    /** Gradients per Fisher estimate (the steps before each pruning step); default 16. */
    public Builder optFisherSamples(int value) {
      checkArgument(value >= 1, "Fisher samples must be at least 1: %s", value);
      this.fisherSamples = value;
      return this;
    }

    public WoodFisherPruning build() {
      return new WoodFisherPruning(this);
    }
  }
}
