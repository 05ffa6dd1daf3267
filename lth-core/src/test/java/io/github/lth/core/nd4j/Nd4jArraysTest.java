package io.github.lth.core.nd4j;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.lth.core.Mask;
import io.github.lth.core.Weights;
import java.nio.ByteOrder;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * The INDArray interop against ND4J's own element accessors ({@code getDouble}, {@code getFloat}
 * with indices) and against {@link Mask} and {@link Weights}: the expected values never come from
 * the code under test. All cases share one JVM, so ND4J starts once.
 */
class Nd4jArraysTest {

  /** Word boundaries inside layers (70 and 63 bits), rank 4, an empty layer and a scalar. */
  private static Map<String, long[]> shapes() {
    Map<String, long[]> shapes = new LinkedHashMap<>();
    shapes.put("conv.weight", new long[] {5, 4, 3, 3});
    shapes.put("fc.weight", new long[] {7, 10});
    shapes.put("odd", new long[] {7, 9});
    shapes.put("bias", new long[] {70});
    shapes.put("empty", new long[] {0, 3});
    shapes.put("scalar", new long[0]);
    return shapes;
  }

  private static Mask randomMask(Map<String, long[]> shapes, long seed) {
    SplittableRandom rng = new SplittableRandom(seed);
    Mask.Builder b = Mask.builder();
    shapes.forEach((name, shape) -> {
      long n = 1;
      for (long d : shape) {
        n *= d;
      }
      boolean[] kept = new boolean[(int) n];
      for (int i = 0; i < kept.length; i++) {
        kept[i] = rng.nextDouble() < 0.3;
      }
      b.put(name, shape, kept);
    });
    return b.build();
  }

  /** Values with every bit pattern that a copy could disturb, then Gaussian noise. */
  private static float[] awkwardValues(int n, long seed) {
    float[] special = {
      -0.0f, 0.0f, Float.intBitsToFloat(0x7fc00123), Float.intBitsToFloat(0xffc54321),
      Float.intBitsToFloat(0x7f800001), Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY,
      Float.MIN_VALUE, -Float.MIN_NORMAL / 3, Float.MAX_VALUE
    };
    SplittableRandom rng = new SplittableRandom(seed);
    float[] v = new float[n];
    for (int i = 0; i < n; i++) {
      v[i] = i < special.length ? special[i] : (float) (rng.nextGaussian() * 0.05);
    }
    return v;
  }

  private static Weights awkwardWeights(Map<String, long[]> shapes) {
    Weights.Builder b = Weights.builder();
    int seed = 0;
    for (Map.Entry<String, long[]> e : shapes.entrySet()) {
      long n = 1;
      for (long d : e.getValue()) {
        n *= d;
      }
      b.put(e.getKey(), e.getValue(), awkwardValues((int) n, seed++));
    }
    return b.build();
  }

  private static int[] bits(float[] values) {
    int[] out = new int[values.length];
    for (int i = 0; i < values.length; i++) {
      out[i] = Float.floatToRawIntBits(values[i]);
    }
    return out;
  }

  /**
   * An array's elements in C order, read with ND4J's own indexed accessor. It goes through a
   * double, which quiets a signalling NaN, so it checks layout and values, not NaN payloads.
   */
  private static double[] valuesViaGet(INDArray a) {
    double[] out = new double[(int) a.length()];
    long[] shape = a.shape();
    long[] index = new long[shape.length];
    for (int i = 0; i < out.length; i++) {
      out[i] = a.getDouble(index);
      for (int d = shape.length - 1; d >= 0; d--) {
        if (++index[d] < shape[d]) {
          break;
        }
        index[d] = 0;
      }
    }
    return out;
  }

  /**
   * The exact float bits of an array in C order: ND4J lays the array out in a fresh C-order
   * buffer ({@code dup('c')}, a native copy that keeps every bit), read from its start.
   */
  private static int[] bitsViaDup(INDArray a) {
    int[] out = new int[(int) a.length()];
    if (out.length > 0) {
      a.dup('c').data().asNio().order(ByteOrder.nativeOrder()).asIntBuffer().get(out);
    }
    return out;
  }

  /** Both readings of a FLOAT array agree with the expected bits. */
  private static void assertFloatBits(INDArray a, int[] expected, String what) {
    assertThat(bitsViaDup(a)).as(what).isEqualTo(expected);
    double[] values = valuesViaGet(a);
    for (int i = 0; i < expected.length; i++) {
      float e = Float.intBitsToFloat(expected[i]);
      assertThat(Float.isNaN(e) ? Double.isNaN(values[i]) : values[i] == e
          && Math.copySign(1.0, values[i]) == Math.copySign(1.0, e))
          .as("%s[%d] read %s, expected %s", what, i, values[i], e).isTrue();
    }
  }

  @Test
  void maskLayersBecomeBoolArraysOfTheirShapeInCOrder() {
    Mask m = randomMask(shapes(), 1);
    Map<String, INDArray> arrays = Nd4jArrays.toArrays(m);
    assertThat(arrays.keySet()).containsExactlyElementsOf(m.layers());
    for (String layer : m.layers()) {
      INDArray a = arrays.get(layer);
      assertThat(a.dataType()).isEqualTo(DataType.BOOL);
      assertThat(a.ordering()).isEqualTo('c');
      assertThat(a.shape()).isEqualTo(m.shape(layer));
      boolean[] expected = m.toBooleans(layer);
      double[] got = valuesViaGet(a);
      for (int i = 0; i < expected.length; i++) {
        assertThat(got[i]).as("%s[%d]", layer, i).isEqualTo(expected[i] ? 1.0 : 0.0);
      }
      // the kept count as ND4J computes it, exact against the mask's
      long nd4jKept = a.length() == 0 ? 0 : a.castTo(DataType.LONG).sumNumber().longValue();
      assertThat(nd4jKept).as(layer).isEqualTo(m.kept(layer));
    }
  }

  @Test
  void maskRoundTripsThroughBoolAndEveryNumericType() {
    Mask m = randomMask(shapes(), 2);
    Map<String, INDArray> bool = Nd4jArrays.toArrays(m);
    assertThat(Nd4jArrays.toMask(bool)).isEqualTo(m);
    for (DataType type : List.of(DataType.FLOAT, DataType.DOUBLE, DataType.HALF,
        DataType.BFLOAT16, DataType.BYTE, DataType.UBYTE, DataType.SHORT, DataType.UINT16,
        DataType.INT, DataType.UINT32, DataType.LONG, DataType.UINT64)) {
      Map<String, INDArray> numeric = new LinkedHashMap<>();
      bool.forEach((k, v) -> numeric.put(k, v.castTo(type)));
      Mask back = Nd4jArrays.toMask(numeric);
      assertThat(back).as("%s", type).isEqualTo(m);
      assertThat(back.kept()).isEqualTo(m.kept());
      assertThat(back.shape("conv.weight")).containsExactly(5, 4, 3, 3);
      assertThat(back.shape("scalar")).isEmpty();
    }
  }

  @Test
  void fOrderedAndTransposedMaskArraysAreReadInCOrder() {
    Mask m = randomMask(shapes(), 3);
    Map<String, INDArray> fBool = new LinkedHashMap<>();
    Map<String, INDArray> fFloat = new LinkedHashMap<>();
    Nd4jArrays.toArrays(m).forEach((k, v) -> {
      fBool.put(k, v.dup('f'));
      fFloat.put(k, v.castTo(DataType.FLOAT).dup('f'));
    });
    assertThat(fBool.get("fc.weight").ordering()).isEqualTo('f');
    assertThat(Nd4jArrays.toMask(fBool)).isEqualTo(m);
    assertThat(Nd4jArrays.toMask(fFloat)).isEqualTo(m);

    // a transposed view: element (i, j) of the view is element (j, i) of the original
    INDArray fc = Nd4jArrays.toArray(m, "fc.weight").castTo(DataType.FLOAT);
    Mask t = Nd4jArrays.toMask(Map.of("t", fc.transpose()));
    assertThat(t.shape("t")).containsExactly(10, 7);
    for (int i = 0; i < 10; i++) {
      for (int j = 0; j < 7; j++) {
        assertThat(t.isKept("t", i * 7L + j)).isEqualTo(m.isKept("fc.weight", j * 10L + i));
      }
    }
  }

  @Test
  void maskViewsAndSlicesAreReadThroughTheirOffsetAndStrides() {
    SplittableRandom rng = new SplittableRandom(4);
    INDArray big = Nd4j.create(DataType.FLOAT, 6, 5, 8);
    for (long i = 0; i < big.length(); i++) {
      big.putScalar(i, rng.nextBoolean() ? 1 : 0);
    }
    Map<String, INDArray> views = new LinkedHashMap<>();
    views.put("rows", big.get(NDArrayIndex.interval(2, 5), NDArrayIndex.all(),
        NDArrayIndex.all()));                                   // contiguous, with an offset
    views.put("slice", big.slice(3));                            // contiguous, rank 2
    views.put("box", big.get(NDArrayIndex.interval(1, 4), NDArrayIndex.interval(1, 3),
        NDArrayIndex.interval(2, 7)));                          // strided in every dimension
    views.put("column", big.get(NDArrayIndex.all(), NDArrayIndex.point(2),
        NDArrayIndex.point(5)));                                // a stride of 40
    INDArray bigBool = big.castTo(DataType.BOOL);
    views.put("boolRows", bigBool.get(NDArrayIndex.interval(1, 6), NDArrayIndex.all(),
        NDArrayIndex.all()));                                   // BOOL, contiguous, offset 40
    views.put("boolBox", bigBool.get(NDArrayIndex.interval(1, 4), NDArrayIndex.interval(1, 3),
        NDArrayIndex.interval(2, 7)));                          // BOOL, strided
    assertThat(views.get("box").isView()).isTrue();
    Mask m = Nd4jArrays.toMask(views);
    views.forEach((name, v) -> {
      assertThat(m.shape(name)).isEqualTo(v.shape());
      double[] values = valuesViaGet(v);
      long kept = 0;
      for (int i = 0; i < values.length; i++) {
        boolean one = values[i] == 1.0;
        kept += one ? 1 : 0;
        assertThat(m.isKept(name, i)).as("%s[%d]", name, i).isEqualTo(one);
      }
      assertThat(m.kept(name)).isEqualTo(kept);
    });
  }

  @Test
  void aMaskValueOtherThanZeroOrOneNamesTheLayerAndTheCOrderFlatIndex() {
    INDArray a = Nd4j.create(DataType.FLOAT, 3, 4);
    a.putScalar(new long[] {0, 1}, 1);
    a.putScalar(new long[] {1, 2}, 2);  // C-order flat index 6
    assertThatThrownBy(() -> Nd4jArrays.toMask(Map.of("fc.weight", a)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("layer fc.weight: mask value 2.0 at flat index 6 is neither 0 nor 1");
    assertThatThrownBy(() -> Nd4jArrays.toMask(Map.of("fc.weight", a.dup('f'))))
        .hasMessage("layer fc.weight: mask value 2.0 at flat index 6 is neither 0 nor 1");
    assertThatThrownBy(() -> Nd4jArrays.toMask(Map.of("fc.weight", a.castTo(DataType.INT))))
        .hasMessage("layer fc.weight: mask value 2.0 at flat index 6 is neither 0 nor 1");

    INDArray d = Nd4j.create(new double[] {0, 1, 0.5}, new long[] {3}, DataType.DOUBLE);
    assertThatThrownBy(() -> Nd4jArrays.toMask(Map.of("b", d)))
        .hasMessage("layer b: mask value 0.5 at flat index 2 is neither 0 nor 1");
    INDArray nan = Nd4j.create(new float[] {1, Float.NaN}, new long[] {2}, DataType.FLOAT);
    assertThatThrownBy(() -> Nd4jArrays.toMask(Map.of("b", nan)))
        .hasMessage("layer b: mask value NaN at flat index 1 is neither 0 nor 1");
    INDArray minusOne = Nd4j.create(new float[] {-1}, new long[] {1}, DataType.FLOAT)
        .castTo(DataType.LONG);
    assertThatThrownBy(() -> Nd4jArrays.toMask(Map.of("b", minusOne)))
        .hasMessage("layer b: mask value -1.0 at flat index 0 is neither 0 nor 1");

    // -0.0 is zero: pruned, not an error
    INDArray negZero = Nd4j.create(new float[] {-0.0f, 1}, new long[] {2}, DataType.FLOAT);
    Mask m = Nd4jArrays.toMask(Map.of("b", negZero));
    assertThat(m.isKept("b", 0)).isFalse();
    assertThat(m.isKept("b", 1)).isTrue();
  }

  @Test
  void aMaskArrayOfANonNumericTypeOrMissingIsRefusedByLayer() {
    INDArray text = Nd4j.create("a", "b");
    assertThatThrownBy(() -> Nd4jArrays.toMask(Map.of("names", text)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("layer names: a mask array of type UTF8;"
            + " expected BOOL or a numeric type holding 0 and 1");
    Map<String, INDArray> withNull = new LinkedHashMap<>();
    withNull.put("fc", null);
    assertThatThrownBy(() -> Nd4jArrays.toMask(withNull)).hasMessage("layer fc: no array");
    assertThatThrownBy(() -> Nd4jArrays.toArray(randomMask(shapes(), 5), "fc2"))
        .hasMessage("no layer 'fc2' in the mask (layers: [conv.weight, fc.weight, odd, bias,"
            + " empty, scalar])");
  }

  @Test
  void weightsRoundTripBitExactWithNanPayloadsAndNegativeZero() {
    Weights w = awkwardWeights(shapes());
    Map<String, INDArray> arrays = Nd4jArrays.toArrays(w);
    assertThat(arrays.keySet()).containsExactlyElementsOf(w.names());
    for (String name : w.names()) {
      INDArray a = arrays.get(name);
      assertThat(a.dataType()).isEqualTo(DataType.FLOAT);
      assertThat(a.ordering()).isEqualTo('c');
      assertThat(a.shape()).isEqualTo(w.shape(name));
      assertFloatBits(a, bits(w.values(name)), name);
    }
    Weights back = Nd4jArrays.toWeights(arrays);
    assertThat(back.names()).containsExactlyElementsOf(w.names());
    for (String name : w.names()) {
      assertThat(back.shape(name)).isEqualTo(w.shape(name));
      assertThat(bits(back.values(name))).as(name).isEqualTo(bits(w.values(name)));
    }
    // the special values really are there (a canonicalising copy would have lost them)
    assertThat(Float.floatToRawIntBits(back.values("conv.weight")[2])).isEqualTo(0x7fc00123);
    assertThat(Float.floatToRawIntBits(back.values("conv.weight")[0])).isEqualTo(0x80000000);
    assertThat(Float.floatToRawIntBits(back.values("conv.weight")[4])).isEqualTo(0x7f800001);
  }

  @Test
  void weightsAreReadFromFOrderViewsAndSlicesBitExact() {
    Weights w = awkwardWeights(Map.of("t", new long[] {6, 5, 8}));
    INDArray big = Nd4jArrays.toArray(w, "t");
    Map<String, INDArray> views = new LinkedHashMap<>();
    views.put("f", big.dup('f'));
    views.put("rows", big.get(NDArrayIndex.interval(2, 5), NDArrayIndex.all(),
        NDArrayIndex.all()));
    views.put("box", big.get(NDArrayIndex.interval(0, 4), NDArrayIndex.interval(1, 3),
        NDArrayIndex.interval(2, 7)));
    views.put("transposed", big.slice(0).transpose());
    Weights back = Nd4jArrays.toWeights(views);
    views.forEach((name, v) -> {
      assertThat(back.shape(name)).isEqualTo(v.shape());
      assertFloatBits(v, bits(back.values(name)), name);
    });
    assertThat(bits(back.values("f"))).isEqualTo(bits(w.values("t")));
  }

  @Test
  void doubleHalfAndBfloat16WeightsAreConvertedToFloat32() {
    // exactly representable in all three types, so the expected floats are the literals
    float[] exact = {0f, -0.0f, 1f, -2f, 0.5f, 1.5f, -3.25f, Float.POSITIVE_INFINITY};
    for (DataType type : List.of(DataType.DOUBLE, DataType.HALF, DataType.BFLOAT16)) {
      INDArray a = Nd4j.create(exact, new long[] {2, 4}, DataType.FLOAT).castTo(type);
      Weights w = Nd4jArrays.toWeights(Map.of("fc", a));
      assertThat(bits(w.values("fc"))).as("%s", type).isEqualTo(bits(exact));
      assertThat(w.shape("fc")).containsExactly(2, 4);
    }
    INDArray d = Nd4j.create(new double[] {0.1, 1e-50, -1e50}, new long[] {3}, DataType.DOUBLE);
    assertThat(Nd4jArrays.toWeights(Map.of("d", d)).values("d"))
        .containsExactly((float) 0.1, (float) 1e-50, (float) -1e50);
    INDArray fHalf = Nd4j.create(exact, new long[] {2, 4}, DataType.FLOAT).dup('f')
        .castTo(DataType.HALF);
    assertThat(bits(Nd4jArrays.toWeights(Map.of("h", fHalf)).values("h"))).isEqualTo(bits(exact));
  }

  @Test
  void weightsOfAnotherTypeOrMissingAreRefusedByName() {
    INDArray ints = Nd4j.create(DataType.INT, 2, 2);
    assertThatThrownBy(() -> Nd4jArrays.toWeights(Map.of("fc.weight", ints)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("tensor fc.weight: weights of type INT; expected FLOAT, DOUBLE, HALF or"
            + " BFLOAT16");
    assertThatThrownBy(() -> Nd4jArrays.toWeights(Map.of("m", Nd4j.create(DataType.BOOL, 2))))
        .hasMessage("tensor m: weights of type BOOL; expected FLOAT, DOUBLE, HALF or BFLOAT16");
    Map<String, INDArray> withNull = new LinkedHashMap<>();
    withNull.put("fc", null);
    assertThatThrownBy(() -> Nd4jArrays.toWeights(withNull)).hasMessage("tensor fc: no array");
    Weights w = awkwardWeights(Map.of("fc", new long[] {2}));
    assertThatThrownBy(() -> Nd4jArrays.toArray(w, "conv"))
        .hasMessage("no tensor 'conv' in the weights (have: [fc])");
  }

  @Test
  void applyZeroesPrunedEntriesToPositiveZeroAsMaskApplyToDoes() {
    Map<String, long[]> shapes = shapes();
    Mask m = randomMask(shapes, 6);
    Weights w = awkwardWeights(shapes);
    Weights expected = w.masked(m);
    Map<String, INDArray> arrays = Nd4jArrays.toArrays(w);
    Nd4jArrays.applyTo(m, arrays);
    for (String name : m.layers()) {
      assertFloatBits(arrays.get(name), bits(expected.values(name)), name);
      int[] got = bitsViaDup(arrays.get(name));
      for (int i = 0; i < got.length; i++) {
        if (!m.isKept(name, i)) {
          assertThat(got[i]).as("%s[%d]", name, i).isZero();  // +0.0, even from -0.0 or NaN
        }
      }
    }
    // the first weights are -0.0 and NaNs: some of them pruned, so the +0.0 rule was exercised
    assertThat(m.isKept("conv.weight", 0) && m.isKept("conv.weight", 2)).isFalse();
  }

  @Test
  void applyWritesThroughViewsAndFOrderLeavingTheRestOfTheBufferAlone() {
    Weights w = awkwardWeights(Map.of("t", new long[] {6, 5, 8}));
    Map<String, long[]> viewShapes = new LinkedHashMap<>();
    viewShapes.put("rows", new long[] {3, 5, 8});
    viewShapes.put("box", new long[] {4, 2, 5});
    viewShapes.put("f", new long[] {6, 5, 8});
    viewShapes.put("transposed", new long[] {8, 5});
    Mask m = randomMask(viewShapes, 7);
    for (String name : viewShapes.keySet()) {
      INDArray big = Nd4jArrays.toArray(w, "t");
      INDArray target = switch (name) {
        case "rows" -> big.get(NDArrayIndex.interval(2, 5), NDArrayIndex.all(),
            NDArrayIndex.all());
        case "box" -> big.get(NDArrayIndex.interval(0, 4), NDArrayIndex.interval(1, 3),
            NDArrayIndex.interval(2, 7));
        case "f" -> big = big.dup('f');
        default -> big.slice(4).transpose();
      };
      int[] before = bitsViaDup(target);
      int[] bigBefore = bitsViaDup(big);
      // expected: Mask.applyTo on a heap copy of the view's values in C order
      float[] heap = new float[before.length];
      for (int i = 0; i < heap.length; i++) {
        heap[i] = Float.intBitsToFloat(before[i]);
      }
      m.applyTo(name, heap);

      Nd4jArrays.applyTo(m, name, target);
      assertFloatBits(target, bits(heap), name);
      // the changes in the whole buffer are exactly those in the view: nothing outside it moved
      int[] bigAfter = bitsViaDup(big);
      int changedTotal = 0;
      for (int i = 0; i < bigAfter.length; i++) {
        changedTotal += bigAfter[i] != bigBefore[i] ? 1 : 0;
      }
      int changedInView = 0;
      for (int i = 0; i < heap.length; i++) {
        changedInView += Float.floatToRawIntBits(heap[i]) != before[i] ? 1 : 0;
      }
      assertThat(changedInView).as(name).isPositive();
      assertThat(changedTotal).as(name).isEqualTo(changedInView);
    }
  }

  @Test
  void applyRefusesOtherTypesShapesAndLayersNamingTheLayer() {
    Mask m = randomMask(Map.of("fc.weight", new long[] {3, 4}), 8);
    assertThatThrownBy(() -> Nd4jArrays.applyTo(m, "fc.weight", Nd4j.create(DataType.DOUBLE, 3,
        4)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("layer fc.weight: the weights are DOUBLE; a mask is applied in place to FLOAT"
            + " arrays only (castTo(DataType.FLOAT) makes a FLOAT copy)");
    assertThatThrownBy(() -> Nd4jArrays.applyTo(m, "fc.weight", Nd4j.create(DataType.FLOAT, 4,
        3)))
        .hasMessage("layer fc.weight: weights of shape [4, 3] for a mask of shape [3, 4]");
    assertThatThrownBy(() -> Nd4jArrays.applyTo(m, "fc2", Nd4j.create(DataType.FLOAT, 3, 4)))
        .hasMessage("no layer 'fc2' in the mask (layers: [fc.weight])");

    // the map form checks every layer before writing any
    Map<String, long[]> twoShapes = new LinkedHashMap<>();
    twoShapes.put("a", new long[] {64});
    twoShapes.put("b", new long[] {2});
    Mask both = randomMask(twoShapes, 9);
    assertThat(both.kept("a")).isLessThan(64);
    INDArray a = Nd4j.ones(DataType.FLOAT, 64);
    Map<String, INDArray> arrays = new LinkedHashMap<>();
    arrays.put("a", a);
    arrays.put("b", Nd4j.ones(DataType.FLOAT, 3));
    assertThatThrownBy(() -> Nd4jArrays.applyTo(both, arrays))
        .hasMessage("layer b: weights of shape [3] for a mask of shape [2]");
    assertThat(a.sumNumber().intValue()).isEqualTo(64);
    arrays.remove("b");
    assertThatThrownBy(() -> Nd4jArrays.applyTo(both, arrays))
        .hasMessage("layer b of the mask has no array (have: [a])");
    assertThat(a.sumNumber().intValue()).isEqualTo(64);
  }
}
