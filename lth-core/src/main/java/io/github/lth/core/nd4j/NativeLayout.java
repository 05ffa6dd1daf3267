package io.github.lth.core.nd4j;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Where the elements of an {@code INDArray} on the CPU backend live in its native buffer, so they
 * can be read and written through NIO without a host copy of the whole array.
 *
 * <p>ND4J 1.0.0-M2.1 gives a view the buffer of the array it was taken from: {@code
 * data().asNio()} covers that whole buffer from its start, and element {@code (i0, i1, ...)} of
 * the view sits at {@code offset() + Σ i_d · stride(d)} elements into it. NIO checks every index
 * against the buffer's bounds, so a layout read wrongly fails with an exception rather than
 * touching memory outside the array.
 */
final class NativeLayout {
  private NativeLayout() {}

  /** The array's whole native buffer, in the platform's byte order, as ND4J writes it. */
  static ByteBuffer buffer(INDArray a) {
    return a.data().asNio().order(ByteOrder.nativeOrder());
  }

  /**
   * Whether the elements lie one after another in C order: then element {@code i} in C order is
   * element {@code offset() + i} of the buffer, whatever {@code ordering()} says (a vector or a
   * row slice is both). Dimensions of size 1 may have any stride.
   */
  static boolean isContiguousC(INDArray a) {
    long[] shape = a.shape();
    long[] stride = a.stride();
    long expected = 1;
    for (int d = shape.length - 1; d >= 0; d--) {
      if (shape[d] != 1 && stride[d] != expected) {
        return false;
      }
      expected *= shape[d];
    }
    return true;
  }

  /**
   * Gives the buffer index (in elements) of each element of an array in C order: consecutive
   * indices for a C-contiguous array, otherwise the odometer of the array's shape carried with its
   * strides.
   */
  static final class Cursor {
    private final boolean contiguous;
    private final long[] shape;
    private final long[] stride;
    private final long[] index;
    private long position;

    Cursor(INDArray a) {
      this.contiguous = isContiguousC(a);
      this.shape = a.shape();
      this.stride = a.stride();
      this.index = new long[shape.length];
      this.position = a.offset();
    }

    /** The buffer index of the current element; moves on to the next one in C order. */
    int next() {
      int p = Math.toIntExact(position);
      if (contiguous) {
        position++;
        return p;
      }
      for (int d = shape.length - 1; d >= 0; d--) {
        position += stride[d];
        if (++index[d] < shape[d]) {
          return p;
        }
        position -= stride[d] * shape[d];
        index[d] = 0;
      }
      return p;
    }
  }
}
