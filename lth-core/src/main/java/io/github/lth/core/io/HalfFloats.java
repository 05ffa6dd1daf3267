package io.github.lth.core.io;

/**
 * Widens the 16-bit float formats of checkpoints to float32, exactly: every float16 and every
 * bfloat16 value is a float32 value, so nothing is rounded. Java 17 has no
 * {@code Float.float16ToFloat} (it arrived in Java 20), hence this class.
 *
 * <p>NaN payloads are kept in the upper mantissa bits (as numpy's {@code astype(np.float32)}
 * does), and the sign of zero and of NaN is kept.
 *
 * <pre>{@code
 * float a = HalfFloats.float16ToFloat((short) 0x3c00);    // 1.0f
 * float b = HalfFloats.bfloat16ToFloat((short) 0x3f80);   // 1.0f
 * }</pre>
 */
public final class HalfFloats {
  /** float16 has exponent bias 15, float32 127. */
  private static final int REBIAS = 127 - 15;

  private HalfFloats() {}

  /** The float32 value of the IEEE 754 binary16 bit pattern {@code bits}. */
  public static float float16ToFloat(short bits) {
    int h = bits & 0xffff;
    int sign = (h & 0x8000) << 16;
    int exponent = (h >>> 10) & 0x1f;
    int mantissa = h & 0x3ff;
    if (exponent == 0x1f) {
      // infinity or NaN: the all-ones float32 exponent, mantissa moved to the top
      return Float.intBitsToFloat(sign | 0x7f800000 | mantissa << 13);
    }
    if (exponent != 0) {
      return Float.intBitsToFloat(sign | (exponent + REBIAS) << 23 | mantissa << 13);
    }
    if (mantissa == 0) {
      return Float.intBitsToFloat(sign);
    }
    // subnormal: mantissa × 2^-24, a normal float32; shift the leading one into place
    int shift = Integer.numberOfLeadingZeros(mantissa) - 21; // 1 for 0x200, 10 for 0x001
    int normalized = (mantissa << shift) & 0x3ff;
    return Float.intBitsToFloat(sign | (1 - shift + REBIAS) << 23 | normalized << 13);
  }

  /** The float32 value of the bfloat16 bit pattern {@code bits}: the upper half of a float32. */
  public static float bfloat16ToFloat(short bits) {
    return Float.intBitsToFloat((bits & 0xffff) << 16);
  }
}
