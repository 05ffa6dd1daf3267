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
  void l1IsTheSumOfAbsoluteKeptWeightsOfEachRowPerWeight() {
    FilterScores s = FilterCriteria.l1().scoreFilters(Subnetwork.of(MASK, W));
    assertThat(s.layers()).containsExactly("conv", "fc");
    // (|1| + |-2| + |0.5|) / 4 (3 pruned); (|-4| + 0 + 0 + |2|) / 4
    assertThat(s.scores("conv")).containsExactly(0.875, 1.5);
    // (|3| + |4|) / 2; 0; |-6| / 2 (8 pruned)
    assertThat(s.scores("fc")).containsExactly(3.5, 0.0, 3.0);
  }

  @Test
  void l2IsTheEuclideanNormOfKeptWeightsOfEachRowPerRootSize() {
    FilterScores s = FilterCriteria.l2().scoreFilters(Subnetwork.of(MASK, W));
    assertThat(s.scores("conv")[0]).isCloseTo(Math.sqrt(1 + 4 + 0.25) / 2, within(1e-12));
    assertThat(s.scores("conv")[1]).isCloseTo(Math.sqrt(20) / 2, within(1e-12));
    assertThat(s.scores("fc")[0]).isCloseTo(5 / Math.sqrt(2), within(1e-12));
    assertThat(s.scores("fc")[1]).isZero();
    assertThat(s.scores("fc")[2]).isCloseTo(6 / Math.sqrt(2), within(1e-12));
  }

  @Test
  void weightScoresGiveEveryWeightOfAFilterItsScore() {
    Scores s = FilterCriteria.l1().score(Subnetwork.of(MASK, W));
    assertThat(s.layers()).containsExactly("conv", "conv_bias", "fc");
    assertThat(s.values("conv")).containsExactly(0.875f, 0.875f, 0.875f, 0.875f, 1.5f, 1.5f, 1.5f,
        1.5f);
    assertThat(s.values("conv_bias")).containsExactly(0.875f, 1.5f);
    assertThat(s.values("fc")).containsExactly(3.5f, 3.5f, 0, 0, 3, 3);
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
