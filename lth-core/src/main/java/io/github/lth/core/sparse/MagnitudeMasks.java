package io.github.lth.core.sparse;

import io.github.lth.core.Mask;
import io.github.lth.core.PrunableModel;
import io.github.lth.core.prune.PruningCriteria;
import io.github.lth.core.prune.PruningScope;
import io.github.lth.core.prune.PruningStep;
import io.github.lth.core.schedule.PruningSchedules;

/** Exact magnitude pruning of a model's current weights, the step GMP and AC/DC share. */
final class MagnitudeMasks {
  private MagnitudeMasks() {}

  /**
   * {@code from} with its smallest-magnitude kept weights pruned until the group (all layers,
   * or each layer) is {@code sparsity} sparse; pruned weights of {@code from} stay pruned. Runs
   * where the weights live (a device model scores on the device).
   */
  static Mask prune(PrunableModel model, Mask from, PruningScope scope, double sparsity) {
    return model.prune(new PruningStep(from, PruningCriteria.magnitude(), scope,
        PruningSchedules.oneShot(sparsity), 1, null));
  }

  /** A mask over {@code like}'s layers that keeps everything. */
  static Mask dense(Mask like) {
    return Mask.dense(like.shapes());
  }
}
