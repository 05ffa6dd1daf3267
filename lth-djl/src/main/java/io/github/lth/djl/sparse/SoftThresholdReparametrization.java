package io.github.lth.djl.sparse;

import static com.google.common.base.Preconditions.checkArgument;
import static com.google.common.base.Preconditions.checkState;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Activation;
import io.github.lth.core.Mask;
import io.github.lth.core.SparsityController;
import io.github.lth.core.TrainingState;
import io.github.lth.core.Weights;
import io.github.lth.core.prune.PruningCriteria;
import io.github.lth.core.prune.PruningScope;
import io.github.lth.core.prune.PruningStep;
import io.github.lth.core.schedule.PruningSchedules;
import io.github.lth.djl.DjlModel;
import io.github.lth.djl.WeightView;
import io.github.lth.djl.internal.Temporaries;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;

/**
 * Soft Threshold Reparametrization (STR, Kusupati et al. 2020) as a {@link SparsityController}:
 * the network learns how sparse each layer should be.
 *
 * <p><b>The STR phase.</b> Every masked layer's weights W are used in the forward pass as
 * {@code S(W, s) = sign(W) · relu(|W| − g(s))} with {@code g = sigmoid} and a learnable
 * threshold parameter s: one per layer ({@link PruningScope#LAYER}, STR's own choice) or one
 * shared by all masked layers ({@link PruningScope#GLOBAL}). The optimizer of the run trains the
 * latent W as usual (autograd gives it the upstream gradient where {@code |W| > g(s)}, zero
 * elsewhere); this controller trains s after every optimizer step with plain SGD,
 * {@code s ← s − η·(∂L/∂s + λ·s)}. Starting from a very negative s the network is almost dense;
 * the decay λ pulls s towards 0, which raises the threshold g(s), and the loss gradient resists
 * wherever thresholding hurts — that balance is what makes STR's layers sparse. The model sees
 * S(W, s) through a {@link DjlModel#setWeightView weight view}, in training and evaluation
 * alike, while its parameters (and {@code model.weights()}) stay the latent W.
 *
 * <p><b>A target sparsity.</b> STR itself has a fixed λ and so reaches whatever sparsity λ gives.
 * To let a run ask for a sparsity, lth4j makes λ a dual variable (dual ascent on the constraint
 * "sparsity ≥ target"): after every step, {@code λ ← max(0, λ + ρ·(target(t) − current(t)))},
 * where target(t) follows Zhu &amp; Gupta's cubic ramp {@code s_f·(1 − (1 − t/T)³)} from the run's
 * first step to the freeze step T, and current(t) is the fraction of exact zeros of S(W, s) over
 * all masked layers. There is one λ for the whole network whatever the scope, as in STR, so the
 * per-layer thresholds still decide how the sparsity spreads over the layers. This runs on the
 * model's device every step and reads nothing back to the host.
 *
 * <p><b>The freeze.</b> At step {@code round(freezeFraction × totalSteps)} the controller writes
 * S(W, s) into the weights, removes the view, frees its thresholds and answers the mask of S's
 * nonzeros; the remaining steps fine-tune that fixed mask. With a target, a mask less sparse
 * than the target is topped up exactly to it by magnitude (lth4j's exact pruning over all masked
 * layers, so the layers keep the spread STR learned); a sparser one is kept. {@link #strSparsity()} reports what STR reached by
 * itself.
 *
 * <p>A controller drives one run at a time; {@link #start} resets it, so it can be reused for
 * the next run. Close it (or let the freeze happen) to free its arrays; closing also removes the
 * view from the model if a run stopped before the freeze.
 *
 * <pre>{@code
 * try (SoftThresholdReparametrization str = SoftThresholdReparametrization.builder()
 *     .optTargetSparsity(0.9).optScope(PruningScope.GLOBAL).build()) {
 *   TrainingSummary s = loop.run(model, str, new TrainingContext(0, 42, TrainingListener.NONE));
 *   System.out.println("STR alone: " + str.strOverallSparsity()
 *       + ", final: " + s.finalMask().sparsity());
 * }
 * }</pre>
 */
public final class SoftThresholdReparametrization implements SparsityController, AutoCloseable {
  /**
   * Default initial threshold parameter: g(−10) ≈ 4.5e-5, below all but a few per mille of the
   * weights of the usual initializations (fan-in scaled, |w| of order 1e-2 to 1e-1), so training
   * starts practically dense, and close enough that the decay reaches the useful range (g of
   * the order of the weights, s ≈ −5 to −1) within a short run.
   */
  public static final double DEFAULT_S_INIT = -10;
  /**
   * Default learning rate η of the thresholds, STR's own order (it trains s with the network's
   * SGD rate, 0.1). With a target, η·ρ is the gain of the dual ascent (λ only acts through η·λ);
   * 0.1 × 10 = 1 tracked the cubic ramp within a few per cent on LeNet-300-100 and Conv-4
   * (Adam and SGD, targets 0.9 and 0.98), where gains of 0.01 or less overshot by up to 0.5
   * early in the ramp and could prune whole layers for good.
   */
  public static final double DEFAULT_THRESHOLD_LEARNING_RATE = 0.1;
  /**
   * Default decay λ of the thresholds: a common weight decay. Without a target it alone sets
   * STR's sparsity and long runs need it tuned, as in STR; with a target it is only λ's start.
   */
  public static final double DEFAULT_THRESHOLD_DECAY = 5e-4;
  /** Default step ρ of the dual ascent on λ (used only with a target); see η's default. */
  public static final double DEFAULT_RHO = 10;
  /** Default fraction of the run trained with STR before the mask is frozen. */
  public static final double DEFAULT_FREEZE_FRACTION = 0.8;

  private final double sInit;
  private final double learningRate;
  private final double decay;
  private final double rho;
  private final double freezeFraction;
  private final PruningScope scope;
  /** NaN without a target. */
  private final double target;
  private final WeightView view = this::softThreshold;

  // ---- state of the current run
  private DjlModel model;
  /** Holds the thresholds and decays of the STR phase; null outside it. */
  private NDManager arrays;
  private List<Group> groups = List.of();
  /**
   * The decay λ of every threshold: one for the whole network, as in STR, so the thresholds learn
   * how sparse each layer becomes; with a target it is the dual variable of the overall sparsity.
   */
  private NDArray sharedDecay;
  private long maskedSize;
  private Map<String, Group> groupOf = Map.of();
  private long startStep;
  private long freezeStep;
  private Map<String, Double> strSparsity = Map.of();
  private double strOverall = Double.NaN;
  private Map<String, Double> frozenThresholds = Map.of();
  private Map<String, Double> frozenDecays = Map.of();

  /** Layers sharing one threshold parameter s. */
  private static final class Group {
    final List<String> layers;
    final NDArray s;

    Group(List<String> layers, NDArray s) {
      this.layers = layers;
      this.s = s;
    }
  }

  private SoftThresholdReparametrization(Builder b) {
    this.sInit = b.sInit;
    this.learningRate = b.learningRate;
    this.decay = b.decay;
    this.rho = b.rho;
    this.freezeFraction = b.freezeFraction;
    this.scope = b.scope;
    this.target = b.target;
  }

  public static Builder builder() {
    return new Builder();
  }

  /**
   * Resets the controller, creates the thresholds (s = sInit) on the model's device and sets the
   * weight view. The masked layers are those of {@code state.mask()}; entries it prunes stay
   * pruned (their weights are 0, so S is 0 there).
   *
   * @throws IllegalArgumentException if the model is not a {@link DjlModel}, the mask covers no
   *     layer, or the run starts at or after the freeze step
   */
  @Override
  public Mask start(TrainingState state) {
    release();
    strSparsity = Map.of();
    strOverall = Double.NaN;
    frozenThresholds = Map.of();
    frozenDecays = Map.of();
    checkArgument(state.model() instanceof DjlModel,
        "STR trains through a weight view of a DjlModel; the model is a %s",
        state.model().getClass().getSimpleName());
    model = (DjlModel) state.model();
    Mask mask = state.mask();
    checkArgument(!mask.layers().isEmpty(), "STR needs at least one masked layer");
    startStep = state.step();
    freezeStep = Math.max(1, Math.round(freezeFraction * state.totalSteps()));
    checkArgument(startStep < freezeStep, "the run starts at step %s, not before STR's freeze"
        + " step %s (%s of %s steps)", startStep, freezeStep, freezeFraction, state.totalSteps());
    DataType type = model.parameterArray(mask.layers().get(0)).getDataType();
    arrays = model.manager().newSubManager();
    sharedDecay = arrays.create((float) decay).toType(type, false);
    maskedSize = mask.size();
    List<Group> list = new ArrayList<>();
    if (scope == PruningScope.GLOBAL) {
      list.add(newGroup(mask.layers(), type));
    } else {
      for (String layer : mask.layers()) {
        list.add(newGroup(List.of(layer), type));
      }
    }
    groups = List.copyOf(list);
    Map<String, Group> map = new LinkedHashMap<>();
    for (Group g : groups) {
      g.layers.forEach(layer -> map.put(layer, g));
    }
    groupOf = Collections.unmodifiableMap(map);
    model.setWeightView(view);
    return mask;
  }

  private Group newGroup(List<String> layers, DataType type) {
    NDArray s = arrays.create((float) sInit).toType(type, false);
    s.setRequiresGradient(true);
    return new Group(layers, s);
  }

  /** S(W, s) for the masked layers, the live array for any other parameter. */
  private NDArray softThreshold(String name, NDArray w, NDManager scope) {
    Group g = groupOf.get(name);
    return g == null ? w : soft(w, threshold(g, scope), scope);
  }

  /** g(s), in {@code scope}. */
  private static NDArray threshold(Group g, NDManager scope) {
    return Temporaries.in(scope, Activation.sigmoid(g.s));
  }

  /** sign(W)·relu(|W| − threshold), every array in {@code scope}. */
  private static NDArray soft(NDArray w, NDArray threshold, NDManager scope) {
    NDArray shrunk = Activation.relu(Temporaries.in(scope, w.abs()).sub(threshold));
    return shrunk.mul(Temporaries.in(scope, w.sign()));
  }

  /**
   * Updates the thresholds with the gradient of the step just taken, then (with a target) the
   * decays; at the freeze step, freezes and answers STR's mask.
   */
  @Override
  public Mask afterStep(TrainingState state) {
    if (arrays == null) {
      return state.mask();
    }
    long step = state.step();
    // not under arrays: the freeze closes those while tmp is still open
    try (NDManager tmp = model.manager().newSubManager()) {
      for (Group g : groups) {
        NDArray gradient = Temporaries.in(tmp, g.s.getGradient());
        // outside the gradient recording, so in-place updates of s are allowed
        NDArray change = Temporaries.in(tmp, g.s.mul(sharedDecay)).addi(gradient)
            .muli((float) learningRate);
        g.s.subi(change);
        // DJL accumulates gradients, and the trainer only zeroes the model's own
        gradient.set(new NDIndex("..."), 0f);
      }
      if (step >= freezeStep) {
        return freeze(state.mask(), tmp);
      }
      if (!Double.isNaN(target)) {
        float goal = (float) rampedTarget(step);
        NDArray shortfall = zeroFraction(tmp).neg().addi(goal).muli((float) rho);
        NDArray next = Temporaries.in(tmp, sharedDecay.add(shortfall)).maximum(0f)
            .minimum((float) maxDecay());
        sharedDecay.set(new NDIndex("..."), next);
      }
    }
    return state.mask();
  }

  /**
   * The cap of the dual variable: a decay step η·λ of at most 1/2 at least halves |s| without
   * ever carrying s across 0 in one step (past 0 the threshold would exceed 1/2, which prunes
   * whole layers for good: pruned weights get no gradient, so nothing pulls s back).
   */
  private double maxDecay() {
    return 0.5 / learningRate;
  }

  /** Zhu &amp; Gupta's cubic ramp from 0 at the run's start to the target at the freeze step. */
  private double rampedTarget(long step) {
    double progress = Math.min(1, (double) (step - startStep) / (freezeStep - startStep));
    double rest = 1 - progress;
    return target * (1 - rest * rest * rest);
  }

  /** Fraction of exact zeros of S(W, s) over all masked layers, on the device. */
  private NDArray zeroFraction(NDManager tmp) {
    NDArray zeros = null;
    for (Group g : groups) {
      NDArray threshold = threshold(g, tmp);
      for (String layer : g.layers) {
        // S is exactly 0 where |W| − g(s) ≤ 0, i.e. |W| ≤ g(s) (a float difference of unequal
        // values is never 0)
        NDArray count = Temporaries.in(tmp, model.parameterArray(layer).abs()).lte(threshold)
            .sum();
        zeros = zeros == null ? count : Temporaries.in(tmp, zeros.add(count));
      }
    }
    return zeros.toType(DataType.FLOAT32, false).divi((float) maskedSize);
  }

  /**
   * Writes S(W, s) into the weights, removes the view, frees the thresholds and answers the mask
   * of S's nonzeros, topped up to the target if it is less sparse.
   */
  private Mask freeze(Mask current, NDManager tmp) {
    for (Group g : groups) {
      NDArray threshold = threshold(g, tmp);
      for (String layer : g.layers) {
        NDArray w = model.parameterArray(layer);
        // + 0.0 turns the −0.0 of negative weights below the threshold into +0.0
        w.set(new NDIndex("..."), soft(w, threshold, tmp).addi(0f));
      }
    }
    Map<String, Double> thresholds = new LinkedHashMap<>();
    Map<String, Double> decays = new LinkedHashMap<>();
    double lambda = sharedDecay.getFloat();
    for (Group g : groups) {
      double s = g.s.getFloat();
      g.layers.forEach(layer -> {
        thresholds.put(layer, s);
        decays.put(layer, lambda);
      });
    }
    frozenThresholds = Collections.unmodifiableMap(thresholds);
    frozenDecays = Collections.unmodifiableMap(decays);
    release();
    Weights w = model.weights(current.layers());
    Mask.Builder b = Mask.builder();
    Map<String, Double> sparsity = new LinkedHashMap<>();
    long zeros = 0;
    for (String layer : current.layers()) {
      float[] values = w.values(layer);
      boolean[] kept = new boolean[values.length];
      long layerZeros = 0;
      for (int i = 0; i < values.length; i++) {
        kept[i] = values[i] != 0;
        if (!kept[i]) {
          layerZeros++;
        }
      }
      b.put(layer, current.shape(layer), kept);
      sparsity.put(layer, (double) layerZeros / values.length);
      zeros += layerZeros;
    }
    strSparsity = Collections.unmodifiableMap(sparsity);
    strOverall = (double) zeros / current.size();
    Mask str = b.build();
    if (Double.isNaN(target)) {
      return str;
    }
    // over the whole network, so the layers keep the sparsities their thresholds learned;
    // keptAfter never grows a mask, so one already past the target stays as it is
    return model.prune(new PruningStep(str, PruningCriteria.magnitude(), PruningScope.GLOBAL,
        PruningSchedules.oneShot(target), 1, null));
  }

  /** Frees the thresholds and removes the view, if a run is in its STR phase. */
  private void release() {
    if (model != null && model.weightView().orElse(null) == view) {
      model.clearWeightView();
    }
    if (arrays != null) {
      arrays.close();
      arrays = null;
    }
    groups = List.of();
    sharedDecay = null;
    groupOf = Map.of();
  }

  /** The step the mask freezes at in the current (or last) run; 0 before the first run. */
  public long freezeStep() {
    return freezeStep;
  }

  /**
   * Per masked layer, the fraction of exact zeros STR's soft threshold left at the freeze, before
   * any top-up; empty until a run froze.
   */
  public Map<String, Double> strSparsity() {
    return strSparsity;
  }

  /** The fraction of exact zeros over all masked layers at the freeze; NaN until a run froze. */
  public double strOverallSparsity() {
    return strOverall;
  }

  /**
   * The threshold parameter s of every masked layer (the same value for all of them under
   * {@link PruningScope#GLOBAL}); the threshold itself is sigmoid(s). During the STR phase the
   * current values (read from the device), after the freeze those it froze with; empty before a
   * run.
   */
  public Map<String, Double> thresholdParameters() {
    return arrays == null ? frozenThresholds : read(g -> g.s);
  }

  /**
   * The decay λ of every masked layer's threshold: fixed without a target, the dual variable with
   * one. As {@link #thresholdParameters()}: current values during the STR phase, those at the
   * freeze after it.
   */
  public Map<String, Double> thresholdDecays() {
    return arrays == null ? frozenDecays : read(g -> sharedDecay);
  }

  private Map<String, Double> read(Function<Group, NDArray> array) {
    Map<String, Double> out = new LinkedHashMap<>();
    for (Group g : groups) {
      double v = array.apply(g).getFloat();
      g.layers.forEach(layer -> out.put(layer, v));
    }
    return Collections.unmodifiableMap(out);
  }

  /**
   * STR's own sparsity at the freeze, overall ({@code str_sparsity}) and per layer
   * ({@code str_sparsity/LAYER}), before any top-up: stored beside the round's metrics.
   */
  @Override
  public Map<String, Double> statistics() {
    if (Double.isNaN(strOverall)) {
      return Map.of();
    }
    Map<String, Double> out = new LinkedHashMap<>();
    out.put("str_sparsity", strOverall);
    strSparsity.forEach((layer, value) -> out.put("str_sparsity/" + layer, value));
    return out;
  }

  @Override
  public Map<String, Object> settings() {
    Map<String, Object> s = new LinkedHashMap<>();
    s.put("method", "str");
    s.put("s_init", sInit);
    s.put("threshold_lr", learningRate);
    s.put("threshold_decay", decay);
    s.put("rho", rho);
    s.put("freeze_fraction", freezeFraction);
    s.put("scope", scope.name().toLowerCase(Locale.ROOT));
    if (!Double.isNaN(target)) {
      s.put("target_sparsity", target);
    }
    return s;
  }

  /** Frees the thresholds and removes the weight view if a run stopped before its freeze. */
  @Override
  public void close() {
    release();
  }

  @Override
  public String toString() {
    return "str" + settings();
  }

  /**
   * Builds a {@link SoftThresholdReparametrization}. Defaults: s starts at {@value
   * #DEFAULT_S_INIT}, threshold learning rate {@value #DEFAULT_THRESHOLD_LEARNING_RATE}, decay
   * {@value #DEFAULT_THRESHOLD_DECAY}, ρ {@value #DEFAULT_RHO}, freeze after {@value
   * #DEFAULT_FREEZE_FRACTION} of the steps, one threshold per layer, no target.
   */
  public static final class Builder {
    private double sInit = DEFAULT_S_INIT;
    private double learningRate = DEFAULT_THRESHOLD_LEARNING_RATE;
    private double decay = DEFAULT_THRESHOLD_DECAY;
    private double rho = DEFAULT_RHO;
    private double freezeFraction = DEFAULT_FREEZE_FRACTION;
    private PruningScope scope = PruningScope.LAYER;
    private double target = Double.NaN;

    private Builder() {}

    /** The initial threshold parameter s (threshold sigmoid(s)); very negative starts dense. */
    public Builder optThresholdInit(double value) {
      checkArgument(Double.isFinite(value), "STR's initial threshold parameter s_init must be a"
          + " finite number: %s", value);
      this.sInit = value;
      return this;
    }

    /** The SGD learning rate η of the threshold parameters; positive. */
    public Builder optThresholdLearningRate(double value) {
      checkArgument(Double.isFinite(value) && value > 0,
          "STR's threshold learning rate must be positive and finite: %s", value);
      this.learningRate = value;
      return this;
    }

    /**
     * The decay λ of the threshold parameters (STR's weight decay on s, which raises the
     * thresholds): fixed without a target, the starting value of the dual variable with one.
     */
    public Builder optThresholdDecay(double value) {
      checkArgument(Double.isFinite(value) && value >= 0,
          "STR's threshold decay must be non-negative and finite: %s", value);
      this.decay = value;
      return this;
    }

    /** The dual-ascent step ρ by which λ follows the target's shortfall (with a target). */
    public Builder optRho(double value) {
      checkArgument(Double.isFinite(value) && value >= 0,
          "STR's dual step rho must be non-negative and finite: %s", value);
      this.rho = value;
      return this;
    }

    /** The fraction of the run's steps trained with STR before the mask freezes, in (0, 1]. */
    public Builder optFreezeFraction(double value) {
      checkArgument(value > 0 && value <= 1,
          "STR's freeze fraction must be in (0, 1]: %s", value);
      this.freezeFraction = value;
      return this;
    }

    /** One threshold per layer ({@link PruningScope#LAYER}) or one for all ({@code GLOBAL}). */
    public Builder optScope(PruningScope value) {
      checkArgument(value != null, "STR's scope must not be null");
      this.scope = value;
      return this;
    }

    /** The sparsity to reach: λ adapts towards it and the frozen mask is topped up to it. */
    public Builder optTargetSparsity(double value) {
      checkArgument(value >= 0 && value < 1,
          "STR's target sparsity must be in [0, 1): %s", value);
      this.target = value;
      return this;
    }

    /**
     * @throws IllegalArgumentException if the decay step η·λ is 1 or more, which would carry s
     *     across 0 (and the threshold past 1/2) in one step
     */
    public SoftThresholdReparametrization build() {
      checkArgument(learningRate * decay < 1, "STR's threshold learning rate times its decay"
          + " must be below 1 (each step scales s by 1 − η·λ): %s × %s", learningRate, decay);
      return new SoftThresholdReparametrization(this);
    }
  }
}
