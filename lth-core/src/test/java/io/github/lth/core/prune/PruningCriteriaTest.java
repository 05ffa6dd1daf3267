package io.github.lth.core.prune;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.github.lth.core.Mask;
import io.github.lth.core.Scores;
import io.github.lth.core.Subnetwork;
import io.github.lth.core.Weights;
import io.github.lth.core.structured.FilterCriteria;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class PruningCriteriaTest {

  private static final String T = "io.github.lth.core.prune.TestCriteria$";
  /**
   * The known names as messages list them today: in class-path order, where Surefire puts the
   * test classes (and so the test provider) before lth-core's own. Becomes
   * "magnitude, magnitude-change, random, filter-l1, filter-l2, test-negated-magnitude" with the
   * fix described on {@link #providersListTheBuiltInsFirst}.
   */
  private static final String KNOWN =
      "magnitude, magnitude-change, random, filter-l1, filter-l2, test-negated-magnitude";

  private static final Weights W = Weights.builder()
      .put("a", new long[] {2, 3}, new float[] {1.5f, -2, -0.0f, 0, Float.MIN_VALUE, -1e-30f})
      .put("bias", new long[] {2}, new float[] {5, -5})
      .put("b", new long[] {4}, new float[] {-3, 3, 0.25f, -Float.MAX_VALUE})
      .build();

  private static final Weights W0 = Weights.builder()
      .put("a", new long[] {2, 3}, new float[] {0.5f, 1, -0.0f, -0.0f, 0, 1e-30f})
      .put("bias", new long[] {2}, new float[] {0, 0})
      .put("b", new long[] {4}, new float[] {-3, -3, 1, Float.MAX_VALUE})
      .build();

  private static final Mask MASK = Mask.builder()
      .put("a", new long[] {2, 3}, new boolean[] {true, false, true, true, true, true})
      .put("b", new long[] {4}, new boolean[] {true, true, true, true})
      .build();

  @Test
  void magnitudeScoresAreAbsoluteValuesForEveryMaskLayerPrunedOrNot() {
    Scores s = PruningCriteria.magnitude().score(Subnetwork.of(MASK, W));
    assertThat(s.layers()).containsExactly("a", "b");
    assertThat(s.shape("a")).containsExactly(2, 3);
    float[] a = s.values("a");
    assertThat(a).containsExactly(1.5f, 2, 0, 0, Float.MIN_VALUE, 1e-30f);
    assertThat(Float.floatToRawIntBits(a[2])).as("|-0.0| is +0.0").isZero();
    assertThat(s.values("b")).containsExactly(3, 3, 0.25f, Float.MAX_VALUE);
    assertThat(PruningCriteria.magnitude().toString()).isEqualTo("magnitude");
  }

  @Test
  void magnitudeChangeIsTheAbsoluteDifferenceFromTheReference() {
    Scores s = PruningCriteria.magnitudeChange().score(Subnetwork.of(MASK, W, W0));
    assertThat(s.layers()).containsExactly("a", "b");
    assertThat(s.values("a")).containsExactly(1, 3, 0, 0, Float.MIN_VALUE, 2e-30f);
    // -MAX - MAX overflows float: the change is +Infinity, which the pruner later refuses
    assertThat(s.values("b")).containsExactly(0, 6, 0.75f, Float.POSITIVE_INFINITY);
    assertThat(PruningCriteria.magnitudeChange().toString()).isEqualTo("magnitude-change");
  }

  @Test
  void magnitudeChangeMatchesDoubleArithmeticOnRandomWeights() {
    SplittableRandom rng = new SplittableRandom(3);
    float[] w = new float[5000];
    float[] w0 = new float[5000];
    for (int i = 0; i < w.length; i++) {
      w[i] = (float) rng.nextGaussian();
      w0[i] = i % 7 == 0 ? w[i] : (float) rng.nextGaussian();
    }
    Weights trained = Weights.builder().put("x", new long[] {50, 100}, w).build();
    Weights init = Weights.builder().put("x", new long[] {50, 100}, w0).build();
    Mask m = Mask.dense(trained.shapes());
    float[] got = PruningCriteria.magnitudeChange().score(Subnetwork.of(m, trained, init))
        .values("x");
    for (int i = 0; i < w.length; i++) {
      // the exact difference of two floats of similar size fits a double; one rounding to float
      float expected = (float) Math.abs((double) w[i] - (double) w0[i]);
      assertThat(got[i]).as("index %s", i).isEqualTo(expected);
    }
  }

  @Test
  void magnitudeChangeWithoutReferenceIsRefused() {
    assertThatThrownBy(() -> PruningCriteria.magnitudeChange().score(Subnetwork.of(MASK, W)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("this criterion needs reference weights (θ₀), but the subnetwork has none");
  }

  @Test
  void randomScoresAreFixedBySeedAndInTheUnitInterval() {
    Mask big = Mask.dense(Map.of("w", new long[] {200, 500}));
    Weights zeros = Weights.builder().put("w", new long[] {200, 500}, new float[100_000]).build();
    Subnetwork s = Subnetwork.of(big, zeros);
    float[] r1 = PruningCriteria.random(1).score(s).values("w");
    assertThat(PruningCriteria.random(1).score(s).values("w")).containsExactly(r1);
    float[] r2 = PruningCriteria.random(2).score(s).values("w");
    int same = 0;
    double sum = 0;
    int lowHalf = 0;
    for (int i = 0; i < r1.length; i++) {
      assertThat(r1[i]).isGreaterThanOrEqualTo(0f).isLessThan(1f);
      same += r1[i] == r2[i] ? 1 : 0;
      sum += r1[i];
      lowHalf += r1[i] < 0.5f ? 1 : 0;
    }
    assertThat(same).as("two seeds agree only by chance").isLessThan(10);
    // uniform on [0, 1): mean 0.5 with sd 0.289 / sqrt(100000) = 0.00091
    assertThat(sum / r1.length).isCloseTo(0.5, within(0.006));
    // Binomial(100000, 0.5): sd 158
    assertThat((double) lowHalf).isCloseTo(50_000, within(1000.0));
    assertThat(PruningCriteria.random(7).toString()).isEqualTo("random(7)");
  }

  @Test
  void randomScoresDifferAcrossLayersAndIgnoreTheWeights() {
    Mask two = Mask.builder()
        .put("p", new long[] {100}, new boolean[100])
        .put("q", new long[] {100}, new boolean[100])
        .build();
    Weights w = Weights.builder()
        .put("p", new long[] {100}, new float[100])
        .put("q", new long[] {100}, new float[100])
        .build();
    float[] ramp = new float[100];
    for (int i = 0; i < ramp.length; i++) {
      ramp[i] = i - 50;
    }
    Weights other = Weights.builder()
        .put("p", new long[] {100}, ramp)
        .put("q", new long[] {100}, ramp)
        .build();
    Scores s = PruningCriteria.random(5).score(Subnetwork.of(two, w));
    assertThat(s.values("p")).isNotEqualTo(s.values("q"));
    assertThat(PruningCriteria.random(5).score(Subnetwork.of(two, other)).values("q"))
        .containsExactly(s.values("q"));
  }

  @Test
  void byNameFindsTheBuiltIns() {
    assertThat(PruningCriteria.byName("magnitude", 0)).isSameAs(PruningCriteria.magnitude());
    assertThat(PruningCriteria.byName("magnitude-change", 0))
        .isSameAs(PruningCriteria.magnitudeChange());
    PruningCriterion random = PruningCriteria.byName("random", 42);
    assertThat(random).isInstanceOf(PruningCriteria.RandomScores.class);
    assertThat(((PruningCriteria.RandomScores) random).seed()).isEqualTo(42);
    assertThat(PruningCriteria.byName("filter-l1", 0)).isSameAs(FilterCriteria.l1())
        .hasToString("filter-l1");
    assertThat(PruningCriteria.byName("filter-l2", 0)).isSameAs(FilterCriteria.l2())
        .hasToString("filter-l2");
  }

  @Test
  void namesListTheBuiltInsInOrderAndTheTestProvider() {
    List<String> names = PruningCriteria.names();
    assertThat(names).hasSize(6)
        .containsSubsequence("magnitude", "magnitude-change", "random", "filter-l1", "filter-l2")
        .contains("test-negated-magnitude");
    assertThat(String.join(", ", names)).isEqualTo(KNOWN);
    List<PruningCriterionProvider> providers = PruningCriteria.providers();
    assertThat(providers).hasSize(6);
    for (PruningCriterionProvider p : providers) {
      switch (p.name()) {
        case "magnitude" -> assertThat(p.description())
            .isEqualTo("|w|, the lottery-ticket default");
        case "magnitude-change" -> assertThat(p.description())
            .isEqualTo("|w - w0|, movement from the reference weights");
        case "random" -> assertThat(p.description())
            .isEqualTo("uniform random scores from the seed");
        case "filter-l1" -> assertThat(p.description()).isEqualTo("L1 norm of each output filter,"
            + " normalized per layer;"
            + " prunes whole filters with their bias and BatchNorm (rates count filters)");
        case "filter-l2" -> assertThat(p.description()).isEqualTo("L2 norm of each output filter,"
            + " normalized per layer;"
            + " prunes whole filters with their bias and BatchNorm (rates count filters)");
        default -> assertThat(p.description()).as("the default description is the name")
            .isEqualTo("test-negated-magnitude");
      }
    }
  }

  @Test
  void providersListTheBuiltInsFirst() {
    assertThat(PruningCriteria.names()).containsExactly("magnitude", "magnitude-change", "random",
        "filter-l1", "filter-l2", "test-negated-magnitude");
  }

  @Test
  void aRegisteredProviderIsFoundByName() {
    PruningCriterion c = PruningCriteria.byName("test-negated-magnitude", 0);
    assertThat(c).isInstanceOf(TestCriteria.NegatedMagnitude.class);
    assertThat(c.score(Subnetwork.of(MASK, W)).values("b")).containsExactly(-3, -3, -0.25f,
        -Float.MAX_VALUE);
  }

  @Test
  void aCriterionClassIsFoundByItsFullyQualifiedName() {
    PruningCriterion c = PruningCriteria.byName(T + "NegatedMagnitude", 0);
    assertThat(c).isInstanceOf(TestCriteria.NegatedMagnitude.class);
    assertThat(c.score(Subnetwork.of(MASK, W)).values("a"))
        .containsExactly(-1.5f, -2, -0.0f, -0.0f, -Float.MIN_VALUE, -1e-30f);
  }

  @Test
  void aProviderClassIsFoundByItsFullyQualifiedNameAndGetsTheSeed() {
    PruningCriterion c = PruningCriteria.byName(T + "SeededProvider", 1234);
    assertThat(c).isEqualTo(new TestCriteria.Seeded(1234));
    // an unregistered provider's short name is not known
    assertThatThrownBy(() -> PruningCriteria.byName("test-seeded", 0))
        .hasMessage("criterion: unknown criterion 'test-seeded' (known: " + KNOWN
            + "; or a class name on the class path)");
  }

  @Test
  void anUnknownNameListsTheKnownNames() {
    assertThatThrownBy(() -> PruningCriteria.byName("magnitde", 0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("criterion: unknown criterion 'magnitde' (known: " + KNOWN
            + "; or a class name on the class path)");
    assertThatThrownBy(() -> PruningCriteria.byName("Magnitude", 0))
        .hasMessageStartingWith("criterion: unknown criterion 'Magnitude' (known: ");
    assertThatThrownBy(() -> PruningCriteria.byName(" ", 0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("criterion: empty name ' '");
    assertThatThrownBy(() -> PruningCriteria.byName(null, 0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("criterion: empty name 'null'");
  }

  @Test
  void aMissingClassIsReportedWithTheKnownNames() {
    assertThatThrownBy(() -> PruningCriteria.byName("com.example.Taylor", 0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("criterion: class 'com.example.Taylor' is not on the class path (known"
            + " names: " + KNOWN + ")");
  }

  @Test
  void aClassWithoutANoArgumentConstructorIsRefused() {
    assertThatThrownBy(() -> PruningCriteria.byName(T + "NeedsArgument", 0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("criterion: class '" + T + "NeedsArgument' needs a public no-argument"
            + " constructor");
    // an interface has no constructor at all
    assertThatThrownBy(() -> PruningCriteria.byName("io.github.lth.core.prune.PruningCriterion", 0))
        .hasMessage("criterion: class 'io.github.lth.core.prune.PruningCriterion' needs a public"
            + " no-argument constructor");
  }

  @Test
  void aClassOfTheWrongTypeIsRefused() {
    assertThatThrownBy(() -> PruningCriteria.byName(T + "NotACriterion", 0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("criterion: class '" + T + "NotACriterion' implements neither"
            + " PruningCriterion nor PruningCriterionProvider");
    assertThatThrownBy(() -> PruningCriteria.byName("java.lang.Object", 0))
        .hasMessage("criterion: class 'java.lang.Object' implements neither"
            + " PruningCriterion nor PruningCriterionProvider");
  }

  @Test
  void aConstructorThatThrowsIsReportedWithItsCause() {
    assertThatThrownBy(() -> PruningCriteria.byName(T + "Throwing", 0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("criterion: constructing '" + T + "Throwing' failed:"
            + " java.lang.IllegalStateException: needs a GPU");
  }
}
