package io.github.lth.djl.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.github.lth.core.Mask;
import io.github.lth.core.Pruner;
import io.github.lth.core.Scores;
import io.github.lth.core.Weights;
import io.github.lth.core.prune.PruningScope;
import io.github.lth.core.schedule.PruningSchedule;
import io.github.lth.core.schedule.PruningSchedules;
import io.github.lth.core.select.LowestSelections;
import io.github.lth.core.select.ScoredLayer;
import io.github.lth.core.select.Selection;
import io.github.lth.core.select.SelectionKernel;
import io.github.lth.djl.Devices;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * One contract, every kernel: lth-core's host kernels (radix and the sorting reference) and
 * lth-djl's device kernel (its sampled-bracket path and its full-sort fallback, forced) get the
 * same adversarial inputs and must give the same answers, both alone and behind {@link Pruner}
 * (global and layer scope). {@link DevicePaths} holds the device kernel to the sorting
 * reference on inputs large enough for its bracket to matter, and checks which path ran.
 */
class SelectionKernelContractTest {
  private static final float SUB = Float.MIN_VALUE;
  private static final float[] TIE_VALUES = {
      -0.0f, 0.0f, 1.0f, -1.0f, 0.5f, SUB, -SUB, 1e-40f, 2.0f, 1e-40f, 1e-38f};
  private static final PruningSchedule IMP = PruningSchedules.imp(0.2, 0.9);

  private static NDManager manager;

  @BeforeAll
  static void open() {
    manager = NDManager.newBaseManager(Devices.parse("auto"));
  }

  @AfterAll
  static void close() {
    manager.close();
  }

  /** A kernel under test, fed host data: the device kernel uploads it first. */
  private interface Kernel {
    Selection select(List<ScoredLayer> layers, long count);

    Mask prune(Mask current, Weights scores, PruningScope scope, int round);
  }

  static Stream<Named<Kernel>> kernels() {
    return Stream.of(
        Named.of("host radix", host(LowestSelections.exact())),
        Named.of("host sorting", host(LowestSelections.sorting())),
        Named.of("device", device(DeviceSelection::in)),
        Named.of("device, full sort", device(t -> new DeviceSelection(t, false, false, null))),
        Named.of("device, counting and packing as on a GPU", device(t -> new DeviceSelection(t, false, true,
            true))));
  }

  private static Kernel host(io.github.lth.core.select.LowestSelection kernel) {
    return new Kernel() {
      @Override
      public Selection select(List<ScoredLayer> layers, long count) {
        return kernel.select(names(layers), scores(layers), eligible(layers), count);
      }

      @Override
      public Mask prune(Mask current, Weights scores, PruningScope scope, int round) {
        return Pruner.prune(current, Scores.of(scores), scope, IMP, round, kernel);
      }
    };
  }

  private static Kernel device(Function<NDManager, DeviceSelection> factory) {
    return new Kernel() {
      @Override
      public Selection select(List<ScoredLayer> layers, long count) {
        try (NDManager tmp = manager.newSubManager()) {
          List<NDArray> arrays = new ArrayList<>();
          for (ScoredLayer l : layers) {
            arrays.add(tmp.create(l.scores()));
          }
          return factory.apply(tmp).select(names(layers), arrays, eligible(layers), count);
        }
      }

      @Override
      public Mask prune(Mask current, Weights scores, PruningScope scope, int round) {
        try (NDManager tmp = manager.newSubManager()) {
          List<NDArray> arrays = new ArrayList<>();
          for (String layer : current.layers()) {
            arrays.add(tmp.create(scores.values(layer), new Shape(scores.shape(layer))));
          }
          return Pruner.prune(current, arrays, scope, IMP, round, factory.apply(tmp));
        }
      }
    };
  }

  // ---------------------------------------------------------------- handmade cases

  @ParameterizedTest
  @MethodSource("kernels")
  void tiesGoToTheLowerLayerThenTheLowerIndex(Kernel kernel) {
    List<ScoredLayer> layers = List.of(layer("a", 2f, 1f, 1f, 3f), layer("b", 1f, 1f, 1f, 1f));
    Selection three = kernel.select(layers, 3);
    assertThat(three.chosen()[0]).containsExactly(0b0110L);
    assertThat(three.chosen()[1]).containsExactly(0b0001L);
    assertThat(three.threshold()).isEqualTo(1f);
    Selection five = kernel.select(layers, 5);
    assertThat(five.chosen()[1]).containsExactly(0b0111L);
  }

  @ParameterizedTest
  @MethodSource("kernels")
  void negativeZeroEqualsZeroAndTheThresholdIsPositiveZero(Kernel kernel) {
    List<ScoredLayer> layers = List.of(layer("a", 3f, 0f, -0f), layer("b", -0f, 0f, -1f));
    Selection s = kernel.select(layers, 3);
    assertThat(Float.floatToRawIntBits(s.threshold())).isZero();
    assertThat(s.chosen()[0]).containsExactly(0b110L);
    assertThat(s.chosen()[1]).containsExactly(0b100L);
    assertThat(kernel.select(layers, 4).chosen()[1]).containsExactly(0b101L);
    // only negative zeros: the threshold is still +0.0
    Selection zeros = kernel.select(List.of(layer("z", -0f, -0f, 5f)), 1);
    assertThat(Float.floatToRawIntBits(zeros.threshold())).isZero();
    assertThat(zeros.chosen()[0]).containsExactly(0b001L);
  }

  @ParameterizedTest
  @MethodSource("kernels")
  void subnormalsOrderBetweenZeroAndTheNormalNumbers(Kernel kernel) {
    List<ScoredLayer> layers = List.of(layer("fc", 1e-30f, 1e-40f, SUB, 0f, 1e-45f, -SUB));
    // -SUB < 0 < SUB (index 2, ties with 1e-45f at 4) < 1e-40f < 1e-30f
    assertThat(kernel.select(layers, 1).chosen()[0]).containsExactly(0b100000L);
    assertThat(kernel.select(layers, 3).chosen()[0]).containsExactly(0b101100L);
    assertThat(kernel.select(layers, 3).threshold()).isEqualTo(SUB);
    assertThat(kernel.select(layers, 5).chosen()[0]).containsExactly(0b111110L);
    assertThat(kernel.select(layers, 5).threshold()).isEqualTo(1e-40f);
  }

  @ParameterizedTest
  @MethodSource("kernels")
  void alreadyPrunedEntriesAreNeverChosenAndTheirScoresIgnored(Kernel kernel) {
    float[] s = {Float.NaN, 5f, Float.POSITIVE_INFINITY, -2f, Float.NEGATIVE_INFINITY, 0f, 7f};
    long[] eligible = {0b1101010L};
    Selection one = kernel.select(List.of(new ScoredLayer("fc", s, eligible)), 1);
    assertThat(one.chosen()[0]).containsExactly(0b0001000L);
    assertThat(one.threshold()).isEqualTo(-2f);
    Selection all = kernel.select(List.of(new ScoredLayer("fc", s, eligible)), 4);
    assertThat(all.chosen()[0]).containsExactly(eligible);
    assertThat(all.threshold()).isEqualTo(7f);
  }

  @ParameterizedTest
  @MethodSource("kernels")
  void countZeroChoosesNothingWithANaNThreshold(Kernel kernel) {
    Selection s = kernel.select(List.of(layer("fc", 1f, 2f), layer("empty")), 0);
    assertThat(s.threshold()).isNaN();
    assertThat(s.chosen()[0]).containsExactly(0L);
    assertThat(s.chosen()[1]).isEmpty();
  }

  @ParameterizedTest
  @MethodSource("kernels")
  void nonFiniteEligibleScoresNameTheFirstLayerAndIndexBeforeTheCount(Kernel kernel) {
    float[] bad = new float[130];
    bad[129] = Float.NEGATIVE_INFINITY;
    bad[70] = Float.NaN;
    long[] all = {-1L, -1L, 0b11L};
    long[] skip70 = {-1L, -1L & ~(1L << 6), 0b11L};
    assertThatThrownBy(() -> kernel.select(List.of(layer("ok", 1f, 2f, 3f),
        new ScoredLayer("conv2_weight", bad, all)), 1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("layer conv2_weight holds a non-finite score (NaN at flat index 70)");
    assertThatThrownBy(() -> kernel.select(List.of(new ScoredLayer("conv2_weight", bad, skip70)),
        1))
        .hasMessage("layer conv2_weight holds a non-finite score (-Infinity at flat index 129)");
    assertThatThrownBy(() -> kernel.select(List.of(layer("fc", 0f, Float.POSITIVE_INFINITY)), 0))
        .hasMessage("layer fc holds a non-finite score (Infinity at flat index 1)");
    assertThatThrownBy(() -> kernel.select(List.of(layer("fc", 0f, Float.NaN)), 9))
        .hasMessage("layer fc holds a non-finite score (NaN at flat index 1)");
  }

  @ParameterizedTest
  @MethodSource("kernels")
  void countOutsideTheEligibleRangeIsRefused(Kernel kernel) {
    List<ScoredLayer> layers = List.of(new ScoredLayer("fc", new float[] {1, 2, Float.NaN, 4},
        new long[] {0b1011L}), layer("empty"));
    for (long count : new long[] {-1, 4}) {
      assertThatThrownBy(() -> kernel.select(layers, count))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessage("cannot choose " + count + " of 3 eligible elements");
    }
  }

  // ---------------------------------------------------------------- random cases

  @ParameterizedTest
  @MethodSource("kernels")
  void randomAdversarialCasesMatchABruteForceMinimumSearch(Kernel kernel) {
    SplittableRandom rng = new SplittableRandom(424242);
    for (int c = 0; c < 150; c++) {
      List<ScoredLayer> layers = new ArrayList<>();
      int count = 1 + rng.nextInt(4);
      for (int l = 0; l < count; l++) {
        int size = rng.nextInt(4) == 0 ? rng.nextInt(3) : 1 + rng.nextInt(200);
        float[] v = values(rng, size);
        long[] e = eligibility(rng, size);
        poisonIneligible(rng, v, e);
        layers.add(new ScoredLayer("layer" + l, v, e));
      }
      long eligible = 0;
      for (ScoredLayer l : layers) {
        for (long w : l.eligible()) {
          eligible += Long.bitCount(w);
        }
      }
      for (long k : new long[] {0, eligible, rng.nextLong(eligible + 1),
          Math.round(0.2 * eligible)}) {
        Selection expected = bruteForce(layers, k);
        Selection actual = kernel.select(layers, k);
        assertThat(Float.floatToRawIntBits(actual.threshold())).as("case %s count %s", c, k)
            .isEqualTo(Float.floatToRawIntBits(expected.threshold()));
        assertThat(actual.chosen()).as("case %s count %s", c, k)
            .isDeepEqualTo(expected.chosen());
      }
    }
  }

  // ---------------------------------------------------------------- behind the Pruner

  @ParameterizedTest
  @MethodSource("kernels")
  void impRoundsGiveTheReferenceMasksInBothScopes(Kernel kernel) {
    Map<String, long[]> shapes = new LinkedHashMap<>();
    shapes.put("conv1_weight", new long[] {4, 1, 3, 3});
    shapes.put("fc1_weight", new long[] {7, 19});
    shapes.put("fc2_weight", new long[] {3, 7});
    Kernel reference = host(LowestSelections.sorting());
    for (PruningScope scope : PruningScope.values()) {
      SplittableRandom rng = new SplittableRandom(scope.ordinal() + 3);
      Mask mask = Mask.dense(shapes);
      for (int round = 1; round <= 6; round++) {
        // fresh tied scores every round, so pruned entries often score lowest and must be skipped
        Weights.Builder b = Weights.builder();
        for (Map.Entry<String, long[]> e : shapes.entrySet()) {
          float[] v = new float[(int) mask.size(e.getKey())];
          for (int i = 0; i < v.length; i++) {
            v[i] = TIE_VALUES[rng.nextInt(TIE_VALUES.length)];
          }
          b.put(e.getKey(), e.getValue(), v);
        }
        Weights scores = b.build();
        Mask next = kernel.prune(mask, scores, scope, round);
        assertThat(next).as("%s round %s", scope, round)
            .isEqualTo(reference.prune(mask, scores, scope, round));
        assertThat(next.andNot(mask).kept()).isZero();
        if (scope == PruningScope.GLOBAL) {
          assertThat(next.kept()).isEqualTo(IMP.keptAfter(round, mask.kept(), mask.size()));
        } else {
          for (String layer : shapes.keySet()) {
            assertThat(next.kept(layer)).isEqualTo(
                IMP.keptAfter(round, mask.kept(layer), mask.size(layer)));
          }
        }
        mask = next;
      }
    }
  }

  @ParameterizedTest
  @MethodSource("kernels")
  void layerScopeSplitsTiesWithinEachLayer(Kernel kernel) {
    Map<String, long[]> shapes = new LinkedHashMap<>();
    shapes.put("x", new long[] {5});
    shapes.put("y", new long[] {5});
    Weights flat = Weights.builder().put("x", new long[] {5}, new float[] {1, 1, 1, 1, 1})
        .put("y", new long[] {5}, new float[] {-0f, 0f, 0f, -0f, 0f}).build();
    // round(0.2 × 5) = 1 per layer: the first index of each
    Mask layer = kernel.prune(Mask.dense(shapes), flat, PruningScope.LAYER, 1);
    assertThat(layer.toBooleans("x")).containsExactly(false, true, true, true, true);
    assertThat(layer.toBooleans("y")).containsExactly(false, true, true, true, true);
    // round(0.2 × 10) = 2 globally: both from y, whose zeros are lowest
    Mask global = kernel.prune(Mask.dense(shapes), flat, PruningScope.GLOBAL, 1);
    assertThat(global.toBooleans("x")).containsExactly(true, true, true, true, true);
    assertThat(global.toBooleans("y")).containsExactly(false, false, true, true, true);
  }

  // ---------------------------------------------------------------- the device kernel's paths

  /**
   * The device kernel on inputs of tens of thousands of elements, where the sampled bracket is
   * what finds the threshold: every answer equals the host sorting reference, the path that ran
   * is the one expected, and every variant leaves nothing behind in the caller's manager.
   */
  @Nested
  class DevicePaths {
    private final SelectionKernel<float[]> reference = LowestSelections.sorting();

    /**
     * Runs the device kernel (bracket or forced full sort, on scores or on weights) on uploaded
     * copies of {@code layers}; stores the path it took in {@code path[0]}.
     */
    private Selection device(DeviceSelection.Path[] path, List<ScoredLayer> layers, long count,
        boolean bracket, boolean magnitudes) {
      return device(path, layers, count, bracket, magnitudes, null);
    }

    private Selection device(DeviceSelection.Path[] path, List<ScoredLayer> layers, long count,
        boolean bracket, boolean magnitudes, Boolean gpuStyle) {
      try (NDManager tmp = manager.newSubManager()) {
        List<NDArray> arrays = new ArrayList<>();
        for (ScoredLayer l : layers) {
          arrays.add(tmp.create(l.scores()));
        }
        int before = tmp.getManagedArrays().size();
        DeviceSelection kernel = new DeviceSelection(tmp, magnitudes, bracket, gpuStyle);
        try {
          Selection s = kernel.select(names(layers), arrays, eligible(layers), count);
          float threshold = kernel.threshold(names(layers), arrays, eligible(layers), count);
          assertThat(Float.floatToRawIntBits(threshold)).as("threshold-only variant")
              .isEqualTo(Float.floatToRawIntBits(s.threshold()));
          path[0] = kernel.lastPath();
          return s;
        } finally {
          // every temporary was closed; the inputs were left alone
          assertThat(tmp.getManagedArrays()).hasSize(before);
          assertThat(arrays).noneMatch(NDArray::isReleased);
        }
      }
    }

    /** Three device variants equal the reference; returns the path the bracket kernel took. */
    private DeviceSelection.Path check(String what, List<ScoredLayer> layers, long count) {
      Selection expected = reference.select(names(layers), scores(layers), eligible(layers),
          count);
      // the bracket counting and packing as on the CPU and as on a GPU, and the forced full sort
      DeviceSelection.Path[][] paths = new DeviceSelection.Path[3][1];
      boolean[] bracket = {true, true, false};
      Boolean[] gpuStyle = {false, true, null};
      for (int v = 0; v < 3; v++) {
        Selection actual = device(paths[v], layers, count, bracket[v], false, gpuStyle[v]);
        assertThat(Float.floatToRawIntBits(actual.threshold()))
            .as("%s, count %s, variant %s", what, count, v)
            .isEqualTo(Float.floatToRawIntBits(expected.threshold()));
        assertThat(actual.chosen()).as("%s, count %s, variant %s", what, count, v)
            .isDeepEqualTo(expected.chosen());
      }
      assertThat(paths[1][0]).isEqualTo(paths[0][0]);
      assertThat(paths[2][0]).isIn(DeviceSelection.Path.FULL_SORT, DeviceSelection.Path.NONE);
      return paths[0][0];
    }

    @Test
    void continuousScoresAreSelectedInsideTheBracketForEveryCount() {
      SplittableRandom rng = new SplittableRandom(7);
      for (int c = 0; c < 4; c++) {
        List<ScoredLayer> layers = new ArrayList<>();
        for (int l = 0; l < 1 + rng.nextInt(5); l++) {
          int size = 1 + rng.nextInt(12_000);
          float[] v = new float[size];
          for (int i = 0; i < size; i++) {
            v[i] = (float) rng.nextGaussian() * (l + 1);
          }
          long[] e = c % 2 == 0 ? allOf(size) : eligibility(rng, size);
          poisonIneligible(rng, v, e);
          layers.add(new ScoredLayer("layer" + l, v, e));
        }
        long eligible = eligibleCount(layers);
        for (long k : new long[] {Math.round(0.2 * eligible), rng.nextLong(1, eligible + 1),
            Math.round(0.9 * eligible)}) {
          assertThat(check("case " + c, layers, k)).as("case %s count %s", c, k)
              .isEqualTo(DeviceSelection.Path.BRACKET);
        }
        for (long k : new long[] {0, 1, eligible}) {
          check("case " + c, layers, k);
        }
      }
    }

    @Test
    void tiesZerosAndSubnormalsAtTheThresholdMatchTheReference() {
      SplittableRandom rng = new SplittableRandom(8);
      for (int c = 0; c < 4; c++) {
        List<ScoredLayer> layers = new ArrayList<>();
        for (int l = 0; l < 3; l++) {
          int size = 1 + rng.nextInt(8_000);
          float[] v = new float[size];
          for (int i = 0; i < size; i++) {
            // few distinct values (tie blocks), zeros of both signs, subnormal Gaussians
            v[i] = rng.nextInt(4) == 0 ? (float) rng.nextGaussian() * 1e-39f
                : TIE_VALUES[rng.nextInt(TIE_VALUES.length)];
          }
          long[] e = eligibility(rng, size);
          poisonIneligible(rng, v, e);
          layers.add(new ScoredLayer("layer" + l, v, e));
        }
        long eligible = eligibleCount(layers);
        for (long k : new long[] {0, 1, eligible, rng.nextLong(eligible + 1),
            rng.nextLong(eligible + 1), Math.round(0.2 * eligible)}) {
          check("case " + c, layers, k);
        }
      }
    }

    @Test
    void allEqualScoresAreATieBlockSplitByIndex() {
      float[] v = new float[40_001];
      Arrays.fill(v, -0f);
      List<ScoredLayer> layers = List.of(layer("a", 1f, 1f), new ScoredLayer("b", v, allOf(v.length)),
          layer("c", -0f));
      for (long k : new long[] {1, 8_000, 40_000, 40_001}) {
        assertThat(check("all -0.0", layers, k)).as("count %s", k).isEqualTo(DeviceSelection.Path.TIED_BRACKET);
      }
      // the tie block is split by (layer, index): the first 8000 of b, then none of c
      Selection s = device(new DeviceSelection.Path[1], layers, 8_000, true, false);
      assertThat(s.chosen()[0]).containsExactly(0L);
      assertThat(Long.bitCount(s.chosen()[1][124])).isEqualTo(64);
      assertThat(s.chosen()[1][125]).isZero();
      assertThat(s.chosen()[2]).containsExactly(0L);
    }

    @Test
    void ineligibleExtremesAreIgnoredAndNonFiniteScoresNamed() {
      int size = 50_000;
      float[] v = new float[size];
      SplittableRandom rng = new SplittableRandom(9);
      for (int i = 0; i < size; i++) {
        v[i] = (float) rng.nextGaussian();
      }
      long[] e = allOf(size);
      float[] extremes = {Float.NaN, Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY,
          -Float.MAX_VALUE, Float.MAX_VALUE, -Float.MIN_VALUE};
      for (int i = 0; i < size; i += 7) {
        v[i] = extremes[i % extremes.length];
        e[i >>> 6] &= ~(1L << i);
      }
      List<ScoredLayer> layers = List.of(layer("small", 3f, -2f, 5f), new ScoredLayer("big", v, e));
      long eligible = eligibleCount(layers);
      for (long k : new long[] {1, Math.round(0.2 * eligible), eligible}) {
        check("ineligible extremes", layers, k);
      }
      float[] bad = v.clone();
      bad[size - 3] = Float.NEGATIVE_INFINITY;
      bad[size - 2] = Float.NaN;
      for (boolean bracket : new boolean[] {true, false}) {
        assertThatThrownBy(() -> device(new DeviceSelection.Path[1],
            List.of(layer("small", 1f), new ScoredLayer("big", bad, e)), 2, bracket, false))
            .isInstanceOf(IllegalArgumentException.class)
            .hasMessage("layer big holds a non-finite score (-Infinity at flat index "
                + (size - 3) + ")");
        assertThatThrownBy(() -> device(new DeviceSelection.Path[1],
            List.of(new ScoredLayer("big", v, e)), eligible, bracket, false))
            .hasMessage("cannot choose " + eligible + " of " + (eligible - 3)
                + " eligible elements");
      }
    }

    @Test
    void theMagnitudeKernelChoosesByAbsoluteValue() {
      SplittableRandom rng = new SplittableRandom(10);
      List<ScoredLayer> signed = new ArrayList<>();
      List<ScoredLayer> absolute = new ArrayList<>();
      for (int l = 0; l < 4; l++) {
        int size = 1 + rng.nextInt(25_000);
        float[] w = new float[size];
        float[] a = new float[size];
        for (int i = 0; i < size; i++) {
          w[i] = rng.nextInt(5) == 0 ? TIE_VALUES[rng.nextInt(TIE_VALUES.length)]
              : (float) rng.nextGaussian();
          a[i] = Math.abs(w[i]);
        }
        long[] e = eligibility(rng, size);
        signed.add(new ScoredLayer("w" + l, w, e));
        absolute.add(new ScoredLayer("w" + l, a, e));
      }
      long eligible = eligibleCount(signed);
      for (long k : new long[] {0, 1, Math.round(0.2 * eligible), eligible}) {
        Selection expected = reference.select(names(absolute), scores(absolute),
            eligible(absolute), k);
        for (boolean bracket : new boolean[] {true, false}) {
          Selection actual = device(new DeviceSelection.Path[1], signed, k, bracket, true);
          assertThat(Float.floatToRawIntBits(actual.threshold())).as("count %s", k)
              .isEqualTo(Float.floatToRawIntBits(expected.threshold()));
          assertThat(actual.chosen()).as("count %s", k).isDeepEqualTo(expected.chosen());
        }
      }
      // the message shows the score, |w|
      assertThatThrownBy(() -> device(new DeviceSelection.Path[1],
          List.of(layer("fc", 1f, -2f, Float.NEGATIVE_INFINITY)), 1, true, true))
          .hasMessage("layer fc holds a non-finite score (Infinity at flat index 2)");
    }

    private static long[] allOf(int size) {
      long[] w = new long[(size + 63) >>> 6];
      for (int i = 0; i < size; i++) {
        w[i >>> 6] |= 1L << i;
      }
      return w;
    }

    private static long eligibleCount(List<ScoredLayer> layers) {
      long n = 0;
      for (ScoredLayer l : layers) {
        for (long w : l.eligible()) {
          n += Long.bitCount(w);
        }
      }
      return n;
    }
  }

  // ---------------------------------------------------------------- helpers

  private static ScoredLayer layer(String name, float... scores) {
    long[] words = new long[(scores.length + 63) >>> 6];
    for (int i = 0; i < scores.length; i++) {
      words[i >>> 6] |= 1L << i;
    }
    return new ScoredLayer(name, scores, words);
  }

  private static List<String> names(List<ScoredLayer> layers) {
    return layers.stream().map(ScoredLayer::name).toList();
  }

  private static List<float[]> scores(List<ScoredLayer> layers) {
    return layers.stream().map(ScoredLayer::scores).toList();
  }

  private static List<long[]> eligible(List<ScoredLayer> layers) {
    return layers.stream().map(ScoredLayer::eligible).toList();
  }

  /** Tied values, zeros of both signs, subnormals and small Gaussians. */
  private static float[] values(SplittableRandom rng, int n) {
    float[] v = new float[n];
    for (int i = 0; i < n; i++) {
      v[i] = rng.nextInt(3) == 0 ? (float) rng.nextGaussian() * 1e-3f
          : TIE_VALUES[rng.nextInt(TIE_VALUES.length)];
    }
    return v;
  }

  /** Gives some ineligible entries NaN or infinite scores, which must not matter. */
  private static void poisonIneligible(SplittableRandom rng, float[] v, long[] eligible) {
    float[] poison = {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, -1e30f};
    for (int i = 0; i < v.length; i++) {
      if ((eligible[i >>> 6] >>> i & 1) == 0 && rng.nextInt(3) == 0) {
        v[i] = poison[rng.nextInt(poison.length)];
      }
    }
  }

  /** About 70% eligible. */
  private static long[] eligibility(SplittableRandom rng, int n) {
    long[] w = new long[(n + 63) >>> 6];
    for (int i = 0; i < n; i++) {
      if (rng.nextInt(10) < 7) {
        w[i >>> 6] |= 1L << i;
      }
    }
    return w;
  }

  /**
   * Picks the lowest free eligible element {@code count} times; only a strictly lower score
   * replaces the current pick, so the earlier (layer, index) wins ties.
   */
  private static Selection bruteForce(List<ScoredLayer> layers, long count) {
    long[][] chosen = new long[layers.size()][];
    for (int l = 0; l < layers.size(); l++) {
      chosen[l] = new long[layers.get(l).eligible().length];
    }
    float last = Float.NaN;
    for (long k = 0; k < count; k++) {
      int bestLayer = -1;
      int bestIndex = -1;
      float best = 0;
      for (int l = 0; l < layers.size(); l++) {
        float[] s = layers.get(l).scores();
        for (int i = 0; i < s.length; i++) {
          boolean free = (layers.get(l).eligible()[i >>> 6] >>> i & 1) == 1
              && (chosen[l][i >>> 6] >>> i & 1) == 0;
          if (free && (bestLayer < 0 || s[i] < best)) {
            bestLayer = l;
            bestIndex = i;
            best = s[i];
          }
        }
      }
      chosen[bestLayer][bestIndex >>> 6] |= 1L << bestIndex;
      last = best + 0.0f;
    }
    return new Selection(last, chosen);
  }
}
