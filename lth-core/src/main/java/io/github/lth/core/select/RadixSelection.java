package io.github.lth.core.select;

import static com.google.common.base.Preconditions.checkArgument;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ForkJoinTask;
import java.util.concurrent.RecursiveAction;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The fast exact {@link LowestSelection}: a sample-bracketed select over order-preserving integer
 * keys of the scores, with a radix select as the fallback, and no sorting of the scores.
 *
 * <p>The usual path reads every score once. A random sample of the eligible scores brackets the
 * {@code count}-th lowest key between two sample keys {@code lo} and {@code hi}; one pass then
 * marks every element below {@code lo} as chosen and gathers the few in {@code [lo, hi]}; the
 * exact threshold is selected among those candidates, and they are marked in (layer, flat index)
 * order, so ties are taken exactly as the sorting reference takes them. When the sample misses
 * (probability about 1e-4 per side) or ties make the bracket too crowded, the work is redone by a
 * two-digit radix select: a histogram of the upper 16 key bits, one of the lower 16 bits within
 * the chosen bucket, and a marking pass. Passes run on up to {@code parallelism} slices of the
 * concatenated layers; the result never depends on the split.
 *
 * <p>For a layer of magnitudes ({@link ScoredLayer#absolute()}) the key of {@code |w|} is the
 * weight's bits with the sign cleared, so the passes read the weights themselves and no score
 * array is ever made (the marking pass compares {@code Math.abs(w)}, one AND, as floats).
 *
 * <pre>{@code
 * Selection s = new RadixSelection(2).select(layers, 5_000_000);
 * }</pre>
 */
final class RadixSelection implements LowestSelection {
  private static final int DIGIT = 16;
  private static final int BUCKETS = 1 << DIGIT;
  /** Below this many elements a single thread is faster than forking. */
  private static final long PARALLEL_MIN = 1L << 20;
  /** Sample size: the candidates are then about 4/sqrt(sample) of the eligible elements. */
  private static final int SAMPLE = 1 << 15;
  private static final int SAMPLE_RUN = 4;
  /** Below this many eligible elements the radix passes are cheap and sampling is not worth it. */
  private static final long SAMPLED_MIN = 1L << 17;

  private final int parallelism;
  private final long parallelMin;
  private final int sampleSize;
  private final long sampledMin;
  /** How many selections the one-pass path finished; tests check both paths are taken. */
  final AtomicLong bracketHits = new AtomicLong();
  final AtomicLong radixRuns = new AtomicLong();

  RadixSelection(int parallelism) {
    this(parallelism, PARALLEL_MIN, SAMPLE, SAMPLED_MIN);
  }

  /**
   * Tests shrink {@code parallelMin}, {@code sampleSize} and {@code sampledMin} to drive tiny
   * inputs through every path: split slices, bracket hits, bracket misses and radix only.
   */
  RadixSelection(int parallelism, long parallelMin, int sampleSize, long sampledMin) {
    checkArgument(parallelism >= 1, "parallelism must be positive: %s", parallelism);
    checkArgument(sampleSize >= 1, "sample size must be positive: %s", sampleSize);
    this.parallelism = parallelism;
    this.parallelMin = parallelMin;
    this.sampleSize = sampleSize;
    this.sampledMin = sampledMin;
  }

  @Override
  public Selection select(List<ScoredLayer> layers, long count) {
    long[][] chosen = new long[layers.size()][];
    long total = 0;
    long eligible = 0;
    for (int l = 0; l < layers.size(); l++) {
      ScoredLayer layer = layers.get(l);
      chosen[l] = new long[layer.eligible().length];
      total += layer.scores().length;
      eligible += eligibleCount(layer);
    }
    if (count < 0 || count > eligible) {
      // a non-finite score is reported first, as the reference does
      IllegalArgumentException bad = firstNonFinite(layers);
      if (bad != null) {
        throw bad;
      }
      throw new IllegalArgumentException(String.format(
          "cannot choose %s of %s eligible elements", count, eligible));
    }
    List<Slice> slices = split(layers, total);
    if (count > 0 && eligible >= sampledMin) {
      Selection s = bracketed(layers, slices, chosen, total, eligible, count);
      if (s != null) {
        bracketHits.incrementAndGet();
        return s;
      }
      for (long[] words : chosen) {
        Arrays.fill(words, 0L);
      }
    }
    radixRuns.incrementAndGet();
    return radix(layers, slices, chosen, count);
  }

  /** The one-pass path; null when the sample's bracket misses or holds too many candidates. */
  private Selection bracketed(List<ScoredLayer> layers, List<Slice> slices, long[][] chosen,
      long total, long eligible, long count) {
    // drawing costs about as much per sample as a candidate costs, so the sample grows as
    // eligible^(2/3), which balances the two, up to sampleSize
    int want = (int) Math.max(Math.min(sampleSize, 64),
        Math.min(sampleSize, Math.cbrt((double) eligible * eligible) * 1.6));
    int[] sample = sample(layers, total, want);
    if (sample.length < want / 2) {
      return null;
    }
    int m = sample.length;
    double q = (double) count / eligible;
    // four standard deviations of the rank of the quantile within the sample, at worst q = 1/2
    double margin = 2 * Math.sqrt(m) + 2;
    long rLo = (long) Math.floor(q * m - margin);
    long rHi = (long) Math.ceil(q * m + margin);
    // two order statistics of the sample, without sorting it
    int lo = rLo < 0 ? Integer.MIN_VALUE : kthLowest(sample, Math.min(rLo, m - 1) + 1);
    int hi = rHi >= m ? Integer.MAX_VALUE : kthLowest(sample, rHi + 1);
    double share = Math.min(1.0, (double) (Math.min(rHi, m) - Math.max(rLo, 0) + 1) / m);
    run(slices, s -> s.bracket(lo, hi, chosen, share));

    long below = 0;
    long candidates = 0;
    boolean overflow = false;
    boolean nonFinite = false;
    for (Slice s : slices) {
      overflow |= s.overflow;
      nonFinite |= s.nonFinite;
      below += s.below;
      candidates += s.count;
    }
    if (nonFinite) {
      IllegalArgumentException bad = firstNonFinite(layers);
      if (bad != null) {
        throw bad;
      }
    }
    if (overflow || count <= below || count > below + candidates) {
      return null;
    }
    int[] keys = new int[Math.toIntExact(candidates)];
    int at = 0;
    for (Slice s : slices) {
      System.arraycopy(s.keys, 0, keys, at, s.count);
      at += s.count;
    }
    long rank = count - below;
    int threshold = kthLowest(keys, rank);
    long ties = rank;
    for (int k : keys) {
      if (k < threshold) {
        ties--;
      }
    }
    for (Slice s : slices) {
      ties = s.markCandidates(threshold, ties, chosen);
    }
    return new Selection(keyToFloat(threshold), chosen);
  }

  /** The radix path: histograms of the upper and lower key halves, then a marking pass. */
  private Selection radix(List<ScoredLayer> layers, List<Slice> slices, long[][] chosen,
      long count) {
    int[] high = new int[BUCKETS];
    run(slices, s -> s.histogramHigh());
    for (Slice s : slices) {
      add(high, s.histogram);
    }
    if (nonFinite(high) > 0) {
      throw firstNonFinite(layers);
    }
    if (count == 0) {
      return new Selection(Float.NaN, chosen);
    }

    // The bucket of the count-th lowest (1-based) and how many lie in lower buckets.
    long below = 0;
    int bucket = 0;
    while (below + high[bucket] < count) {
      below += high[bucket++];
    }
    int topBits = bucket;
    int[] low = new int[BUCKETS];
    run(slices, s -> s.histogramLow(topBits));
    for (Slice s : slices) {
      add(low, s.histogram);
    }
    int digit = 0;
    while (below + low[digit] < count) {
      below += low[digit++];
    }
    int threshold = fromBucket(topBits, digit);
    long ties = count - below;

    long[][] equal = new long[layers.size()][];
    for (int l = 0; l < layers.size(); l++) {
      equal[l] = new long[chosen[l].length];
    }
    run(slices, s -> s.mark(threshold, chosen, equal));
    takeFirstTies(chosen, equal, ties);
    return new Selection(keyToFloat(threshold), chosen);
  }

  /**
   * Keys of up to {@code sampleSize} eligible finite scores drawn with replacement. The draw is
   * seeded: it only steers how fast the answer comes, never what it is.
   */
  private static int[] sample(List<ScoredLayer> layers, long total, int sampleSize) {
    long[] starts = new long[layers.size()];
    long at = 0;
    for (int l = 0; l < layers.size(); l++) {
      starts[l] = at;
      at += layers.get(l).scores().length;
    }
    SplittableRandom rng = new SplittableRandom(0x5EEDL);
    int[] keys = new int[sampleSize];
    int got = 0;
    // runs of SAMPLE_RUN neighbours: one cache miss brings several samples
    for (long tries = 16L * sampleSize; tries > 0 && got < sampleSize; tries -= SAMPLE_RUN) {
      long g = rng.nextLong(total);
      int l = Arrays.binarySearch(starts, g);
      l = l >= 0 ? l : -l - 2;
      while (l + 1 < starts.length && starts[l + 1] <= g) {
        l++;   // skip empty layers that share a start
      }
      ScoredLayer layer = layers.get(l);
      float[] s = layer.scores();
      long[] e = layer.eligible();
      int from = (int) (g - starts[l]);
      int to = Math.min(s.length, from + SAMPLE_RUN);
      for (int i = from; i < to && got < sampleSize; i++) {
        if ((e[i >>> 6] & (1L << i)) != 0 && Float.isFinite(s[i])) {
          keys[got++] = key(s[i], layer.absolute());
        }
      }
    }
    return Arrays.copyOf(keys, got);
  }

  /**
   * The {@code rank}-th lowest (1-based) of the keys, by a radix select with digits of 11, 11
   * and 10 bits: the histograms stay in L1, which suits the few thousand to few hundred thousand
   * keys of a sample or a candidate list.
   */
  static int kthLowest(int[] keys, long rank) {
    int prefix = 0;   // the unsigned key bits fixed so far, in place
    long below = 0;
    int[] shifts = {21, 10, 0};
    int[] widths = {11, 11, 10};
    for (int d = 0; d < 3; d++) {
      int shift = shifts[d];
      int mask = (1 << widths[d]) - 1;
      int[] h = new int[mask + 1];
      if (d == 0) {
        for (int k : keys) {
          h[((k ^ Integer.MIN_VALUE) >>> shift) & mask]++;
        }
      } else {
        int fixed = shifts[d - 1];   // bits at and above this shift are already decided
        int want = prefix >>> fixed;
        for (int k : keys) {
          int u = k ^ Integer.MIN_VALUE;
          if (u >>> fixed == want) {
            h[(u >>> shift) & mask]++;
          }
        }
      }
      int digit = 0;
      while (below + h[digit] < rank) {
        below += h[digit++];
      }
      prefix |= digit << shift;
    }
    return prefix ^ Integer.MIN_VALUE;
  }

  /**
   * Order-preserving signed key: for finite floats {@code a < b} iff {@code key(a) < key(b)}.
   * Adding {@code 0.0f} first turns {@code -0.0} into {@code 0.0} so both share a key.
   */
  static int key(float score) {
    int bits = Float.floatToRawIntBits(score + 0.0f);
    return bits ^ ((bits >> 31) & 0x7FFFFFFF);
  }

  /**
   * The key of the score an element holding {@code value} has: {@link #key(float)} of the value,
   * or of its magnitude when {@code absolute}. A magnitude's key is just its bits with the sign
   * cleared (which also maps -0.0 to 0.0), so the magnitude path needs no score array at all.
   */
  static int key(float value, boolean absolute) {
    return absolute ? Float.floatToRawIntBits(value) & 0x7FFFFFFF : key(value);
  }

  static float keyToFloat(int key) {
    return Float.intBitsToFloat(key ^ ((key >> 31) & 0x7FFFFFFF));
  }

  /** Upper 16 bits of a key as an unsigned bucket, so bucket order is key order. */
  private static int highBucket(int key) {
    return (key >>> DIGIT) ^ (1 << (DIGIT - 1));
  }

  private static int fromBucket(int topBits, int lowBits) {
    return ((topBits ^ (1 << (DIGIT - 1))) << DIGIT) | lowBits;
  }

  /**
   * Elements whose key lies in a non-finite bucket. Infinities and NaNs have all exponent bits
   * set, so their upper 16 bits are {@code 0x7F80..0x7FFF} for a positive sign and the
   * complemented range for a negative one; no finite float shares those buckets.
   */
  private static long nonFinite(int[] high) {
    long n = 0;
    for (int b = 0; b < 0x80; b++) {
      n += high[b];
    }
    for (int b = BUCKETS - 0x80; b < BUCKETS; b++) {
      n += high[b];
    }
    return n;
  }

  /** The error for the first eligible non-finite score in (layer, index) order, or null. */
  private static IllegalArgumentException firstNonFinite(List<ScoredLayer> layers) {
    for (ScoredLayer layer : layers) {
      float[] s = layer.scores();
      long[] e = layer.eligible();
      for (int i = 0; i < s.length; i++) {
        if ((e[i >>> 6] & (1L << i)) != 0 && !Float.isFinite(s[i])) {
          return new IllegalArgumentException(String.format(
              "layer %s holds a non-finite score (%s at flat index %s)", layer.name(),
              layer.score(i), i));
        }
      }
    }
    return null;
  }

  private static long eligibleCount(ScoredLayer layer) {
    long[] e = layer.eligible();
    long n = 0;
    for (int w = 0; w < e.length; w++) {
      n += Long.bitCount(e[w] & tail(w << 6, layer.scores().length));
    }
    return n;
  }

  /** The signed upper key half of an unsigned bucket. */
  private static int signedTop(int bucket) {
    return (bucket ^ (1 << (DIGIT - 1))) << DIGIT >> DIGIT;
  }

  /** Adds the first {@code ties} elements of {@code equal}, in (layer, index) order, to chosen. */
  private static void takeFirstTies(long[][] chosen, long[][] equal, long ties) {
    long left = ties;
    for (int l = 0; l < equal.length && left > 0; l++) {
      long[] eq = equal[l];
      for (int w = 0; w < eq.length && left > 0; w++) {
        long bits = eq[w];
        int n = Long.bitCount(bits);
        if (n <= left) {
          chosen[l][w] |= bits;
          left -= n;
        } else {
          while (left > 0) {
            long lowest = Long.lowestOneBit(bits);
            chosen[l][w] |= lowest;
            bits &= ~lowest;
            left--;
          }
        }
      }
    }
  }

  private static void add(int[] into, int[] from) {
    for (int i = 0; i < into.length; i++) {
      into[i] += from[i];
    }
  }

  /**
   * Cuts the concatenated layers into up to {@code parallelism} slices of about equal length,
   * each starting on a 64-element boundary so that no two slices write the same bit word.
   */
  private List<Slice> split(List<ScoredLayer> layers, long total) {
    int parts = total < parallelMin ? 1 : parallelism;
    long per = ((total + parts - 1) / parts + 63) & ~63L;
    List<Slice> slices = new ArrayList<>();
    Slice current = new Slice();
    long room = per;
    for (int l = 0; l < layers.size(); l++) {
      ScoredLayer layer = layers.get(l);
      int n = layer.scores().length;
      int from = 0;
      while (from < n) {
        // cuts inside a layer fall on word boundaries, so no bit word is shared by two slices
        int to = (int) Math.min(n, (from + room + 63) & ~63L);
        current.add(l, layer, from, to);
        room -= to - from;
        from = to;
        if (room <= 0) {
          slices.add(current);
          current = new Slice();
          room = per;
        }
      }
    }
    if (!current.isEmpty() || slices.isEmpty()) {
      slices.add(current);
    }
    return slices;
  }

  /** Runs the task on every slice; the calling thread works too, the rest go to the common pool. */
  private static void run(List<Slice> slices, SliceTask task) {
    if (slices.size() == 1) {
      task.run(slices.get(0));
      return;
    }
    List<RecursiveAction> actions = new ArrayList<>();
    for (Slice s : slices) {
      actions.add(new RecursiveAction() {
        @Override
        protected void compute() {
          task.run(s);
        }
      });
    }
    ForkJoinTask.invokeAll(actions);
  }

  /** The bits of the word starting at {@code base} that lie before {@code to}. */
  private static long tail(int base, int to) {
    return to - base >= 64 ? -1L : (1L << (to - base)) - 1;
  }

  @FunctionalInterface
  private interface SliceTask {
    void run(Slice slice);
  }

  /** A run of ranges over the layers, processed by one thread; it owns its histogram. */
  private static final class Slice {
    private final List<int[]> ranges = new ArrayList<>();   // {layer, from, to}
    private final List<ScoredLayer> layers = new ArrayList<>();
    int[] histogram;
    private long size;

    // results of bracket(): elements below lo, candidates in [lo, hi] in (range, index) order
    long below;
    boolean overflow;
    boolean nonFinite;
    int count;
    private int n;
    int[] positions;
    int[] keys;
    int[] rangeEnds;

    void add(int layerIndex, ScoredLayer layer, int from, int to) {
      ranges.add(new int[] {layerIndex, from, to});
      layers.add(layer);
      size += to - from;
    }

    /**
     * Marks the eligible elements whose key is below {@code lo} as chosen and gathers those in
     * {@code [lo, hi]} ({@code lo = Integer.MIN_VALUE}: nothing below; {@code hi =
     * Integer.MAX_VALUE}: no upper bound). Gives up (overflow) past an eighth of the slice,
     * where ties crowd the bracket and the radix path is cheaper. Also flags (in {@code
     * nonFinite}) that some element of the slice, eligible or not, may hold a non-finite score;
     * the caller checks.
     */
    void bracket(int lo, int hi, long[][] chosen, double share) {
      long cap = (size >>> 3) + 4096;
      // the expected candidates and a quarter more; rarely grown. A new array is zeroed, i.e.
      // touched, in full, and on a fresh heap every touched page costs a page fault
      int capacity = (int) Math.min(cap, (long) (1.25 * share * size) + 1024);
      positions = new int[capacity];
      keys = new int[capacity];
      rangeEnds = new int[ranges.size()];
      // plain float comparisons already treat -0.0 as 0.0 and are cheaper than keys
      float loScore = lo == Integer.MIN_VALUE ? Float.NEGATIVE_INFINITY : keyToFloat(lo);
      float hiScore = hi == Integer.MAX_VALUE ? Float.POSITIVE_INFINITY : keyToFloat(hi);
      long less = 0;
      boolean bad = false;
      n = 0;
      for (int r = 0; r < ranges.size(); r++) {
        int[] range = ranges.get(r);
        ScoredLayer layer = layers.get(r);
        float[] s = layer.scores();
        long[] e = layer.eligible();
        long[] out = chosen[range[0]];
        boolean abs = layer.absolute();
        int from = range[1];
        int to = range[2];
        for (int w = from >>> 6, base = w << 6; base < to; w++, base += 64) {
          long bits = e[w] & tail(base, to);
          if (bits == 0) {
            continue;   // nothing eligible: the word is not even read
          }
          long lt = 0;
          long le = 0;
          float nan = 0;
          if (base + 64 > to) {
            for (int i = base, j = 0; i < to; i++, j++) {
              float x = abs ? Math.abs(s[i]) : s[i];
              lt |= (x < loScore ? 1L : 0L) << j;
              le |= (x <= hiScore ? 1L : 0L) << j;
              nan += x - x;
            }
          } else {
            // |w| is one AND; the JIT moves the invariant test out of the loop. Float compares
            // beat comparing the sign-cleared bits as ints here (measured: 39 against 47 ms of
            // CPU for ResNet-50 on one thread): both are bound by operations, not by memory
            for (int j = 0; j < 64; j += 4) {
              float x0 = abs ? Math.abs(s[base + j]) : s[base + j];
              float x1 = abs ? Math.abs(s[base + j + 1]) : s[base + j + 1];
              float x2 = abs ? Math.abs(s[base + j + 2]) : s[base + j + 2];
              float x3 = abs ? Math.abs(s[base + j + 3]) : s[base + j + 3];
              long below4 = (x0 < loScore ? 1L : 0L) | (x1 < loScore ? 2L : 0L)
                  | (x2 < loScore ? 4L : 0L) | (x3 < loScore ? 8L : 0L);
              long upTo4 = (x0 <= hiScore ? 1L : 0L) | (x1 <= hiScore ? 2L : 0L)
                  | (x2 <= hiScore ? 4L : 0L) | (x3 <= hiScore ? 8L : 0L);
              lt |= below4 << j;
              le |= upTo4 << j;
              // x - x is 0 for every finite x and NaN otherwise: one flag per word
              nan += (x0 - x0) + (x1 - x1) + (x2 - x2) + (x3 - x3);
            }
          }
          bad |= nan != 0;
          lt &= bits;
          out[w] = lt;
          less += Long.bitCount(lt);
          long c = le & ~lt & bits;
          if (c != 0 && !gather(s, abs, base, c, cap)) {
            overflow = true;
            return;
          }
        }
        rangeEnds[r] = n;
      }
      below = less;
      count = n;
      nonFinite = bad;
    }

    /** Appends the candidates {@code c} of the word at {@code base}; false past {@code cap}. */
    private boolean gather(float[] s, boolean abs, int base, long c, long cap) {
      int add = Long.bitCount(c);
      if (n + add > cap) {
        return false;
      }
      if (n + add > positions.length) {
        int grown = (int) Math.min(cap, Math.max(2L * positions.length, n + add));
        positions = Arrays.copyOf(positions, grown);
        keys = Arrays.copyOf(keys, grown);
      }
      while (c != 0) {
        int i = base + Long.numberOfTrailingZeros(c);
        c &= c - 1;
        positions[n] = i;
        keys[n++] = key(s[i], abs);
      }
      return true;
    }

    /** Marks this slice's candidates below the threshold and ties while any are left. */
    long markCandidates(int threshold, long ties, long[][] chosen) {
      int c = 0;
      for (int r = 0; r < ranges.size(); r++) {
        long[] out = chosen[ranges.get(r)[0]];
        for (; c < rangeEnds[r]; c++) {
          int k = keys[c];
          if (k < threshold || (k == threshold && ties-- > 0)) {
            int i = positions[c];
            out[i >>> 6] |= 1L << i;
          }
        }
      }
      return Math.max(ties, 0);
    }

    boolean isEmpty() {
      return ranges.isEmpty();
    }

    void histogramHigh() {
      histogram = countDigits(false, 0);
    }

    void histogramLow(int topBits) {
      histogram = countDigits(true, signedTop(topBits));
    }

    /**
     * Histogram of the eligible keys' high digit, or (when {@code low}) of the low digit of the
     * keys whose high digit is {@code top}.
     */
    private int[] countDigits(boolean low, int top) {
      int[] h = new int[BUCKETS];
      for (int r = 0; r < ranges.size(); r++) {
        int[] range = ranges.get(r);
        float[] s = layers.get(r).scores();
        long[] e = layers.get(r).eligible();
        boolean abs = layers.get(r).absolute();
        int from = range[1];
        int to = range[2];
        for (int w = from >>> 6, base = w << 6; base < to; w++, base += 64) {
          long bits = e[w] & tail(base, to);
          if (bits == -1L) {
            for (int i = base; i < base + 64; i++) {
              count(h, key(s[i], abs), low, top);
            }
          } else {
            while (bits != 0) {
              int i = base + Long.numberOfTrailingZeros(bits);
              bits &= bits - 1;
              count(h, key(s[i], abs), low, top);
            }
          }
        }
      }
      return h;
    }

    private static void count(int[] h, int key, boolean low, int top) {
      if (!low) {
        h[highBucket(key)]++;
      } else if (key >> DIGIT == top) {
        h[key & (BUCKETS - 1)]++;
      }
    }

    void mark(int threshold, long[][] chosen, long[][] equal) {
      for (int r = 0; r < ranges.size(); r++) {
        int[] range = ranges.get(r);
        int l = range[0];
        float[] s = layers.get(r).scores();
        long[] e = layers.get(r).eligible();
        boolean abs = layers.get(r).absolute();
        long[] lt = chosen[l];
        long[] eq = equal[l];
        int from = range[1];
        int to = range[2];
        for (int w = from >>> 6, base = w << 6; base < to; w++, base += 64) {
          long bits = e[w] & tail(base, to);
          if (bits == 0) {
            continue;
          }
          long less = 0;
          long same = 0;
          int end = Math.min(to, base + 64);
          for (int i = base; i < end; i++) {
            int k = key(s[i], abs);
            long bit = 1L << i;
            less |= k < threshold ? bit : 0L;
            same |= k == threshold ? bit : 0L;
          }
          lt[w] = less & bits;
          eq[w] = same & bits;
        }
      }
    }
  }
}
