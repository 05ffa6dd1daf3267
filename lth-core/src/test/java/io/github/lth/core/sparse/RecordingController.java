package io.github.lth.core.sparse;

import io.github.lth.core.Mask;
import io.github.lth.core.SparsityController;
import io.github.lth.core.TrainingState;
import io.github.lth.core.Weights;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Wraps a controller and records, for every step count, the weights it saw, the mask in force
 * and the mask it returned (the mask of the next step), the weights it left, plus dense
 * gradients where asked.
 */
final class RecordingController implements SparsityController {
  /** What the controller saw after step count {@code step} and what it answered. */
  record Call(long step, Mask before, Weights weights, Weights gradients, Mask after,
      Weights weightsAfter) {}

  private final SparsityController inner;
  final List<Call> calls = new ArrayList<>();
  Mask started;

  RecordingController(SparsityController inner) {
    this.inner = inner;
  }

  @Override
  public Mask start(TrainingState state) {
    started = inner.start(state);
    return started;
  }

  @Override
  public Mask afterStep(TrainingState state) {
    Mask before = state.mask();
    Weights weights = state.model().weights(before.layers());
    Weights gradients = inner.needsDenseGradients(state.step())
        ? state.denseGradients(before.layers()) : null;
    Mask after = inner.afterStep(state);
    calls.add(new Call(state.step(), before, weights, gradients, after,
        state.model().weights(before.layers())));
    return after;
  }

  @Override
  public Mask atEpochEnd(TrainingState state) {
    return inner.atEpochEnd(state);
  }

  @Override
  public boolean needsDenseGradients(long step) {
    return inner.needsDenseGradients(step);
  }

  @Override
  public Map<String, Double> statistics() {
    return inner.statistics();
  }

  @Override
  public Map<String, Object> settings() {
    return inner.settings();
  }
}
