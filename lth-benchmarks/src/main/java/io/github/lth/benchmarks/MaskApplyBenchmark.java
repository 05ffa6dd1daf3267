package io.github.lth.benchmarks;

import io.github.lth.core.Mask;
import io.github.lth.core.Pruner;
import io.github.lth.core.Subnetwork;
import io.github.lth.core.Weights;
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
 * <p>{@code maskApplyTo} is {@link Mask#applyTo}; {@code booleanLoop} the plain loop over a
 * {@code boolean[]} a user would write; {@code floatMultiply} multiplies by a 0/1 float mask as
 * numpy's {@code w *= m} does; {@code branchlessWords} reads the same bit words as
 * {@link Mask#applyTo} but clears a float by AND-ing its bits with a mask built from the bit,
 * with no branch to mispredict. Each call works on a fresh copy of the weights.
 *
 * <pre>{@code
 * java -jar lth-benchmarks/target/benchmarks.jar MaskApply -p model=resnet50
 * }</pre>
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xms6g", "-Xmx6g"})
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
      Weights.Builder b = Weights.builder();
      int l = 0;
      for (Map.Entry<String, long[]> e : shapes.entrySet()) {
        b.put(e.getKey(), e.getValue(), weights[l++]);
      }
      Mask dense = Mask.dense(shapes);
      mask = Pruner.pruneTo(dense,
          PruningCriteria.random(7).score(Subnetwork.of(dense, b.build())), PruningScope.GLOBAL,
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
      if (values == null) {
        values = new float[m.weights.length][];
        for (int l = 0; l < values.length; l++) {
          values[l] = new float[m.weights[l].length];
        }
      }
      for (int l = 0; l < values.length; l++) {
        System.arraycopy(m.weights[l], 0, values[l], 0, values[l].length);
      }
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
