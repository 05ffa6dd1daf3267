package io.github.lth.djl.train;

import static com.google.common.base.Preconditions.checkArgument;

import java.util.Arrays;
import java.util.stream.Collectors;

/**
 * The built-in learning-rate schedules. All take the global step (0-based) of the training run;
 * {@link #parse} reads the spelling {@link LrSchedule#spec()} writes.
 *
 * <pre>{@code
 * LrSchedule s = LrSchedules.parse("step:1000:0.1");            // ×0.1 every 1000 steps
 * LrSchedule w = LrSchedules.warmup(500, LrSchedules.cosine());  // "warmup:500:cosine"
 * LrSchedule m = LrSchedules.milestonesAtEpochs(0.1, 391, 80, 120);  // ×0.1 at epochs 80, 120
 * }</pre>
 */
public final class LrSchedules {
  private static final String USAGE = "constant, cosine, step:EVERY_STEPS:GAMMA,"
      + " milestones:GAMMA:STEP1,STEP2,... or warmup:STEPS:SCHEDULE";

  private LrSchedules() {}

  /** The base rate throughout. */
  public static LrSchedule constant() {
    return new Named("constant") {
      @Override
      public double factor(long step, long totalSteps) {
        return 1;
      }
    };
  }

  /** Multiplies the rate by {@code gamma} after every {@code everySteps} steps. */
  public static LrSchedule stepDecay(long everySteps, double gamma) {
    checkArgument(everySteps > 0, "learning-rate schedule step: the interval must be positive: %s",
        everySteps);
    checkGamma("step", gamma);
    return new Named("step:" + everySteps + ":" + gamma) {
      @Override
      public double factor(long step, long totalSteps) {
        return Math.pow(gamma, step / everySteps);
      }
    };
  }

  /** Half a cosine from the base rate at step 0 down to 0 at {@code totalSteps}. */
  public static LrSchedule cosine() {
    return new Named("cosine") {
      @Override
      public double factor(long step, long totalSteps) {
        return 0.5 * (1 + Math.cos(Math.PI * step / Math.max(1, totalSteps)));
      }
    };
  }

  /**
   * Multiplies the rate by {@code gamma} at each of the given steps (from that step on), as
   * PyTorch's {@code MultiStepLR}: the factor at step s is gamma to the number of milestones
   * ≤ s.
   *
   * @param steps positive and strictly increasing
   */
  public static LrSchedule milestones(double gamma, long... steps) {
    checkGamma("milestones", gamma);
    checkArgument(steps != null && steps.length > 0,
        "learning-rate schedule milestones: at least one milestone step is needed");
    for (int i = 0; i < steps.length; i++) {
      checkArgument(steps[i] > 0, "learning-rate schedule milestones: steps must be positive: %s",
          steps[i]);
      checkArgument(i == 0 || steps[i] > steps[i - 1],
          "learning-rate schedule milestones: steps must increase: %s after %s", steps[i],
          i == 0 ? 0 : steps[i - 1]);
    }
    long[] at = steps.clone();
    String spec = "milestones:" + gamma + ":"
        + Arrays.stream(at).mapToObj(Long::toString).collect(Collectors.joining(","));
    return new Named(spec) {
      @Override
      public double factor(long step, long totalSteps) {
        int passed = 0;
        while (passed < at.length && at[passed] <= step) {
          passed++;
        }
        return Math.pow(gamma, passed);
      }
    };
  }

  /**
   * {@link #milestones} at the starts of the given epochs (Caron et al.'s "decay at epochs 80
   * and 120"): epoch e starts at step {@code e × stepsPerEpoch}. The schedule's spec lists the
   * steps.
   */
  public static LrSchedule milestonesAtEpochs(double gamma, long stepsPerEpoch,
      long... epochs) {
    checkArgument(stepsPerEpoch > 0, "learning-rate schedule milestones: steps per epoch must be"
        + " positive: %s", stepsPerEpoch);
    checkArgument(epochs != null && epochs.length > 0,
        "learning-rate schedule milestones: at least one milestone epoch is needed");
    long[] steps = new long[epochs.length];
    for (int i = 0; i < epochs.length; i++) {
      checkArgument(epochs[i] > 0, "learning-rate schedule milestones: epochs must be positive: %s",
          epochs[i]);
      steps[i] = Math.multiplyExact(epochs[i], stepsPerEpoch);
    }
    return milestones(gamma, steps);
  }

  /**
   * A linear warm-up in front of {@code then}: over the first {@code steps} steps the factor is
   * {@code (step + 1) / steps} times {@code then}'s, rising to the full rate at step
   * {@code steps − 1}; from step {@code steps} on it is {@code then}'s. {@code then} sees the
   * same global step, so a cosine still ends at {@code totalSteps} and milestones stay where
   * they are (as in open_lth's warm-up).
   */
  public static LrSchedule warmup(long steps, LrSchedule then) {
    checkArgument(steps > 0,
        "learning-rate schedule warmup: the number of steps must be positive: %s", steps);
    checkArgument(then != null,
        "learning-rate schedule warmup: the schedule after warm-up is missing");
    return new Named("warmup:" + steps + ":" + then.spec()) {
      @Override
      public double factor(long step, long totalSteps) {
        double after = then.factor(step, totalSteps);
        return step < steps ? after * (step + 1) / steps : after;
      }
    };
  }

  /**
   * Parses {@code constant}, {@code cosine}, {@code step:EVERY:GAMMA},
   * {@code milestones:GAMMA:S1,S2,...} (steps) or {@code warmup:N:SCHEDULE} (SCHEDULE any of
   * these, e.g. {@code warmup:500:cosine}).
   *
   * @throws IllegalArgumentException starting {@code learning-rate schedule} if the spelling is
   *     unknown or a value is out of range
   */
  public static LrSchedule parse(String spec) {
    String s = spec == null ? "" : spec.trim();
    if (s.equals("constant")) {
      return constant();
    }
    if (s.equals("cosine")) {
      return cosine();
    }
    String[] parts = s.split(":", 3);
    String kind = parts[0];
    if (kind.equals("step") && parts.length == 3) {
      return stepDecay(number(spec, parts[1]), gamma(spec, parts[2]));
    }
    if (kind.equals("milestones") && parts.length == 3) {
      String[] list = parts[2].split(",", -1);
      long[] steps = new long[list.length];
      for (int i = 0; i < list.length; i++) {
        steps[i] = number(spec, list[i]);
      }
      return milestones(gamma(spec, parts[1]), steps);
    }
    if (kind.equals("warmup") && parts.length == 3) {
      return warmup(number(spec, parts[1]), parse(parts[2]));
    }
    if (!kind.equals("step") && !kind.equals("milestones") && !kind.equals("warmup")) {
      throw new IllegalArgumentException("learning-rate schedule: unknown schedule '" + spec
          + "' (use " + USAGE + ")");
    }
    throw malformed(spec);
  }

  private static long number(String spec, String text) {
    try {
      return Long.parseLong(text.trim());
    } catch (NumberFormatException e) {
      throw malformed(spec);
    }
  }

  private static double gamma(String spec, String text) {
    try {
      return Double.parseDouble(text.trim());
    } catch (NumberFormatException e) {
      throw malformed(spec);
    }
  }

  private static IllegalArgumentException malformed(String spec) {
    return new IllegalArgumentException("learning-rate schedule: cannot read '" + spec + "' (use "
        + USAGE + ")");
  }

  private static void checkGamma(String kind, double gamma) {
    checkArgument(gamma > 0 && gamma <= 1, "learning-rate schedule %s: gamma must be in (0, 1]: %s",
        kind, gamma);
  }

  /** A schedule with a fixed spelling; shows it in toString. */
  private abstract static class Named implements LrSchedule {
    private final String spec;

    Named(String spec) {
      this.spec = spec;
    }

    @Override
    public String spec() {
      return spec;
    }

    @Override
    public String toString() {
      return spec;
    }
  }
}
