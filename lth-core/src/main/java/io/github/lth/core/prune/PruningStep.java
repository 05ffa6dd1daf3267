package io.github.lth.core.prune;

import static com.google.common.base.Preconditions.checkArgument;

import io.github.lth.core.Mask;
import io.github.lth.core.Snapshot;
import io.github.lth.core.schedule.PruningSchedule;

/**
 * Everything one pruning round needs: the current mask, how to score and where to draw the
 * threshold, the schedule and round that fix the exact count, and the reference weights (θ₀ or
 * the rewind point; may be null) for change-based criteria.
 *
 * <pre>{@code
 * Mask next = model.prune(new PruningStep(mask, PruningCriteria.magnitude(), PruningScope.GLOBAL,
 *     PruningSchedules.imp(0.2, 0.9), 1, null));
 * }</pre>
 */
public record PruningStep(Mask current, PruningCriterion criterion, PruningScope scope,
    PruningSchedule schedule, int round, Snapshot reference) {
  public PruningStep {
    checkArgument(current != null && criterion != null && scope != null && schedule != null,
        "mask, criterion, scope and schedule are required");
    checkArgument(round >= 1, "pruning rounds start at 1: %s", round);
  }
}
