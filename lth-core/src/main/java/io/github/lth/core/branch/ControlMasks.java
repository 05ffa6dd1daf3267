package io.github.lth.core.branch;

import static com.google.common.base.Preconditions.checkArgument;

import io.github.lth.core.Mask;
import io.github.lth.core.Shapes;
import io.github.lth.core.Weights;
import java.nio.FloatBuffer;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * The masks of the controls, derived from a found mask. All are exact and seeded: the same
 * mask and seed give the same control mask.
 *
 * <pre>{@code
 * Mask random = ControlMasks.of(new Control.RandomMask(), ticket, 7, null);
 * Mask global = ControlMasks.randomGlobal(ticket, 7);
 * Mask natural = ControlMasks.naturalRandom(ticket, denseTrained, Control.MACHINE_EPSILON, 7);
 * }</pre>
 */
public final class ControlMasks {
  private ControlMasks() {}

  /**
   * The mask a control trains.
   *
   * @param found the ticket's mask of the round
   * @param seed seed of the random draws
   * @param denseTrained the run's trained dense weights (round 0); needed only by
   *     {@link Control.NaturalRandom}, may be null otherwise
   */
  public static Mask of(Control control, Mask found, long seed, Weights denseTrained) {
    if (control instanceof Control.RandomMask) {
      return found.randomLike(seed);
    } else if (control instanceof Control.RandomGlobal) {
      return randomGlobal(found, seed);
    } else if (control instanceof Control.Complement) {
      return found.not();
    } else if (control instanceof Control.Perturbed p) {
      return found.perturb(p.percent() / 100, seed);
    } else if (control instanceof Control.NaturalRandom n) {
      checkArgument(denseTrained != null, "natural-random needs the dense trained weights");
      return naturalRandom(found, denseTrained, n.threshold(), seed);
    }
    return found; // Reinit and Retrain change the start or the data order, not the mask
  }

  /**
   * A uniformly random mask over all of {@code found}'s weights keeping exactly as many as it
   * does overall; layers may end up more or less sparse than in {@code found}.
   */
  public static Mask randomGlobal(Mask found, long seed) {
    SplittableRandom rng = new SplittableRandom(seed);
    long remaining = found.size();
    long toKeep = found.kept();
    Mask.Builder b = Mask.builder();
    for (String layer : found.layers()) {
      int n = Math.toIntExact(found.size(layer));
      boolean[] kept = new boolean[n];
      // selection sampling: each weight is kept with probability (still to keep) / (still to
      // see), which draws exactly toKeep of all weights uniformly without an index array
      for (int i = 0; i < n; i++) {
        if (rng.nextLong(remaining) < toKeep) {
          kept[i] = true;
          toKeep--;
        }
        remaining--;
      }
      b.put(layer, found.shape(layer), kept);
    }
    return b.build();
  }

  /**
   * The random baseline adjusted for natural sparsity: in every layer, the weights whose
   * magnitude in {@code denseTrained} is at most {@code threshold} are pruned first; the rest of
   * the layer's pruned count (as in {@code found}) is drawn at random among the other weights.
   * If a layer has more natural zeros than pruned weights, the pruned ones are drawn among the
   * natural zeros. Per-layer kept counts equal {@code found}'s.
   *
   * @throws IllegalArgumentException if {@code denseTrained} lacks a layer or has another shape
   */
  public static Mask naturalRandom(Mask found, Weights denseTrained, double threshold,
      long seed) {
    Mask.Builder b = Mask.builder();
    int index = 0;
    for (String layer : found.layers()) {
      boolean[] natural = naturalZeros(denseTrained, layer, found.shape(layer), threshold);
      int n = natural.length;
      int naturalCount = 0;
      for (boolean z : natural) {
        naturalCount += z ? 1 : 0;
      }
      long prune = found.size(layer) - found.kept(layer);
      SplittableRandom rng = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + index++);
      boolean[] kept = new boolean[n];
      if (naturalCount >= prune) {
        // keep every ordinary weight and (naturalCount - prune) of the natural zeros
        long toPrune = prune;
        long seen = naturalCount;
        for (int i = 0; i < n; i++) {
          if (!natural[i]) {
            kept[i] = true;
          } else {
            boolean pruned = rng.nextLong(seen) < toPrune;
            kept[i] = !pruned;
            toPrune -= pruned ? 1 : 0;
            seen--;
          }
        }
      } else {
        long toPrune = prune - naturalCount;
        long seen = n - naturalCount;
        for (int i = 0; i < n; i++) {
          if (!natural[i]) {
            boolean pruned = rng.nextLong(seen) < toPrune;
            kept[i] = !pruned;
            toPrune -= pruned ? 1 : 0;
            seen--;
          }
        }
      }
      b.put(layer, found.shape(layer), kept);
    }
    return b.build();
  }

  /** How many weights of each of {@code mask}'s layers are at most {@code threshold} in size. */
  public static Map<String, Long> naturalZeroCounts(Mask mask, Weights denseTrained,
      double threshold) {
    Map<String, Long> out = new LinkedHashMap<>();
    for (String layer : mask.layers()) {
      long count = 0;
      for (boolean z : naturalZeros(denseTrained, layer, mask.shape(layer), threshold)) {
        count += z ? 1 : 0;
      }
      out.put(layer, count);
    }
    return out;
  }

  private static boolean[] naturalZeros(Weights w, String layer, long[] shape,
      double threshold) {
    checkArgument(w.contains(layer), "the dense trained weights have no parameter %s", layer);
    checkArgument(Arrays.equals(w.shape(layer), shape),
        "parameter %s has shape %s in the dense trained weights but %s in the mask", layer,
        Shapes.format(w.shape(layer)), Shapes.format(shape));
    FloatBuffer v = w.view(layer);
    boolean[] zero = new boolean[v.limit()];
    for (int i = 0; i < zero.length; i++) {
      zero[i] = Math.abs(v.get(i)) <= threshold;
    }
    return zero;
  }
}
