package io.github.lth.core.scale;

/**
 * The order-preserving integer key of a weight's magnitude: the float32 bits without the sign.
 * For finite floats, {@code |a| < |b|} exactly when {@code key(a) < key(b)}, {@code -0.0} and
 * {@code 0.0} share key 0, and subnormals order as the numbers they are; keys from
 * {@value #NON_FINITE} up are infinities and NaNs.
 */
final class MagnitudeKeys {
  /** The key of +infinity: every key at or above it is not finite. */
  static final int NON_FINITE = 0x7f800000;
  /**
   * Low key bits below the histogram's resolution. float16 and bfloat16 values widened to
   * float32 have at most 10 mantissa bits, so their keys' low 13 bits are zero and the
   * 2^18-bucket histogram of {@code key >>> 13} tells them apart exactly.
   */
  static final int LOW_BITS = 13;
  static final int LOW_MASK = (1 << LOW_BITS) - 1;
  static final int BUCKETS = 1 << (31 - LOW_BITS);

  private MagnitudeKeys() {}

  static int key(float v) {
    return Float.floatToRawIntBits(v) & 0x7fffffff;
  }
}
