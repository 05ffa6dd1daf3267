package io.github.lth.core.sparse;

import io.github.lth.core.Mask;
import io.github.lth.core.PrunableModel;
import io.github.lth.core.Pruner;
import io.github.lth.core.prune.PruningCriteria;
import io.github.lth.core.prune.PruningScope;
import io.github.lth.core.prune.PruningStep;
import io.github.lth.core.schedule.PruningSchedules;
import java.util.Arrays;

/** The mask steps GMP, AC/DC and WoodFisher share. */
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

  /**
   * Whether pruning {@code mask} to {@code sparsity} would remove nothing in any group: the
   * counts {@link Pruner} would prune, so a method can skip scoring (a host copy of the weights)
   * when the schedule has not moved on.
   */
  static boolean nothingToPrune(Mask mask, PruningScope scope, double sparsity) {
    return Arrays.stream(Pruner.counts(mask, scope, PruningSchedules.oneShot(sparsity), 1))
        .allMatch(count -> count == 0);
  }

  /** A mask over {@code like}'s layers that keeps everything. */
  static Mask dense(Mask like) {
    return Mask.dense(like.shapes());
  }
}
