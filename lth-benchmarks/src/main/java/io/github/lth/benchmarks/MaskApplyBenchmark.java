package io.github.lth.benchmarks;

import io.github.lth.core.Mask;
import io.github.lth.core.Pruner;
import io.github.lth.core.Subnetwork;
import io.github.lth.core.prune.PruningCriteria;
import io.github.lth.core.prune.PruningScope;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
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
 * Zeroing the pruned weights of every tensor of a model in place, with an 80% sparse mask
 * (random scores, global scope: no pattern a branch predictor could learn).
 *
 * <ul>
 *   <li>{@code maskApplyTo}: {@link Mask#applyTo} itself, the row the runner compares with numpy:
 *       a byte of the mask word indexes a table of eight int masks, each float is AND-ed with
 *       its entry; layers of 2^20 floats or more are split over the processors.
 *   <li>{@code byteTableOneThread}: the same table loop on one thread, to show what the split
 *       adds.
 *   <li>{@code branchlessWords}: the kernel before the table (the int mask of each float built
 *       by shifting its bit out of the word), kept to show what the table gains.
 *   <li>{@code floatMultiply}: {@code v[i] *= m[i]} with a 0/1 float mask, as numpy's
 *       {@code w *= m} computes (not exact: {@code -3 * 0 = -0.0}, {@code NaN * 0 = NaN}).
 *   <li>{@code booleanLoop}: the plain loop over a {@code boolean[]} a user would write.
 * </ul>
 * Each call works on a fresh copy of the weights (copied outside the timed region).
 *
 * <pre>{@code
 * java -jar lth-benchmarks/target/benchmarks.jar MaskApply -p model=resnet50
 * }</pre>
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xms3g", "-Xmx3g", "-XX:+AlwaysPreTouch"})
public class MaskApplyBenchmark {

  /** The weights and the mask in the three representations. */
  @State(Scope.Benchmark)
  public static class Model {
    @Param({"lenet300", "resnet50"})
    public String model;

    List<String> names;
    float[][] weights;
    Mask mask;
    boolean[][] keep;
    float[][] keepFloats;
    long[][] words;

    @Setup(Level.Trial)
    public void setUp() {
      Map<String, long[]> shapes = Models.shapes(model);
      names = new ArrayList<>(shapes.keySet());
      weights = Models.gaussian(shapes, 42);
      Mask dense = Mask.dense(shapes);
      mask = Pruner.pruneTo(dense,
          PruningCriteria.random(7).score(Subnetwork.of(dense, Models.weights(shapes, weights))), PruningScope.GLOBAL,
          0.8);
      keep = new boolean[names.size()][];
      keepFloats = new float[names.size()][];
      words = new long[names.size()][];
      for (int i = 0; i < names.size(); i++) {
        words[i] = mask.words(names.get(i));
        keep[i] = mask.toBooleans(names.get(i));
        keepFloats[i] = new float[keep[i].length];
        for (int j = 0; j < keep[i].length; j++) {
          keepFloats[i][j] = keep[i][j] ? 1f : 0f;
        }
      }
    }
  }

  /** A fresh copy of the weights for every call, since the kernels write in place. */
  @State(Scope.Thread)
  public static class Work {
    float[][] values;

    @Setup(Level.Invocation)
    public void copy(Model m) {
      values = Models.copyInto(values, m.weights);
    }
  }

  @Benchmark
  public float[][] maskApplyTo(Model m, Work w) {
    for (int l = 0; l < w.values.length; l++) {
      m.mask.applyTo(m.names.get(l), w.values[l]);
    }
    return w.values;
  }

  @Benchmark
  public float[][] booleanLoop(Model m, Work w) {
    for (int l = 0; l < w.values.length; l++) {
      float[] v = w.values[l];
      boolean[] k = m.keep[l];
      for (int i = 0; i < v.length; i++) {
        if (!k[i]) {
          v[i] = 0f;
        }
      }
    }
    return w.values;
  }

  @Benchmark
  public float[][] floatMultiply(Model m, Work w) {
    for (int l = 0; l < w.values.length; l++) {
      float[] v = w.values[l];
      float[] k = m.keepFloats[l];
      for (int i = 0; i < v.length; i++) {
        v[i] *= k[i];
      }
    }
    return w.values;
  }

  @Benchmark
  public float[][] byteTableOneThread(Model m, Work w) {
    for (int l = 0; l < w.values.length; l++) {
      float[] v = w.values[l];
      long[] words = m.words[l];
      int full = v.length >>> 6;
      for (int word = 0; word < full; word++) {
        long bits = words[word];
        if (bits == -1L) {
          continue;
        }
        int base = word << 6;
        for (int b = 0; b < 64; b += 8) {
          int t = ((int) (bits >>> b) & 0xFF) << 3;
          int i = base + b;
          v[i] = and(v[i], BYTE_MASKS[t]);
          v[i + 1] = and(v[i + 1], BYTE_MASKS[t + 1]);
          v[i + 2] = and(v[i + 2], BYTE_MASKS[t + 2]);
          v[i + 3] = and(v[i + 3], BYTE_MASKS[t + 3]);
          v[i + 4] = and(v[i + 4], BYTE_MASKS[t + 4]);
          v[i + 5] = and(v[i + 5], BYTE_MASKS[t + 5]);
          v[i + 6] = and(v[i + 6], BYTE_MASKS[t + 6]);
          v[i + 7] = and(v[i + 7], BYTE_MASKS[t + 7]);
        }
      }
      for (int i = full << 6; i < v.length; i++) {
        v[i] = and(v[i], -(int) ((words[full] >>> i) & 1L));
      }
    }
    return w.values;
  }

  /** Entry {@code 8 b + j}: all ones if bit {@code j} of byte {@code b} is set, else 0. */
  static final int[] BYTE_MASKS = byteMasks();

  static int[] byteMasks() {
    int[] t = new int[256 * 8];
    for (int b = 0; b < 256; b++) {
      for (int j = 0; j < 8; j++) {
        t[8 * b + j] = ((b >>> j) & 1) != 0 ? -1 : 0;
      }
    }
    return t;
  }

  private static float and(float value, int mask) {
    return Float.intBitsToFloat(Float.floatToRawIntBits(value) & mask);
  }

  @Benchmark
  public float[][] branchlessWords(Model m, Work w) {
    for (int l = 0; l < w.values.length; l++) {
      float[] v = w.values[l];
      long[] words = m.words[l];
      for (int word = 0; word < words.length; word++) {
        long bits = words[word];
        if (bits == -1L) {
          continue;
        }
        int base = word << 6;
        int end = Math.min(v.length, base + 64);
        for (int i = base; i < end; i++) {
          int keepAll = -(int) ((bits >>> (i - base)) & 1L);
          v[i] = Float.intBitsToFloat(Float.floatToRawIntBits(v[i]) & keepAll);
        }
      }
    }
    return w.values;
  }
}
