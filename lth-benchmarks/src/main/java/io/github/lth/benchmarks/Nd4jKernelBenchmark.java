package io.github.lth.benchmarks;

import io.github.lth.core.Mask;
import io.github.lth.core.Pruner;
import io.github.lth.core.Subnetwork;
import io.github.lth.core.Weights;
import io.github.lth.core.nd4j.Nd4jArrays;
import io.github.lth.core.prune.PruningCriteria;
import io.github.lth.core.prune.PruningScope;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.reduce.longer.CountNonZero;
import org.nd4j.linalg.api.ops.impl.scalar.comparison.ScalarLessThanOrEqual;
import org.nd4j.linalg.api.ops.impl.transforms.Histogram;
import org.nd4j.linalg.api.ops.impl.transforms.same.Abs;
import org.nd4j.linalg.factory.Nd4j;
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
 * ND4J for every mask kernel, beside lth4j's own where GlobalThresholdBenchmark and
 * MaskApplyBenchmark do not already time it. The runner prints ND4J / ours as nd4jThreshold /
 * GlobalThresholdBenchmark.exact, nd4jApply / MaskApplyBenchmark.maskApplyTo, nd4jCount /
 * oursCount and nd4jIou / oursIou.
 *
 * <p>ND4J gets its best layout: the weights are one flat FLOAT array in native memory (as DL4J
 * keeps a network's parameters, each tensor a view into it), each mask one flat FLOAT 0/1 array,
 * all in place before timing starts (no host-to-native copy is timed). An op over the flat array
 * is one ND4J call, where an op per tensor is 161 calls for ResNet-50, each with a fixed
 * overhead (thread hand-off included). Timed:
 * <ul>
 *   <li>{@code nd4jThreshold}: the global 20% magnitude threshold (the {@code round(0.2 n)}-th
 *       smallest |w|): |w| into a scratch array, its min, max and a 2<sup>16</sup>-bin histogram
 *       to bracket the threshold, then a search over the float bit patterns inside the bracket
 *       (non-negative floats order as their bits) with exact counts of |w| ≤ t ({@code
 *       ScalarLessThanOrEqual} into a BOOL scratch array, then {@code CountNonZero}), each step
 *       interpolating between the counts or, when that did not halve the bracket, bisecting. It
 *       ends on the smallest t with count(|w| ≤ t) ≥ k, the k-th smallest. A full {@code
 *       Nd4j.sort} took 12.9 s for ResNet-50 on this machine; ND4J's {@code choose} op, which
 *       could extract the bracket, fails in 1.0.0-M2.1; {@code MatchCondition} counts were 6 times
 *       slower than compare-and-count; {@code histogram_fixed_width} took seconds.
 *   <li>{@code nd4jApply}: zeroes the pruned weights of every tensor in place with the mask as
 *       FLOAT 0/1: one {@code w.muli(m)} over the flat weights and the flat mask, which zeroes
 *       every tensor view at once (numpy's {@code w *= m}; a pruned negative weight becomes -0.0,
 *       which the check counts as zero). A {@code muli} per tensor view gives the same result in
 *       161 ops, which took 24-29 ms with one OpenMP thread and 150-1100 ms with two on this
 *       shared machine, against 11-25 ms for the single op. Each call works on a fresh copy of
 *       the weights, made natively outside the timing.
 *   <li>{@code nd4jCount}: the kept count of that mask over all tensors, {@code sumNumber()} of the
 *       flat FLOAT mask (exact: every partial sum is an integer below 2<sup>24</sup>).
 *   <li>{@code nd4jIou}: the IoU of two such masks, |a∧b| / (|a| + |b| − |a∧b|): a BLAS dot of
 *       the two flat masks and their two sums.
 * </ul>
 * Ours: {@code oursCount} is {@link Mask}'s counting kernel ({@code Long.bitCount} over a layer's
 * bit words, which Mask runs once when a layer is built and then caches as {@code kept()}) over
 * the same mask's words; {@code oursIou} is {@link Mask#iou}.
 *
 * <p>Every ND4J kernel is checked once in the trial setup against lth4j's answer (the threshold
 * against a sort of a Java copy of |w|); the setup fails if they differ.
 *
 * <pre>{@code
 * java -jar lth-benchmarks/target/benchmarks.jar Nd4jKernelBenchmark -p model=resnet50
 * }</pre>
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xms6g", "-Xmx6g"})
public class Nd4jKernelBenchmark {

  /** Histogram bins of the threshold's bracketing step. */
  static final int BINS = 1 << 16;

  /** The weights in native memory and two 80% sparse masks, as Mask and as ND4J arrays. */
  @State(Scope.Benchmark)
  public static class Model {
    @Param({"lenet300", "resnet50"})
    public String model;

    List<String> names;
    float[][] weights;
    INDArray flatWeights;
    long k;
    Scratch scratch;

    Mask mask;
    Mask other;
    long[][] words;
    INDArray flatMask;
    INDArray flatOther;

    @Setup(Level.Trial)
    public void setUp() {
      Map<String, long[]> shapes = Models.shapes(model);
      names = new ArrayList<>(shapes.keySet());
      weights = Models.gaussian(shapes, 42);
      Weights w = Models.weights(shapes, weights);
      flatWeights = flat(Nd4jArrays.toArrays(w).values());
      k = Math.round(0.2 * w.totalSize());
      scratch = new Scratch(flatWeights.length());

      Mask dense = Mask.dense(shapes);
      Subnetwork net = Subnetwork.of(dense, w);
      mask = Pruner.pruneTo(dense, PruningCriteria.random(7).score(net), PruningScope.GLOBAL, 0.8);
      other = Pruner.pruneTo(dense, PruningCriteria.random(8).score(net), PruningScope.GLOBAL,
          0.8);
      words = new long[names.size()][];
      for (int i = 0; i < names.size(); i++) {
        words[i] = mask.words(names.get(i));
      }
      flatMask = flat(floats(mask));
      flatOther = flat(floats(other));

      check();
      System.out.printf("%nND4J %s, %d threads (max master threads %d)%n",
          Nd4j.getBackend().getClass().getSimpleName(), Nd4j.getEnvironment().maxThreads(),
          Nd4j.getEnvironment().maxMasterThreads());
    }

    /** The mask layers as FLOAT 0/1 arrays, through the interop: BOOL, then a native cast. */
    private static List<INDArray> floats(Mask m) {
      List<INDArray> out = new ArrayList<>();
      for (INDArray bits : Nd4jArrays.toArrays(m).values()) {
        out.add(bits.castTo(DataType.FLOAT));
      }
      return out;
    }

    /** Every ND4J kernel against lth4j's answer; a difference fails the trial. */
    private void check() {
      float[] all = new float[Math.toIntExact(flatWeights.length())];
      int at = 0;
      for (float[] v : weights) {
        for (float x : v) {
          all[at++] = Math.abs(x);
        }
      }
      Arrays.sort(all);
      float expected = all[Math.toIntExact(k - 1)];
      float got = threshold(flatWeights, k, scratch);
      require(Float.compare(got, expected) == 0, "nd4jThreshold %s, sorting %s", got, expected);

      INDArray applied = flatWeights.dup();
      apply(applied, flatMask);
      float[] theirs = applied.data().asFloat();
      at = 0;
      for (int i = 0; i < names.size(); i++) {
        float[] ours = weights[i].clone();
        mask.applyTo(names.get(i), ours);
        for (int j = 0; j < ours.length; j++, at++) {
          // == counts ND4J's -0.0 (a pruned negative weight times 0) as the +0.0 of ours
          require(ours[j] == theirs[at], "nd4jApply %s[%d]: %s, ours %s", names.get(i), j,
              theirs[at], ours[j]);
        }
      }
      require(count(flatMask) == mask.kept(), "nd4jCount %s, Mask.kept %s", count(flatMask),
          mask.kept());
      require(bitCount(words) == mask.kept(), "oursCount %s, Mask.kept %s", bitCount(words),
          mask.kept());
      double iou = iou(flatMask, flatOther);
      require(iou == mask.iou(other), "nd4jIou %s, Mask.iou %s", iou, mask.iou(other));
    }
  }

  /** Native scratch arrays the threshold reuses, as a caller running it often would. */
  static final class Scratch {
    final INDArray abs;
    final INDArray atMost;
    final INDArray hist;

    Scratch(long n) {
      abs = Nd4j.create(DataType.FLOAT, n);
      atMost = Nd4j.create(DataType.BOOL, n);
      hist = Nd4j.create(DataType.LONG, BINS);
    }
  }

  /** A fresh copy of the weights in native memory for every call, since nd4jApply writes. */
  @State(Scope.Thread)
  public static class Work {
    INDArray flat;

    @Setup(Level.Invocation)
    public void copy(Model m) {
      if (flat == null) {
        flat = m.flatWeights.dup();
      } else {
        flat.assign(m.flatWeights);
      }
    }
  }

  @Benchmark
  public float nd4jThreshold(Model m) {
    return threshold(m.flatWeights, m.k, m.scratch);
  }

  @Benchmark
  public INDArray nd4jApply(Model m, Work w) {
    apply(w.flat, m.flatMask);
    return w.flat;
  }

  @Benchmark
  public long nd4jCount(Model m) {
    return count(m.flatMask);
  }

  @Benchmark
  public double nd4jIou(Model m) {
    return iou(m.flatMask, m.flatOther);
  }

  @Benchmark
  public long oursCount(Model m) {
    return bitCount(m.words);
  }

  @Benchmark
  public double oursIou(Model m) {
    return m.mask.iou(m.other);
  }

  /** The arrays one after another in one flat native array (C order). */
  static INDArray flat(Iterable<INDArray> arrays) {
    List<INDArray> vectors = new ArrayList<>();
    for (INDArray a : arrays) {
      vectors.add(a.reshape(new long[] {a.length()}));
    }
    return Nd4j.concat(0, vectors.toArray(new INDArray[0]));
  }

  /**
   * The k-th smallest |w|. A histogram of |w| finds the bin holding it; non-negative floats order
   * as their bit patterns, so a search over the patterns of that bin (widened by a few ulps, since
   * ND4J bins in float arithmetic) with exact counts ends on the smallest t that has at least k
   * values ≤ t: the k-th smallest. The bracket is checked with exact counts first and widened to
   * [0, max] if it is off.
   */
  static float threshold(INDArray flatWeights, long k, Scratch s) {
    Nd4j.exec(new Abs(flatWeights, s.abs));
    float min = s.abs.minNumber().floatValue();
    float max = s.abs.maxNumber().floatValue();
    Nd4j.getExecutioner().exec(new Histogram(s.abs, s.hist));
    long[] counts = s.hist.toLongVector();
    long cum = 0;
    int bin = 0;
    while (bin < BINS - 1 && cum + counts[bin] < k) {
      cum += counts[bin++];
    }
    double width = ((double) max - min) / BINS;
    int lo = Math.max(0, Float.floatToRawIntBits((float) (min + bin * width)) - 4);
    int hi = Math.min(Float.floatToRawIntBits(max),
        Float.floatToRawIntBits((float) (min + (bin + 1) * width)) + 4);
    long cLo = lo == 0 ? 0 : countAtMost(s, Float.intBitsToFloat(lo - 1));
    long cHi = countAtMost(s, Float.intBitsToFloat(hi));
    if (cLo >= k || cHi < k) {
      lo = 0;
      cLo = 0;
      hi = Float.floatToRawIntBits(max);
      cHi = s.abs.length();
    }
    // invariant: count(|w| < pattern lo) = cLo < k <= cHi = count(|w| <= pattern hi)
    boolean bisect = false;
    while (lo < hi) {
      int guess = bisect ? (lo + hi) >>> 1
          : lo + (int) ((double) (k - cLo) / (cHi - cLo) * (hi - lo));
      guess = Math.min(hi - 1, Math.max(lo, guess));
      long c = countAtMost(s, Float.intBitsToFloat(guess));
      int before = hi - lo;
      if (c >= k) {
        hi = guess;
        cHi = c;
      } else {
        lo = guess + 1;
        cLo = c;
      }
      bisect = hi - lo > before / 2;
    }
    return Float.intBitsToFloat(hi);
  }

  /** count(|w| ≤ t), exact: a BOOL comparison into scratch, then its non-zero count. */
  private static long countAtMost(Scratch s, float t) {
    Nd4j.exec(new ScalarLessThanOrEqual(s.abs, s.atMost, t));
    return Nd4j.getExecutioner().exec(new CountNonZero(s.atMost)).getLong(0);
  }

  static void apply(INDArray flatWeights, INDArray flatMask) {
    flatWeights.muli(flatMask);
  }

  static long count(INDArray flatMask) {
    return flatMask.sumNumber().longValue();
  }

  static double iou(INDArray a, INDArray b) {
    long inter = (long) Nd4j.getBlasWrapper().dot(a, b);
    long union = count(a) + count(b) - inter;
    return union == 0 ? 1.0 : (double) inter / union;
  }

  /** Mask's counting kernel: one Long.bitCount per word, as a layer's kept() is computed. */
  static long bitCount(long[][] words) {
    long kept = 0;
    for (long[] layer : words) {
      for (long w : layer) {
        kept += Long.bitCount(w);
      }
    }
    return kept;
  }

  private static void require(boolean ok, String format, Object... args) {
    if (!ok) {
      throw new IllegalStateException("ND4J and lth4j disagree: " + String.format(format, args));
    }
  }
}
