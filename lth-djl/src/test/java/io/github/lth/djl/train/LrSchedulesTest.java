package io.github.lth.djl.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import org.junit.jupiter.api.Test;

class LrSchedulesTest {

  private static double[] factors(LrSchedule s, int steps, long total) {
    double[] f = new double[steps];
    for (int i = 0; i < steps; i++) {
      f[i] = s.factor(i, total);
    }
    return f;
  }

  @Test
  void warmupRisesLinearlyThenFollowsTheWrappedSchedule() {
    assertThat(factors(LrSchedules.warmup(4, LrSchedules.constant()), 7, 100))
        .containsExactly(0.25, 0.5, 0.75, 1, 1, 1, 1);
    assertThat(factors(LrSchedules.warmup(1, LrSchedules.constant()), 2, 100))
        .containsExactly(1, 1);
    // the wrapped schedule sees the global step: milestones stay at 3 and 5
    assertThat(factors(LrSchedules.warmup(2, LrSchedules.milestones(0.5, 3, 5)), 7, 100))
        .containsExactly(0.5, 1, 1, 0.5, 0.5, 0.25, 0.25);
    LrSchedule cosine = LrSchedules.warmup(2, LrSchedules.cosine());
    assertThat(cosine.factor(0, 8)).isEqualTo(0.5 * LrSchedules.cosine().factor(0, 8));
    assertThat(cosine.factor(1, 8)).isEqualTo(LrSchedules.cosine().factor(1, 8));
    assertThat(cosine.factor(5, 8)).isEqualTo(LrSchedules.cosine().factor(5, 8));
  }

  @Test
  void milestonesMultiplyByGammaFromEachMilestoneOn() {
    assertThat(factors(LrSchedules.milestones(0.5, 2, 4), 6, 10))
        .containsExactly(1, 1, 0.5, 0.5, 0.25, 0.25);
    assertThat(factors(LrSchedules.milestones(0.1, 1), 3, 10)).containsExactly(1, 0.1, 0.1);
    LrSchedule epochs = LrSchedules.milestonesAtEpochs(0.1, 391, 80, 120);
    assertThat(epochs.spec()).isEqualTo("milestones:0.1:31280,46920");
    assertThat(epochs.factor(31279, 70000)).isEqualTo(1);
    assertThat(epochs.factor(31280, 70000)).isEqualTo(0.1);
    assertThat(epochs.factor(46920, 70000)).isCloseTo(0.01, within(1e-17));
  }

  @Test
  void cosineEndsAtZeroAndStepDecays() {
    assertThat(factors(LrSchedules.cosine(), 5, 4)).containsExactly(
        new double[] {1, 0.5 + 0.25 * Math.sqrt(2), 0.5, 0.5 - 0.25 * Math.sqrt(2), 0},
        within(1e-15));
    assertThat(factors(LrSchedules.stepDecay(2, 0.5), 5, 10))
        .containsExactly(1, 1, 0.5, 0.5, 0.25);
    assertThat(factors(LrSchedules.constant(), 3, 3)).containsExactly(1, 1, 1);
  }

  @Test
  void parseReadsWhatSpecWrites() {
    for (String spec : List.of("constant", "cosine", "step:100:0.5", "milestones:0.1:100,200",
        "milestones:0.2:7", "warmup:500:cosine", "warmup:10:milestones:0.5:20,30",
        "warmup:5:warmup:3:step:7:0.9")) {
      LrSchedule s = LrSchedules.parse(spec);
      assertThat(s.spec()).isEqualTo(spec);
      assertThat(LrSchedules.parse(s.spec()).spec()).isEqualTo(spec);
      assertThat(factors(LrSchedules.parse(s.spec()), 40, 40)).containsExactly(factors(s, 40, 40));
    }
    assertThat(LrSchedules.parse(" warmup:3:constant ").factor(0, 10)).isEqualTo(1.0 / 3);
    for (LrSchedule s : List.of(LrSchedules.milestones(0.1, 3, 9),
        LrSchedules.warmup(4, LrSchedules.stepDecay(3, 0.7)))) {
      assertThat(LrSchedules.parse(s.spec()).spec()).isEqualTo(s.spec());
    }
  }

  @Test
  void badSpecsNameTheSchedule() {
    for (String bad : List.of("", "linear", "step:abc:0.1", "step:10", "step:0:0.5",
        "step:10:1.5", "milestones:0.1:", "milestones:0.1:200,100", "milestones:0.1:0",
        "milestones:2:100", "milestones:x:100", "warmup:0:cosine", "warmup:10:",
        "warmup:x:cosine", "warmup:10:linear", "warmup:10")) {
      assertThatThrownBy(() -> LrSchedules.parse(bad)).as(bad)
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageStartingWith("learning-rate schedule");
    }
    assertThatThrownBy(() -> LrSchedules.parse("milestones:0.1:200,100"))
        .hasMessage("learning-rate schedule milestones: steps must increase: 100 after 200");
    assertThatThrownBy(() -> LrSchedules.parse("warmup:0:cosine"))
        .hasMessage("learning-rate schedule warmup: the number of steps must be positive: 0");
    assertThatThrownBy(() -> LrSchedules.parse("milestones:2:100"))
        .hasMessage("learning-rate schedule milestones: gamma must be in (0, 1]: 2.0");
    assertThatThrownBy(() -> LrSchedules.parse("warmup:x:cosine"))
        .hasMessageStartingWith(
            "learning-rate schedule: cannot read 'warmup:x:cosine' (use constant,");
    assertThatThrownBy(() -> LrSchedules.milestones(0.1))
        .hasMessage("learning-rate schedule milestones: at least one milestone step is needed");
  }
}
