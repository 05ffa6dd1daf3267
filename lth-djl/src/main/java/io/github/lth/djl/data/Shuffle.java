package io.github.lth.djl.data;

import static com.google.common.base.Preconditions.checkArgument;

import java.util.SplittableRandom;

/**
 * Seeded permutations that come out the same on every machine and JVM: a Fisher–Yates shuffle
 * driven by {@link SplittableRandom}, whose sequence for a given seed is fixed by its algorithm
 * (SplitMix64) rather than by the platform. Training uses {@link #epochPermutation} so a run with
 * the same seed sees the same batches in the same order everywhere.
 *
 * <pre>{@code
 * int[] order = Shuffle.epochPermutation(train.size(), seed, epoch);
 * for (int start = 0; start < order.length; start += batchSize) { ... }
 * }</pre>
 */
public final class Shuffle {
  private Shuffle() {}

  /** A permutation of {@code 0 .. n-1} determined by the seed alone. */
  public static int[] permutation(int n, long seed) {
    checkArgument(n >= 0, "permutation size must not be negative: %s", n);
    int[] p = new int[n];
    for (int i = 0; i < n; i++) {
      p[i] = i;
    }
    shuffleInPlace(p, new SplittableRandom(seed));
    return p;
  }

  /**
   * A permutation of {@code 0 .. n-1} drawn from {@code random} (the same draws as
   * {@link #shuffleInPlace}): the order of one pass for {@link BatchSource#epoch}.
   *
   * <pre>{@code
   * SplittableRandom rng = new SplittableRandom(seed);
   * BatchSource.Epoch epoch = train.epoch(scope, device, Shuffle.order(train.size(), rng));
   * }</pre>
   */
  public static int[] order(int n, SplittableRandom random) {
    checkArgument(n >= 0, "permutation size must not be negative: %s", n);
    int[] p = new int[n];
    for (int i = 0; i < n; i++) {
      p[i] = i;
    }
    shuffleInPlace(p, random);
    return p;
  }

  /**
   * {@link #order} as {@code long} indices ready to gather a batch on a device (the same draws,
   * the same permutation).
   */
  public static long[] indices(int n, SplittableRandom random) {
    int[] p = order(n, random);
    long[] out = new long[n];
    for (int i = 0; i < n; i++) {
      out[i] = p[i];
    }
    return out;
  }

  /**
   * The permutation for one epoch of a run: independent of the other epochs' permutations (the
   * seeds are hashed, not offset, so epoch {@code e+1} is not a shifted copy of epoch {@code e}).
   */
  public static int[] epochPermutation(int n, long seed, int epoch) {
    checkArgument(epoch >= 0, "epoch must not be negative: %s", epoch);
    return permutation(n, mix64(seed ^ mix64(0x5EEDL + epoch)));
  }

  /** Shuffles the array in place (Fisher–Yates, from the end). */
  public static void shuffleInPlace(int[] values, SplittableRandom random) {
    for (int i = values.length - 1; i > 0; i--) {
      int j = random.nextInt(i + 1);
      int t = values[i];
      values[i] = values[j];
      values[j] = t;
    }
  }

  // SplitMix64 finaliser: spreads nearby seeds (epoch 0, 1, 2 ...) over unrelated streams.
  private static long mix64(long z) {
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }
}
