package io.github.lth.djl.train;

/**
 * How the learning rate changes over training: the rate of step {@code step} (0-based, counted
 * over the whole training run, so a run restarted at step k by late rewinding continues the
 * schedule at k) is the base rate times {@link #factor}. Factories are in {@link LrSchedules}.
 *
 * <pre>{@code
 * LrSchedule cosine = LrSchedules.cosine();
 * double lr = 0.1 * cosine.factor(500, 1000);   // 0.05
 * }</pre>
 */
@FunctionalInterface
public interface LrSchedule {

  /** The multiplier of the base rate at {@code step} (0-based) out of {@code totalSteps}. */
  double factor(long step, long totalSteps);

  /** The spelling of this schedule for a run's config, parseable by {@link LrSchedules#parse}. */
  default String spec() {
    return "custom:" + getClass().getName();
  }
}
