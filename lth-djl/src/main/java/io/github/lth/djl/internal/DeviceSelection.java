package io.github.lth.djl.internal;

import static com.google.common.base.Preconditions.checkArgument;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.github.lth.core.select.Selection;
import io.github.lth.core.select.SelectionKernel;
import java.util.ArrayList;
import java.util.List;

/**
 * The {@link SelectionKernel} contract computed where the scores live, for lth-core's
 * {@code Pruner} to call with device arrays: only the eligibility bits go up, and only scalars
 * (the threshold, a count, error details) and finally the chosen bits come back.
 *
 * <p>The threshold {@code t} is the {@code count}-th smallest eligible score (ineligible
 * elements score +∞ so they sort last and are never chosen; eligible scores are checked finite
 * first, so {@code t} is finite). Every eligible score below {@code t} is chosen; of the scores
 * equal to {@code t}, the first {@code count − below} in (layer, index) order are chosen, found
 * by a running count over the "equals t" indicator of the concatenated layers. Float
 * comparisons already treat {@code -0.0} as {@code 0.0}.
 *
 * <pre>{@code
 * try (NDManager tmp = model.manager().newSubManager()) {
 *   Mask next = Pruner.prune(mask, deviceScores, scope, schedule, round, DeviceSelection.in(tmp));
 * }
 * }</pre>
 */
public final class DeviceSelection implements SelectionKernel<NDArray> {
  private final NDManager tmp;

  private DeviceSelection(NDManager tmp) {
    this.tmp = tmp;
  }

  /** A kernel whose temporaries live in {@code tmp}; the caller closes it. */
  public static DeviceSelection in(NDManager tmp) {
    return new DeviceSelection(tmp);
  }

  @Override
  public Selection select(List<String> layers, List<NDArray> scores, List<long[]> eligible,
      long count) {
    checkArgument(layers.size() == scores.size() && layers.size() == eligible.size(),
        "%s layer names, %s score arrays and %s eligibility arrays", layers.size(),
        scores.size(), eligible.size());
    List<NDArray> flat = new ArrayList<>();
    List<NDArray> kept = new ArrayList<>();
    long available = 0;
    for (int l = 0; l < layers.size(); l++) {
      String layer = layers.get(l);
      NDArray s = scores.get(l);
      long[] words = eligible.get(l);
      checkArgument(words.length == (s.size() + 63) >>> 6,
          "layer %s: %s eligibility words for %s scores", layer, words.length, s.size());
      NDArray f = Temporaries.in(tmp, s.toType(DataType.FLOAT32, false).reshape(s.size()));
      boolean[] bits = booleans(words, s.size());
      NDArray k = Temporaries.in(tmp, tmp.create(bits, new Shape(s.size()))
          .toDevice(f.getDevice(), false));
      flat.add(f);
      kept.add(k);
      for (boolean b : bits) {
        available += b ? 1 : 0;
      }
    }
    // every layer is checked before the count, as the host kernels report a bad score first
    for (int l = 0; l < layers.size(); l++) {
      checkFinite(layers.get(l), flat.get(l), kept.get(l));
    }
    checkArgument(count >= 0 && count <= available, "cannot choose %s of %s eligible elements",
        count, available);
    long[][] chosen = new long[layers.size()][];
    if (count == 0) {
      for (int l = 0; l < layers.size(); l++) {
        chosen[l] = new long[eligible.get(l).length];
      }
      return new Selection(Float.NaN, chosen);
    }
    NDList parts = new NDList();
    for (int l = 0; l < flat.size(); l++) {
      NDArray s = flat.get(l);
      NDArray inf = tmp.full(s.getShape(), Float.POSITIVE_INFINITY, DataType.FLOAT32)
          .toDevice(s.getDevice(), false);
      parts.add(NDArrays.where(kept.get(l), s, inf));
    }
    NDArray all = parts.size() == 1 ? parts.get(0) : NDArrays.concat(parts);
    // + 0.0f: a -0.0 threshold is reported as 0.0, as the host kernels report it
    float threshold = all.sort().getFloat(count - 1) + 0.0f;
    NDArray below = all.lt(threshold);
    long belowCount = below.sum().getLong();
    NDArray equal = all.eq(threshold);
    NDArray running = equal.toType(DataType.INT64, false).cumSum();
    NDArray picked = below.logicalOr(equal.logicalAnd(running.lte(count - belowCount)));
    long offset = 0;
    for (int l = 0; l < flat.size(); l++) {
      long n = flat.get(l).size();
      boolean[] bits = picked.get(new NDIndex("{}:{}", offset, offset + n)).toBooleanArray();
      chosen[l] = words(bits);
      offset += n;
    }
    return new Selection(threshold, chosen);
  }

  private static boolean[] booleans(long[] words, long size) {
    boolean[] out = new boolean[Math.toIntExact(size)];
    for (int i = 0; i < out.length; i++) {
      out[i] = (words[i >>> 6] & (1L << i)) != 0;
    }
    return out;
  }

  private static long[] words(boolean[] bits) {
    long[] out = new long[(bits.length + 63) >>> 6];
    for (int i = 0; i < bits.length; i++) {
      if (bits[i]) {
        out[i >>> 6] |= 1L << i;
      }
    }
    return out;
  }

  private static void checkFinite(String layer, NDArray scores, NDArray kept) {
    NDArray bad = scores.isNaN().logicalOr(scores.isInfinite()).logicalAnd(kept);
    if (bad.any().getBoolean()) {
      long index = bad.toType(DataType.INT32, false).argMax().getLong();
      throw new IllegalArgumentException(String.format(
          "layer %s holds a non-finite score (%s at flat index %s)", layer,
          scores.getFloat(index), index));
    }
  }
}
