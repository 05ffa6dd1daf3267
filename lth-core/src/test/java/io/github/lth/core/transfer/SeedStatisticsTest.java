package io.github.lth.core.transfer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.Map;
import org.junit.jupiter.api.Test;

class SeedStatisticsTest {

  @Test
  void threeSeedsGiveTheMeanAndTheSampleStandardDeviation() {
    SeedStatistics s = SeedStatistics.of(0.80, 0.82, 0.84);

    assertThat(s.n()).isEqualTo(3);
    assertThat(s.mean()).isCloseTo(0.82, within(1e-15));
    // sample: sqrt((0.02² + 0 + 0.02²) / 2) = 0.02; the population one would be 0.0163
    assertThat(s.std()).isCloseTo(0.02, within(1e-15));
  }

  @Test
  void exactBinaryValuesGiveExactStatistics() {
    // 0.25, 0.5, 0.75: mean 0.5, squared deviations 0.0625 twice, / (3 - 1), sqrt: 0.25
    assertThat(SeedStatistics.of(0.25, 0.5, 0.75)).isEqualTo(new SeedStatistics(3, 0.5, 0.25));
    assertThat(SeedStatistics.of(1, 3)).isEqualTo(new SeedStatistics(2, 2, Math.sqrt(2)));
  }

  @Test
  void oneValueHasStandardDeviationZero() {
    assertThat(SeedStatistics.of(0.7)).isEqualTo(new SeedStatistics(1, 0.7, 0));
  }

  @Test
  void nearlyEqualSeedsKeepTheirSpread() {
    // a one-pass formula (E[x²] - E[x]²) loses the 0.1 deviations under squares of 1e16
    SeedStatistics s = SeedStatistics.of(1e8 + 0.1, 1e8, 1e8 - 0.1);
    assertThat(s.std()).isCloseTo(0.1, within(1e-6));
  }

  @Test
  void noValuesOrNonFiniteValuesAreRefused() {
    assertThatThrownBy(SeedStatistics::of).isInstanceOf(IllegalArgumentException.class)
        .hasMessage("seed statistics need at least one value");
    assertThatThrownBy(() -> SeedStatistics.of(0.5, Double.NaN))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("seed values must be finite; got NaN");
    assertThatThrownBy(() -> new SeedStatistics(1, 0.5, 0.1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("a single value has standard deviation 0; got 0.1");
  }

  @Test
  void transferResultsAreValidated() {
    Map<String, Double> m = Map.of("test_accuracy", 0.9);
    assertThat(new TransferResult("full", "imp", 2, 0.36, 1, m).metrics()).isEqualTo(m);
    assertThatThrownBy(() -> new TransferResult("full", "imp", 2, 1.5, 1, m))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("sparsity must be in [0, 1]; got 1.5 (full imp round 2)");
    assertThatThrownBy(() -> new TransferResult("full", "imp", 2, Double.NaN, 1, m))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("sparsity must be in [0, 1]; got NaN");
    assertThatThrownBy(() -> new TransferResult("full", "imp", 2, 0.36, -1, m))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("seedIndex must be >= 0; got -1 (full imp round 2)");
    assertThatThrownBy(() -> new TransferResult("full", "imp", 2, 0.36, 0, Map.of()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("a transfer result needs at least one metric (full imp round 2 seed 0)");
    assertThatThrownBy(() -> new TransferResult("", "imp", 2, 0.36, 0, m))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("a transfer result needs a target");
    // sparsity 0 and 1 are the ends of the range, both allowed
    assertThat(new TransferResult("full", "dense", 0, 0, 0, m).sparsity()).isZero();
    assertThat(new TransferResult("full", "imp", 9, 1, 0, m).sparsity()).isEqualTo(1);
  }
}
