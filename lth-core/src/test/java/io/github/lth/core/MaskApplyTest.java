package io.github.lth.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class MaskApplyTest {

  /** Bit patterns a float can hold that a multiply or a float move could disturb. */
  private static final int[] SPECIAL_BITS = {
      0x80000000, 0x7fc00000, 0x7fc01234, 0xffc00001, 0x7f800001, 0xff812345, 0x7f800000,
      0xff800000, 0x00000001, 0x80000001, 0xc0600000, 0x7f7fffff};

  private enum Pattern { RANDOM, SPARSE, DENSE, ZERO_WORDS, ONE_WORDS, MIXED_WORDS }

  @Test
  void everyPathMatchesAPlainBooleanLoopBitForBit() {
    SplittableRandom rng = new SplittableRandom(4242);
    for (int c = 0; c < 400; c++) {
      int n = switch (c % 4) {
        case 0 -> rng.nextInt(64);
        case 1 -> 64 * (1 + rng.nextInt(20));
        default -> rng.nextInt(5000);
      };
      Pattern pattern = Pattern.values()[c % Pattern.values().length];
      boolean[] keep = keep(rng, pattern, n);
      float[] values = values(rng, n);
      float[] expected = booleanLoop(values, keep);
      long[] words = words(keep);
      for (int parts = 1; parts <= 5; parts++) {
        float[] actual = values.clone();
        MaskApply.apply(words, actual, parts);
        assertBitsEqual(actual, expected, "case " + c + " " + pattern + " n " + n
            + " parts " + parts);
      }
    }
  }

  @Test
  void maskApplyToSplitsALargeLayerAndStillMatchesTheBooleanLoop() {
    SplittableRandom rng = new SplittableRandom(8);
    int n = MaskApply.PARALLEL_MIN * 2 + 37;
    boolean[] keep = keep(rng, Pattern.MIXED_WORDS, n);
    float[] values = values(rng, n);
    float[] expected = booleanLoop(values, keep);
    Mask mask = Mask.builder().put("conv", new long[] {n}, keep).build();
    mask.applyTo("conv", values);
    assertBitsEqual(values, expected, "large layer");
  }

  private static void assertBitsEqual(float[] actual, float[] expected, String what) {
    for (int i = 0; i < expected.length; i++) {
      if (Float.floatToRawIntBits(actual[i]) != Float.floatToRawIntBits(expected[i])) {
        assertThat(Integer.toHexString(Float.floatToRawIntBits(actual[i])))
            .as("%s: index %s", what, i)
            .isEqualTo(Integer.toHexString(Float.floatToRawIntBits(expected[i])));
      }
    }
  }

  /** The reference: a kept entry keeps its bits, a pruned one becomes the bits of +0.0. */
  private static float[] booleanLoop(float[] values, boolean[] keep) {
    float[] out = values.clone();
    for (int i = 0; i < out.length; i++) {
      if (!keep[i]) {
        out[i] = Float.intBitsToFloat(0);
      }
    }
    return out;
  }

  private static float[] values(SplittableRandom rng, int n) {
    float[] v = new float[n];
    for (int i = 0; i < n; i++) {
      v[i] = rng.nextInt(4) == 0 ? Float.intBitsToFloat(SPECIAL_BITS[rng.nextInt(
          SPECIAL_BITS.length)]) : (float) (rng.nextDouble() - 0.5);
    }
    return v;
  }

  private static boolean[] keep(SplittableRandom rng, Pattern pattern, int n) {
    boolean[] k = new boolean[n];
    for (int i = 0; i < n; i++) {
      int word = i >>> 6;
      k[i] = switch (pattern) {
        case RANDOM -> rng.nextBoolean();
        case SPARSE -> rng.nextInt(5) == 0;
        case DENSE -> rng.nextInt(5) != 0;
        case ZERO_WORDS -> word % 2 == 1 && rng.nextBoolean();
        case ONE_WORDS -> word % 2 == 1 || rng.nextBoolean();
        case MIXED_WORDS -> switch (word % 3) {
          case 0 -> false;
          case 1 -> true;
          default -> rng.nextInt(5) == 0;
        };
      };
    }
    return k;
  }

  private static long[] words(boolean[] keep) {
    long[] w = new long[(keep.length + 63) >>> 6];
    for (int i = 0; i < keep.length; i++) {
      if (keep[i]) {
        w[i >>> 6] |= 1L << i;
      }
    }
    return w;
  }
}
