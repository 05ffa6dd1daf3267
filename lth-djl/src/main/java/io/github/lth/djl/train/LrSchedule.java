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

  /**
   * The spelling of this schedule for a run's config; the built-in schedules' spellings are
   * parseable by {@link LrSchedules#parse}. A custom schedule should override it with a stable
   * description of its settings: the default names the class (for a lambda, the class that
   * defines it, since a lambda's own class name changes from one JVM to the next and would
   * change the run's settings fingerprint).
   */
  default String spec() {
    String name = getClass().getName();
    int lambda = name.indexOf("$$Lambda");
    return "custom:" + (lambda >= 0 ? name.substring(0, lambda) + " (lambda)" : name);
  }
}
