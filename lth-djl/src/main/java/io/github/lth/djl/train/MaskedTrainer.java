package io.github.lth.djl.train;

import static com.google.common.base.Preconditions.checkArgument;
import static com.google.common.base.Preconditions.checkState;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import io.github.lth.core.Mask;
import io.github.lth.core.ParameterInfo;
import io.github.lth.djl.DjlModel;
import io.github.lth.djl.internal.Temporaries;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * Optimizer steps that keep a mask. Each {@link #step} records the loss, back-propagates,
 * multiplies the gradients of masked parameters by the mask and updates every trainable
 * parameter with PyTorch's rule for the {@link OptimizerSpec} (Adam, AdamW, SGD with heavy-ball
 * or Nesterov momentum), mostly in DJL's fused update operators ({@code NDArrayEx.adamUpdate},
 * {@code sgdUpdate}: one native call per parameter). After the step the parameters' gradient
 * arrays hold the masked gradients of the step (listeners may read them).
 *
 * <p><b>The mask rule.</b> Pruned weights are +0.0 and their optimizer state is exactly 0 after
 * every step, for every optimizer, without multiplying the mask into the weights again: a
 * pruned weight starts at +0.0, its masked gradient is ±0, so its momentum or first moment
 * stays +0, its weight decay term is 0 and its update is ±0, which leaves +0.0 at +0.0.
 * (Adam's second-moment buffer holds a placeholder at pruned entries for speed; see
 * {@code PLACEHOLDER} in the source. {@link #secondMoment} reports 0 there.)
 *
 * <p><b>Trainable parameters</b> are those whose arrays require gradients; a frozen one
 * ({@code array.setRequiresGradient(false)} before the trainer is created) gets no optimizer
 * state and is never written. Optimizer state lives in a sub-manager of the model's manager and
 * is freed by {@link #close()}.
 *
 * <p><b>Steps.</b> {@link #steps()} counts globally: a trainer created with {@code startStep}
 * k (late rewinding restarts training at step k) begins there, and the learning-rate schedule
 * sees the global step. The optimizer itself is fresh, so Adam's bias correction counts this
 * trainer's own steps 1, 2, ..., as a re-created PyTorch optimizer would.
 *
 * <p>DJL's {@code EasyTrain} cannot do this: its listeners run before {@code Trainer.step()},
 * so the mask could not take part in the update. Tasks drive this class from their own loop.
 *
 * <pre>{@code
 * model.applyMask(mask);
 * try (MaskedTrainer t = new MaskedTrainer(model, OptimizerSpec.adam(1e-3),
 *     LrSchedules.warmup(100, LrSchedules.cosine()), 1000, 0)) {
 *   while (t.steps() < 1000) {
 *     try (NDManager batch = model.manager().newSubManager()) {
 *       NDArray x = ..., y = ...;   // attached to batch
 *       NDArray loss = t.step(batch, () -> myLoss(model.forward(new NDList(x), true), y));
 *     }
 *   }
 * }
 * }</pre>
 */
public final class MaskedTrainer implements AutoCloseable {
  /**
   * What the second-moment buffer of Adam holds at pruned entries instead of 0. PyTorch's CPU
   * {@code sqrt} (inside the fused update) is about ten times slower on exact zeros, and with
   * a 90%-sparse mask that made the masked step a quarter slower than the unmasked one. The
   * first moment of a pruned entry is exactly 0, so its update is 0 / (√placeholder + ε) = 0
   * whatever the placeholder; {@link #secondMoment} reports the buffer with the mask applied.
   */
  private static final float PLACEHOLDER = 1f;
  /**
   * The placeholder decays by β₂ each step; it is set again after this many steps, long
   * before it could become subnormal (0.999^20000 ≈ 2e-9).
   */
  private static final long PLACEHOLDER_REFRESH = 20_000;
  private static final float BETA1 = (float) OptimizerSpec.BETA1;
  private static final float BETA2 = (float) OptimizerSpec.BETA2;
  /**
   * DJL's fused Adam weighs the new gradient by {@code 1 − β} computed in float: 1 − 0.999f is
   * 9.9998713e-4, 1.3e-5 below the (float) 0.001 PyTorch uses, so DJL's second moment is PyTorch's
   * times K2 (both decay by the same 0.999f), and its first moment PyTorch's times K1
   * (2.2e-7 above 1). The step size and ε take the factors out again.
   */
  private static final double K1 = (1 - BETA1) / (double) (float) (1 - OptimizerSpec.BETA1);
  private static final double K2 = (1 - BETA2) / (double) (float) (1 - OptimizerSpec.BETA2);

  private final DjlModel model;
  private final OptimizerSpec spec;
  private final LrSchedule schedule;
  private final long totalSteps;
  private final List<Slot> slots = new ArrayList<>();
  private final NDManager state;
  private final NDArray momentum;
  private final NDArray weightDecay;
  /** Dense gradients and reported moments of the last step; freed at the next step. */
  private NDManager scratch;
  private final Map<String, NDArray> denseGradients = new LinkedHashMap<>();
  private Mask mask;
  private long steps;
  private long optimizerSteps;
  private long placeholderAge;
  private boolean keepDense;
  private boolean closed;

  /** A trainable parameter with its mask and optimizer state. */
  private static final class Slot {
    final String name;
    final NDArray weight;
    NDArray mask;
    /** Adam's first moment or SGD's momentum buffer; null for plain SGD. */
    NDArray first;
    /** Adam's second moment; pruned entries hold a placeholder (see PLACEHOLDER). */
    NDArray second;

    Slot(String name, NDArray weight) {
      this.name = name;
      this.weight = weight;
    }
  }

  /**
   * Trains with the mask currently applied to {@code model} (none: every parameter dense). The
   * mask is multiplied into the weights once more, so weights restored from a snapshot (late
   * rewinding) start masked.
   *
   * @param totalSteps the planned number of steps of the whole run, for the schedule
   * @param startStep the global step this trainer starts at (0, or k when rewound to step k)
   */
  public MaskedTrainer(DjlModel model, OptimizerSpec spec, LrSchedule schedule,
      long totalSteps, long startStep) {
    checkArgument(model != null, "model is missing");
    checkArgument(spec != null, "spec is missing");
    checkArgument(schedule != null, "learning-rate schedule must not be null");
    checkArgument(totalSteps > 0, "the number of training steps must be positive: %s",
        totalSteps);
    checkArgument(startStep >= 0 && startStep <= totalSteps,
        "startStep must be in [0, totalSteps = %s]: %s", totalSteps, startStep);
    this.model = model;
    this.spec = spec;
    this.schedule = schedule;
    this.totalSteps = totalSteps;
    this.steps = startStep;
    model.reapplyMask();
    this.mask = model.mask().orElse(null);
    String activeHead = model.activeHead().orElse("");
    for (ParameterInfo p : model.parameters()) {
      NDArray w = model.parameterArray(p.name());
      // an inactive head takes no part in the forward pass: no state, and no weight decay
      boolean inactiveHead = p.inHead() && !p.head().equals(activeHead);
      if (w.hasGradient() && !inactiveHead) {
        slots.add(new Slot(p.name(), w));
      }
    }
    this.state = model.manager().newSubManager();
    this.momentum = state.create((float) spec.momentum());
    this.weightDecay = state.create((float) spec.weightDecay());
    for (Slot s : slots) {
      s.mask = activeMask(mask, s.name);
      if (spec.kind().isAdam()) {
        s.first = Temporaries.in(state, s.weight.zerosLike());
        s.second = Temporaries.in(state, s.weight.zerosLike());
        resetPlaceholder(s, null);
      } else if (spec.momentum() > 0) {
        s.first = Temporaries.in(state, s.weight.zerosLike());
      }
    }
  }

  /**
   * Applies {@code mask} to the model, then trains from step 0 as
   * {@link #MaskedTrainer(DjlModel, OptimizerSpec, LrSchedule, long, long)}.
   *
   * @param totalSteps the planned number of steps, for the learning-rate schedule
   */
  public MaskedTrainer(DjlModel model, Mask mask, OptimizerSpec spec, LrSchedule schedule,
      long totalSteps) {
    this(applied(model, mask), spec, schedule, totalSteps, 0);
  }

  private static DjlModel applied(DjlModel model, Mask mask) {
    checkArgument(model != null, "model is missing");
    checkArgument(mask != null, "mask is missing");
    model.applyMask(mask);
    return model;
  }

  /** The global step count: the start step plus the steps this trainer took. */
  public long steps() {
    return steps;
  }

  /** The learning rate of the next step: the base rate times the schedule at {@link #steps()}. */
  public double learningRate() {
    return spec.learningRate() * schedule.factor(steps, totalSteps);
  }

  /**
   * One optimizer step. {@code loss} runs the forward pass and returns a scalar loss; it is
   * called while gradients are recorded. Temporaries of the step are attached to
   * {@code batch}, which the caller closes after it is done with the returned loss. A mask
   * the model received since the last step is taken up first ({@link #maskChanged()}).
   *
   * @return the loss (attached to {@code batch}'s tree)
   */
  public NDArray step(NDManager batch, Supplier<NDArray> loss) {
    checkState(!closed, "the trainer was closed");
    if (model.mask().orElse(null) != mask) {
      maskChanged();
    }
    freeScratch();
    boolean keep = keepDense;
    keepDense = false;
    // DJL accumulates gradients; a backward pass run between steps (or before the first) must
    // not leak into this one
    for (Slot s : slots) {
      Temporaries.in(batch, s.weight.getGradient()).set(new NDIndex("..."), 0f);
    }
    NDArray value;
    try (GradientCollector collector = model.manager().getEngine().newGradientCollector()) {
      value = loss.get();
      collector.backward(value);
    }
    double lr = learningRate();
    optimizerSteps++;
    for (Slot s : slots) {
      NDArray g = Temporaries.in(batch, s.weight.getGradient());
      if (keep) {
        denseGradients.put(s.name, Temporaries.in(scratch(), g.duplicate()));
      }
      if (s.mask != null) {
        g.muli(s.mask);
      }
      switch (spec.kind()) {
        case ADAM, ADAMW -> adam(s, g, lr);
        case SGD, SGD_NESTEROV -> sgd(s, g, lr, batch);
      }
    }
    steps++;
    if (spec.kind().isAdam() && ++placeholderAge >= PLACEHOLDER_REFRESH) {
      for (Slot s : slots) {
        resetPlaceholder(s, s.mask);
      }
    }
    return value;
  }

  /**
   * PyTorch's Adam in DJL's fused update. DJL computes (PyTorch engine, native code, all in
   * float) {@code m = β₁m + (1−β₁)g; v = β₂v + (1−β₂)g²; w −= a·m / (√v + e)}, after
   * {@code g += wd·w} (L2) or, with the AdamW flag, {@code w −= lr·wd·w}; it does not correct
   * the bias. PyTorch's step is {@code w −= lr/c₁ · m / (√v/√c₂ + ε)} with
   * {@code cᵢ = 1 − βᵢᵗ}: the same with {@code a = lr·√c₂/c₁} and {@code e = ε·√c₂}, up to
   * DJL's {@code 1 − β} in float (see {@link #K1}), which a and e absorb.
   */
  private void adam(Slot s, NDArray g, double lr) {
    double c1 = K1 * (1 - Math.pow(OptimizerSpec.BETA1, optimizerSteps));
    double sqrtC2 = Math.sqrt(K2 * (1 - Math.pow(OptimizerSpec.BETA2, optimizerSteps)));
    s.weight.getNDArrayInternal().adamUpdate(new NDList(s.weight, g, s.first, s.second),
        untouched(g), (float) lr, (float) (lr * sqrtC2 / c1), (float) spec.weightDecay(), 1f,
        -1f, BETA1, BETA2, (float) (OptimizerSpec.EPSILON * sqrtC2), false,
        spec.kind() == OptimizerSpec.Kind.ADAMW);
  }

  /**
   * PyTorch's SGD. DJL's fused {@code sgdUpdate} keeps MXNet's momentum buffer (the learning
   * rate inside it), which differs from PyTorch's once the rate changes; so the buffer is
   * updated here and the fused update only does {@code w −= lr·(d + wd·w)} for a direction d.
   */
  private void sgd(Slot s, NDArray g, double lr, NDManager batch) {
    NDArray direction = g;
    float decay = (float) spec.weightDecay();
    if (s.first != null) {
      NDArray d = g;
      if (decay > 0) {
        // PyTorch's weight decay goes into the momentum buffer; the gradient array keeps the
        // plain masked gradient
        d = Temporaries.in(batch, s.weight.mul(weightDecay)).addi(g);
        decay = 0;
      }
      s.first.muli(momentum).addi(d);
      direction = spec.nesterov()
          ? Temporaries.in(batch, s.first.mul(momentum)).addi(d)
          : s.first;
    }
    s.weight.getNDArrayInternal().sgdUpdate(new NDList(s.weight, direction), untouched(g),
        (float) lr, decay, 1f, -1f, 0f, false);
  }

  /**
   * The "weights" argument of DJL's fused updates. The PyTorch engine updates the first input
   * and only zeroes the gradient of this array; handing it the gradient array (which has no
   * gradient of its own) leaves the masked gradient readable after the step, as listeners
   * expect. {@link #step} zeroes the gradients before the backward pass instead.
   */
  private static NDList untouched(NDArray gradient) {
    return new NDList(gradient);
  }

  /**
   * Takes up the mask the model now has ({@code model.applyMask(newMask)} during training):
   * optimizer state of newly pruned entries becomes exactly 0 (their weights already are),
   * newly grown entries (weight 0) start with zero state, parameters the new mask covers or no
   * longer covers are handled. {@link #step} calls this itself when it sees a new mask; call it
   * directly to read the updated state before the next step.
   */
  public void maskChanged() {
    checkState(!closed, "the trainer was closed");
    Mask next = model.mask().orElse(null);
    Mask previous = mask;
    try (NDManager tmp = model.manager().newSubManager()) {
      for (Slot s : slots) {
        // the model freed the device copy of the previous mask; rebuild it from the host
        NDArray old = prunes(previous, s.name)
            ? hostMask(previous, s.name, s.weight.getDataType(), tmp) : null;
        s.mask = activeMask(next, s.name);
        if (s.first != null && s.mask != null) {
          // +0 instead of the −0 a negative momentum times 0 gives
          s.first.muli(s.mask).addi(0f);
        }
        if (s.second != null) {
          resetPlaceholder(s, old);
        }
      }
    }
    mask = next;
    freeScratch();
  }

  /**
   * Sets Adam's second moment to its true value on the entries {@code previous} kept (all, if
   * null), 0 where the slot's mask prunes, and the placeholder there.
   */
  private void resetPlaceholder(Slot s, NDArray previous) {
    if (previous != null) {
      s.second.muli(previous);
    }
    if (s.mask != null) {
      try (NDManager tmp = state.newSubManager()) {
        // PLACEHOLDER − PLACEHOLDER·mask: exactly +0 where kept, so kept entries stay exact
        NDArray pad = Temporaries.in(tmp, s.mask.mul(-PLACEHOLDER)).addi(PLACEHOLDER);
        s.second.muli(s.mask).addi(pad);
      }
    }
    placeholderAge = 0;
  }

  private static NDArray hostMask(Mask m, String layer, DataType type, NDManager tmp) {
    NDArray bits = tmp.create(m.toBooleans(layer), new Shape(m.shape(layer)));
    return bits.toType(type, false);
  }

  /**
   * The device mask of a parameter if {@code m} prunes any of its entries, else null: a layer
   * the mask keeps whole trains as if unmasked (IMP's round 0 costs no mask multiplications).
   */
  private NDArray activeMask(Mask m, String layer) {
    return prunes(m, layer) ? model.deviceMask(layer).orElse(null) : null;
  }

  private static boolean prunes(Mask m, String layer) {
    return m != null && m.contains(layer) && m.kept(layer) < m.size(layer);
  }

  /**
   * Keeps, for the next step only, a copy of every trainable parameter's gradient before the
   * mask is applied (for growth criteria such as RigL's); read it with {@link #denseGradient}.
   */
  public void keepDenseGradients(boolean keep) {
    this.keepDense = keep;
  }

  /**
   * The gradient of {@code parameter} in the last step before masking and weight decay, if
   * that step was asked to keep it ({@link #keepDenseGradients}). Owned by the trainer: valid
   * until the next step, do not close it.
   */
  public Optional<NDArray> denseGradient(String parameter) {
    return Optional.ofNullable(denseGradients.get(parameter));
  }

  /** Names of the parameters this trainer updates, in model order. */
  public List<String> trainableParameters() {
    return slots.stream().map(s -> s.name).toList();
  }

  /**
   * Adam's first moment or SGD's momentum buffer (PyTorch's {@code momentum_buffer}) of a
   * trainable parameter; empty for plain SGD and unknown or frozen parameters. The live
   * buffer: owned by the trainer, do not close or change it.
   */
  public Optional<NDArray> firstMoment(String parameter) {
    return slot(parameter).map(s -> s.first);
  }

  /**
   * Adam's second moment (PyTorch's {@code exp_avg_sq}) of a trainable parameter; empty for
   * SGD. A copy owned by the trainer and valid until the next step; do not close it.
   */
  public Optional<NDArray> secondMoment(String parameter) {
    checkState(!closed, "the trainer was closed");
    return slot(parameter).filter(s -> s.second != null).map(s -> {
      NDArray v = Temporaries.in(scratch(), s.second.mul((float) (1 / K2)));
      return s.mask == null ? v : v.muli(s.mask);
    });
  }

  private Optional<Slot> slot(String parameter) {
    return slots.stream().filter(s -> s.name.equals(Objects.requireNonNull(parameter)))
        .findFirst();
  }

  private NDManager scratch() {
    if (scratch == null) {
      scratch = model.manager().newSubManager();
    }
    return scratch;
  }

  private void freeScratch() {
    denseGradients.clear();
    if (scratch != null) {
      scratch.close();
      scratch = null;
    }
  }

  /** Frees the optimizer state and the arrays handed out by this trainer. */
  @Override
  public void close() {
    if (!closed) {
      closed = true;
      freeScratch();
      state.close();
    }
  }
}
