package io.github.lth.core.scale;

import java.util.Arrays;

/**
 * Pass 1 of one pruning group (all prunable layers, or one layer): the eligible magnitude keys
 * go into a histogram of their upper 18 bits and, when a bracket {@code [lo, hi]} was drawn
 * from a sample, the keys inside it into a bounded candidate buffer (those below it are only
 * counted). {@link #finish} then gives the exact threshold key and tie count, or says that one
 * refinement pass over the threshold's bucket is needed.
 *
 * <p>Heap: the histogram (2 MB) plus the candidate buffer, whatever the group's size.
 */
final class GroupScan {
  private final long[] histogram = new long[MagnitudeKeys.BUCKETS];
  private final int lo;
  private final int hi;
  private final int[] candidates;
  private int candidateCount;
  private boolean overflow;
  private long below;
  private int lowBits;
  private long eligible;

  /** A scan without a bracket: the histogram alone (enough for 16-bit weights). */
  GroupScan() {
    this(1, 0, 0);
  }

  /** A scan gathering the keys in {@code [lo, hi]} into a buffer of {@code capacity}. */
  GroupScan(int lo, int hi, int capacity) {
    this.lo = lo;
    this.hi = hi;
    this.candidates = new int[lo <= hi ? capacity : 0];
  }

  /** Adds {@code n} keys of eligible elements. */
  void add(int[] keys, int n) {
    eligible += n;
    int low = lowBits;
    for (int i = 0; i < n; i++) {
      int k = keys[i];
      histogram[k >>> MagnitudeKeys.LOW_BITS]++;
      low |= k;
    }
    lowBits = low & MagnitudeKeys.LOW_MASK;
    if (lo > hi) {
      return;
    }
    for (int i = 0; i < n; i++) {
      int k = keys[i];
      if (k < lo) {
        below++;
      } else if (k <= hi) {
        if (candidateCount < candidates.length) {
          candidates[candidateCount++] = k;
        } else {
          overflow = true;
        }
      }
    }
  }

  long eligible() {
    return eligible;
  }

  /** Whether the bracket gathered what {@link #finish} needed (for the reports and tests). */
  boolean bracketHit(long count) {
    return lo <= hi && !overflow && below < count && count <= below + candidateCount;
  }

  /**
   * The threshold for choosing the {@code count} lowest keys, or, when pass 1 cannot tell it,
   * a {@link Refinement} of the bucket it lies in.
   */
  Outcome finish(long count) {
    if (count == 0) {
      return Threshold.NONE;
    }
    long cumulative = 0;
    int bucket = 0;
    while (cumulative + histogram[bucket] < count) {
      cumulative += histogram[bucket++];
    }
    if (lowBits == 0) {
      // every key of the group has zero low bits: the bucket holds one key value
      return new Threshold(bucket << MagnitudeKeys.LOW_BITS, count - cumulative);
    }
    if (bracketHit(count)) {
      Arrays.sort(candidates, 0, candidateCount);
      int t = candidates[(int) (count - below - 1)];
      int less = lowerBound(candidates, candidateCount, t);
      return new Threshold(t, count - below - less);
    }
    return new Refinement(bucket, cumulative);
  }

  private static int lowerBound(int[] a, int n, int key) {
    int lo = 0;
    int hi = n;
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      if (a[mid] < key) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    return lo;
  }

  /** What pass 1 tells: the threshold, or the bucket it lies in. */
  sealed interface Outcome permits Threshold, Refinement {}

  /** The threshold lies in {@code bucket}; {@code before} eligible keys lie in lower buckets. */
  record Refinement(int bucket, long before) implements Outcome {
    /** Pass 1b: histogram of the low bits of the keys in the bucket. */
    final class Scan {
      final long[] low = new long[1 << MagnitudeKeys.LOW_BITS];

      void add(int[] keys, int n) {
        for (int i = 0; i < n; i++) {
          int k = keys[i];
          if (k >>> MagnitudeKeys.LOW_BITS == bucket) {
            low[k & MagnitudeKeys.LOW_MASK]++;
          }
        }
      }

      Threshold finish(long count) {
        long cumulative = before;
        int j = 0;
        while (cumulative + low[j] < count) {
          cumulative += low[j++];
        }
        return new Threshold(bucket << MagnitudeKeys.LOW_BITS | j, count - cumulative);
      }
    }
  }

  /**
   * Prune every eligible key below {@code key}, and the first {@code ties} eligible elements
   * with key {@code key} in (layer, flat index) order; {@link #NONE} prunes nothing.
   */
  record Threshold(int key, long ties) implements Outcome {
    static final Threshold NONE = new Threshold(-1, 0);
  }
}
