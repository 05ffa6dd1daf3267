package io.github.lth.core.rewind;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.lth.core.Weights;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class RewindsTest {

  private static final String FORMS =
      " (use init, step:K, epoch:E, fraction:F, pretrained:PATH, reinit or none)";

  @Test
  void parseReadsEveryForm() {
    assertThat(Rewinds.parse("init")).isEqualTo(new Rewind.ToInit());
    assertThat(Rewinds.parse("step:500")).isEqualTo(new Rewind.ToStep(500));
    assertThat(Rewinds.parse("epoch:3")).isEqualTo(new Rewind.ToEpoch(3));
    assertThat(Rewinds.parse("reinit")).isEqualTo(new Rewind.Reinit());
    assertThat(Rewinds.parse("none")).isEqualTo(new Rewind.None());
    assertThat(Rewinds.parse("step:9000000000")).isEqualTo(new Rewind.ToStep(9_000_000_000L));
    assertThat(Rewinds.parse("  epoch:1 ")).isEqualTo(new Rewind.ToEpoch(1));
  }

  @Test
  void stepZeroAndEpochZeroMeanInit() {
    assertThat(Rewinds.parse("step:0")).isEqualTo(new Rewind.ToInit());
    assertThat(Rewinds.parse("epoch:0")).isEqualTo(new Rewind.ToInit());
    assertThat(Rewinds.toStep(0)).isEqualTo(Rewinds.toInit());
    assertThat(Rewinds.toEpoch(0)).isEqualTo(Rewinds.toInit());
  }

  @ParameterizedTest
  @ValueSource(strings = {"init", "step:500", "step:1", "epoch:3", "reinit", "none"})
  void specRoundTripsThroughParse(String spec) {
    Rewind r = Rewinds.parse(spec);
    assertThat(r.spec()).isEqualTo(spec);
    assertThat(Rewinds.parse(r.spec())).isEqualTo(r);
  }

  @Test
  void factoriesGiveTheSpecs() {
    assertThat(Rewinds.toInit().spec()).isEqualTo("init");
    assertThat(Rewinds.toStep(12).spec()).isEqualTo("step:12");
    assertThat(Rewinds.toEpoch(2).spec()).isEqualTo("epoch:2");
    assertThat(Rewinds.reinit().spec()).isEqualTo("reinit");
    assertThat(Rewinds.none().spec()).isEqualTo("none");
    Weights w = Weights.builder().put("a", new long[] {1}, new float[] {1}).build();
    Rewind p = Rewinds.toPretrained("simclr.npz", w);
    assertThat(p.spec()).isEqualTo("pretrained:simclr.npz");
    assertThat(((Rewind.ToPretrained) p).weights()).isSameAs(w);
  }

  @ParameterizedTest
  @ValueSource(strings = {"step:", "step:x", "bogus", "epoch:", "epoch:1.5", "step:5k", "",
      "STEP:5", "init:3", "epoch:99999999999", "pretrained:w.npz"})
  void badSpecsNameTheFlagAndTheForms(String spec) {
    assertThatThrownBy(() -> Rewinds.parse(spec))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("rewind: cannot read '" + spec + "'" + FORMS);
  }

  @Test
  void factoriesRefuseNegativePoints() {
    assertThatThrownBy(() -> Rewinds.toStep(-1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("rewind step must be >= 0: -1");
    assertThatThrownBy(() -> Rewinds.toEpoch(-2))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("rewind epoch must be >= 0: -2");
    assertThatThrownBy(() -> Rewinds.toPretrained("x", null))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("pre-trained weights are required");
  }

  @ParameterizedTest
  @ValueSource(strings = {"epoch:-1", "step:-5"})
  void negativeSpecsNameTheFlagAndTheForms(String spec) {
    assertThatThrownBy(() -> Rewinds.parse(spec))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("rewind: cannot read '" + spec + "'" + FORMS);
  }
}
