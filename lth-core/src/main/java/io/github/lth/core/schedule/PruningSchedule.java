package io.github.lth.core.schedule;

import static com.google.common.base.Preconditions.checkArgument;

import java.util.OptionalDouble;

/**
 * How sparse the subnetwork becomes round by round. Round 0 is the dense network; round
 * {@code r ≥ 1} prunes once more.
 *
 * <p>The nominal {@link #sparsityAfter} drives the number of rounds and the reports; the exact
 * number of weights kept in a group (all prunable weights for a global scope, one layer for a
 * layer-wise scope) comes from {@link #keptAfter}, which fixed-rate schedules override so that
 * each round prunes exactly {@code round(rate × remaining)}.
 *
 * <pre>{@code
 * PruningSchedule imp = PruningSchedules.imp(0.2, 0.9);   // 20.00, 36.00, ..., 89.26 %
 * double s3 = imp.sparsityAfter(3).getAsDouble();         // 0.488
 * }</pre>
 */
@FunctionalInterface
public interface PruningSchedule {

  /** Nominal sparsity after round {@code round} (1-based), or empty once the schedule is over. */
  OptionalDouble sparsityAfter(int round);

  /**
   * Exact number of weights of a group to keep after {@code round}. The default keeps {@code total
   * - round(sparsity × total)} (round half to even, as Python's {@code round}), and never more
   * than were kept before: pruned weights stay pruned.
   */
  default long keptAfter(int round, long keptBefore, long total) {
    checkArgument(keptBefore >= 0 && keptBefore <= total, "kept %s of %s", keptBefore, total);
    double s = sparsityAfter(round).orElseThrow(
        () -> new IllegalArgumentException("the schedule has no round " + round));
    long keep = total - (long) Math.rint(s * total);
    return Math.min(keep, keptBefore);
  }

  /** Number of pruning rounds (rounds after the dense round 0). */
  default int rounds() {
    int r = 0;
    while (r < 100_000 && sparsityAfter(r + 1).isPresent()) {
      r++;
    }
    return r;
  }
}
