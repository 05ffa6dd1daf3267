package io.github.lth.core.select;

import static com.google.common.base.Preconditions.checkArgument;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * The reference {@link LowestSelection}: sorts every eligible element by (score, layer, index).
 * Slow and memory hungry; it exists to check the fast kernels against.
 */
final class SortingSelection implements LowestSelection {

  @Override
  public Selection select(List<ScoredLayer> layers, long count) {
    List<long[]> candidates = new ArrayList<>();
    List<float[]> scoreOf = new ArrayList<>();
    long[][] chosen = new long[layers.size()][];
    for (int l = 0; l < layers.size(); l++) {
      ScoredLayer layer = layers.get(l);
      chosen[l] = new long[layer.eligible().length];
      // materialized scores: this reference must not share the fast kernels' on-the-fly |w|
      float[] s = new float[layer.size()];
      for (int i = 0; i < s.length; i++) {
        s[i] = layer.score(i);
      }
      scoreOf.add(s);
      for (int i = 0; i < s.length; i++) {
        if ((layer.eligible()[i >>> 6] & (1L << i)) != 0) {
          checkArgument(Float.isFinite(s[i]), "layer %s holds a non-finite score (%s at flat index %s)",
              layer.name(), s[i], i);
          candidates.add(new long[] {l, i});
        }
      }
    }
    checkArgument(count >= 0 && count <= candidates.size(),
        "cannot choose %s of %s eligible elements", count, candidates.size());
    // x + 0.0f turns -0.0 into 0.0 so both compare equal
    candidates.sort(Comparator.<long[]>comparingDouble(c -> scoreOf.get((int) c[0])[(int) c[1]] + 0.0f)
        .thenComparingLong(c -> c[0]).thenComparingLong(c -> c[1]));
    float threshold = Float.NaN;
    for (int k = 0; k < count; k++) {
      long[] c = candidates.get(k);
      chosen[(int) c[0]][(int) (c[1] >>> 6)] |= 1L << c[1];
      threshold = scoreOf.get((int) c[0])[(int) c[1]] + 0.0f;
    }
    return new Selection(threshold, chosen);
  }
}
