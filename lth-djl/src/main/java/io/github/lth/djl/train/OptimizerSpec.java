package io.github.lth.djl.train;

import static com.google.common.base.Preconditions.checkArgument;

import java.util.Locale;

/**
 * Which optimizer a masked training run uses and its hyper-parameters, with PyTorch's update
 * rules:
 *
 * <ul>
 *   <li>{@link Kind#ADAM}: β₁ 0.9, β₂ 0.999, ε 1e-8; weight decay is L2, added to the gradient
 *       ({@code torch.optim.Adam}).
 *   <li>{@link Kind#ADAMW}: the same moments; weight decay is decoupled, {@code w -= lr·wd·w}
 *       before the Adam update ({@code torch.optim.AdamW}).
 *   <li>{@link Kind#SGD}: heavy-ball momentum {@code buf = m·buf + g; w -= lr·buf} (no momentum:
 *       {@code w -= lr·g}); L2 weight decay added to the gradient ({@code torch.optim.SGD}).
 *   <li>{@link Kind#SGD_NESTEROV}: {@code buf = m·buf + g; w -= lr·(g + m·buf)}
 *       ({@code torch.optim.SGD(nesterov=True)}); needs a positive momentum.
 * </ul>
 *
 * <p>Messages of invalid values name the parameter in words and carry the value
 * ({@code learning rate must be positive: 0.0}).
 *
 * <pre>{@code
 * OptimizerSpec adam = OptimizerSpec.adam(1.2e-3);
 * OptimizerSpec adamw = OptimizerSpec.adamW(1e-3, 0.01);
 * OptimizerSpec sgd = OptimizerSpec.sgd(0.1, 0.9).withWeightDecay(1e-4).withNesterov(true);
 * }</pre>
 */
public record OptimizerSpec(Kind kind, double learningRate, double momentum,
    double weightDecay) {

  /** The optimizer algorithms. */
  public enum Kind {
    ADAM, ADAMW, SGD, SGD_NESTEROV;

    /** Whether this is Adam or AdamW (first and second moments, bias correction). */
    public boolean isAdam() {
      return this == ADAM || this == ADAMW;
    }
  }

  public static final double BETA1 = 0.9;
  public static final double BETA2 = 0.999;
  public static final double EPSILON = 1e-8;

  /**
   * @throws IllegalArgumentException if a value is out of range, momentum is set for Adam, or
   *     Nesterov momentum is zero
   */
  public OptimizerSpec {
    checkArgument(kind != null, "optimizer must not be null");
    checkArgument(learningRate > 0 && Double.isFinite(learningRate),
        "learning rate must be positive: %s", learningRate);
    checkArgument(momentum >= 0 && momentum < 1, "momentum must be in [0, 1): %s", momentum);
    checkArgument(!kind.isAdam() || momentum == 0,
        "momentum applies to sgd and nesterov only, not %s: %s",
        kind.name().toLowerCase(Locale.ROOT), momentum);
    checkArgument(kind != Kind.SGD_NESTEROV || momentum > 0,
        "momentum must be positive for sgd-nesterov: %s", momentum);
    checkArgument(weightDecay >= 0 && Double.isFinite(weightDecay),
        "weight decay must not be negative: %s", weightDecay);
  }

  /** Adam without weight decay. */
  public static OptimizerSpec adam(double learningRate) {
    return new OptimizerSpec(Kind.ADAM, learningRate, 0, 0);
  }

  /** AdamW with decoupled weight decay {@code weightDecay} (PyTorch's default is 0.01). */
  public static OptimizerSpec adamW(double learningRate, double weightDecay) {
    return new OptimizerSpec(Kind.ADAMW, learningRate, 0, weightDecay);
  }

  /** SGD with heavy-ball {@code momentum} (0 for none), without weight decay. */
  public static OptimizerSpec sgd(double learningRate, double momentum) {
    return new OptimizerSpec(Kind.SGD, learningRate, momentum, 0);
  }

  /**
   * The optimizer a command line names, with lth4j's defaults for what is not given: learning
   * rate 1.2e-3 for Adam and AdamW, 0.1 for SGD; momentum 0.9 for SGD.
   *
   * <pre>{@code
   * OptimizerSpec s = OptimizerSpec.of("sgd", null, null, 5e-4);   // sgd 0.1, momentum 0.9
   * }</pre>
   *
   * @param learningRate null for the default
   * @param momentum null for the default; must be null for Adam and AdamW
   * @throws IllegalArgumentException for an unknown name, momentum given for Adam, or a value
   *     out of range
   */
  public static OptimizerSpec of(String name, Double learningRate, Double momentum,
      double weightDecay) {
    return of(kindOf(name), learningRate, momentum, weightDecay);
  }

  /**
   * As {@link #of(String, Double, Double, double)}, for a kind already read.
   *
   * <pre>{@code
   * OptimizerSpec s = OptimizerSpec.of(Kind.ADAMW, 1e-3, null, 0.01);
   * }</pre>
   */
  public static OptimizerSpec of(Kind kind, Double learningRate, Double momentum,
      double weightDecay) {
    if (kind.isAdam()) {
      checkArgument(momentum == null, "momentum applies to sgd and nesterov only, not %s: %s",
          kind.name().toLowerCase(Locale.ROOT), momentum);
      return new OptimizerSpec(kind, learningRate == null ? 1.2e-3 : learningRate, 0,
          weightDecay);
    }
    return new OptimizerSpec(kind, learningRate == null ? 0.1 : learningRate,
        momentum == null ? 0.9 : momentum, weightDecay);
  }

  /** The same with weight decay (L2 for Adam and SGD, decoupled for AdamW). */
  public OptimizerSpec withWeightDecay(double decay) {
    return new OptimizerSpec(kind, learningRate, momentum, decay);
  }

  /**
   * SGD with ({@code true}) or without Nesterov momentum.
   *
   * @throws IllegalArgumentException if this is Adam or AdamW, or Nesterov with zero momentum
   */
  public OptimizerSpec withNesterov(boolean nesterov) {
    checkArgument(!kind.isAdam(), "nesterov applies to sgd only, not %s", name());
    return new OptimizerSpec(nesterov ? Kind.SGD_NESTEROV : Kind.SGD, learningRate, momentum,
        weightDecay);
  }

  /** Whether this is SGD with Nesterov momentum. */
  public boolean nesterov() {
    return kind == Kind.SGD_NESTEROV;
  }

  /** {@code adam}, {@code adamw}, {@code sgd} or {@code sgd-nesterov}; {@link #kindOf} reads it. */
  public String name() {
    return kind.name().toLowerCase(Locale.ROOT).replace('_', '-');
  }

  /**
   * The kind for an {@code --optimizer} value: {@code adam}, {@code adamw}, {@code sgd},
   * {@code sgd-nesterov} or {@code nesterov} (any case).
   *
   * @throws IllegalArgumentException if it is none of these
   */
  public static Kind kindOf(String name) {
    String n = name == null ? "" : name.trim().toLowerCase(Locale.ROOT);
    return switch (n) {
      case "adam" -> Kind.ADAM;
      case "adamw" -> Kind.ADAMW;
      case "sgd" -> Kind.SGD;
      case "sgd-nesterov", "nesterov" -> Kind.SGD_NESTEROV;
      default -> throw new IllegalArgumentException(
          "optimizer: unknown optimizer '" + name + "' (use adam, adamw, sgd or nesterov)");
    };
  }
}
