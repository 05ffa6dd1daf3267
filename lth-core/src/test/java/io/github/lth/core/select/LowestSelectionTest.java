package io.github.lth.core.select;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class LowestSelectionTest {

  /** Kernels that must all agree with the sorting reference. */
  /** Through the one-pass path with split slices; a 64-key sample usually brackets right. */
  private static final RadixSelection BRACKETED = new RadixSelection(2, 0, 64, 0);
  /** Samples so small that the bracket often misses and the radix path redoes the work. */
  private static final RadixSelection MISSING = new RadixSelection(3, 0, 4, 0);
  /** Never samples. */
  private static final RadixSelection RADIX_ONLY = new RadixSelection(7, 100, 64, Long.MAX_VALUE);

  /** Kernels that must all agree with the sorting reference. */
  private static final List<LowestSelection> FAST = List.of(
      LowestSelections.exact(), new RadixSelection(1), BRACKETED, MISSING, RADIX_ONLY,
      new RadixSelection(2, 0, 1024, 0));

  private static final float[] TIE_VALUES = {
      -0.0f, 0.0f, 1.0f, -1.0f, 0.5f, Float.MIN_VALUE, -Float.MIN_VALUE, 1e-40f, 2.0f, 1e-40f};

  private enum Values { GAUSSIAN, MAGNITUDE, TIES, TINY, HUGE, MIXED }

  private enum Eligibility { ALL, NONE, RANDOM, SPARSE, WORDS }

  @Test
  void fastKernelsMatchTheSortingReferenceOnRandomCases() {
    SplittableRandom rng = new SplittableRandom(20240611);
    for (int c = 0; c < 300; c++) {
      List<ScoredLayer> layers = randomLayers(rng, 1 + rng.nextInt(6), 3000);
      long eligible = eligibleCount(layers);
      for (long count : counts(rng, eligible)) {
        Selection expected = LowestSelections.sorting().select(layers, count);
        for (LowestSelection kernel : FAST) {
          assertSame(kernel.select(layers, count), expected, "case " + c + " count " + count);
        }
      }
    }
    // every path was taken many times, so the agreement above covers each of them
    assertThat(BRACKETED.bracketHits.get()).isGreaterThan(500);
    assertThat(MISSING.bracketHits.get()).isGreaterThan(50);
    assertThat(MISSING.radixRuns.get()).isGreaterThan(200);
    assertThat(RADIX_ONLY.bracketHits.get()).isZero();
  }

  @Test
  void referenceAndFastKernelMatchAPlainMinimumSearchOnSmallCases() {
    SplittableRandom rng = new SplittableRandom(7);
    for (int c = 0; c < 1500; c++) {
      List<ScoredLayer> layers = randomLayers(rng, 1 + rng.nextInt(4), 70);
      long eligible = eligibleCount(layers);
      for (long count : counts(rng, eligible)) {
        Selection expected = bruteForce(layers, count);
        assertSame(LowestSelections.sorting().select(layers, count), expected,
            "sorting, case " + c);
        assertSame(BRACKETED.select(layers, count), expected, "bracketed, case " + c);
        assertSame(RADIX_ONLY.select(layers, count), expected, "radix, case " + c);
      }
    }
  }

  @Test
  void largeInputsSplitAcrossThreadsGiveTheReferenceAnswer() {
    SplittableRandom rng = new SplittableRandom(99);
    List<ScoredLayer> layers = new ArrayList<>();
    int[] sizes = {150_001, 0, 64, 99_999, 120_000};
    for (int l = 0; l < sizes.length; l++) {
      Values kind = l % 2 == 0 ? Values.MAGNITUDE : Values.TIES;
      layers.add(new ScoredLayer("layer" + l, values(rng, kind, sizes[l]),
          eligibility(rng, l == 3 ? Eligibility.RANDOM : Eligibility.ALL, sizes[l])));
    }
    long eligible = eligibleCount(layers);
    // default sample sizes, but split even at this size
    RadixSelection twoThreads = new RadixSelection(2, 0, 1 << 15, 1 << 17);
    for (long count : new long[] {1, Math.round(0.2 * eligible), eligible - 1, eligible}) {
      Selection expected = LowestSelections.sorting().select(layers, count);
      assertSame(LowestSelections.exact().select(layers, count), expected, "count " + count);
      assertSame(twoThreads.select(layers, count), expected, "count " + count);
    }
    assertThat(twoThreads.bracketHits.get()).isPositive();
  }

  @Test
  void negativeZeroTiesWithZeroAndTheLowerLayerGoesFirst() {
    List<ScoredLayer> layers = List.of(
        layer("a", 3.0f, 0.0f, -0.0f),
        layer("b", -0.0f, 0.0f, -1.0f));
    for (LowestSelection kernel : allKernels()) {
      Selection s = kernel.select(layers, 3);
      assertThat(s.threshold()).isEqualTo(0.0f);
      assertThat(Float.floatToRawIntBits(s.threshold())).isZero();
      assertThat(s.chosen()[0]).containsExactly(0b110L);
      assertThat(s.chosen()[1]).containsExactly(0b100L);
      Selection four = kernel.select(layers, 4);
      assertThat(four.chosen()[1]).containsExactly(0b101L);
    }
  }

  @Test
  void subnormalsOrderBelowNormalNumbersAndAboveZero() {
    List<ScoredLayer> layers = List.of(layer("fc", 1e-30f, 1e-40f, Float.MIN_VALUE, 0.0f, 1e-45f));
    for (LowestSelection kernel : allKernels()) {
      // 1e-45f rounds to Float.MIN_VALUE, so indices 2 and 4 tie and index 2 is taken first
      Selection two = kernel.select(layers, 2);
      assertThat(two.chosen()[0]).containsExactly(0b01100L);
      assertThat(two.threshold()).isEqualTo(Float.MIN_VALUE);
      assertThat(kernel.select(layers, 3).chosen()[0]).containsExactly(0b11100L);
      assertThat(kernel.select(layers, 4).chosen()[0]).containsExactly(0b11110L);
      assertThat(kernel.select(layers, 4).threshold()).isEqualTo(1e-40f);
    }
  }

  @Test
  void countZeroChoosesNothingWithANaNThreshold() {
    List<ScoredLayer> layers = List.of(layer("fc", 1f, 2f), layer("empty"));
    for (LowestSelection kernel : allKernels()) {
      Selection s = kernel.select(layers, 0);
      assertThat(s.threshold()).isNaN();
      assertThat(s.chosen()).hasNumberOfRows(2);
      assertThat(s.chosen()[0]).containsExactly(0L);
      assertThat(s.chosen()[1]).isEmpty();
    }
  }

  @Test
  void noLayersAtAllAllowsOnlyACountOfZero() {
    for (LowestSelection kernel : allKernels()) {
      Selection s = kernel.select(List.of(), 0);
      assertThat(s.threshold()).isNaN();
      assertThat(s.chosen()).isEmpty();
      assertThatThrownBy(() -> kernel.select(List.of(), 1))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessage("cannot choose 1 of 0 eligible elements");
    }
  }

  @ParameterizedTest
  @ValueSource(longs = {-1, 4})
  void countOutsideTheEligibleRangeIsRefusedWithTheNumbers(long count) {
    long[] threeOfFour = {0b1011L};
    List<ScoredLayer> layers = List.of(new ScoredLayer("fc", new float[] {1, 2, Float.NaN, 4},
        threeOfFour));
    for (LowestSelection kernel : allKernels()) {
      assertThatThrownBy(() -> kernel.select(layers, count))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessage("cannot choose " + count + " of 3 eligible elements");
    }
  }

  @Test
  void nonFiniteEligibleScoreNamesTheFirstLayerAndIndex() {
    float[] clean = {1, 2, 3};
    float[] bad = new float[130];
    bad[129] = Float.NEGATIVE_INFINITY;
    bad[70] = Float.NaN;
    long[] all = {-1L, -1L, 0b11L};
    long[] skip70 = {-1L, -1L & ~(1L << 6), 0b11L};
    for (LowestSelection kernel : allKernels()) {
      assertThatThrownBy(() -> kernel.select(List.of(layer("ok", clean),
          new ScoredLayer("conv2.weight", bad, all)), 1))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessage("layer conv2.weight holds a non-finite score (NaN at flat index 70)");
      assertThatThrownBy(() -> kernel.select(List.of(new ScoredLayer("conv2.weight", bad, skip70)),
          1))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessage("layer conv2.weight holds a non-finite score (-Infinity at flat index 129)");
      assertThatThrownBy(() -> kernel.select(List.of(layer("fc", 0f, Float.POSITIVE_INFINITY)), 0))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessage("layer fc holds a non-finite score (Infinity at flat index 1)");
    }
  }

  @Test
  void nonFiniteScoresOfIneligibleElementsAreIgnored() {
    float[] s = {Float.NaN, 5f, Float.POSITIVE_INFINITY, -2f, Float.NEGATIVE_INFINITY};
    long[] finiteOnly = {0b01010L};
    for (LowestSelection kernel : allKernels()) {
      Selection sel = kernel.select(List.of(new ScoredLayer("fc", s, finiteOnly)), 1);
      assertThat(sel.chosen()[0]).containsExactly(0b01000L);
      assertThat(sel.threshold()).isEqualTo(-2f);
    }
  }

  @Test
  void extremeMagnitudesKeepTheirOrder() {
    List<ScoredLayer> layers = List.of(layer("w", Float.MAX_VALUE, -Float.MAX_VALUE, 1e38f,
        -1e-38f, 3e38f, -3e38f));
    for (LowestSelection kernel : allKernels()) {
      assertThat(kernel.select(layers, 2).chosen()[0]).containsExactly(0b100010L);
      assertThat(kernel.select(layers, 2).threshold()).isEqualTo(-3e38f);
      assertThat(kernel.select(layers, 5).threshold()).isEqualTo(3e38f);
      assertThat(kernel.select(layers, 5).chosen()[0]).containsExactly(0b111110L);
    }
  }

  @Test
  void kthLowestAgreesWithASortedCopy() {
    SplittableRandom rng = new SplittableRandom(12);
    for (int c = 0; c < 300; c++) {
      int n = 1 + rng.nextInt(2000);
      int[] keys = new int[n];
      int spread = c % 3 == 0 ? 5 : Integer.MAX_VALUE;
      for (int i = 0; i < n; i++) {
        keys[i] = spread == 5 ? rng.nextInt(spread) - 2 : rng.nextInt();
      }
      keys[0] = c % 4 == 1 ? Integer.MIN_VALUE : keys[0];
      keys[n - 1] = c % 4 == 2 ? Integer.MAX_VALUE : keys[n - 1];
      int[] sorted = keys.clone();
      Arrays.sort(sorted);
      for (int rank : new int[] {1, n, 1 + rng.nextInt(n)}) {
        assertThat(RadixSelection.kthLowest(keys, rank)).as("case %s rank %s", c, rank)
            .isEqualTo(sorted[rank - 1]);
      }
    }
  }

  @Test
  void keysPreserveTheOrderOfFiniteFloats() {
    SplittableRandom rng = new SplittableRandom(3);
    for (int i = 0; i < 200_000; i++) {
      float a = anyFinite(rng);
      float b = i % 5 == 0 ? -a : anyFinite(rng);
      int byFloat = Float.compare(a + 0.0f, b + 0.0f);
      int byKey = Integer.compare(RadixSelection.key(a), RadixSelection.key(b));
      assertThat(Integer.signum(byKey)).as("%s vs %s", a, b).isEqualTo(Integer.signum(byFloat));
      assertThat(RadixSelection.keyToFloat(RadixSelection.key(a))).isEqualTo(a + 0.0f);
    }
    assertThat(RadixSelection.key(-0.0f)).isEqualTo(RadixSelection.key(0.0f));
  }

  @Test
  void magnitudesReadOnTheFlyMatchTheReferenceOnMaterializedMagnitudes() {
    SplittableRandom rng = new SplittableRandom(1312);
    for (int c = 0; c < 250; c++) {
      // signed values of every kind: ties of -x and x, ±0.0, subnormals of both signs
      List<ScoredLayer> signed = randomLayers(rng, 1 + rng.nextInt(6), 3000);
      List<ScoredLayer> onTheFly = new ArrayList<>();
      List<ScoredLayer> materialized = new ArrayList<>();
      for (ScoredLayer l : signed) {
        onTheFly.add(ScoredLayer.magnitudes(l.name(), l.scores(), l.eligible()));
        materialized.add(new ScoredLayer(l.name(), abs(l.scores()), l.eligible()));
      }
      long eligible = eligibleCount(signed);
      for (long count : counts(rng, eligible)) {
        Selection expected = LowestSelections.sorting().select(materialized, count);
        for (LowestSelection kernel : allKernels()) {
          assertSame(kernel.select(onTheFly, count), expected, "case " + c + " count " + count);
        }
      }
    }
  }

  @Test
  void magnitudesOfLargeInputsSplitAcrossThreadsGiveTheReferenceAnswer() {
    SplittableRandom rng = new SplittableRandom(5);
    List<ScoredLayer> onTheFly = new ArrayList<>();
    List<ScoredLayer> materialized = new ArrayList<>();
    int[] sizes = {200_003, 64, 0, 130_000, 77};
    for (int l = 0; l < sizes.length; l++) {
      Values kind = l == 3 ? Values.TIES : Values.GAUSSIAN;
      float[] w = values(rng, kind, sizes[l]);
      long[] e = eligibility(rng, l == 1 ? Eligibility.WORDS : l == 3 ? Eligibility.RANDOM
          : Eligibility.ALL, sizes[l]);
      onTheFly.add(ScoredLayer.magnitudes("w" + l, w, e));
      materialized.add(new ScoredLayer("w" + l, abs(w), e));
    }
    long eligible = eligibleCount(onTheFly);
    RadixSelection twoThreads = new RadixSelection(2, 0, 1 << 15, 1 << 17);
    for (long count : new long[] {1, Math.round(0.2 * eligible), Math.round(0.9 * eligible),
        eligible}) {
      Selection expected = LowestSelections.sorting().select(materialized, count);
      assertSame(LowestSelections.exact().select(onTheFly, count), expected, "count " + count);
      assertSame(twoThreads.select(onTheFly, count), expected, "count " + count);
    }
    assertThat(twoThreads.bracketHits.get()).isPositive();
  }

  @Test
  void magnitudesTieAcrossSignsAndZeroesAndKeepSubnormalOrder() {
    float[] w = {-1f, 1f, -0.0f, 0.0f, -Float.MIN_VALUE, 1e-40f, -1e-40f, 2f, -0.5f};
    List<ScoredLayer> layers = List.of(ScoredLayer.magnitudes("fc", w, new long[] {0x1FFL}));
    for (LowestSelection kernel : allKernels()) {
      // |−0.0| ties |0.0| (index 2 first); then MIN_VALUE, then the two 1e-40s in index order
      assertThat(kernel.select(layers, 1).chosen()[0]).containsExactly(0b000000100L);
      assertThat(Float.floatToRawIntBits(kernel.select(layers, 2).threshold())).isZero();
      assertThat(kernel.select(layers, 3).threshold()).isEqualTo(Float.MIN_VALUE);
      assertThat(kernel.select(layers, 4).chosen()[0]).containsExactly(0b000111100L);
      assertThat(kernel.select(layers, 5).chosen()[0]).containsExactly(0b001111100L);
      assertThat(kernel.select(layers, 5).threshold()).isEqualTo(1e-40f);
      // -0.5 next, then -1 before 1 by index although both have |w| = 1
      assertThat(kernel.select(layers, 7).chosen()[0]).containsExactly(0b101111101L);
      assertThat(kernel.select(layers, 7).threshold()).isEqualTo(1f);
    }
  }

  @Test
  void nonFiniteWeightsOfAMagnitudeLayerNameTheLayerAndIndex() {
    float[] bad = new float[130];
    bad[129] = Float.NEGATIVE_INFINITY;
    bad[70] = -Float.NaN;
    long[] all = {-1L, -1L, 0b11L};
    long[] skip70 = {-1L, -1L & ~(1L << 6), 0b11L};
    for (LowestSelection kernel : allKernels()) {
      assertThatThrownBy(() -> kernel.select(List.of(ScoredLayer.magnitudes("ok",
          new float[] {1, -2}, new long[] {3}), ScoredLayer.magnitudes("conv2.weight", bad, all)),
          1))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessage("layer conv2.weight holds a non-finite score (NaN at flat index 70)");
      // the score of -inf is |−inf| = Infinity, as a materialized |w| would say
      assertThatThrownBy(() -> kernel.select(List.of(
          ScoredLayer.magnitudes("conv2.weight", bad, skip70)), 1))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessage("layer conv2.weight holds a non-finite score (Infinity at flat index 129)");
      // ineligible non-finite weights are never looked at
      Selection s = kernel.select(List.of(ScoredLayer.magnitudes("fc",
          new float[] {Float.NaN, -3f, Float.NEGATIVE_INFINITY, 2f}, new long[] {0b1010L})), 1);
      assertThat(s.chosen()[0]).containsExactly(0b1000L);
      assertThat(s.threshold()).isEqualTo(2f);
    }
  }

  // ---------------------------------------------------------------------------------------------

  private static List<LowestSelection> allKernels() {
    List<LowestSelection> all = new ArrayList<>(FAST);
    all.add(LowestSelections.sorting());
    return all;
  }

  private static void assertSame(Selection actual, Selection expected, String what) {
    // raw bits: NaN must match NaN, and 0.0 must not come back as -0.0
    assertThat(Float.floatToRawIntBits(actual.threshold()))
        .as("%s: threshold %s, expected %s", what, actual.threshold(), expected.threshold())
        .isEqualTo(Float.floatToRawIntBits(expected.threshold()));
    assertThat(actual.chosen()).as(what + ": chosen").isDeepEqualTo(expected.chosen());
  }

  /**
   * Picks the lowest remaining eligible element {@code count} times, scanning everything each
   * time; earlier (layer, index) wins on equal values because only a strictly lower value
   * replaces the current pick.
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
          boolean free = isSet(layers.get(l).eligible(), i) && !isSet(chosen[l], i);
          // float == and < already treat -0.0 and 0.0 as equal
          if (free && (bestLayer < 0 || s[i] < best)) {
            bestLayer = l;
            bestIndex = i;
            best = s[i];
          }
        }
      }
      chosen[bestLayer][bestIndex >>> 6] |= 1L << bestIndex;
      last = best == 0 ? 0.0f : best;
    }
    return new Selection(last, chosen);
  }

  private static float[] abs(float[] v) {
    float[] out = new float[v.length];
    for (int i = 0; i < v.length; i++) {
      out[i] = Math.abs(v[i]);
    }
    return out;
  }

  private static boolean isSet(long[] words, int i) {
    return (words[i >>> 6] >>> (i & 63) & 1) == 1;
  }

  private static ScoredLayer layer(String name, float... scores) {
    return new ScoredLayer(name, scores, eligibility(null, Eligibility.ALL, scores.length));
  }

  private static List<ScoredLayer> randomLayers(SplittableRandom rng, int count, int maxSize) {
    List<ScoredLayer> layers = new ArrayList<>();
    Values kind = Values.values()[rng.nextInt(Values.values().length)];
    Eligibility el = Eligibility.values()[rng.nextInt(Eligibility.values().length)];
    for (int l = 0; l < count; l++) {
      int size = switch (rng.nextInt(5)) {
        case 0 -> 0;
        case 1 -> Math.min(maxSize, 64 * (1 + rng.nextInt(3)));
        case 2 -> Math.min(maxSize, 64 * (1 + rng.nextInt(3)) + 1 + rng.nextInt(63));
        default -> rng.nextInt(maxSize + 1);
      };
      Eligibility layerEl = rng.nextInt(4) == 0 ? Eligibility.ALL : el;
      layers.add(new ScoredLayer("layer" + l, values(rng, kind, size),
          eligibility(rng, layerEl, size)));
    }
    return layers;
  }

  private static float[] values(SplittableRandom rng, Values kind, int n) {
    float[] v = new float[n];
    for (int i = 0; i < n; i++) {
      Values k = kind == Values.MIXED ? Values.values()[rng.nextInt(5)] : kind;
      v[i] = switch (k) {
        case GAUSSIAN -> (float) gaussian(rng);
        case MAGNITUDE -> (float) Math.abs(gaussian(rng) * 0.05);
        case TIES -> TIE_VALUES[rng.nextInt(TIE_VALUES.length)];
        case TINY -> (rng.nextBoolean() ? 1 : -1) * Float.intBitsToFloat(rng.nextInt(1 << 24));
        case HUGE -> (float) ((rng.nextBoolean() ? 1 : -1) * rng.nextDouble(1e30, Float.MAX_VALUE));
        case MIXED -> throw new AssertionError();
      };
    }
    return v;
  }

  private static long[] eligibility(SplittableRandom rng, Eligibility kind, int n) {
    long[] w = new long[(n + 63) >>> 6];
    for (int i = 0; i < n; i++) {
      boolean on = switch (kind) {
        case ALL -> true;
        case NONE -> false;
        case RANDOM -> rng.nextInt(10) < 7;
        case SPARSE -> rng.nextInt(10) == 0;
        case WORDS -> ((i >>> 6) % 3) != 1;
      };
      if (on) {
        w[i >>> 6] |= 1L << i;
      }
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

  private static long[] counts(SplittableRandom rng, long eligible) {
    if (eligible == 0) {
      return new long[] {0};
    }
    return new long[] {0, eligible, 1 + rng.nextLong(eligible), rng.nextLong(eligible + 1),
        Math.round(0.2 * eligible)};
  }

  private static double gaussian(SplittableRandom rng) {
    double u = rng.nextDouble(Double.MIN_NORMAL, 1.0);
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng.nextDouble());
  }

  private static float anyFinite(SplittableRandom rng) {
    float f;
    do {
      f = Float.intBitsToFloat(rng.nextInt());
    } while (!Float.isFinite(f));
    return f;
  }
}
