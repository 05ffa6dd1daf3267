package io.github.lth.core.sparse;

import static com.google.common.base.Preconditions.checkArgument;

import java.util.Locale;
import java.util.Map;

/**
 * Zhu &amp; Gupta's gradual pruning schedule over training steps: starting at step {@code start},
 * every {@code frequency} steps until {@code end}, the sparsity becomes
 * {@code s_f + (s_i − s_f)·(1 − (t − start)/(end − start))³}, so most weights go early, when the
 * network can still recover, and few near the end. The last pruning step is the last
 * {@code start + k·frequency} not after {@code end}; it prunes to {@code s_f} exactly, so a
 * frequency that does not divide {@code end − start} ends a little early rather than short of the
 * target.
 *
 * <pre>{@code
 * CubicSchedule s = CubicSchedule.of(0, 0.9, 100, 1000, 50);
 * s.isPruningStep(150);   // true
 * s.sparsityAt(999);      // 0.8999 (the pruning after step 950)
 * s.sparsityAt(1000);     // 0.9
 * }</pre>
 *
 * @param initial the sparsity of the first pruning step (usually 0)
 * @param target the sparsity of the last one
 * @param start the step count after which the first pruning happens
 * @param end no pruning after this step count
 * @param frequency steps between two pruning steps
 */
public record CubicSchedule(double initial, double target, long start, long end, long frequency) {

  public CubicSchedule {
    checkArgument(target >= 0 && target < 1, "target sparsity must be in [0, 1): %s", target);
    checkArgument(initial >= 0 && initial <= target,
        "initial sparsity must be in [0, target = %s]: %s", target, initial);
    checkArgument(start >= 0 && end >= start, "pruning must run from a step >= 0 to a later one:"
        + " start %s, end %s", start, end);
    checkArgument(frequency >= 1, "pruning frequency must be at least one step: %s", frequency);
  }

  public static CubicSchedule of(double initial, double target, long start, long end,
      long frequency) {
    return new CubicSchedule(initial, target, start, end, frequency);
  }

  /**
   * The schedule of a run of {@code totalSteps}: pruning from {@code startFraction} to
   * {@code endFraction} of it (rounded to steps) in {@code events} pruning steps (fewer when the
   * span has fewer steps).
   */
  public static CubicSchedule over(long totalSteps, double initial, double target,
      double startFraction, double endFraction, int events) {
    return new Span(startFraction, endFraction, events).over(totalSteps, initial, target);
  }

  /**
   * When a gradual method prunes, in fractions of the run: from {@code start} to {@code end} in
   * {@code steps} pruning steps, the first of them to the initial sparsity (usually 0, so it
   * prunes nothing) and the last to the target; with one step, the run prunes once, to the
   * target, at {@code start}. Methods hold a span and turn it into a schedule once the run's
   * length is known.
   *
   * <pre>{@code
   * CubicSchedule s = new CubicSchedule.Span(0.1, 0.75, 20).over(10_000, 0, 0.9);
   * s.start();              // 1000
   * s.lastPruningStep();    // 7498: 20 pruning steps, 342 apart
   * }</pre>
   */
  public record Span(double start, double end, int steps) {
    public Span {
      checkArgument(start >= 0 && start <= end && end <= 1,
          "pruning span must satisfy 0 <= start <= end <= 1: start %s, end %s", start, end);
      checkArgument(steps >= 1, "pruning steps must be positive: %s", steps);
    }

    /** The same span with other fractions. */
    public Span withFractions(double newStart, double newEnd) {
      return new Span(newStart, newEnd, steps);
    }

    /** The same span with another number of pruning steps. */
    public Span withSteps(int newSteps) {
      return new Span(start, end, newSteps);
    }

    /** The schedule of a run of {@code totalSteps} steps. */
    public CubicSchedule over(long totalSteps, double initial, double target) {
      long first = Math.round(start * totalSteps);
      long last = Math.max(first, Math.min(totalSteps - 1, Math.round(end * totalSteps)));
      long frequency = Math.max(1, (last - first) / Math.max(1, steps - 1));
      // exactly `steps` pruning steps (fewer only when the span has fewer steps), the last one
      // at or before the end of the span
      long lastEvent = Math.min(last, first + (steps - 1) * frequency);
      return new CubicSchedule(initial, target, first, lastEvent, frequency);
    }

    /** Adds the span to a method's settings for config.json. */
    public void addTo(Map<String, Object> settings) {
      settings.put("start_fraction", start);
      settings.put("end_fraction", end);
      settings.put("pruning_steps", steps);
    }
  }

  /** The step count of the last pruning step. */
  public long lastPruningStep() {
    return start + (end - start) / frequency * frequency;
  }

  /**
   * The first pruning step at or after step count {@code step}, or -1 when none is left (what a
   * method that prepares for a pruning step needs to look ahead to).
   */
  public long nextPruningStep(long step) {
    long last = lastPruningStep();
    if (step > last) {
      return -1;
    }
    if (step <= start) {
      return start;
    }
    long periods = (step - start + frequency - 1) / frequency;
    return start + periods * frequency;
  }

  /** Whether the pruning happens after step count {@code step}. */
  public boolean isPruningStep(long step) {
    return step >= start && step <= end && (step - start) % frequency == 0;
  }

  /**
   * The sparsity in force after step count {@code step}: that of the last pruning step not after
   * it, or 0 before the first.
   */
  public double sparsityAt(long step) {
    if (step < start) {
      return 0;
    }
    long last = lastPruningStep();
    if (step >= last) {
      return target;
    }
    long event = start + (step - start) / frequency * frequency;
    double progress = (double) (event - start) / (last - start);
    double remaining = 1 - progress;
    return target + (initial - target) * remaining * remaining * remaining;
  }

  @Override
  public String toString() {
    return String.format(Locale.ROOT, "cubic(%s -> %s, steps %d..%d every %d)", initial, target,
        start, lastPruningStep(), frequency);
  }
}
