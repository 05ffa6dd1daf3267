package io.github.lth.core;

import static com.google.common.base.Preconditions.checkArgument;

/**
 * How long a task trains: the total number of optimizer steps {@code T} and the steps of one
 * epoch. {@link Imp} uses it to turn rewind points given in epochs or as a fraction of training
 * into steps.
 *
 * <pre>{@code
 * TrainingPlan p = task.plan();
 * long rewindStep = Math.round(0.05 * p.totalSteps());   // Chen et al.'s θ at 5 %
 * }</pre>
 */
public record TrainingPlan(long totalSteps, long stepsPerEpoch) {
  public TrainingPlan {
    checkArgument(totalSteps > 0, "a training run needs at least one step: %s", totalSteps);
    checkArgument(stepsPerEpoch > 0, "an epoch needs at least one step: %s", stepsPerEpoch);
  }

  /** Epochs the plan starts, the last possibly partial. */
  public int epochs() {
    return (int) ((totalSteps + stepsPerEpoch - 1) / stepsPerEpoch);
  }
}
