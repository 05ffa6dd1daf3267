package io.github.lth.djl.data;

import static com.google.common.base.Preconditions.checkArgument;

import java.math.BigDecimal;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * The one rule behind every validation split, so that an {@link ImageDataset} and a
 * {@link DatasetBatches} over the same samples and labels hold out the same positions.
 */
final class Splits {
  private Splits() {}

  /**
   * Positions {@code {train, validation}}, each ascending. Samples are grouped by label; the
   * groups are visited in increasing label order, each group's positions (in data order) are
   * shuffled with one {@link SplittableRandom} seeded with {@code seed} and shared by all groups
   * (Fisher–Yates from the end, as {@link Shuffle#shuffleInPlace}), and the first
   * {@code Math.round(fraction * groupSize)} of the shuffled group are held out. The rest stays
   * in training.
   *
   * @param what names the data in error messages
   */
  static int[][] validationPositions(int[] labels, double fraction, long seed, String what) {
    checkFraction(fraction, what);
    int n = labels.length;
    // Sorting (label, position) pairs keeps data order inside a group without a map of lists.
    long[] keyed = new long[n];
    for (int i = 0; i < n; i++) {
      keyed[i] = ((long) labels[i] << 32) | i;
    }
    Arrays.sort(keyed);
    boolean[] held = new boolean[n];
    SplittableRandom random = new SplittableRandom(seed);
    for (int start = 0; start < n; ) {
      int label = (int) (keyed[start] >> 32);
      int end = start;
      while (end < n && (int) (keyed[end] >> 32) == label) {
        end++;
      }
      int[] group = new int[end - start];
      for (int k = 0; k < group.length; k++) {
        group[k] = (int) keyed[start + k];
      }
      Shuffle.shuffleInPlace(group, random);
      long take = Math.round(fraction * group.length);
      for (int k = 0; k < take; k++) {
        held[group[k]] = true;
      }
      start = end;
    }
    int heldOut = 0;
    for (boolean h : held) {
      heldOut += h ? 1 : 0;
    }
    checkArgument(heldOut > 0,
        "validation fraction %s holds out no sample of %s (%s samples; each label group gives"
            + " round(fraction x its size))", fraction, what, n);
    checkArgument(heldOut < n,
        "validation fraction %s holds out all %s samples of %s, none is left to train on",
        fraction, n, what);
    int[] train = new int[n - heldOut];
    int[] validation = new int[heldOut];
    int t = 0;
    int v = 0;
    for (int i = 0; i < n; i++) {
      if (held[i]) {
        validation[v++] = i;
      } else {
        train[t++] = i;
      }
    }
    return new int[][] {train, validation};
  }

  static void checkFraction(double fraction, String what) {
    checkArgument(fraction > 0 && fraction < 1,
        "validation fraction must be in (0, 1) for %s (0 means no validation set, which"
            + " the caller handles): %s", what, fraction);
  }

  /** Suffix naming a part, e.g. {@code [val 10% seed 42]} and {@code [train 90% seed 42]}. */
  static String[] partNames(String name, double fraction, long seed) {
    BigDecimal held = BigDecimal.valueOf(fraction);
    return new String[] {
        name + "[train " + percent(BigDecimal.ONE.subtract(held)) + " seed " + seed + "]",
        name + "[val " + percent(held) + " seed " + seed + "]"};
  }

  private static String percent(BigDecimal fraction) {
    return fraction.movePointRight(2).stripTrailingZeros().toPlainString() + "%";
  }
}
