package io.github.lth.core.sparse;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.github.lth.core.schedule.PruningSchedules;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.ToDoubleFunction;
import org.junit.jupiter.api.Test;

class SparsityDistributionsTest {

  private static final Map<String, long[]> LENET = shapes(
      "fc1.weight", new long[] {300, 784},
      "fc2.weight", new long[] {100, 300},
      "fc3.weight", new long[] {10, 100});

  private static final Map<String, long[]> CONV4 = shapes(
      "conv1.weight", new long[] {64, 1, 3, 3},
      "conv2.weight", new long[] {64, 64, 3, 3},
      "conv3.weight", new long[] {128, 64, 3, 3},
      "conv4.weight", new long[] {128, 128, 3, 3},
      "fc1.weight", new long[] {256, 6272},
      "fc2.weight", new long[] {256, 256},
      "fc3.weight", new long[] {10, 256});

  /** Convolutions and a linear layer none of which turns dense at 0.8 under ERK. */
  private static final Map<String, long[]> CONV_LINEAR = shapes(
      "conv1", new long[] {16, 3, 5, 5},
      "conv2", new long[] {32, 16, 3, 3},
      "fc", new long[] {10, 512});

  /** "tiny" scores so high that ERK at 0.5 would give it a density above 1. */
  private static final Map<String, long[]> WITH_TINY = shapes(
      "conv", new long[] {32, 16, 3, 3},
      "tiny", new long[] {4, 3},
      "fc", new long[] {64, 128});

  private static final ToDoubleFunction<long[]> ERK_SCORE = shape -> {
    double sum = 0;
    double product = 1;
    for (long d : shape) {
      sum += d;
      product *= d;
    }
    return sum / product;
  };

  private static final ToDoubleFunction<long[]> ER_SCORE = shape -> shape.length == 1
      ? 1.0 : (double) (shape[0] + shape[1]) / (shape[0] * shape[1]);

  @Test
  void erkDensitiesFollowTheFormulaOnConvAndLinearLayers() {
    Map<String, Long> kept = SparsityDistributions.erk().keptCounts(CONV_LINEAR, 0.8);
    Map<String, Double> expected = bisected(CONV_LINEAR, 0.8, Set.of(), ERK_SCORE);

    for (String layer : CONV_LINEAR.keySet()) {
      assertThat((double) kept.get(layer)).as(layer).isCloseTo(expected.get(layer), within(0.5));
      assertThat(expected.get(layer)).as(layer + " stays sparse").isLessThan(size(CONV_LINEAR.get(layer)));
    }
    // density ∝ raw score: conv1 (16+3+5+5)/1200 against fc (10+512)/5120
    double ratio = (kept.get("conv1") / 1200.0) / (kept.get("fc") / 5120.0);
    assertThat(ratio).isCloseTo((29.0 / 1200) / (522.0 / 5120), within(0.01));
    assertThat(kept.values().stream().mapToLong(Long::longValue).sum())
        .isBetween(2185L - 1, 2186L + 1); // 0.2 × 10,928 = 2,185.6
  }

  @Test
  void aLayerWhoseDensityWouldExceedOneTurnsDenseAndTheOthersMakeUpForIt() {
    long total = 4608 + 12 + 8192;
    double target = 0.5 * total;
    // one ε for all layers would give "tiny" a density of 14
    double eps = target / (54 + 7 + 192);
    assertThat(eps * 7 / 12).isGreaterThan(1);

    Map<String, Long> kept = SparsityDistributions.erk().keptCounts(WITH_TINY, 0.5);

    assertThat(kept.get("tiny")).isEqualTo(12);
    Map<String, Double> expected = bisected(WITH_TINY, 0.5, Set.of(), ERK_SCORE);
    for (String layer : List.of("conv", "fc")) {
      assertThat((double) kept.get(layer)).as(layer).isCloseTo(expected.get(layer), within(0.5));
      assertThat((double) kept.get(layer)).as(layer + " is denser than with the first ε")
          .isGreaterThan(eps * ERK_SCORE.applyAsDouble(WITH_TINY.get(layer)) * size(WITH_TINY.get(layer)));
    }
    assertThat((double) sum(kept)).isCloseTo(target, within(3.0));
    assertThat(kept.get("fc") / 8192.0 / (kept.get("conv") / 4608.0))
        .isCloseTo((192.0 / 8192) / (54.0 / 4608), within(0.01));
  }

  @Test
  void uniformKeepsEachLayersSizeLessTheRoundedShareHalfToEven() {
    Map<String, long[]> odd = shapes("a", new long[] {5}, "b", new long[] {7}, "c",
        new long[] {3, 1});
    assertThat(SparsityDistributions.uniform().keptCounts(odd, 0.5))
        .containsExactly(Map.entry("a", 3L), Map.entry("b", 3L), Map.entry("c", 1L));
    assertThat(SparsityDistributions.uniform().keptCounts(LENET, 0.9)).containsExactly(
        Map.entry("fc1.weight", 23_520L), Map.entry("fc2.weight", 3_000L),
        Map.entry("fc3.weight", 100L));
    for (double s : new double[] {0.1, 0.2, 0.36, 0.488, 0.67232, 0.9, 0.99}) {
      Map<String, Long> kept = SparsityDistributions.uniform().keptCounts(CONV4, s);
      for (String layer : CONV4.keySet()) {
        long n = size(CONV4.get(layer));
        assertThat(kept.get(layer)).as("%s at %s as the one-shot schedule counts", layer, s)
            .isEqualTo(PruningSchedules.oneShot(s).keptAfter(1, n, n));
      }
    }
  }

  @Test
  void erIgnoresKernelDimensionsAndErkDoesNot() {
    Map<String, long[]> kernels = shapes(
        "conv3x3", new long[] {32, 16, 3, 3},
        "conv7x7", new long[] {32, 16, 7, 7},
        "fc", new long[] {64, 128});

    Map<String, Double> er = SparsityDistributions.erdosRenyi().densities(kernels, 0.9);
    assertThat(er.get("conv3x3")).isCloseTo(er.get("conv7x7"), within(1e-3));
    assertThat(er.get("conv3x3") / er.get("fc"))
        .isCloseTo((48.0 / 512) / (192.0 / 8192), within(0.01));
    Map<String, Long> erKept = SparsityDistributions.erdosRenyi().keptCounts(kernels, 0.9);
    Map<String, Double> expected = bisected(kernels, 0.9, Set.of(), ER_SCORE);
    for (String layer : kernels.keySet()) {
      assertThat((double) erKept.get(layer)).as(layer)
          .isCloseTo(expected.get(layer), within(0.5));
    }

    Map<String, Double> erk = SparsityDistributions.erk().densities(kernels, 0.9);
    assertThat(erk.get("conv3x3") / erk.get("conv7x7"))
        .isCloseTo((54.0 / 4608) / (62.0 / 25088), within(0.01));
  }

  @Test
  void oneDimensionalTensorsScoreOneUnderBoth() {
    Map<String, long[]> withBias = shapes(
        "fc1.weight", new long[] {300, 784},
        "fc1.bias", new long[] {300},
        "fc2.weight", new long[] {10, 300});
    assertThat(SparsityDistributions.erdosRenyi().keptCounts(withBias, 0.95))
        .isEqualTo(SparsityDistributions.erk().keptCounts(withBias, 0.95));
    Map<String, Long> kept = SparsityDistributions.erk().keptCounts(withBias, 0.95);
    Map<String, Double> expected = bisected(withBias, 0.95, Set.of(), ERK_SCORE);
    assertThat((double) kept.get("fc1.bias")).isCloseTo(expected.get("fc1.bias"), within(0.5));
  }

  @Test
  void theTotalIsWithinOneWeightPerLayerOfTheTarget() {
    for (String name : SparsityDistributions.names()) {
      SparsityDistribution d = SparsityDistributions.byName(name);
      for (Map<String, long[]> shapes : List.of(LENET, CONV4, CONV_LINEAR, WITH_TINY)) {
        long total = shapes.values().stream().mapToLong(SparsityDistributionsTest::size).sum();
        for (double s : new double[] {0.0, 0.1, 0.5, 0.8, 0.9, 0.95, 0.99, 0.999}) {
          Map<String, Long> kept = d.keptCounts(shapes, s);
          assertThat(kept.keySet()).containsExactlyElementsOf(shapes.keySet());
          assertThat((double) sum(kept)).as("%s at %s over %s", name, s, shapes.keySet())
              .isCloseTo((1 - s) * total, within((double) shapes.size()));
          shapes.forEach((layer, shape) ->
              assertThat(kept.get(layer)).isBetween(0L, size(shape)));
        }
      }
    }
  }

  @Test
  void lenetAtNinetyPercentUnderErkKeepsTheOutputLayerDense() {
    Map<String, Long> kept = SparsityDistributions.erk().keptCounts(LENET, 0.9);
    assertThat(kept).containsExactly(Map.entry("fc1.weight", 18_714L),
        Map.entry("fc2.weight", 6_906L), Map.entry("fc3.weight", 1_000L));
    assertThat(sum(kept)).isEqualTo(26_620L);
    assertThat(SparsityDistributions.erk().densities(LENET, 0.9).get("fc3.weight"))
        .isEqualTo(1.0);
  }

  @Test
  void conv4AtNinetyPercentKeepsTheFirstConvolutionAndTheOutputLayerDense() {
    Map<String, Long> erk = SparsityDistributions.erk().keptCounts(CONV4, 0.9);
    assertThat(denseLayers(erk, CONV4)).containsExactly("conv1.weight", "fc3.weight");
    assertThat(erk).containsExactly(Map.entry("conv1.weight", 576L),
        Map.entry("conv2.weight", 3_337L), Map.entry("conv3.weight", 4_931L),
        Map.entry("conv4.weight", 6_524L), Map.entry("fc1.weight", 162_558L),
        Map.entry("fc2.weight", 12_750L), Map.entry("fc3.weight", 2_560L));
    Map<String, Double> expected = bisected(CONV4, 0.9, Set.of(), ERK_SCORE);
    CONV4.keySet().forEach(layer ->
        assertThat((double) erk.get(layer)).as(layer).isCloseTo(expected.get(layer),
            within(0.5)));

    Map<String, Long> er = SparsityDistributions.erdosRenyi().keptCounts(CONV4, 0.9);
    assertThat(denseLayers(er, CONV4)).containsExactly("conv1.weight", "fc3.weight");
    // the convolutions count their kernels under ER too, at the density of their channels
    assertThat(er.get("conv2.weight")).isEqualTo(17_915L);
    assertThat(er.get("fc1.weight")).isEqualTo(101_519L);

    assertThat(denseLayers(SparsityDistributions.uniform().keptCounts(CONV4, 0.9), CONV4))
        .isEmpty();
  }

  @Test
  void forcedDenseLayersStillCountSoTheOthersBecomeSparser() {
    long total = CONV4.values().stream().mapToLong(SparsityDistributionsTest::size).sum();
    Set<String> first = Set.of("conv1.weight");

    Map<String, Long> uniform = SparsityDistributions.uniform().keptCounts(CONV4, 0.9, first);
    assertThat(uniform.get("conv1.weight")).isEqualTo(576L);
    double rest = 0.9 * total / (total - 576);
    for (String layer : CONV4.keySet()) {
      if (!layer.equals("conv1.weight")) {
        long n = size(CONV4.get(layer));
        assertThat(uniform.get(layer)).as(layer).isEqualTo(n - Math.round(rest * n))
            .isLessThanOrEqualTo(n - Math.round(0.9 * n));
      }
    }
    assertThat((double) sum(uniform)).isCloseTo(0.1 * total, within(7.0));

    Set<String> fc2 = Set.of("fc2.weight");
    Map<String, Long> erk = SparsityDistributions.erk().keptCounts(CONV4, 0.9, fc2);
    Map<String, Long> free = SparsityDistributions.erk().keptCounts(CONV4, 0.9);
    Map<String, Double> expected = bisected(CONV4, 0.9, fc2, ERK_SCORE);
    assertThat(erk.get("fc2.weight")).isEqualTo(65_536L);
    for (String layer : List.of("conv2.weight", "conv3.weight", "conv4.weight", "fc1.weight")) {
      assertThat((double) erk.get(layer)).as(layer).isCloseTo(expected.get(layer), within(0.5));
      assertThat(erk.get(layer)).as(layer).isLessThan(free.get(layer));
    }
    assertThat((double) sum(erk)).isCloseTo(0.1 * total, within(7.0));
  }

  @Test
  void zeroSparsityKeepsEveryWeight() {
    for (String name : SparsityDistributions.names()) {
      assertThat(SparsityDistributions.byName(name).keptCounts(CONV4, 0.0)).allSatisfy(
          (layer, kept) -> assertThat(kept).isEqualTo(size(CONV4.get(layer))));
      assertThat(SparsityDistributions.byName(name).keptCounts(LENET, 0.0, LENET.keySet()))
          .containsEntry("fc1.weight", 235_200L);
    }
  }

  @Test
  void resultFollowsTheInputOrder() {
    Map<String, long[]> reversed = new LinkedHashMap<>();
    List.of("fc3.weight", "fc1.weight", "fc2.weight").forEach(k -> reversed.put(k, LENET.get(k)));
    assertThat(SparsityDistributions.erk().keptCounts(reversed, 0.9).keySet())
        .containsExactly("fc3.weight", "fc1.weight", "fc2.weight");
    assertThat(SparsityDistributions.erk().densities(reversed, 0.9).keySet())
        .containsExactly("fc3.weight", "fc1.weight", "fc2.weight");
  }

  @Test
  void byNameFindsEachDistributionAndNamesTheKnownOnesOtherwise() {
    assertThat(SparsityDistributions.byName("erk")).isSameAs(SparsityDistributions.erk());
    assertThat(SparsityDistributions.byName("ER")).isSameAs(SparsityDistributions.erdosRenyi());
    assertThat(SparsityDistributions.byName("uniform").name()).isEqualTo("uniform");
    assertThat(SparsityDistributions.names()).containsExactly("erk", "er", "uniform");
    assertThatThrownBy(() -> SparsityDistributions.byName("rigl"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'rigl'").hasMessageContaining("erk, er, uniform");
    assertThatThrownBy(() -> SparsityDistributions.byName(null))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'null'");
  }

  @Test
  void badArgumentsAreRejectedWithMessagesNamingTheProblem() {
    SparsityDistribution erk = SparsityDistributions.erk();
    assertThatThrownBy(() -> erk.keptCounts(LENET, 1.0))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("[0, 1): 1.0");
    assertThatThrownBy(() -> erk.keptCounts(LENET, -0.1))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("[0, 1): -0.1");
    assertThatThrownBy(() -> erk.keptCounts(LENET, Double.NaN))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("NaN");
    assertThatThrownBy(() -> erk.keptCounts(Map.of(), 0.5))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("no layers");
    assertThatThrownBy(() -> erk.keptCounts(shapes("conv2.weight", new long[] {64, 0, 3, 3}), 0.5))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("conv2.weight").hasMessageContaining("(64, 0, 3, 3)");
    assertThatThrownBy(() -> erk.keptCounts(shapes("scalar", new long[0]), 0.5))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("scalar has no dimensions");
    assertThatThrownBy(() -> erk.keptCounts(LENET, 0.5, Set.of("fc4.weight")))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("fc4.weight");
    assertThatThrownBy(() -> SparsityDistributions.uniform().keptCounts(LENET, 0.9,
        Set.of("fc1.weight")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("[fc1.weight] keep 235200 of the 266200")
        .hasMessageContaining("nothing at sparsity 0.9 for [fc2.weight, fc3.weight]");
    assertThatThrownBy(() -> erk.keptCounts(LENET, 0.1, LENET.keySet()))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("every layer is dense, so sparsity 0.1");
  }

  /**
   * Unrounded kept counts from ε found by bisection on Σ min(1, ε × raw) × size = (1 − s) × N,
   * the capped form the iterative procedure ends in.
   */
  private static Map<String, Double> bisected(Map<String, long[]> shapes, double sparsity,
      Set<String> dense, ToDoubleFunction<long[]> score) {
    double total = shapes.values().stream().mapToLong(SparsityDistributionsTest::size).sum();
    double lo = 0;
    double hi = 1e9;
    for (int i = 0; i < 400; i++) {
      double mid = (lo + hi) / 2;
      double kept = 0;
      for (Map.Entry<String, long[]> e : shapes.entrySet()) {
        double density = dense.contains(e.getKey())
            ? 1 : Math.min(1, mid * score.applyAsDouble(e.getValue()));
        kept += density * size(e.getValue());
      }
      if (kept < (1 - sparsity) * total) {
        lo = mid;
      } else {
        hi = mid;
      }
    }
    Map<String, Double> out = new LinkedHashMap<>();
    for (Map.Entry<String, long[]> e : shapes.entrySet()) {
      double density = dense.contains(e.getKey())
          ? 1 : Math.min(1, lo * score.applyAsDouble(e.getValue()));
      out.put(e.getKey(), density * size(e.getValue()));
    }
    return out;
  }

  private static List<String> denseLayers(Map<String, Long> kept, Map<String, long[]> shapes) {
    return kept.entrySet().stream().filter(e -> e.getValue() == size(shapes.get(e.getKey())))
        .map(Map.Entry::getKey).toList();
  }

  private static long size(long[] shape) {
    long n = 1;
    for (long d : shape) {
      n *= d;
    }
    return n;
  }

  private static long sum(Map<String, Long> kept) {
    return kept.values().stream().mapToLong(Long::longValue).sum();
  }

  private static Map<String, long[]> shapes(Object... pairs) {
    Map<String, long[]> out = new LinkedHashMap<>();
    for (int i = 0; i < pairs.length; i += 2) {
      out.put((String) pairs[i], (long[]) pairs[i + 1]);
    }
    return out;
  }
}
