package io.github.lth.core;

import java.util.Map;

/**
 * Decides the mask while a model trains. The training loop asks it for the mask before the first
 * step, after every optimizer step and at the end of every epoch; when it answers with another
 * mask, the loop applies it at once and makes the optimizer state follow: weights and optimizer
 * moments of newly pruned entries become exactly zero, newly grown entries start at zero with
 * zero moments. IMP's fixed mask is {@link SparsityControllers#fixed}; gradual magnitude pruning,
 * AC/DC, RigL, STR and WoodFisher are other implementations.
 *
 * <p>A controller is used by one training run at a time; create a new one (or reset it in
 * {@link #start}) for every run.
 *
 * <pre>{@code
 * // prune the smallest 50 % of the weights once, after step 100
 * SparsityController halfway = new SparsityController() {
 *   public Mask start(TrainingState s) { return s.mask(); }
 *   public Mask afterStep(TrainingState s) {
 *     return s.step() == 100 ? s.model().prune(new PruningStep(s.mask(), PruningCriteria.magnitude(),
 *         PruningScope.GLOBAL, PruningSchedules.oneShot(0.5), 1, null)) : s.mask();
 *   }
 * };
 * task.train(model, halfway, context);
 * }</pre>
 */
public interface SparsityController {

  /**
   * The mask of the first step. {@code state.mask()} is the mask the run was started with (the
   * model's current mask, or a dense one).
   */
  Mask start(TrainingState state);

  /**
   * After optimizer step {@code state.step()} (weights already updated and masked). Returns the
   * mask for the next step: {@code state.mask()} to keep it.
   */
  default Mask afterStep(TrainingState state) {
    return state.mask();
  }

  /** After the last step of epoch {@code state.epoch()}. Returns the mask to continue with. */
  default Mask atEpochEnd(TrainingState state) {
    return state.mask();
  }

  /**
   * Whether the loop must keep the dense (unmasked) gradients of step {@code step} readable in
   * {@link #afterStep} through {@link TrainingState#denseGradients}. Costs one copy of every
   * masked gradient, so answer true only on the steps that read them (RigL's update steps).
   */
  default boolean needsDenseGradients(long step) {
    return false;
  }

  /**
   * Figures the method reports about the run it controlled (STR's own sparsity, RigL's number
   * of updates), stored beside the task's metrics of the round. Read after training ends.
   */
  default Map<String, Double> statistics() {
    return Map.of();
  }

  /** The controller's settings for a run's config.json (JSON-friendly values). */
  default Map<String, Object> settings() {
    return Map.of("controller", getClass().getName());
  }
}
