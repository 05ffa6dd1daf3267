package io.github.lth.core.sparse;

import static com.google.common.base.Preconditions.checkArgument;
import static com.google.common.base.Preconditions.checkState;

import io.github.lth.core.Mask;
import io.github.lth.core.Seeds;
import io.github.lth.core.SparsityController;
import io.github.lth.core.TrainingState;
import io.github.lth.core.Weights;
import io.github.lth.core.select.LowestSelection;
import io.github.lth.core.select.LowestSelections;
import io.github.lth.core.select.ScoredLayer;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * RigL, the Rigged Lottery (Evci et al. 2020): dynamic sparse training at a fixed sparsity. The
 * run starts from a random mask whose per-layer sparsities come from a
 * {@link SparsityDistribution} (ERK by default). Every {@code updateEvery} steps until
 * {@code endFraction} of training, each layer drops its {@code k} smallest-magnitude active
 * weights and grows the {@code k} inactive ones with the largest dense gradient magnitude,
 * {@code k = round(f(t) · active)} with the cosine-decayed fraction
 * {@code f(t) = α/2 · (1 + cos(π t / t_end))}. Every layer keeps its number of active weights;
 * grown weights start at zero (the training loop zeroes them and their optimizer state).
 *
 * <p>As in the paper's algorithm, growth chooses among all weights inactive after the drop, so
 * a weight just dropped can be grown back at once when its gradient is among the largest; it then
 * stays active and keeps its value (only weights inactive before the update start at zero). Ties
 * go to the lower flat index, as in every lth4j selection. A layer with fewer inactive weights
 * than {@code k} swaps only as many as it has.
 *
 * <pre>{@code
 * SparsityController rigl = Rigl.builder(0.9).optUpdateEvery(100).optDropFraction(0.3)
 *     .optSeed(7).build();
 * task.train(model, rigl, new TrainingContext(1, 7, listener));
 * }</pre>
 */
public final class Rigl implements SparsityController {
  private final double target;
  private final SparsityDistribution distribution;
  private final long updateEvery;
  private final double dropFraction;
  private final double endFraction;
  private final long seed;
  private long endStep;
  private long updates;

  private Rigl(Builder b) {
    this.target = b.target;
    this.distribution = b.distribution;
    this.updateEvery = b.updateEvery;
    this.dropFraction = b.dropFraction;
    this.endFraction = b.endFraction;
    this.seed = b.seed;
  }

  /** RigL at {@code targetSparsity}, in (0, 1). */
  public static Builder builder(double targetSparsity) {
    return new Builder(targetSparsity);
  }

  /** The mask RigL starts from: random, with the distribution's kept count in every layer. */
  public Mask initialMask(Mask like) {
    Map<String, Long> kept = distribution.keptCounts(like.shapes(), target);
    Mask.Builder b = Mask.builder();
    for (String layer : like.layers()) {
      int size = Math.toIntExact(like.size(layer));
      boolean[] keep = new boolean[size];
      for (int i = 0; i < kept.get(layer); i++) {
        keep[i] = true;
      }
      b.put(layer, like.shape(layer), keep);
    }
    return b.build().randomLike(Seeds.derive(seed, "rigl-mask", 0));
  }

  /** Whether the step count {@code step} is followed by a drop-and-grow update. */
  public boolean isUpdateStep(long step) {
    return step > 0 && step < endStep && step % updateEvery == 0;
  }

  /** How many drop-and-grow updates a run of {@code totalSteps} steps makes. */
  public long updatesIn(long totalSteps) {
    long end = Math.round(endFraction * totalSteps);
    return end <= 1 ? 0 : (end - 1) / updateEvery;
  }

  /** The fraction of each layer's active weights swapped at step count {@code step}. */
  public double updateFraction(long step) {
    return dropFraction / 2 * (1 + Math.cos(Math.PI * step / endStep));
  }

  /** Updates made since the run started. */
  public long updates() {
    return updates;
  }

  @Override
  public Mask start(TrainingState state) {
    endStep = Math.round(endFraction * state.totalSteps());
    updates = 0;
    return initialMask(state.mask());
  }

  @Override
  public boolean needsDenseGradients(long step) {
    return isUpdateStep(step);
  }

  @Override
  public Mask afterStep(TrainingState state) {
    long step = state.step();
    if (!isUpdateStep(step)) {
      return state.mask();
    }
    Mask mask = state.mask();
    List<String> layers = mask.layers();
    Weights weights = state.model().weights(layers);
    Weights gradients = state.denseGradients(layers);
    double fraction = updateFraction(step);
    LowestSelection kernel = LowestSelections.exact();
    Mask.Builder next = Mask.builder();
    for (String layer : layers) {
      long[] active = mask.words(layer);
      long size = mask.size(layer);
      long kept = mask.kept(layer);
      long swap = Math.min((long) Math.rint(fraction * kept), size - kept);
      if (swap > 0) {
        float[] magnitude = weights.values(layer);
        for (int i = 0; i < magnitude.length; i++) {
          magnitude[i] = Math.abs(magnitude[i]);
        }
        long[] dropped = kernel.select(List.of(new ScoredLayer(layer, magnitude, active)), swap)
            .chosen()[0];
        float[] growth = gradients.values(layer);
        for (int i = 0; i < growth.length; i++) {
          // the lowest score is grown first: the largest gradient magnitude
          growth[i] = -Math.abs(growth[i]);
        }
        long[] remaining = active.clone();
        for (int w = 0; w < remaining.length; w++) {
          remaining[w] &= ~dropped[w];
        }
        long[] inactive = complement(remaining, size);
        long[] grown = kernel.select(List.of(new ScoredLayer(layer, growth, inactive)), swap)
            .chosen()[0];
        for (int w = 0; w < remaining.length; w++) {
          remaining[w] |= grown[w];
        }
        active = remaining;
      }
      next.putWords(layer, mask.shape(layer), active);
    }
    updates++;
    Mask result = next.build();
    checkState(result.kept() == mask.kept(), "RigL changed the number of active weights");
    return result;
  }

  private static long[] complement(long[] words, long size) {
    long[] out = new long[words.length];
    for (int w = 0; w < words.length; w++) {
      out[w] = ~words[w];
    }
    int tail = (int) (size & 63);
    if (tail != 0) {
      out[out.length - 1] &= (1L << tail) - 1;
    }
    return out;
  }

  /** The number of drop-and-grow updates of the run ({@code rigl_updates}). */
  @Override
  public Map<String, Double> statistics() {
    return Map.of("rigl_updates", (double) updates);
  }

  @Override
  public Map<String, Object> settings() {
    Map<String, Object> s = new LinkedHashMap<>();
    s.put("method", "rigl");
    s.put("target_sparsity", target);
    s.put("distribution", distribution.name());
    s.put("update_every", updateEvery);
    s.put("drop_fraction", dropFraction);
    s.put("end_fraction", endFraction);
    s.put("seed", seed);
    return s;
  }

  @Override
  public String toString() {
    return "rigl" + settings();
  }

  /** Configures {@link Rigl}. */
  public static final class Builder {
    private final double target;
    private SparsityDistribution distribution = SparsityDistributions.erk();
    private long updateEvery = 100;
    private double dropFraction = 0.3;
    private double endFraction = 0.75;
    private long seed;

    private Builder(double target) {
      checkArgument(target > 0 && target < 1, "target sparsity must be in (0, 1): %s", target);
      this.target = target;
    }

    /** How the sparsity is split over the layers; default ERK. */
    public Builder optDistribution(SparsityDistribution value) {
      checkArgument(value != null, "distribution must not be null");
      this.distribution = value;
      return this;
    }

    /** Steps between two drop-and-grow updates (ΔT); default 100. */
    public Builder optUpdateEvery(long value) {
      checkArgument(value >= 1, "update interval must be at least one step: %s", value);
      this.updateEvery = value;
      return this;
    }

    /** The initial fraction α of active weights swapped; default 0.3. */
    public Builder optDropFraction(double value) {
      checkArgument(value > 0 && value <= 1, "drop fraction must be in (0, 1]: %s", value);
      this.dropFraction = value;
      return this;
    }

    /** Updates stop after this fraction of training; default 0.75. */
    public Builder optEndFraction(double value) {
      checkArgument(value > 0 && value <= 1, "end fraction must be in (0, 1]: %s", value);
      this.endFraction = value;
      return this;
    }

    /** Seed of the random initial mask; default 0. */
    public Builder optSeed(long value) {
      this.seed = value;
      return this;
    }

    public Rigl build() {
      return new Rigl(this);
    }
  }
}
