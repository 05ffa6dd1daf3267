package io.github.lth.benchmarks;

import io.github.lth.core.Mask;
import io.github.lth.core.Pruner;
import io.github.lth.core.Subnetwork;
import io.github.lth.core.Weights;
import io.github.lth.core.prune.PruningCriteria;
import io.github.lth.core.prune.PruningScope;
import io.github.lth.core.select.LowestSelections;
import io.github.lth.core.select.ScoredLayer;
import io.github.lth.core.select.Selection;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.nd4j.linalg.api.ndarray.INDArray;
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
 * The global pruning threshold at 20%: choose the {@code round(0.2 n)} lowest |w| over every
 * tensor of a model, with all weights still kept (the first IMP round, the largest selection).
 *
 * <ul>
 *   <li>{@code exact}: what {@link Pruner} does for {@link PruningCriteria#magnitude()}: the
 *       kernel {@link LowestSelections#exact()} selecting straight from the weights, reading
 *       |w| on the fly ({@link ScoredLayer#magnitudes}); no score array exists. This is the row
 *       the runner compares with numpy and with {@link StreamingReadBenchmark#read}.
 *   <li>{@code exactScores}: the same kernel on a precomputed |w| array per tensor (how every
 *       other criterion's scores reach it).
 *   <li>{@code pruneMagnitude}: the whole call a user makes, {@code Pruner.prune} with the
 *       magnitude criterion, from the subnetwork to the next {@link Mask}.
 *   <li>{@code sorting}: the sort-based reference (small model only); {@code nd4jSort} the
 *       threshold an ND4J user would get by sorting a flat copy of the scores.
 * </ul>
 *
 * <pre>{@code
 * java -jar lth-benchmarks/target/benchmarks.jar GlobalThreshold -p model=resnet50
 * }</pre>
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xms3g", "-Xmx3g", "-XX:+AlwaysPreTouch"})
public class GlobalThresholdBenchmark {

  /** Magnitude scores of a whole model, all eligible. */
  @State(Scope.Benchmark)
  public static class Model {
    @Param({"lenet300", "resnet50"})
    public String model;

    List<ScoredLayer> layers;
    List<ScoredLayer> weights;
    long count;
    Mask dense;
    Subnetwork subnetwork;

    @Setup(Level.Trial)
    public void setUp() {
      Map<String, long[]> shapes = Models.shapes(model);
      float[][] w = Models.gaussian(shapes, 42);
      layers = scored(shapes, w);
      weights = new ArrayList<>();
      Weights.Builder b = Weights.builder();
      int l = 0;
      for (Map.Entry<String, long[]> e : shapes.entrySet()) {
        weights.add(ScoredLayer.magnitudes(e.getKey(), w[l], layers.get(l).eligible()));
        b.putOwned(e.getKey(), e.getValue(), w[l++]);
      }
      count = Math.round(0.2 * Models.total(shapes));
      dense = Mask.dense(shapes);
      subnetwork = Subnetwork.of(dense, b.build());
    }
  }

  /** The same for the small model only, where the sorting reference finishes in time. */
  @State(Scope.Benchmark)
  public static class SmallModel {
    @Param({"lenet300"})
    public String smallModel;

    List<ScoredLayer> layers;
    long count;

    @Setup(Level.Trial)
    public void setUp() {
      Map<String, long[]> shapes = Models.shapes(smallModel);
      layers = scored(shapes, Models.gaussian(shapes, 42));
      count = Math.round(0.2 * Models.total(shapes));
    }
  }

  /** The scores as one flat ND4J vector, already in native memory. */
  @State(Scope.Benchmark)
  public static class Nd4jModel {
    @Param({"lenet300", "resnet50"})
    public String model;

    INDArray flat;
    long count;

    @Setup(Level.Trial)
    public void setUp() {
      Map<String, long[]> shapes = Models.shapes(model);
      float[][] w = Models.gaussian(shapes, 42);
      float[] all = new float[Math.toIntExact(Models.total(shapes))];
      int at = 0;
      for (float[] v : w) {
        for (float x : v) {
          all[at++] = Math.abs(x);
        }
      }
      flat = Nd4j.create(all);
      count = Math.round(0.2 * all.length);
    }
  }

  @Benchmark
  public Selection exact(Model m) {
    return LowestSelections.exact().select(m.weights, m.count);
  }

  @Benchmark
  public Selection exactScores(Model m) {
    return LowestSelections.exact().select(m.layers, m.count);
  }

  @Benchmark
  public Mask pruneMagnitude(Model m) {
    return Pruner.pruneTo(m.dense, PruningCriteria.magnitude().score(m.subnetwork),
        PruningScope.GLOBAL, 0.2);
  }

  @Benchmark
  public Selection sorting(SmallModel m) {
    return LowestSelections.sorting().select(m.layers, m.count);
  }

  @Benchmark
  public float nd4jSort(Nd4jModel m) {
    INDArray sorted = Nd4j.sort(m.flat.dup(), true);
    return sorted.getFloat(m.count - 1);
  }

  static List<ScoredLayer> scored(Map<String, long[]> shapes, float[][] w) {
    List<ScoredLayer> out = new ArrayList<>();
    int l = 0;
    for (String name : shapes.keySet()) {
      float[] s = new float[w[l].length];
      for (int i = 0; i < s.length; i++) {
        s[i] = Math.abs(w[l][i]);
      }
      long[] all = new long[(s.length + 63) >>> 6];
      Arrays.fill(all, -1L);
      if ((s.length & 63) != 0) {
        all[all.length - 1] = (1L << s.length) - 1;
      }
      out.add(new ScoredLayer(name, s, all));
      l++;
    }
    return out;
  }
}
