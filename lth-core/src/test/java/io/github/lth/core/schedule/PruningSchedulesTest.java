package io.github.lth.core.schedule;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.ArrayList;
import java.util.List;
import java.util.OptionalDouble;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;

class PruningSchedulesTest {

  @Test
  void impAtTwentyPercentToNinetyHasTenRoundsOfOneMinusPointEightToTheK() {
    PruningSchedule imp = PruningSchedules.imp(0.2, 0.9);
    assertThat(imp.rounds()).isEqualTo(10);
    List<String> printed = new ArrayList<>();
    for (int k = 1; k <= 10; k++) {
      double s = imp.sparsityAfter(k).getAsDouble();
      assertThat(s).isEqualTo(1 - Math.pow(0.8, k));
      printed.add(String.format("%.2f", 100 * s));
    }
    assertThat(printed).containsExactly("20.00", "36.00", "48.80", "59.04", "67.23", "73.79",
        "79.03", "83.22", "86.58", "89.26");
    assertThat(imp.sparsityAfter(11)).isEmpty();
    assertThat(imp).isInstanceOf(PruningSchedules.FixedRate.class);
    assertThat(((PruningSchedules.FixedRate) imp).rate()).isEqualTo(0.2);
    assertThat(((PruningSchedules.FixedRate) imp).target()).isEqualTo(0.9);
  }

  @Test
  void impTargetWrittenInDecimalIncludesTheRoundThatReachesIt() {
    // 1 − 0.8² is 0.35999999999999999 in binary, just under the literal 0.36
    PruningSchedule imp = PruningSchedules.imp(0.2, 0.36);
    assertThat(imp.rounds()).isEqualTo(2);
    assertThat(imp.sparsityAfter(2).getAsDouble()).isCloseTo(0.36, within(1e-15));
    assertThat(PruningSchedules.imp(0.2, 0.2).rounds()).isEqualTo(1);
    assertThat(PruningSchedules.imp(0.5, 0.875).rounds()).isEqualTo(3);
  }

  @Test
  void impKeepsExactlyTheRemainingMinusTheRoundedRate() {
    PruningSchedule imp = PruningSchedules.imp(0.2, 0.9);
    assertThat(imp.keptAfter(1, 1000, 1000)).isEqualTo(800);
    assertThat(imp.keptAfter(7, 213, 1000)).isEqualTo(170);   // 213 − round(42.6)
    // half to even: 0.5 × 5 = 2.5 rounds to 2, 0.5 × 7 = 3.5 rounds to 4
    PruningSchedule half = PruningSchedules.imp(0.5, 0.9);
    assertThat(half.keptAfter(1, 5, 10)).isEqualTo(3);
    assertThat(half.keptAfter(1, 7, 10)).isEqualTo(3);
    assertThat(half.keptAfter(1, 0, 10)).isZero();
    assertError(() -> imp.keptAfter(1, 11, 10), "kept 11 of 10");
    assertError(() -> imp.sparsityAfter(0), "rounds start at 1: 0");
  }

  @Test
  void impArgumentsAreChecked() {
    assertError(() -> PruningSchedules.imp(0, 0.9), "pruning rate must be in (0, 1): 0.0");
    assertError(() -> PruningSchedules.imp(1, 0.9), "pruning rate must be in (0, 1): 1.0");
    assertError(() -> PruningSchedules.imp(0.2, 0), "target sparsity must be in (0, 1): 0.0");
    assertError(() -> PruningSchedules.imp(0.2, 1), "target sparsity must be in (0, 1): 1.0");
    assertError(() -> PruningSchedules.imp(0.5, 0.3),
        "target sparsity 0.3 is below one round at rate 0.5");
  }

  @Test
  void explicitScheduleFollowsTheListAndRoundsTheCount() {
    PruningSchedule s = PruningSchedules.of(0.5, 0.75, 0.9);
    assertThat(s.rounds()).isEqualTo(3);
    assertThat(s.sparsityAfter(1)).hasValue(0.5);
    assertThat(s.sparsityAfter(2)).hasValue(0.75);
    assertThat(s.sparsityAfter(3)).hasValue(0.9);
    assertThat(s.sparsityAfter(4)).isEmpty();
    assertThat(s.keptAfter(1, 1001, 1001)).isEqualTo(501);   // 1001 − round(500.5) = 1001 − 500
    assertThat(s.keptAfter(1, 1003, 1003)).isEqualTo(501);   // 1003 − round(501.5) = 1003 − 502
    assertThat(s.keptAfter(3, 1000, 1000)).isEqualTo(100);
    // never keeps more than before: pruned weights stay pruned
    assertThat(s.keptAfter(2, 100, 1000)).isEqualTo(100);
    assertError(() -> s.keptAfter(4, 10, 10), "the schedule has no round 4");
    assertThat(PruningSchedules.of(0.0).sparsityAfter(1)).hasValue(0.0);
  }

  @Test
  void explicitArgumentsAreChecked() {
    assertError(() -> PruningSchedules.of(), "an explicit schedule needs at least one sparsity");
    assertError(() -> PruningSchedules.of(0.5, 1.0), "sparsity must be in [0, 1): 1.0");
    assertError(() -> PruningSchedules.of(-0.1), "sparsity must be in [0, 1): -0.1");
    assertError(() -> PruningSchedules.of(0.5, 0.4), "sparsities must increase: [0.5, 0.4]");
    assertError(() -> PruningSchedules.of(0.5, 0.5), "sparsities must increase: [0.5, 0.5]");
  }

  @Test
  void oneShotIsASingleRound() {
    PruningSchedule s = PruningSchedules.oneShot(0.8);
    assertThat(s.rounds()).isEqualTo(1);
    assertThat(s.sparsityAfter(1)).hasValue(0.8);
    assertThat(s.sparsityAfter(2)).isEmpty();
    assertThat(s.keptAfter(1, 4266, 4266)).isEqualTo(853);
    assertError(() -> PruningSchedules.oneShot(1.0), "sparsity must be in [0, 1): 1.0");
    assertError(() -> PruningSchedules.oneShot(-0.5), "sparsity must be in [0, 1): -0.5");
  }

  @Test
  void gradualFollowsTheCubicOfZhuAndGupta() {
    PruningSchedule g = PruningSchedules.gradual(0.0, 0.9, 10);
    assertThat(g.rounds()).isEqualTo(10);
    // s_t = 0.9 − 0.9 (1 − t/10)³
    double[] expected = {0.2439, 0.4392, 0.5913, 0.7056, 0.7875, 0.8424, 0.8757, 0.8928,
        0.8991, 0.9};
    for (int t = 1; t <= 10; t++) {
      assertThat(g.sparsityAfter(t).getAsDouble()).as("t=%s", t)
          .isCloseTo(expected[t - 1], within(1e-12));
    }
    assertThat(g.sparsityAfter(11)).isEmpty();

    PruningSchedule from = PruningSchedules.gradual(0.5, 0.8, 3);
    // 0.8 − 0.3 (2/3)³, 0.8 − 0.3 (1/3)³, 0.8
    assertThat(from.sparsityAfter(1).getAsDouble()).isCloseTo(0.8 - 0.3 * 8 / 27, within(1e-12));
    assertThat(from.sparsityAfter(2).getAsDouble()).isCloseTo(0.8 - 0.3 / 27, within(1e-12));
    assertThat(from.sparsityAfter(3).getAsDouble()).isEqualTo(0.8);
    assertThat(from.keptAfter(1, 10_000, 10_000)).isEqualTo(10_000 - 7111);   // 7111.1
  }

  @Test
  void gradualArgumentsAreChecked() {
    assertError(() -> PruningSchedules.gradual(-0.1, 0.9, 10),
        "initial sparsity must be in [0, 1): -0.1");
    assertError(() -> PruningSchedules.gradual(1.0, 0.9, 10),
        "initial sparsity must be in [0, 1): 1.0");
    assertError(() -> PruningSchedules.gradual(0.5, 0.5, 10),
        "final sparsity must be in (initial, 1): 0.5");
    assertError(() -> PruningSchedules.gradual(0.5, 1.0, 10),
        "final sparsity must be in (initial, 1): 1.0");
    assertError(() -> PruningSchedules.gradual(0.0, 0.9, 0),
        "number of steps must be positive: 0");
  }

  @Test
  void aLambdaScheduleGetsTheDefaultCountAndRounds() {
    PruningSchedule halves = round -> round <= 4
        ? OptionalDouble.of(1 - Math.pow(0.5, round))
        : OptionalDouble.empty();
    assertThat(halves.rounds()).isEqualTo(4);
    assertThat(halves.keptAfter(3, 250, 1000)).isEqualTo(125);
  }

  private static void assertError(ThrowingCallable call, String message) {
    assertThatThrownBy(call).isInstanceOf(IllegalArgumentException.class).hasMessage(message);
  }
}
