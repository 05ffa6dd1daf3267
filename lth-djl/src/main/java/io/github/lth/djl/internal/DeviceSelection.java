package io.github.lth.djl.internal;

import static com.google.common.base.Preconditions.checkArgument;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.github.lth.core.select.Selection;
import io.github.lth.core.select.SelectionKernel;
import java.util.List;

/**
 * The {@link SelectionKernel} contract computed where the scores live, for lth-core's
 * {@code Pruner} to call with device arrays: only the packed eligibility bits go up, and only
 * scalars (counts, the threshold, error details) and finally the packed chosen bits come back.
 * The scores are never copied to the host and never fully sorted.
 *
 * <p>The layers are laid end to end in one flat device vector {@code s}, each padded to a
 * multiple of 64 so that a layer's bits start on a word; ineligible and padding elements score
 * {@code +∞} there, so they are never below a finite threshold. The threshold {@code t} is the
 * {@code count}-th smallest element of {@code s}, found without sorting {@code s}:
 *
 * <ol>
 *   <li>a sample of {@code s} (a Weyl sequence of indices, drawn on the device) is sorted and two
 *       of its order statistics, a safety margin either side of the expected rank of {@code t},
 *       bracket {@code t} in {@code [lo, hi)};
 *   <li>one broadcast comparison against {@code (lo, hi, +∞)} and one reduction count the
 *       elements below each bound; with {@code min(s)} this also checks that every eligible
 *       score is finite;
 *   <li>the elements in {@code [lo, hi)}, a small fraction of {@code s}, are gathered and a
 *       top-k of them gives {@code t}; two counts over them give the number of elements below
 *       {@code t} and equal to it.
 * </ol>
 *
 * When the threshold is an end of the bracket itself (a block of tied scores: all equal, most of
 * them zero), one more count confirms it. When the bracket misses {@code t} otherwise (a sample
 * that does not represent the scores) or holds too many elements, the kernel sorts {@code s}
 * instead: every way gives the same answer, the sample only changes the speed. Every eligible
 * score below {@code t} is chosen; of the scores equal to {@code t}, the first
 * {@code count − below} in (layer, index) order, found by a running count over the "equals t"
 * indicator (only when some equal scores must be left out). Float comparisons treat
 * {@code -0.0} as {@code 0.0}.
 *
 * <p>Host synchronisations per {@link #select}: 4 on the bracket path (the counts and the
 * finiteness check, the gather's size inside PyTorch, the threshold, the chosen bits; 3 for
 * {@link #threshold}), 3 at a tie block, 3 on the full-sort path (4 after a failed tie check).
 * Host-to-device copies: the packed eligibility bits, only when some elements are ineligible,
 * and constant tables (2 KB to unpack bits, 32 bytes to pack them). About 45 tensor operations
 * per call, plus one view per layer (and one per layer whose size is not a multiple of 64, for
 * the padding).
 *
 * <pre>{@code
 * try (NDManager tmp = model.manager().newSubManager()) {
 *   Mask next = Pruner.prune(mask, deviceScores, scope, schedule, round, DeviceSelection.in(tmp));
 *   // or, with the weights themselves, scoring |w| inside the kernel:
 *   Mask same = Pruner.prune(mask, weights, scope, schedule, round,
 *       DeviceSelection.magnitudesIn(tmp));
 * }
 * }</pre>
 */
public final class DeviceSelection implements SelectionKernel<NDArray> {
  /** How the last call found its threshold; tests check which path they exercised. */
  enum Path {
    /** Nothing to choose: only the finiteness check ran. */
    NONE,
    /** The sampled bracket held the threshold. */
    BRACKET,
    /** The threshold is an end of the bracket, the start of a block of tied scores. */
    TIED_BRACKET,
    /** A full sort of the scores. */
    FULL_SORT
  }

  /** Samples at most this many scores: sorting them is cheap next to one pass over 25 M. */
  private static final int MAX_SAMPLE = 1 << 16;
  /** Standard deviations of the sample rank kept either side of the expected one. */
  private static final double MARGIN_SIGMAS = 4;
  /** Brackets never need to hold more than this many elements to be "not overcrowded". */
  private static final long MIN_CAPACITY = 1 << 12;
  /** The fractional part of the golden ratio: consecutive samples land far apart. */
  private static final double GOLDEN = 0.6180339887498949;

  private final NDManager tmp;
  private final boolean magnitudes;
  private final boolean bracket;
  private final Boolean gpuStyle;
  private Path lastPath = Path.NONE;

  /**
   * For tests: {@code bracket = false} forces the full-sort path; {@code gpuStyle} fixes how
   * booleans are counted and packed (true: as on a GPU, false: as on the CPU engine, null: as
   * suits the device; see {@link DeviceCounts} and {@link DeviceBits#download}).
   */
  DeviceSelection(NDManager tmp, boolean magnitudes, boolean bracket, Boolean gpuStyle) {
    this.tmp = tmp;
    this.magnitudes = magnitudes;
    this.bracket = bracket;
    this.gpuStyle = gpuStyle;
  }

  /** A kernel whose temporaries live in {@code tmp}; the caller closes it. */
  public static DeviceSelection in(NDManager tmp) {
    return new DeviceSelection(tmp, false, true, null);
  }

  /**
   * A kernel that is given weights and scores them by magnitude, {@code |w|}: the same choice as
   * {@link #in} given {@code |w|}, without a per-layer copy of the scores (the layers are
   * concatenated first and made absolute once).
   */
  public static DeviceSelection magnitudesIn(NDManager tmp) {
    return new DeviceSelection(tmp, true, true, null);
  }

  Path lastPath() {
    return lastPath;
  }

  @Override
  public Selection select(List<String> layers, List<NDArray> scores, List<long[]> eligible,
      long count) {
    try (NDManager work = tmp.newSubManager()) {
      Flat flat = Flat.of(work, layers, scores, eligible, magnitudes);
      Threshold t = threshold(flat, count);
      if (t == null) {
        long[][] none = new long[layers.size()][];
        for (int l = 0; l < none.length; l++) {
          none[l] = new long[eligible.get(l).length];
        }
        return new Selection(Float.NaN, none);
      }
      boolean gpu = gpuStyle == null ? flat.scores.getDevice().isGpu() : gpuStyle;
      return new Selection(t.value,
          DeviceBits.download(chosen(flat.scores, t), flat.words, gpu));
    }
  }

  /**
   * The threshold {@link #select} would report, without building or transferring the chosen
   * bits (for comparing with a top-k that returns values only).
   */
  public float threshold(List<String> layers, List<NDArray> scores, List<long[]> eligible,
      long count) {
    try (NDManager work = tmp.newSubManager()) {
      Threshold t = threshold(Flat.of(work, layers, scores, eligible, magnitudes), count);
      return t == null ? Float.NaN : t.value;
    }
  }

  /**
   * The threshold, how many elements lie below it and how many equal to it are chosen; null
   * when {@code count} is zero. Checks finiteness, then the count, as the host kernels do.
   */
  private Threshold threshold(Flat flat, long count) {
    NDManager work = flat.scores.getManager();
    Device device = flat.scores.getDevice();
    DeviceCounts counting = counts(device);
    NDArray s = flat.scores;
    long n = s.size();
    boolean sample = bracket && count > 0 && count <= flat.available;
    NDArray lo;
    NDArray hi;
    long capacity = 0;
    if (sample) {
      // about n^(2/3): sorting the sample then costs about what sorting the bracket does
      int m = (int) Math.min(MAX_SAMPLE, Math.max(64, Math.cbrt((double) n * n)));
      NDArray sorted = sample(s, m).sort();
      double p = (double) count / n;
      double centre = p * m;
      double margin = MARGIN_SIGMAS * Math.sqrt(m * p * (1 - p)) + 2;
      long rankLo = (long) Math.floor(centre - margin) - 1;
      long rankHi = (long) Math.ceil(centre + margin);
      lo = rankLo < 0 ? constant(work, -Float.MAX_VALUE, device)
          : sorted.get(new NDIndex("{}:{}", rankLo, rankLo + 1));
      hi = rankHi >= m ? constant(work, Float.POSITIVE_INFINITY, device)
          : sorted.get(new NDIndex("{}:{}", rankHi, rankHi + 1));
      long expected = (long) Math.ceil((double) (Math.min(rankHi, m) - Math.max(rankLo, 0)) * n
          / m);
      capacity = Math.max(MIN_CAPACITY, 4 * expected);
    } else {
      lo = constant(work, -Float.MAX_VALUE, device);
      hi = constant(work, Float.POSITIVE_INFINITY, device);
    }
    NDArray bounds = NDArrays.concat(new NDList(lo, hi,
        constant(work, Float.POSITIVE_INFINITY, device)));
    // One comparison pass gives three rows, s < lo, s < hi and s < +inf, and one reduction
    // counts them; ineligible and padding elements (+inf) fall in none, eligible NaNs in none,
    // -inf in all: every eligible score is finite iff row 3 counts them all and min(s) > -inf.
    NDArray below = s.reshape(1, n).lt(bounds.reshape(3, 1));
    double[] host = NDArrays.concat(new NDList(counting.perRow(below),
        bounds.toType(DataType.FLOAT64, false),
        (n == 0 ? constant(work, 0f, device) : s.min().reshape(1))
            .toType(DataType.FLOAT64, false))).toDoubleArray();
    long belowLo = (long) host[0];
    long belowHi = (long) host[1];
    if ((long) host[2] != flat.available || host[6] == Double.NEGATIVE_INFINITY) {
      flat.throwFirstNonFinite();
    }
    checkArgument(count >= 0 && count <= flat.available,
        "cannot choose %s of %s eligible elements", count, flat.available);
    if (count == 0) {
      lastPath = Path.NONE;
      return null;
    }
    if (sample && belowLo < count && count <= belowHi && belowHi - belowLo <= capacity) {
      lastPath = Path.BRACKET;
      NDArray inside = below.get(new NDIndex("1")).logicalXor(below.get(new NDIndex("0")));
      // the gather's size comes to the host (a synchronisation inside PyTorch)
      NDArray candidates = s.get(new NDIndex("{}", inside));
      NDArray t = kth(candidates, count - belowLo);
      double[] r = NDArrays.concat(new NDList(t.toType(DataType.FLOAT64, false),
          counting.total(candidates.lt(t)), counting.total(candidates.eq(t)))).toDoubleArray();
      return new Threshold((float) r[0], belowLo + (long) r[1], (long) r[2], count);
    }
    // The bracket missed or is crowded; usually a block of tied scores starts at one of its
    // ends (all scores equal, or most of them zero): t is that end if one count confirms it.
    float end = belowHi < count ? (float) host[4] : (float) host[3];
    long belowEnd = belowHi < count ? belowHi : belowLo;
    if (sample && belowEnd < count && Float.isFinite(end)) {
      long atMost = (long) counting.total(s.lte(end)).toDoubleArray()[0];
      if (count <= atMost) {
        lastPath = Path.TIED_BRACKET;
        return new Threshold(end, belowEnd, atMost - belowEnd, count);
      }
    }
    lastPath = Path.FULL_SORT;
    NDArray t = s.sort().get(new NDIndex("{}:{}", count - 1, count));
    double[] r = NDArrays.concat(new NDList(t.toType(DataType.FLOAT64, false),
        counting.total(s.lt(t)), counting.total(s.eq(t)))).toDoubleArray();
    return new Threshold((float) r[0], (long) r[1], (long) r[2], count);
  }

  /**
   * The {@code k}-th smallest of {@code v} (1-based) as a one-element array: the largest of the
   * k smallest, or the smallest of the {@code size − k + 1} largest, whichever top-k is smaller.
   */
  private static NDArray kth(NDArray v, long k) {
    long size = v.size();
    if (k <= size - k + 1) {
      return v.topK(Math.toIntExact(k), 0, false, false).get(0).max().reshape(1);
    }
    return v.topK(Math.toIntExact(size - k + 1), 0, true, false).get(0).min().reshape(1);
  }

  private DeviceCounts counts(Device device) {
    return gpuStyle == null ? DeviceCounts.forDevice(device) : DeviceCounts.of(gpuStyle);
  }

  /**
   * {@code m} elements of {@code s} at a Weyl sequence of positions: {@code (i × g) mod n} for
   * {@code g ≈ 0.618 n}. The positions are computed on the device (no index upload, and the
   * engine's random generator, which training draws from, is left alone).
   */
  private static NDArray sample(NDArray s, int m) {
    long n = s.size();
    long step = Math.max(1, Math.round(GOLDEN * n)) | 1;
    NDArray positions = s.getManager().arange(0f, m, 1f, DataType.INT64, s.getDevice())
        .mul(step % n).mod(n);
    return s.take(positions);
  }

  /**
   * Which elements are chosen: all below {@code t} and, of those equal to it, the first
   * {@code ties} in flat order (a running count, needed only if some equal ones are left out).
   */
  private NDArray chosen(NDArray s, Threshold t) {
    if (t.ties == t.equal) {
      return s.lte(t.value);
    }
    NDArray equal = s.eq(t.value);
    NDArray running = counts(s.getDevice()).running(equal, t.equal);
    return s.lt(t.value).logicalOr(equal.logicalAnd(running.lte(t.ties)));
  }

  private static NDArray constant(NDManager work, float value, Device device) {
    return work.full(new Shape(1), value, DataType.FLOAT32, device);
  }

  /** The threshold (+0.0 for a zero), the count below it, equal to it, and of those chosen. */
  private static final class Threshold {
    final float value;
    final long equal;
    final long ties;

    Threshold(float value, long below, long equal, long count) {
      // + 0.0f: a -0.0 threshold is reported as 0.0, as the host kernels report it
      this.value = value + 0.0f;
      this.equal = equal;
      this.ties = count - below;
    }
  }

  /**
   * The layers end to end on the device, each padded to whole words, ineligible and padding
   * elements at {@code +∞}; the per-layer views keep the original scores for error messages.
   */
  private static final class Flat {
    final NDArray scores;
    final int[] words;
    final long available;
    private final List<String> layers;
    private final NDArray raw;
    private final NDArray kept;
    private final long[] sizes;

    private Flat(NDArray scores, int[] words, long available, List<String> layers, NDArray raw,
        NDArray kept, long[] sizes) {
      this.scores = scores;
      this.words = words;
      this.available = available;
      this.layers = layers;
      this.raw = raw;
      this.kept = kept;
      this.sizes = sizes;
    }

    static Flat of(NDManager work, List<String> layers, List<NDArray> scores,
        List<long[]> eligible, boolean magnitudes) {
      checkArgument(layers.size() == scores.size() && layers.size() == eligible.size(),
          "%s layer names, %s score arrays and %s eligibility arrays", layers.size(),
          scores.size(), eligible.size());
      Device device = scores.isEmpty() ? work.getDevice() : scores.get(0).getDevice();
      NDArray padding = work.full(new Shape(63), Float.POSITIVE_INFINITY, DataType.FLOAT32,
          device);
      NDList parts = new NDList();
      int[] words = new int[layers.size()];
      long[] sizes = new long[layers.size()];
      long available = 0;
      boolean allKept = true;
      for (int l = 0; l < layers.size(); l++) {
        NDArray s = scores.get(l);
        long[] w = eligible.get(l);
        long size = s.size();
        checkArgument(w.length == (size + 63) >>> 6,
            "layer %s: %s eligibility words for %s scores", layers.get(l), w.length, size);
        // a view of the caller's array, moved here so the caller's manager does not keep it
        NDArray view = Temporaries.in(work, s.reshape(size));
        parts.add(view.getDataType() == DataType.FLOAT32 ? view
            : view.toType(DataType.FLOAT32, false));
        long pad = 64L * w.length - size;
        if (pad > 0) {
          parts.add(padding.get(new NDIndex("0:{}", pad)));
        }
        words[l] = w.length;
        sizes[l] = size;
        for (int i = 0; i < w.length; i++) {
          long valid = i < w.length - 1 || size % 64 == 0 ? -1L : (1L << size) - 1;
          available += Long.bitCount(w[i] & valid);
          allKept &= (w[i] & valid) == valid;
        }
      }
      if (parts.isEmpty()) {
        parts.add(padding.get(new NDIndex("0:0")));
      }
      NDArray raw = parts.size() == 1 ? parts.get(0) : NDArrays.concat(parts);
      if (magnitudes) {
        NDArray signed = raw;
        raw = signed.abs();
        // only the magnitudes are needed from here on; free the signed copy's memory early
        signed.close();
      }
      NDArray kept = allKept ? null : DeviceBits.upload(work, eligible, device);
      NDArray flat = kept == null ? raw : NDArrays.where(kept, raw, padding.get(
          new NDIndex("0:1")));
      return new Flat(flat, words, available, layers, raw, kept, sizes);
    }

    /** Names the first layer and flat index with a non-finite eligible score. */
    void throwFirstNonFinite() {
      long offset = 0;
      for (int l = 0; l < layers.size(); l++) {
        NDIndex range = new NDIndex("{}:{}", offset, offset + sizes[l]);
        NDArray s = raw.get(range);
        NDArray bad = s.isNaN().logicalOr(s.isInfinite());
        if (kept != null) {
          bad = bad.logicalAnd(kept.get(range));
        }
        if (bad.any().getBoolean()) {
          long index = bad.toType(DataType.INT32, false).argMax().getLong();
          throw new IllegalArgumentException(String.format(
              "layer %s holds a non-finite score (%s at flat index %s)", layers.get(l),
              s.getFloat(index), index));
        }
        offset += 64L * words[l];
      }
      throw new IllegalStateException("a non-finite score was counted but not found");
    }
  }
}
