package io.github.lth.core.nd4j;

import static com.google.common.base.Preconditions.checkArgument;

import io.github.lth.core.Mask;
import io.github.lth.core.Weights;
import java.nio.ByteBuffer;
import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import java.nio.IntBuffer;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Masks and weights to and from ND4J {@code INDArray}s (CPU backend, {@code nd4j-native}), and a
 * mask applied in place to an {@code INDArray} of weights.
 *
 * <p>Arrays this class makes are in C order with the layer's shape: a mask layer is {@link
 * DataType#BOOL}, a weight tensor {@link DataType#FLOAT}. Arrays it reads may be in any ordering,
 * views and slices included; flat indices in messages are C-order indices, as in {@link Mask}.
 *
 * <pre>{@code
 * Map<String, INDArray> bits = Nd4jArrays.toArrays(mask);          // BOOL, in model order
 * Mask same = Nd4jArrays.toMask(bits);                             // same.equals(mask)
 *
 * Map<String, INDArray> w = Nd4jArrays.toArrays(weights);         // FLOAT copies in native memory
 * Nd4jArrays.applyTo(mask, w);                                     // pruned entries are now +0.0
 * Weights pruned = Nd4jArrays.toWeights(w);                        // equals weights.masked(mask)
 * }</pre>
 *
 * <p>Reading and writing go through the array's native buffer ({@code data().asNio()}), so no
 * host copy of a whole array is made beyond the {@code float[]} a {@link Weights} holds, and
 * {@link #applyTo(Mask, String, INDArray)} writes into the array's own memory.
 */
public final class Nd4jArrays {
  private Nd4jArrays() {}

  /**
   * One mask layer as a {@link DataType#BOOL} array of the layer's shape in C order (true = kept).
   *
   * @throws IllegalArgumentException if the mask has no such layer
   */
  public static INDArray toArray(Mask mask, String layer) {
    checkLayer(mask, layer);
    long[] shape = mask.shape(layer);
    int n = Math.toIntExact(mask.size(layer));
    INDArray out = Nd4j.createUninitialized(DataType.BOOL, shape, 'c');
    if (n == 0) {
      return out;
    }
    ByteBuffer bytes = NativeLayout.buffer(out);
    int at = Math.toIntExact(out.offset());
    long[] words = mask.words(layer);
    for (int i = 0; i < n; i++) {
      bytes.put(at + i, (byte) ((words[i >>> 6] >>> i) & 1L));
    }
    return out;
  }

  /**
   * Every layer of a mask as in {@link #toArray(Mask, String)}: a new, modifiable map in the
   * mask's (model) order.
   */
  public static Map<String, INDArray> toArrays(Mask mask) {
    Map<String, INDArray> out = new LinkedHashMap<>();
    for (String layer : mask.layers()) {
      out.put(layer, toArray(mask, layer));
    }
    return out;
  }

  /**
   * A mask from one array per layer, in the map's iteration order, each keeping its array's
   * shape. An array may be {@link DataType#BOOL} (true = kept) or of any numeric type holding
   * only 0 (pruned) and 1 (kept); -0.0 counts as 0.
   *
   * <pre>{@code
   * Mask m = Nd4jArrays.toMask(Map.of("fc.weight", Nd4j.createFromArray(new float[][] {{1, 0}, {0, 1}})));
   * }</pre>
   *
   * @throws IllegalArgumentException naming the layer and the C-order flat index of a value other
   *     than 0 or 1 (NaN included), or naming the layer of an array of a non-numeric type
   */
  public static Mask toMask(Map<String, INDArray> arrays) {
    Mask.Builder b = Mask.builder();
    arrays.forEach((layer, array) -> {
      checkArgument(array != null, "layer %s: no array", layer);
      b.putWords(layer, array.shape(), maskWords(layer, array));
    });
    return b.build();
  }

  /**
   * One tensor of weights as a {@link DataType#FLOAT} array of its shape in C order, copied into
   * native memory; the values keep their exact bits (NaN payloads, -0.0).
   *
   * @throws IllegalArgumentException if there is no such tensor
   */
  public static INDArray toArray(Weights weights, String name) {
    checkArgument(weights.contains(name), "no tensor '%s' in the weights (have: %s)", name,
        weights.names());
    INDArray out = Nd4j.createUninitialized(DataType.FLOAT, weights.shape(name), 'c');
    FloatBuffer values = weights.view(name);
    if (values.remaining() > 0) {
      FloatBuffer dst = NativeLayout.buffer(out).asFloatBuffer();
      dst.position(Math.toIntExact(out.offset()));
      dst.put(values);
    }
    return out;
  }

  /** Every tensor as in {@link #toArray(Weights, String)}: a new, modifiable map in model order. */
  public static Map<String, INDArray> toArrays(Weights weights) {
    Map<String, INDArray> out = new LinkedHashMap<>();
    for (String name : weights.names()) {
      out.put(name, toArray(weights, name));
    }
    return out;
  }

  /**
   * Weights from one array per tensor, in the map's iteration order, each keeping its array's
   * shape. {@link DataType#FLOAT} values keep their exact bits; {@link DataType#DOUBLE}, {@link
   * DataType#HALF} and {@link DataType#BFLOAT16} are converted to float32 by ND4J first (a
   * native copy; HALF and BFLOAT16 convert exactly, DOUBLE rounds to nearest).
   *
   * @throws IllegalArgumentException naming the tensor whose array is of another type
   */
  public static Weights toWeights(Map<String, INDArray> arrays) {
    Weights.Builder b = Weights.builder();
    arrays.forEach((name, array) -> {
      checkArgument(array != null, "tensor %s: no array", name);
      b.putOwned(name, array.shape(), floats(name, array));
    });
    return b.build();
  }

  /**
   * Zeroes, in place, the pruned entries of one layer's weights: they become exactly +0.0 (also
   * where the weight was -0.0 or NaN); kept entries keep their bits. The array is written through
   * its native buffer, without a copy: a C-contiguous array (or view) a word of mask bits at a
   * time, any other layout (F order, strided views) element by element through its strides.
   *
   * <pre>{@code
   * INDArray w = Nd4j.rand(DataType.FLOAT, 300, 784);
   * Nd4jArrays.applyTo(mask, "fc1.weight", w);
   * }</pre>
   *
   * @throws IllegalArgumentException naming the layer if the mask has no such layer, the array is
   *     not {@link DataType#FLOAT} (convert with {@code castTo(DataType.FLOAT)}, which copies) or
   *     its shape differs from the layer's
   */
  public static void applyTo(Mask mask, String layer, INDArray weights) {
    checkApplicable(mask, layer, weights);
    int n = Math.toIntExact(mask.size(layer));
    if (n == 0) {
      return;
    }
    // the float bits as ints: AND with 0 gives +0.0 whatever the value was, -0.0 and NaN included
    IntBuffer bits = NativeLayout.buffer(weights).asIntBuffer();
    long[] words = mask.words(layer);
    if (NativeLayout.isContiguousC(weights)) {
      int at = Math.toIntExact(weights.offset());
      for (int w = 0; w < words.length; w++) {
        long word = words[w];
        if (word == -1L) {
          continue;
        }
        int base = w << 6;
        int end = Math.min(n, base + 64);
        for (int i = base; i < end; i++) {
          // branch-free, as in Mask.applyTo: a random mask would mispredict a branch per weight
          int keep = -(int) ((word >>> (i - base)) & 1L);
          bits.put(at + i, bits.get(at + i) & keep);
        }
      }
    } else {
      NativeLayout.Cursor at = new NativeLayout.Cursor(weights);
      for (int i = 0; i < n; i++) {
        int p = at.next();
        if ((words[i >>> 6] & (1L << i)) == 0) {
          bits.put(p, 0);
        }
      }
    }
  }

  /**
   * {@link #applyTo(Mask, String, INDArray)} for every layer of the mask; arrays the mask does not
   * cover (biases, say) are left as they are. Every layer is checked before any array is written,
   * so a failure leaves all of them unchanged.
   *
   * @throws IllegalArgumentException naming a mask layer that has no array, or as {@link
   *     #applyTo(Mask, String, INDArray)}
   */
  public static void applyTo(Mask mask, Map<String, INDArray> weights) {
    for (String layer : mask.layers()) {
      checkArgument(weights.get(layer) != null, "layer %s of the mask has no array (have: %s)",
          layer, weights.keySet());
      checkApplicable(mask, layer, weights.get(layer));
    }
    for (String layer : mask.layers()) {
      applyTo(mask, layer, weights.get(layer));
    }
  }

  private static void checkLayer(Mask mask, String layer) {
    checkArgument(mask.contains(layer), "no layer '%s' in the mask (layers: %s)", layer,
        mask.layers());
  }

  private static void checkApplicable(Mask mask, String layer, INDArray weights) {
    checkLayer(mask, layer);
    checkArgument(weights.dataType() == DataType.FLOAT,
        "layer %s: the weights are %s; a mask is applied in place to FLOAT arrays only"
            + " (castTo(DataType.FLOAT) makes a FLOAT copy)", layer, weights.dataType());
    checkArgument(Arrays.equals(weights.shape(), mask.shape(layer)),
        "layer %s: weights of shape %s for a mask of shape %s", layer,
        Arrays.toString(weights.shape()), Arrays.toString(mask.shape(layer)));
  }

  /** The mask bits of one array in C order, {@link java.util.BitSet} layout. */
  private static long[] maskWords(String layer, INDArray array) {
    int n = length(layer, array);
    long[] words = new long[(n + 63) >>> 6];
    if (n == 0) {
      return words;
    }
    switch (array.dataType()) {
      case BOOL -> readBool(array, n, words);
      case FLOAT -> readFloat(layer, array, n, words);
      case DOUBLE -> readDouble(layer, array, n, words);
      // every integer and 16-bit float value is exact as a double, and one that is not 0 or 1
      // stays so (doubles are dense near 0 and 1), so the check below sees what the array holds
      case BYTE, UBYTE, SHORT, UINT16, INT, UINT32, LONG, UINT64, HALF, BFLOAT16 ->
          readDouble(layer, array.castTo(DataType.DOUBLE), n, words);
      default -> throw new IllegalArgumentException(String.format(
          "layer %s: a mask array of type %s; expected BOOL or a numeric type holding 0 and 1",
          layer, array.dataType()));
    }
    return words;
  }

  /** BOOL elements are bytes; ND4J reads any non-zero byte as true, and so does this. */
  private static void readBool(INDArray array, int n, long[] words) {
    ByteBuffer bytes = NativeLayout.buffer(array);
    if (NativeLayout.isContiguousC(array)) {
      // a word at a time without a branch per bit: a random mask would mispredict half of them
      int at = Math.toIntExact(array.offset());
      for (int w = 0; w < words.length; w++) {
        int base = w << 6;
        int end = Math.min(n, base + 64);
        long word = 0;
        for (int i = base; i < end; i++) {
          int b = bytes.get(at + i);
          word |= (long) ((b | -b) >>> 31) << (i - base);
        }
        words[w] = word;
      }
      return;
    }
    NativeLayout.Cursor at = new NativeLayout.Cursor(array);
    for (int i = 0; i < n; i++) {
      if (bytes.get(at.next()) != 0) {
        words[i >>> 6] |= 1L << i;
      }
    }
  }

  private static void readFloat(String layer, INDArray array, int n, long[] words) {
    FloatBuffer values = NativeLayout.buffer(array).asFloatBuffer();
    NativeLayout.Cursor at = new NativeLayout.Cursor(array);
    for (int i = 0; i < n; i++) {
      float v = values.get(at.next());
      if (v == 1f) {
        words[i >>> 6] |= 1L << i;
      } else if (v != 0f) {
        throw notBinary(layer, i, Float.toString(v));
      }
    }
  }

  private static void readDouble(String layer, INDArray array, int n, long[] words) {
    DoubleBuffer values = NativeLayout.buffer(array).asDoubleBuffer();
    NativeLayout.Cursor at = new NativeLayout.Cursor(array);
    for (int i = 0; i < n; i++) {
      double v = values.get(at.next());
      if (v == 1d) {
        words[i >>> 6] |= 1L << i;
      } else if (v != 0d) {
        throw notBinary(layer, i, Double.toString(v));
      }
    }
  }

  private static IllegalArgumentException notBinary(String layer, long flatIndex, String value) {
    return new IllegalArgumentException(String.format(
        "layer %s: mask value %s at flat index %d is neither 0 nor 1", layer, value, flatIndex));
  }

  /** The values of a weight array as float32 in C order. */
  private static float[] floats(String name, INDArray array) {
    DataType type = array.dataType();
    checkArgument(type == DataType.FLOAT || type == DataType.DOUBLE || type == DataType.HALF
            || type == DataType.BFLOAT16,
        "tensor %s: weights of type %s; expected FLOAT, DOUBLE, HALF or BFLOAT16", name, type);
    int n = length(name, array);
    float[] out = new float[n];
    if (n == 0) {
      return out;
    }
    INDArray f = type == DataType.FLOAT ? array : array.castTo(DataType.FLOAT);
    FloatBuffer values = NativeLayout.buffer(f).asFloatBuffer();
    if (NativeLayout.isContiguousC(f)) {
      values.position(Math.toIntExact(f.offset()));
      values.get(out);  // a bulk copy: the exact bits, NaN payloads included
    } else {
      NativeLayout.Cursor at = new NativeLayout.Cursor(f);
      for (int i = 0; i < n; i++) {
        out[i] = values.get(at.next());
      }
    }
    return out;
  }

  private static int length(String name, INDArray array) {
    long n = array.length();
    checkArgument(n <= Integer.MAX_VALUE - 8, "%s: %s elements, more than one array can hold",
        name, n);
    return (int) n;
  }
}
