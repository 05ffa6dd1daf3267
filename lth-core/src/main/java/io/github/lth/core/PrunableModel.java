package io.github.lth.core;

import io.github.lth.core.prune.PruningStep;
import io.github.lth.core.structured.FilterCriterion;
import io.github.lth.core.structured.FilterPruner;
import java.util.List;

/**
 * What lottery-ticket experiments need from a model, whatever framework holds it: its
 * parameters, host copies of them, applying a mask where the weights live, and rewind points.
 * lth-djl implements it for any DJL block; tests use a plain-Java double.
 *
 * <pre>{@code
 * Mask mask = Mask.dense(shapesOf(ParameterSelectors.defaults().select(model.parameters())));
 * model.applyMask(mask);
 * }</pre>
 */
public interface PrunableModel {

  /** All parameters, in model order. */
  List<ParameterInfo> parameters();

  /** Host copies of the named parameters, in model order. */
  Weights weights(List<String> names);

  /** Host copies of all parameters (the full state, for saving). */
  default Weights state() {
    return weights(parameters().stream().map(ParameterInfo::name).toList());
  }

  /**
   * Sets parameters from host values. Every tensor in {@code weights} must name a parameter of
   * the model with the same shape; parameters it does not name are left as they are.
   *
   * @throws IllegalArgumentException listing the first names or shapes that do not fit
   */
  void load(Weights weights);

  /** Sets the pruned weights to zero where the weights live. */
  void applyMask(Mask mask);

  /** Saves all parameters where they live. */
  Snapshot snapshot();

  /** Sets all parameters from a snapshot of this model. */
  void restore(Snapshot snapshot);

  /** Draws fresh initial weights with the given seed (the random re-initialization control). */
  void reinitialize(long seed);

  /**
   * Where the model runs and on what (framework and engine versions, device), recorded in a
   * run's provenance; not compared when a run resumes.
   */
  default java.util.Map<String, String> provenance() {
    return java.util.Map.of();
  }

  /**
   * Host scores of the step's mask layers by its criterion: the masked layers are copied to the
   * host (with the reference weights when the step has some) and scored there. This is all a
   * model contributes to a pruning decision; {@link Pruner} makes it.
   */
  default Scores scores(PruningStep step) {
    return step.criterion().score(hostSubnetwork(step));
  }

  /**
   * Computes the next mask of a pruning round: {@link #scores} decided by {@link Pruner}. A
   * {@link FilterCriterion} scores whole filters on the host copies instead, and {@link
   * FilterPruner} prunes whole filters (the round's rate counts filters). Device-backed models
   * override it to score built-in weight criteria where the weights live and hand the device
   * scores to {@link Pruner} with a device kernel; the mask is the same.
   */
  default Mask prune(PruningStep step) {
    if (step.criterion() instanceof FilterCriterion filters) {
      return FilterPruner.prune(step, filters.scoreFilters(hostSubnetwork(step)));
    }
    return Pruner.prune(step, scores(step));
  }

  private Subnetwork hostSubnetwork(PruningStep step) {
    List<String> layers = step.current().layers();
    Weights w = weights(layers);
    return step.reference() == null ? Subnetwork.of(step.current(), w)
        : Subnetwork.of(step.current(), w, step.reference().toWeights().select(layers));
  }
}
