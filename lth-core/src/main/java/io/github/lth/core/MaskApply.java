package io.github.lth.core;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ForkJoinTask;
import java.util.concurrent.RecursiveAction;

/**
 * The kernel behind {@link Mask#applyTo}: clears, in place, the floats whose mask bit is clear,
 * by AND-ing their bits with 0 (so a pruned entry becomes exactly {@code +0.0}) and leaving kept
 * entries' bits untouched (NaN payloads included), which a multiplication by a 0/1 mask would
 * not do ({@code -3 * 0 = -0.0}, {@code NaN * 0 = NaN}).
 *
 * <p>Each byte of a mask word indexes a table of eight int masks ({@code -1} kept, {@code 0}
 * pruned), so the inner loop is a load, an AND with a table entry and a store per float, with no
 * per-bit shifting and no branch a random mask could mispredict. Words that keep everything are
 * skipped and words that keep nothing are zero-filled. Layers of at least {@link #PARALLEL_MIN}
 * floats are split on word boundaries over the available processors.
 *
 * <pre>{@code
 * MaskApply.apply(words, values);   // values[i] = +0.0 wherever bit i of words is clear
 * }</pre>
 */
final class MaskApply {
  /** From this many floats a layer is split over threads: below it forking costs more. */
  static final int PARALLEL_MIN = 1 << 20;
  /** Entry {@code 8 b + j}: {@code -1} if bit {@code j} of byte {@code b} is set, else 0. */
  private static final int[] BYTE_MASKS = new int[256 * 8];

  static {
    for (int b = 0; b < 256; b++) {
      for (int j = 0; j < 8; j++) {
        BYTE_MASKS[8 * b + j] = ((b >>> j) & 1) != 0 ? -1 : 0;
      }
    }
  }

  private MaskApply() {}

  /** Applies {@code words} ({@link java.util.BitSet} layout) to {@code values} in place. */
  static void apply(long[] words, float[] values) {
    int parts = Math.min(Runtime.getRuntime().availableProcessors(), values.length / PARALLEL_MIN);
    apply(words, values, parts);
  }

  /** The same with an explicit number of parts (tests split tiny arrays with it). */
  static void apply(long[] words, float[] values, int parts) {
    int count = words.length;
    if (parts <= 1) {
      applyWords(words, values, 0, count);
      return;
    }
    List<RecursiveAction> tasks = new ArrayList<>(parts);
    for (int p = 0; p < parts; p++) {
      // cuts fall on word boundaries, so no two tasks write the same float
      int from = (int) ((long) count * p / parts);
      int to = (int) ((long) count * (p + 1) / parts);
      tasks.add(new RecursiveAction() {
        @Override
        protected void compute() {
          applyWords(words, values, from, to);
        }
      });
    }
    ForkJoinTask.invokeAll(tasks);
  }

  /** Applies words {@code [from, to)}; the last word of the array may be partial. */
  static void applyWords(long[] words, float[] values, int from, int to) {
    int full = Math.min(to, values.length >>> 6);
    int[] table = BYTE_MASKS;
    for (int w = from; w < full; w++) {
      long bits = words[w];
      if (bits == -1L) {
        continue;
      }
      int base = w << 6;
      if (bits == 0) {
        Arrays.fill(values, base, base + 64, 0f);
        continue;
      }
      for (int b = 0; b < 64; b += 8) {
        int t = ((int) (bits >>> b) & 0xFF) << 3;
        int i = base + b;
        // written out: constant offsets let the JIT drop the bounds checks of all eight
        values[i] = and(values[i], table[t]);
        values[i + 1] = and(values[i + 1], table[t + 1]);
        values[i + 2] = and(values[i + 2], table[t + 2]);
        values[i + 3] = and(values[i + 3], table[t + 3]);
        values[i + 4] = and(values[i + 4], table[t + 4]);
        values[i + 5] = and(values[i + 5], table[t + 5]);
        values[i + 6] = and(values[i + 6], table[t + 6]);
        values[i + 7] = and(values[i + 7], table[t + 7]);
      }
    }
    if (to > full && full < words.length) {
      long bits = words[full];
      for (int i = full << 6, j = 0; i < values.length; i++, j++) {
        values[i] = and(values[i], -(int) ((bits >>> j) & 1L));
      }
    }
  }

  private static float and(float value, int mask) {
    return Float.intBitsToFloat(Float.floatToRawIntBits(value) & mask);
  }
}
