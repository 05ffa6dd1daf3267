package io.github.lth.core.structured;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.github.lth.core.Mask;
import io.github.lth.core.Scores;
import io.github.lth.core.Subnetwork;
import io.github.lth.core.Weights;
import org.junit.jupiter.api.Test;

class FilterCriteriaTest {

  /** conv [2, 1, 2, 2] with a bias, then linear [3, 2] without; biases are large on purpose. */
  private static final Weights W = Weights.builder()
      .put("conv", new long[] {2, 1, 2, 2}, new float[] {1, -2, 3, 0.5f, -4, 0, 0, 2})
      .put("conv_bias", new long[] {2}, new float[] {100, -100})
      .put("fc", new long[] {3, 2}, new float[] {3, 4, 0, 0, -6, 8})
      .put("unmasked", new long[] {1}, new float[] {7})
      .build();

  /** Prunes conv[0, 0, 1, 0] (the 3) and fc[2, 1] (the 8). */
  private static final Mask MASK = Mask.builder()
      .put("conv", new long[] {2, 1, 2, 2},
          new boolean[] {true, true, false, true, true, true, true, true})
      .put("conv_bias", new long[] {2}, new boolean[] {true, true})
      .put("fc", new long[] {3, 2}, new boolean[] {true, true, true, true, true, false})
      .build();

  @Test
  void l1IsTheSumOfAbsoluteKeptWeightsOfEachRowOverItsLayersRootMeanSquare() {
    FilterScores s = FilterCriteria.l1().scoreFilters(Subnetwork.of(MASK, W));
    assertThat(s.layers()).containsExactly("conv", "fc");
    // |1| + |-2| + |0.5| (3 pruned) = 3.5; |-4| + 0 + 0 + |2| = 6
    double conv = Math.sqrt((3.5 * 3.5 + 6 * 6) / 2);
    assertThat(s.scores("conv")).containsExactly(3.5 / conv, 6 / conv);
    // |3| + |4| = 7; 0; |-6| = 6 (8 pruned): three kept filters
    double fc = Math.sqrt((7 * 7 + 0 + 6 * 6) / 3.0);
    assertThat(s.scores("fc")).containsExactly(7 / fc, 0, 6 / fc);
  }

  @Test
  void l2IsTheEuclideanNormOfKeptWeightsOfEachRowOverItsLayersRootMeanSquare() {
    FilterScores s = FilterCriteria.l2().scoreFilters(Subnetwork.of(MASK, W));
    double a = Math.sqrt(1 + 4 + 0.25);
    double b = Math.sqrt(20);
    double conv = Math.sqrt((a * a + b * b) / 2);
    assertThat(s.scores("conv")[0]).isCloseTo(a / conv, within(1e-12));
    assertThat(s.scores("conv")[1]).isCloseTo(b / conv, within(1e-12));
    double fc = Math.sqrt((25 + 0 + 36) / 3.0);
    assertThat(s.scores("fc")[0]).isCloseTo(5 / fc, within(1e-12));
    assertThat(s.scores("fc")[1]).isZero();
    assertThat(s.scores("fc")[2]).isCloseTo(6 / fc, within(1e-12));
  }

  @Test
  void theNormalizationCountsOnlyKeptFiltersAndLeavesAllZeroLayersAlone() {
    Mask mask = Mask.builder()
        .put("a", new long[] {3, 1}, new boolean[] {true, false, true})
        .put("b", new long[] {2, 1}, new boolean[] {true, true})
        .build();
    Weights w = Weights.builder()
        .put("a", new long[] {3, 1}, new float[] {3, 100, 4})
        .put("b", new long[] {2, 1}, new float[] {0, 0})
        .build();
    FilterScores s = FilterCriteria.l1().scoreFilters(Subnetwork.of(mask, w));
    // the pruned filter (100) neither scores nor counts: rms of 3 and 4 over two filters
    double rms = Math.sqrt((9 + 16) / 2.0);
    assertThat(s.scores("a")).containsExactly(3 / rms, 0, 4 / rms);
    assertThat(s.scores("b")).containsExactly(0, 0);
  }

  @Test
  void weightScoresGiveEveryWeightOfAFilterItsScore() {
    Scores s = FilterCriteria.l1().score(Subnetwork.of(MASK, W));
    assertThat(s.layers()).containsExactly("conv", "conv_bias", "fc");
    float c0 = (float) (3.5 / Math.sqrt((3.5 * 3.5 + 36) / 2));
    float c1 = (float) (6 / Math.sqrt((3.5 * 3.5 + 36) / 2));
    float f0 = (float) (7 / Math.sqrt(85 / 3.0));
    float f2 = (float) (6 / Math.sqrt(85 / 3.0));
    assertThat(s.values("conv")).containsExactly(c0, c0, c0, c0, c1, c1, c1, c1);
    assertThat(s.values("conv_bias")).containsExactly(c0, c1);
    assertThat(s.values("fc")).containsExactly(f0, f0, 0, 0, f2, f2);
    assertThat(s.shape("conv")).containsExactly(2, 1, 2, 2);
  }

  @Test
  void mapHandsEachFilterItsMaskedRow() {
    FilterScores s = FilterCriteria.map(Subnetwork.of(MASK, W), row -> {
      double first = row.get(0);
      return 10 * row.remaining() + first;
    });
    assertThat(s.scores("conv")).containsExactly(41.0, 36.0);
    assertThat(s.scores("fc")).containsExactly(23.0, 20.0, 14.0);
  }
}
