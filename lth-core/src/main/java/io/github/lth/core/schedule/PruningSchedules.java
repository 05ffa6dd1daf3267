package io.github.lth.core.schedule;

import static com.google.common.base.Preconditions.checkArgument;

import java.util.Arrays;
import java.util.OptionalDouble;

/**
 * Factories for {@link PruningSchedule}.
 *
 * <pre>{@code
 * PruningSchedules.imp(0.2, 0.9);           // IMP: 20% of the remaining weights per round
 * PruningSchedules.of(0.5, 0.75, 0.9);      // explicit sparsities
 * PruningSchedules.oneShot(0.8);            // a single round
 * PruningSchedules.gradual(0.0, 0.9, 10);   // Zhu & Gupta cubic (GMP)
 * }</pre>
 */
public final class PruningSchedules {
  /** Slack for comparing a nominal sparsity with a target written in decimal. */
  private static final double TOLERANCE = 1e-9;

  private PruningSchedules() {}

  /**
   * Iterative magnitude pruning at a fixed rate: each round prunes exactly {@code round(rate ×
   * remaining)} of the weights still kept, so the sparsity after round k is 1 − (1 − rate)^k up
   * to rounding. Rounds go on while that nominal sparsity does not exceed {@code target}.
   *
   * @param rate share of the remaining weights pruned per round, in (0, 1)
   * @param target the highest sparsity to reach, in (0, 1)
   */
  public static PruningSchedule imp(double rate, double target) {
    checkArgument(rate > 0 && rate < 1, "pruning rate must be in (0, 1): %s", rate);
    checkArgument(target > 0 && target < 1, "target sparsity must be in (0, 1): %s", target);
    checkArgument(rate <= target + TOLERANCE,
        "target sparsity %s is below one round at rate %s", target, rate);
    return new FixedRate(rate, target);
  }

  /** Explicit sparsities after rounds 1, 2, ...; they must increase and lie in [0, 1). */
  public static PruningSchedule of(double... sparsities) {
    checkArgument(sparsities.length > 0, "an explicit schedule needs at least one sparsity");
    double prev = -1;
    for (double s : sparsities) {
      checkArgument(s >= 0 && s < 1, "sparsity must be in [0, 1): %s", s);
      checkArgument(s > prev, "sparsities must increase: %s", Arrays.toString(sparsities));
      prev = s;
    }
    return new Explicit(sparsities.clone(), "explicit" + Arrays.toString(sparsities));
  }

  /** A single round to the given sparsity in [0, 1). */
  public static PruningSchedule oneShot(double sparsity) {
    checkArgument(sparsity >= 0 && sparsity < 1, "sparsity must be in [0, 1): %s", sparsity);
    return new Explicit(new double[] {sparsity}, "one-shot(" + sparsity + ")");
  }

  /**
   * Gradual magnitude pruning (Zhu &amp; Gupta 2017): over {@code steps} rounds the sparsity follows
   * s_t = s_f + (s_i − s_f)(1 − t/n)³ for t = 1..n, reaching {@code finalSparsity} at the end.
   */
  public static PruningSchedule gradual(double initialSparsity, double finalSparsity, int steps) {
    checkArgument(initialSparsity >= 0 && initialSparsity < 1,
        "initial sparsity must be in [0, 1): %s", initialSparsity);
    checkArgument(finalSparsity > initialSparsity && finalSparsity < 1,
        "final sparsity must be in (initial, 1): %s", finalSparsity);
    checkArgument(steps > 0, "number of steps must be positive: %s", steps);
    double[] s = new double[steps];
    for (int t = 1; t <= steps; t++) {
      double remaining = 1.0 - (double) t / steps;
      s[t - 1] = finalSparsity + (initialSparsity - finalSparsity) * remaining * remaining * remaining;
    }
    return new Explicit(s, "gradual(" + initialSparsity + ", " + finalSparsity + ", " + steps
        + ") " + Arrays.toString(s));
  }

  /** The IMP fixed-rate schedule; public so that a run can record its rate. */
  public static final class FixedRate implements PruningSchedule {
    private final double rate;
    private final double target;

    private FixedRate(double rate, double target) {
      this.rate = rate;
      this.target = target;
    }

    public double rate() {
      return rate;
    }

    public double target() {
      return target;
    }

    @Override
    public OptionalDouble sparsityAfter(int round) {
      checkArgument(round >= 1, "rounds start at 1: %s", round);
      double s = 1 - Math.pow(1 - rate, round);
      return s <= target + TOLERANCE ? OptionalDouble.of(s) : OptionalDouble.empty();
    }

    @Override
    public long keptAfter(int round, long keptBefore, long total) {
      checkArgument(keptBefore >= 0 && keptBefore <= total, "kept %s of %s", keptBefore, total);
      return keptBefore - (long) Math.rint(rate * keptBefore);
    }

    @Override
    public String toString() {
      return "imp(rate=" + rate + ", target=" + target + ")";
    }
  }

  private static final class Explicit implements PruningSchedule {
    private final double[] sparsities;
    private final String description;

    Explicit(double[] sparsities, String description) {
      this.sparsities = sparsities;
      this.description = description;
    }

    @Override
    public OptionalDouble sparsityAfter(int round) {
      checkArgument(round >= 1, "rounds start at 1: %s", round);
      return round <= sparsities.length ? OptionalDouble.of(sparsities[round - 1])
          : OptionalDouble.empty();
    }

    @Override
    public int rounds() {
      return sparsities.length;
    }

    @Override
    public String toString() {
      return description;
    }
  }
}
