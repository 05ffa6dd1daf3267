package io.github.lth.core.branch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.lth.core.Mask;
import io.github.lth.core.Weights;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class ControlMasksTest {

  /** Three layers with different sparsities, drawn from a seed. */
  private static Mask found() {
    SplittableRandom rng = new SplittableRandom(3);
    Mask.Builder b = Mask.builder();
    double[] keep = {0.2, 0.5, 0.05};
    long[][] shapes = {{30, 40}, {8, 4, 3, 3}, {10, 30}};
    for (int l = 0; l < 3; l++) {
      int n = (int) (shapes[l][0] * (shapes[l].length > 2 ? shapes[l][1] * 9 : shapes[l][1]));
      boolean[] kept = new boolean[n];
      for (int i = 0; i < n; i++) {
        kept[i] = rng.nextDouble() < keep[l];
      }
      b.put("layer" + l, shapes[l], kept);
    }
    return b.build();
  }

  private static long count(boolean[] a, boolean[] b, boolean va, boolean vb) {
    long c = 0;
    for (int i = 0; i < a.length; i++) {
      if (a[i] == va && b[i] == vb) {
        c++;
      }
    }
    return c;
  }

  @Test
  void randomMaskKeepsEveryLayersCountAndDiffersFromTheTicket() {
    Mask m = found();
    Mask r = ControlMasks.of(new Control.RandomMask(), m, 11, null);
    for (String layer : m.layers()) {
      assertThat(r.kept(layer)).isEqualTo(m.kept(layer));
    }
    assertThat(r).isNotEqualTo(m);
    assertThat(ControlMasks.of(new Control.RandomMask(), m, 11, null)).isEqualTo(r);
    assertThat(ControlMasks.of(new Control.RandomMask(), m, 12, null)).isNotEqualTo(r);
  }

  @Test
  void randomGlobalKeepsTheOverallCountExactlyAndMovesWeightsBetweenLayers() {
    Mask m = found();
    Mask g = ControlMasks.randomGlobal(m, 5);
    assertThat(g.kept()).isEqualTo(m.kept());
    assertThat(g.layers()).isEqualTo(m.layers());
    // drawn uniformly: every layer ends near the overall density, not at the ticket's
    double density = (double) m.kept() / m.size();
    for (String layer : m.layers()) {
      assertThat((double) g.kept(layer) / g.size(layer)).isCloseTo(density,
          org.assertj.core.data.Offset.offset(0.06));
    }
    assertThat(g.kept("layer2")).isNotEqualTo(m.kept("layer2"));
    assertThat(ControlMasks.randomGlobal(m, 5)).isEqualTo(g);
  }

  @Test
  void randomGlobalIsUniformOverPositions() {
    // 4,000 draws of 1 kept weight out of 8 over two layers: each position about 500 times
    Mask one = Mask.builder().put("a", new long[] {4}, new boolean[] {true, false, false, false})
        .put("b", new long[] {4}, new boolean[4]).build();
    int[] hits = new int[8];
    for (int s = 0; s < 4000; s++) {
      Mask g = ControlMasks.randomGlobal(one, s);
      assertThat(g.kept()).isEqualTo(1);
      boolean[] a = g.toBooleans("a");
      boolean[] b = g.toBooleans("b");
      for (int i = 0; i < 4; i++) {
        hits[i] += a[i] ? 1 : 0;
        hits[4 + i] += b[i] ? 1 : 0;
      }
    }
    for (int h : hits) {
      assertThat(h).isBetween(400, 600);
    }
  }

  @Test
  void complementIsDisjointAndCoversEverything() {
    Mask m = found();
    Mask c = ControlMasks.of(new Control.Complement(), m, 0, null);
    assertThat(c.and(m).kept()).isZero();
    assertThat(c.or(m).kept()).isEqualTo(m.size());
    assertThat(c.kept()).isEqualTo(m.pruned());
    assertThat(c.iou(m)).isZero();
  }

  @Test
  void perturbedFlipsThePercentageOfOnesAndAsManyZerosPerLayer() {
    Mask m = found();
    Mask p = ControlMasks.of(Control.parse("perturbed:10"), m, 9, null);
    for (String layer : m.layers()) {
      boolean[] a = m.toBooleans(layer);
      boolean[] b = p.toBooleans(layer);
      long expected = Math.round(0.10 * m.kept(layer));
      assertThat(count(a, b, true, false)).as(layer).isEqualTo(expected);
      assertThat(count(a, b, false, true)).as(layer).isEqualTo(expected);
      assertThat(p.kept(layer)).isEqualTo(m.kept(layer));
    }
  }

  @Test
  void naturalRandomPrunesTheNaturalZerosFirstThenDrawsTheRest() {
    // layer a: 10 weights, 3 naturally zero, the ticket prunes 6 -> all 3 zeros + 3 of the 7
    // layer b: 10 weights, 5 naturally zero, the ticket prunes 2 -> 2 of the 5 zeros, others kept
    float eps = Math.ulp(1.0f);
    float[] a = {0, 0.5f, eps / 2, 1, 2, -3, 4, 1e-8f, 5, 6};
    float[] b = {0, 0, 0, 0, 0, 1, 2, 3, 4, 5};
    Weights dense = Weights.builder().put("a", new long[] {10}, a).put("b", new long[] {2, 5}, b)
        .build();
    boolean[] keepA = {true, true, true, true, false, false, false, false, false, false};
    boolean[] keepB = {false, false, true, true, true, true, true, true, true, true};
    Mask ticket = Mask.builder().put("a", new long[] {10}, keepA).put("b", new long[] {2, 5}, keepB)
        .build();
    for (long seed = 0; seed < 20; seed++) {
      Mask n = ControlMasks.of(new Control.NaturalRandom(Control.MACHINE_EPSILON), ticket, seed,
          dense);
      assertThat(n.kept("a")).isEqualTo(4);
      assertThat(n.kept("b")).isEqualTo(8);
      boolean[] na = n.toBooleans("a");
      for (int i : new int[] {0, 2, 7}) {
        assertThat(na[i]).as("natural zero %s of a", i).isFalse();
      }
      boolean[] nb = n.toBooleans("b");
      for (int i = 5; i < 10; i++) {
        assertThat(nb[i]).as("ordinary weight %s of b", i).isTrue();
      }
    }
    assertThat(ControlMasks.naturalZeroCounts(ticket, dense, Control.MACHINE_EPSILON))
        .containsExactly(java.util.Map.entry("a", 3L), java.util.Map.entry("b", 5L));
  }

  @Test
  void naturalRandomNamesAMissingOrReshapedLayer() {
    Mask ticket = Mask.dense(java.util.Map.of("a", new long[] {4}));
    Weights other = Weights.builder().put("a", new long[] {2, 2}, new float[4]).build();
    assertThatThrownBy(() -> ControlMasks.naturalRandom(ticket, other, 0, 1))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("parameter a")
        .hasMessageContaining("(2, 2)");
  }

  @Test
  void reinitAndRetrainKeepTheMask() {
    Mask m = found();
    assertThat(ControlMasks.of(new Control.Reinit(), m, 1, null)).isEqualTo(m);
    assertThat(ControlMasks.of(new Control.Retrain(), m, 1, null)).isEqualTo(m);
  }

  @Test
  void controlsParseAndPrintTheirSpec() {
    for (String spec : new String[] {"reinit", "random-mask", "random-global", "complement",
        "perturbed:10", "perturbed:2.5", "natural-random", "natural-random:0.001", "retrain"}) {
      assertThat(Control.parse(spec).spec()).isEqualTo(spec);
    }
    assertThat(Control.parse("perturbed:10").directoryName()).isEqualTo("perturbed-10");
    assertThat(Control.parse("Perturbed:10%")).isEqualTo(new Control.Perturbed(10));
    assertThat(Control.parse("natural-random")).isEqualTo(
        new Control.NaturalRandom(Math.ulp(1.0f)));
  }

  @Test
  void badControlsAreNamed() {
    assertThatThrownBy(() -> Control.parse("perturbed:0")).hasMessageContaining("(0, 100]");
    assertThatThrownBy(() -> Control.parse("perturbed:101")).hasMessageContaining("(0, 100]");
    assertThatThrownBy(() -> Control.parse("perturbed")).hasMessageContaining("perturbed:10");
    assertThatThrownBy(() -> Control.parse("perturbed:x")).hasMessageContaining("'x'");
    assertThatThrownBy(() -> Control.parse("reinit:3")).hasMessageContaining("takes no argument");
    assertThatThrownBy(() -> Control.parse("shuffle")).hasMessageContaining("unknown control")
        .hasMessageContaining("random-mask");
  }
}
