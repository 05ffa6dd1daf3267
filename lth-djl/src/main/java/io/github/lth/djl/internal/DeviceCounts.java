package io.github.lth.djl.internal;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;

/**
 * Exact counts and running counts of boolean device arrays, computed the way that is fast where
 * the array lives. On a GPU, PyTorch reduces booleans as integers at memory speed. Its CPU
 * build reduces and scans integers several times slower than floats (measured 25× for a sum of
 * 266 k booleans), so on the CPU the counts are float sums kept exact: a float holds every
 * integer up to 2²⁴, so each block of 64 is summed in float32 and only the per-block sums are
 * added in float64.
 *
 * <pre>{@code
 * DeviceCounts counts = DeviceCounts.forDevice(scores.getDevice());
 * NDArray below = counts.perRow(scores.reshape(1, n).lt(bounds.reshape(3, 1)));  // float64 (3)
 * }</pre>
 */
final class DeviceCounts {
  private static final long FLOAT_EXACT = 1L << 24;

  private final boolean integer;

  private DeviceCounts(boolean integer) {
    this.integer = integer;
  }

  /** Integer reductions on a GPU, exact float ones on the CPU. */
  static DeviceCounts forDevice(Device device) {
    return new DeviceCounts(device.isGpu());
  }

  /** A fixed choice, for tests that hold both ways to the same answers on one device. */
  static DeviceCounts of(boolean integer) {
    return new DeviceCounts(integer);
  }

  /**
   * The number of set elements in each row of a {@code (rows, n)} boolean array whose row
   * length is a multiple of 64, as a float64 device vector (exact up to 2⁵³).
   */
  NDArray perRow(NDArray bits) {
    long rows = bits.getShape().get(0);
    long n = bits.getShape().get(1);
    if (integer) {
      return bits.sum(new int[] {1}).toType(DataType.FLOAT64, false);
    }
    return bits.toType(DataType.FLOAT32, false).reshape(rows, n / 64, 64).sum(new int[] {2})
        .toType(DataType.FLOAT64, false).sum(new int[] {1});
  }

  /** The number of set elements of a boolean vector, as a float64 device array of shape (1). */
  NDArray total(NDArray bits) {
    long n = bits.size();
    if (integer) {
      return bits.sum().reshape(1).toType(DataType.FLOAT64, false);
    }
    if (n % 64 == 0) {
      return perRow(bits.reshape(1, n));
    }
    if (n <= FLOAT_EXACT) {
      return bits.toType(DataType.FLOAT32, false).sum().reshape(1)
          .toType(DataType.FLOAT64, false);
    }
    return bits.toType(DataType.FLOAT64, false).sum().reshape(1);
  }

  /**
   * The running count of set elements (inclusive), given how many are set in all: float32 when
   * that is exact on the CPU, int64 otherwise.
   */
  NDArray running(NDArray bits, long set) {
    DataType type = integer || set > FLOAT_EXACT ? DataType.INT64 : DataType.FLOAT32;
    return bits.toType(type, false).cumSum();
  }
}
