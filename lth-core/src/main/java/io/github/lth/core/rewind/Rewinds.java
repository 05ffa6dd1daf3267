package io.github.lth.core.rewind;

import static com.google.common.base.Preconditions.checkArgument;

import io.github.lth.core.Weights;

/**
 * Factories for {@link Rewind}.
 *
 * <pre>{@code
 * Rewinds.toInit();            // θ₀ (Frankle & Carbin)
 * Rewinds.toStep(500);         // θ after 500 steps
 * Rewinds.toEpoch(1);          // θ after 1 epoch
 * Rewinds.toFraction(0.05);    // θ after 5 % of training
 * Rewinds.toPretrained("simclr.npz", weights);
 * Rewinds.reinit();            // control: fresh random weights each round
 * Rewinds.none();              // fine-tune: continue from the trained weights
 * }</pre>
 */
public final class Rewinds {
  private Rewinds() {}

  public static Rewind toInit() {
    return new Rewind.ToInit();
  }

  public static Rewind toStep(long step) {
    checkArgument(step >= 0, "rewind step must be >= 0: %s", step);
    return step == 0 ? toInit() : new Rewind.ToStep(step);
  }

  public static Rewind toEpoch(int epoch) {
    checkArgument(epoch >= 0, "rewind epoch must be >= 0: %s", epoch);
    return epoch == 0 ? toInit() : new Rewind.ToEpoch(epoch);
  }

  /** The weights after {@code round(fraction × T)} steps of round 0; 0 is θ₀. */
  public static Rewind toFraction(double fraction) {
    checkArgument(fraction >= 0 && fraction < 1, "rewind fraction must be in [0, 1): %s",
        fraction);
    return fraction == 0 ? toInit() : new Rewind.ToFraction(fraction);
  }

  public static Rewind toPretrained(String source, Weights weights) {
    checkArgument(weights != null, "pre-trained weights are required");
    return new Rewind.ToPretrained(source, weights);
  }

  public static Rewind reinit() {
    return new Rewind.Reinit();
  }

  public static Rewind none() {
    return new Rewind.None();
  }

  /**
   * Parses {@code init}, {@code step:K}, {@code epoch:E}, {@code fraction:F}, {@code reinit} or
   * {@code none}. A
   * {@code pretrained:PATH} rewind needs the weights read first, so it is built by the caller
   * with {@link #toPretrained}.
   *
   * @throws IllegalArgumentException starting {@code rewind:}, naming the value and the accepted
   *     forms
   */
  public static Rewind parse(String spec) {
    String s = spec.trim();
    try {
      if (s.equals("init")) {
        return toInit();
      } else if (s.equals("reinit")) {
        return reinit();
      } else if (s.equals("none")) {
        return none();
      } else if (s.startsWith("step:")) {
        return toStep(Long.parseLong(s.substring(5)));
      } else if (s.startsWith("epoch:")) {
        return toEpoch(Integer.parseInt(s.substring(6)));
      } else if (s.startsWith("fraction:")) {
        return toFraction(Double.parseDouble(s.substring(9)));
      }
    } catch (IllegalArgumentException e) {
      // a malformed or negative number: falls through to the message naming the accepted forms
    }
    throw new IllegalArgumentException("rewind: cannot read '" + spec
        + "' (use init, step:K, epoch:E, fraction:F, pretrained:PATH, reinit or none)");
  }
}
