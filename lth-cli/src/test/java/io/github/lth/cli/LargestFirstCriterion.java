package io.github.lth.cli;

import io.github.lth.core.Scores;
import io.github.lth.core.Subnetwork;
import io.github.lth.core.Weights;
import io.github.lth.core.prune.PruningCriterion;

/** A user criterion loaded by class name: scores -|w|, so the largest weights go first. */
public final class LargestFirstCriterion implements PruningCriterion {

  @Override
  public Scores score(Subnetwork s) {
    Weights.Builder b = Weights.builder();
    for (String layer : s.mask().layers()) {
      float[] w = s.weights().values(layer);
      for (int i = 0; i < w.length; i++) {
        w[i] = -Math.abs(w[i]);
      }
      b.putOwned(layer, s.mask().shape(layer), w);
    }
    return Scores.of(b.build());
  }
}
