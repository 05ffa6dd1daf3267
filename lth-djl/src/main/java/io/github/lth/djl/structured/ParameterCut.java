package io.github.lth.djl.structured;

import ai.djl.nn.Parameter;
import java.util.Arrays;

/**
 * How one parameter of the original model becomes the parameter of the same name in the rebuilt
 * one: the kept indices along axis 0 ({@code rows}: output channels, or the channels of a
 * BatchNorm or bias) and axis 1 ({@code cols}: input channels or features); null keeps the
 * whole axis.
 */
record ParameterCut(String name, Parameter parameter, long[] shape, int[] rows, int[] cols) {

  long[] newShape() {
    long[] out = shape.clone();
    if (rows != null) {
      out[0] = rows.length;
    }
    if (cols != null) {
      out[1] = cols.length;
    }
    return out;
  }

  long newSize() {
    return Arrays.stream(newShape()).reduce(1, Math::multiplyExact);
  }

  /** The rebuilt parameter's values, in C order, read from the original parameter. */
  float[] values() {
    return apply(parameter.getArray().toFloatArray());
  }

  /** The kept values, in C order, of {@code values} (the original parameter, in C order). */
  float[] apply(float[] values) {
    if (rows == null && cols == null) {
      return values.clone();
    }
    int rowCount = Math.toIntExact(shape[0]);
    int colCount = shape.length > 1 ? Math.toIntExact(shape[1]) : 1;
    int inner = values.length / (rowCount * colCount);
    int[] keptRows = rows != null ? rows : identity(rowCount);
    int[] keptCols = cols != null ? cols : identity(colCount);
    float[] out = new float[keptRows.length * keptCols.length * inner];
    int at = 0;
    for (int r : keptRows) {
      for (int c : keptCols) {
        System.arraycopy(values, (r * colCount + c) * inner, out, at, inner);
        at += inner;
      }
    }
    return out;
  }

  private static int[] identity(int n) {
    int[] out = new int[n];
    for (int i = 0; i < n; i++) {
      out[i] = i;
    }
    return out;
  }
}
