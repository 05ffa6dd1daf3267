package io.github.lth.core.io;

import java.nio.ByteOrder;

/**
 * A numpy scalar type as a .npy header spells it ({@code '<f4'}, {@code '|b1'}, {@code '>i8'}):
 * byte order, kind letter and item size in bytes.
 */
record Dtype(ByteOrder order, char kind, int itemSize, String descr) {

  static final Dtype BOOL = new Dtype(ByteOrder.LITTLE_ENDIAN, 'b', 1, "|b1");
  static final Dtype FLOAT32 = new Dtype(ByteOrder.LITTLE_ENDIAN, 'f', 4, "<f4");
  /**
   * bfloat16, the upper half of a float32. numpy has no descr for it, so it only comes from a
   * safetensors header ({@code BF16}); kind {@code 'B'} keeps it apart from every numpy kind.
   */
  static final Dtype BFLOAT16 = new Dtype(ByteOrder.LITTLE_ENDIAN, 'B', 2, "bfloat16");

  /**
   * Parses a simple (non-structured) descr; kinds other than bool, int, uint and float parse
   * too, so that the caller can name them in its error.
   */
  static Dtype parse(String descr) throws NpyFormatException {
    if (descr.length() < 2) {
      throw new NpyFormatException("has unsupported dtype '" + Errors.shown(descr) + "'");
    }
    int i = 0;
    ByteOrder order = ByteOrder.nativeOrder();
    char first = descr.charAt(0);
    if (first == '<' || first == '>' || first == '|' || first == '=') {
      order = first == '<' ? ByteOrder.LITTLE_ENDIAN
          : first == '>' ? ByteOrder.BIG_ENDIAN : ByteOrder.nativeOrder();
      i = 1;
    }
    char kind = descr.charAt(i);
    if (kind == 'O') {
      throw new NpyFormatException("is an object array (dtype '" + Errors.shown(descr)
          + "'), which cannot be read without unpickling; save a numeric array instead");
    }
    String digits = descr.substring(i + 1);
    int size = 0;
    if (digits.matches("[0-9]{1,9}")) {
      size = Integer.parseInt(digits);
    }
    if (size <= 0) {
      throw new NpyFormatException("has unsupported dtype '" + Errors.shown(descr) + "'");
    }
    return new Dtype(order, kind, size, descr);
  }

  boolean isBool() {
    return kind == 'b' && itemSize == 1;
  }

  boolean isInteger() {
    return (kind == 'i' || kind == 'u') && (itemSize == 1 || itemSize == 2 || itemSize == 4
        || itemSize == 8);
  }

  /** float32 or float64: the floats a mask file may hold 0/1 in. */
  boolean isFloat() {
    return kind == 'f' && (itemSize == 4 || itemSize == 8);
  }

  /** float16 ({@code '<f2'}) or bfloat16: weights that are widened to float32 exactly. */
  boolean isHalf() {
    return itemSize == 2 && (kind == 'f' || kind == 'B');
  }

  /** Any float type weights may be stored in: float16, bfloat16, float32, float64. */
  boolean isWeightFloat() {
    return isFloat() || isHalf();
  }

  /** The name a message gives the type: numpy's for numpy types, {@code bfloat16} otherwise. */
  String typeName() {
    if (kind == 'B') {
      return "bfloat16";
    }
    if (kind == 'f') {
      return "float" + 8 * itemSize;
    }
    return descr;
  }

  @Override
  public String toString() {
    return descr;
  }
}
