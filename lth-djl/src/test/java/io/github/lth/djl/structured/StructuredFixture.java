package io.github.lth.djl.structured;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.github.lth.core.Mask;
import io.github.lth.core.ParameterInfo;
import io.github.lth.core.Weights;
import io.github.lth.djl.DjlModel;
import io.github.lth.djl.models.Models;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.SplittableRandom;
import java.util.TreeSet;

/**
 * Builds structured masks the way the shared contract defines them (a filter's row of the
 * weight plus its bias and the following BatchNorm's gamma and beta), and the shapes and outputs
 * a correct channel removal must give, independently of the code under test.
 */
final class StructuredFixture {
  private StructuredFixture() {}

  /**
   * One layer whose filters the test prunes: {@code prefix_weight} (and {@code prefix_bias}
   * when {@code bias}), the BatchNorm {@code norm} after it (or null), and the layer {@code
   * consumer} whose inputs follow, each filter being {@code per} of its input columns.
   */
  record Cut(String prefix, String norm, boolean bias, String consumer, int per, int prune) {}

  static DjlModel model(String name, int channels, int size, int classes, long seed) {
    return DjlModel.create(Models.create(name, channels, size, size, classes),
        new Shape(1, channels, size, size), Device.cpu(), seed);
  }

  /**
   * Gives biases, BatchNorm gamma, beta and running statistics random, non-trivial values, so
   * that a misplaced or forgotten channel of any of them changes the outputs.
   */
  static void randomizeStatistics(DjlModel model, long seed) {
    SplittableRandom random = new SplittableRandom(seed);
    List<String> names = model.parameters().stream().map(ParameterInfo::name)
        .filter(n -> n.endsWith("_bias") || n.endsWith("_gamma") || n.endsWith("_beta")
            || n.endsWith("_runningMean") || n.endsWith("_runningVar"))
        .toList();
    Weights current = model.weights(names);
    Weights.Builder b = Weights.builder();
    for (String n : names) {
      float[] v = current.values(n);
      for (int i = 0; i < v.length; i++) {
        double u = random.nextDouble();
        v[i] = (float) (n.endsWith("_runningVar") ? 0.5 + 1.5 * u
            : n.endsWith("_gamma") ? 0.5 + u : u - 0.5);
      }
      b.putOwned(n, current.shape(n), v);
    }
    model.load(b.build());
  }

  /**
   * The structured mask pruning a seeded random choice of {@code cut.prune()} filters of every
   * cut layer; {@code pruned} receives the chosen filters per layer prefix.
   */
  static Mask prune(DjlModel model, List<Cut> cuts, long seed, Map<String, int[]> pruned) {
    Map<String, long[]> shapes = shapes(model);
    Random random = new Random(seed);
    Mask.Builder mask = Mask.builder();
    for (Cut cut : cuts) {
      long[] shape = shapes.get(cut.prefix() + "_weight");
      int filters = (int) shape[0];
      List<Integer> order = new ArrayList<>();
      for (int f = 0; f < filters; f++) {
        order.add(f);
      }
      java.util.Collections.shuffle(order, random);
      int[] chosen = new TreeSet<>(order.subList(0, cut.prune())).stream()
          .mapToInt(Integer::intValue).toArray();
      pruned.put(cut.prefix(), chosen);
      mask.put(cut.prefix() + "_weight", shape, rowsKept(shape, chosen));
      for (String companion : companions(cut)) {
        mask.put(companion, shapes.get(companion), rowsKept(shapes.get(companion), chosen));
      }
    }
    return mask.build();
  }

  /** The masked parameters that must be zero at a pruned filter besides its weight row. */
  static List<String> companions(Cut cut) {
    List<String> out = new ArrayList<>();
    if (cut.bias()) {
      out.add(cut.prefix() + "_bias");
    }
    if (cut.norm() != null) {
      out.add(cut.norm() + "_gamma");
      out.add(cut.norm() + "_beta");
    }
    return out;
  }

  /** A mask over {@code shape} keeping everything but the given rows (axis-0 slices). */
  static boolean[] rowsKept(long[] shape, int[] rows) {
    long size = Arrays.stream(shape).reduce(1, (a, b) -> a * b);
    int row = (int) (size / shape[0]);
    boolean[] kept = new boolean[(int) size];
    Arrays.fill(kept, true);
    for (int r : rows) {
      Arrays.fill(kept, r * row, (r + 1) * row, false);
    }
    return kept;
  }

  /**
   * The shapes the shrunk model must have: every pruned layer loses its pruned rows in its
   * weight, bias and BatchNorm (all four parameters), its consumer {@code per} columns per
   * pruned filter.
   */
  static Map<String, long[]> expectedShapes(DjlModel model, List<Cut> cuts,
      Map<String, int[]> pruned) {
    Map<String, long[]> shapes = shapes(model);
    for (Cut cut : cuts) {
      int removed = pruned.get(cut.prefix()).length;
      List<String> rows = new ArrayList<>(List.of(cut.prefix() + "_weight"));
      if (cut.bias()) {
        rows.add(cut.prefix() + "_bias");
      }
      if (cut.norm() != null) {
        for (String p : List.of("gamma", "beta", "runningMean", "runningVar")) {
          rows.add(cut.norm() + "_" + p);
        }
      }
      for (String r : rows) {
        shapes.get(r)[0] -= removed;
      }
      shapes.get(cut.consumer() + "_weight")[1] -= (long) removed * cut.per();
    }
    return shapes;
  }

  static Map<String, long[]> shapes(DjlModel model) {
    Map<String, long[]> out = new LinkedHashMap<>();
    for (ParameterInfo p : model.parameters()) {
      out.put(p.name(), p.shape().clone());
    }
    return out;
  }

  static long count(Map<String, long[]> shapes) {
    return shapes.values().stream()
        .mapToLong(s -> Arrays.stream(s).reduce(1, (a, b) -> a * b)).sum();
  }

  /** Seeded inputs of the model's input shape with the given batch, in {@code manager}. */
  static NDArray input(NDManager manager, DjlModel model, int batch, long seed) {
    long[] dims = model.inputShape().getShape().clone();
    dims[0] = batch;
    Shape shape = new Shape(dims);
    SplittableRandom random = new SplittableRandom(seed);
    float[] x = new float[(int) shape.size()];
    for (int i = 0; i < x.length; i++) {
      x[i] = (float) (random.nextDouble() * 2 - 1);
    }
    return manager.create(x, shape);
  }

  static float[] evaluate(DjlModel model, NDArray input) {
    return model.forward(new NDList(input), false).singletonOrThrow().toFloatArray();
  }

  /** Asserts equal outputs up to float rounding of a different summation order. */
  static void assertSameOutputs(float[] actual, float[] expected) {
    assertThat(actual).hasSameSizeAs(expected);
    double scale = 0;
    for (float e : expected) {
      scale = Math.max(scale, Math.abs(e));
    }
    assertThat(scale).as("outputs must not be trivially zero").isGreaterThan(1e-3);
    for (int i = 0; i < expected.length; i++) {
      assertThat((double) Math.abs(actual[i] - expected[i])).as("output %s: %s vs %s", i,
          actual[i], expected[i]).isLessThanOrEqualTo(1e-5 * Math.max(1, scale));
    }
  }

  static void assertShapes(DjlModel shrunk, Map<String, long[]> expected) {
    Map<String, long[]> actual = shapes(shrunk);
    assertThat(actual.keySet()).containsExactlyElementsOf(expected.keySet());
    for (String name : expected.keySet()) {
      assertThat(actual.get(name)).as(name).containsExactly(expected.get(name));
    }
  }
}
