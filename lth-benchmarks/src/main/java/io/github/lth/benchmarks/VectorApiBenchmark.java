package io.github.lth.benchmarks;

import io.github.lth.core.Mask;
import io.github.lth.core.Pruner;
import io.github.lth.core.Subnetwork;
import io.github.lth.core.Weights;
import io.github.lth.core.prune.PruningCriteria;
import io.github.lth.core.prune.PruningScope;
import io.github.lth.core.select.LowestSelections;
import io.github.lth.core.select.ScoredLayer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Whether the Vector API (incubator module {@code jdk.incubator.vector} in Java 17) would speed
 * up the two kernels bound by operations rather than by memory, each next to its scalar form and
 * next to a read of the same floats, all on one thread in the same fork:
 *
 * <ul>
 *   <li>{@code scalarMark} / {@code vectorMark}: the marking pass of the exact threshold on the
 *       magnitudes of a model's weights (all eligible): for each 64-weight word, the bits of
 *       |w| below {@code lo} and at most {@code hi}, with {@code [lo, hi]} a bracket holding 2%
 *       of the weights around the 20% quantile, as the kernel's sample gives it. The scalar loop
 *       is the one in lth-core's {@code RadixSelection} (float compares of {@code Math.abs(w)},
 *       four per step, bits OR-ed into the word); the vector loop turns each comparison
 *       into lanes of 0/1 shifted to their bit position and OR-reduced ({@code VectorMask
 *       .toLong} is not intrinsified in 17 and runs slower than scalar code).
 *   <li>{@code scalarApply} / {@code vectorApply}: mask apply in place with an 80% sparse random
 *       mask; both index a table of int masks by each byte of a mask word, the vector form ANDs
 *       eight floats at once.
 *   <li>{@code scalarRead} / {@code vectorRead}: sums of the floats, the memory-speed yardstick.
 * </ul>
 *
 * <p>Needs {@code --add-modules jdk.incubator.vector} at compile time (lth-benchmarks' pom) and
 * in the forked JVM (below); lth-core does not use the Vector API.
 *
 * <pre>{@code
 * java -jar lth-benchmarks/target/benchmarks.jar VectorApi -p model=resnet50
 * }</pre>
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xms3g", "-Xmx3g", "-XX:+AlwaysPreTouch",
    "--add-modules=jdk.incubator.vector"})
public class VectorApiBenchmark {
  private static final VectorSpecies<Float> F = FloatVector.SPECIES_256;
  private static final VectorSpecies<Integer> I = IntVector.SPECIES_256;
  private static final IntVector LANE = IntVector.fromArray(I, new int[] {0, 1, 2, 3, 4, 5, 6, 7},
      0);
  private static final int[] BYTE_MASKS = MaskApplyBenchmark.byteMasks();

  /** Weights, a bracket around their 20% quantile, an 80% sparse mask. */
  @State(Scope.Benchmark)
  public static class Model {
    @Param({"lenet300", "resnet50"})
    public String model;

    float[][] weights;
    long[][] out;
    long[][] maskWords;
    int lo;
    int hiPlusOne;

    @Setup(Level.Trial)
    public void setUp() {
      Map<String, long[]> shapes = Models.shapes(model);
      weights = Models.gaussian(shapes, 42);
      List<ScoredLayer> layers = new ArrayList<>();
      Weights.Builder b = Weights.builder();
      int l = 0;
      out = new long[weights.length][];
      for (Map.Entry<String, long[]> e : shapes.entrySet()) {
        long[] all = new long[(weights[l].length + 63) >>> 6];
        Arrays.fill(all, -1L);
        if ((weights[l].length & 63) != 0) {
          all[all.length - 1] = (1L << weights[l].length) - 1;
        }
        out[l] = new long[all.length];
        layers.add(ScoredLayer.magnitudes(e.getKey(), weights[l], all));
        b.put(e.getKey(), e.getValue(), weights[l++]);
      }
      long n = Models.total(shapes);
      lo = Float.floatToRawIntBits(LowestSelections.exact().select(layers,
          Math.round(0.19 * n)).threshold());
      hiPlusOne = Float.floatToRawIntBits(LowestSelections.exact().select(layers,
          Math.round(0.21 * n)).threshold()) + 1;
      Mask dense = Mask.dense(shapes);
      Mask mask = Pruner.pruneTo(dense,
          PruningCriteria.random(7).score(Subnetwork.of(dense, b.build())), PruningScope.GLOBAL,
          0.8);
      maskWords = new long[weights.length][];
      l = 0;
      for (String name : shapes.keySet()) {
        maskWords[l++] = mask.words(name);
      }
    }
  }

  /** A fresh copy of the weights for every apply call. */
  @State(Scope.Thread)
  public static class Work {
    float[][] values;

    @Setup(Level.Invocation)
    public void copy(Model m) {
      values = Models.copyInto(values, m.weights);
    }
  }

  @Benchmark
  public long scalarMark(Model m) {
    float lo = Float.intBitsToFloat(m.lo);
    float hi = Float.intBitsToFloat(m.hiPlusOne - 1);
    long candidates = 0;
    for (int l = 0; l < m.weights.length; l++) {
      float[] s = m.weights[l];
      long[] out = m.out[l];
      int full = s.length >>> 6;
      for (int w = 0; w < full; w++) {
        int base = w << 6;
        long lt = 0;
        long le = 0;
        float nan = 0;
        for (int j = 0; j < 64; j += 4) {
          float x0 = Math.abs(s[base + j]);
          float x1 = Math.abs(s[base + j + 1]);
          float x2 = Math.abs(s[base + j + 2]);
          float x3 = Math.abs(s[base + j + 3]);
          long below4 = (x0 < lo ? 1L : 0L) | (x1 < lo ? 2L : 0L) | (x2 < lo ? 4L : 0L)
              | (x3 < lo ? 8L : 0L);
          long upTo4 = (x0 <= hi ? 1L : 0L) | (x1 <= hi ? 2L : 0L) | (x2 <= hi ? 4L : 0L)
              | (x3 <= hi ? 8L : 0L);
          lt |= below4 << j;
          le |= upTo4 << j;
          nan += (x0 - x0) + (x1 - x1) + (x2 - x2) + (x3 - x3);
        }
        out[w] = lt;
        candidates += Long.bitCount(le & ~lt) + (nan != 0 ? 1 : 0);
      }
    }
    return candidates;
  }

  @Benchmark
  public long vectorMark(Model m) {
    long candidates = 0;
    for (int l = 0; l < m.weights.length; l++) {
      candidates += vectorMark(m.weights[l], m.out[l], m.lo, m.hiPlusOne);
    }
    return candidates;
  }

  /**
   * One tensor's marking pass. Kept in one method without helpers: when C2 does not inline
   * every Vector API call (a helper per comparison was enough, in a JMH method), the vectors
   * are boxed and the pass runs hundreds of times slower.
   */
  private static long vectorMark(float[] s, long[] out, int lo, int hiPlusOne) {
    IntVector lane0 = LANE;
    IntVector lane8 = LANE.add(8);
    IntVector lane16 = LANE.add(16);
    IntVector lane24 = LANE.add(24);
    long candidates = 0;
    int full = s.length >>> 6;
    for (int w = 0; w < full; w++) {
      int base = w << 6;
      long lt = 0;
      long le = 0;
      IntVector any = IntVector.zero(I);
      for (int h = 0; h < 64; h += 32) {
        IntVector k0 = FloatVector.fromArray(F, s, base + h).reinterpretAsInts().and(0x7FFFFFFF);
        IntVector k1 = FloatVector.fromArray(F, s, base + h + 8).reinterpretAsInts()
            .and(0x7FFFFFFF);
        IntVector k2 = FloatVector.fromArray(F, s, base + h + 16).reinterpretAsInts()
            .and(0x7FFFFFFF);
        IntVector k3 = FloatVector.fromArray(F, s, base + h + 24).reinterpretAsInts()
            .and(0x7FFFFFFF);
        // lane i: the comparison's sign (1 = below) shifted to its bit in the 32-bit half
        IntVector below = k0.sub(lo).lanewise(VectorOperators.LSHR, 31)
            .lanewise(VectorOperators.LSHL, lane0)
            .or(k1.sub(lo).lanewise(VectorOperators.LSHR, 31).lanewise(VectorOperators.LSHL,
                lane8))
            .or(k2.sub(lo).lanewise(VectorOperators.LSHR, 31).lanewise(VectorOperators.LSHL,
                lane16))
            .or(k3.sub(lo).lanewise(VectorOperators.LSHR, 31).lanewise(VectorOperators.LSHL,
                lane24));
        IntVector upTo = k0.sub(hiPlusOne).lanewise(VectorOperators.LSHR, 31)
            .lanewise(VectorOperators.LSHL, lane0)
            .or(k1.sub(hiPlusOne).lanewise(VectorOperators.LSHR, 31)
                .lanewise(VectorOperators.LSHL, lane8))
            .or(k2.sub(hiPlusOne).lanewise(VectorOperators.LSHR, 31)
                .lanewise(VectorOperators.LSHL, lane16))
            .or(k3.sub(hiPlusOne).lanewise(VectorOperators.LSHR, 31)
                .lanewise(VectorOperators.LSHL, lane24));
        any = any.or(k0).or(k1).or(k2).or(k3);
        lt |= (below.reduceLanes(VectorOperators.OR) & 0xFFFFFFFFL) << h;
        le |= (upTo.reduceLanes(VectorOperators.OR) & 0xFFFFFFFFL) << h;
      }
      out[w] = lt;
      candidates += Long.bitCount(le & ~lt)
          + (any.reduceLanes(VectorOperators.OR) >= 0x7F800000 ? 1 : 0);
    }
    return candidates;
  }

  @Benchmark
  public float[][] scalarApply(Model m, Work w) {
    for (int l = 0; l < w.values.length; l++) {
      float[] v = w.values[l];
      long[] words = m.maskWords[l];
      int full = v.length >>> 6;
      for (int word = 0; word < full; word++) {
        long bits = words[word];
        int base = word << 6;
        for (int b = 0; b < 64; b += 8) {
          int t = ((int) (bits >>> b) & 0xFF) << 3;
          for (int j = 0; j < 8; j++) {
            v[base + b + j] = Float.intBitsToFloat(Float.floatToRawIntBits(v[base + b + j])
                & BYTE_MASKS[t + j]);
          }
        }
      }
      applyTail(v, words, full);
    }
    return w.values;
  }

  @Benchmark
  public float[][] vectorApply(Model m, Work w) {
    for (int l = 0; l < w.values.length; l++) {
      float[] v = w.values[l];
      long[] words = m.maskWords[l];
      int full = v.length >>> 6;
      for (int word = 0; word < full; word++) {
        long bits = words[word];
        int base = word << 6;
        for (int b = 0; b < 64; b += 8) {
          int t = ((int) (bits >>> b) & 0xFF) << 3;
          FloatVector.fromArray(F, v, base + b).reinterpretAsInts()
              .and(IntVector.fromArray(I, BYTE_MASKS, t)).reinterpretAsFloats()
              .intoArray(v, base + b);
        }
      }
      applyTail(v, words, full);
    }
    return w.values;
  }

  private static void applyTail(float[] v, long[] words, int full) {
    for (int i = full << 6; i < v.length; i++) {
      v[i] = Float.intBitsToFloat(Float.floatToRawIntBits(v[i]) & -(int) ((words[full] >>> i)
          & 1L));
    }
  }

  @Benchmark
  public float scalarRead(Model m) {
    float total = 0;
    for (float[] w : m.weights) {
      total += StreamingReadBenchmark.sum(w, 0, w.length);
    }
    return total;
  }

  @Benchmark
  public float vectorRead(Model m) {
    float total = 0;
    for (float[] s : m.weights) {
      FloatVector acc0 = FloatVector.zero(F);
      FloatVector acc1 = FloatVector.zero(F);
      int i = 0;
      for (; i + 16 <= s.length; i += 16) {
        acc0 = acc0.add(FloatVector.fromArray(F, s, i));
        acc1 = acc1.add(FloatVector.fromArray(F, s, i + 8));
      }
      float tail = 0;
      for (; i < s.length; i++) {
        tail += s[i];
      }
      total += acc0.add(acc1).reduceLanes(VectorOperators.ADD) + tail;
    }
    return total;
  }
}
