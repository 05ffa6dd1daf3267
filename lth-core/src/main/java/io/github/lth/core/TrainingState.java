package io.github.lth.core;

import java.util.List;

/**
 * What a {@link SparsityController} sees of a running training: where it is, the mask in force,
 * the model, and (on request) the dense gradients of the step just taken.
 *
 * <pre>{@code
 * Mask afterStep(TrainingState s) {
 *   if (s.step() % 100 != 0) return s.mask();
 *   Weights g = s.denseGradients(s.mask().layers());   // RigL: grow where |g| is largest
 *   ...
 * }
 * }</pre>
 */
public interface TrainingState {

  /** Optimizer steps taken since step 0 of the schedule (a late-rewound run starts above 0). */
  long step();

  /** The step the schedule ends at (the learning-rate schedule's total). */
  long totalSteps();

  /** Steps per epoch (the last batch of an epoch may be smaller). */
  long stepsPerEpoch();

  /** The current epoch, 0-based. */
  int epoch();

  /** The mask in force. */
  Mask mask();

  /** The model being trained (weights as they are now). */
  PrunableModel model();

  /**
   * Host copies of the dense gradients of the step just taken, for the named parameters.
   *
   * @throws IllegalStateException unless {@link SparsityController#needsDenseGradients} answered
   *     true for this step
   */
  Weights denseGradients(List<String> names);
}
