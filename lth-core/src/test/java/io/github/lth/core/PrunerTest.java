package io.github.lth.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.lth.core.prune.PruningCriteria;
import io.github.lth.core.prune.PruningScope;
import io.github.lth.core.schedule.PruningSchedule;
import io.github.lth.core.schedule.PruningSchedules;
import io.github.lth.core.select.LowestSelections;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class PrunerTest {

  /** The prunable layers of LeNet-300-100: 266,200 weights. */
  private static final Map<String, long[]> LENET = shapes(
      "fc1.weight", new long[] {300, 784},
      "fc2.weight", new long[] {100, 300},
      "fc3.weight", new long[] {10, 100});

  private static final Map<String, long[]> SMALL = shapes(
      "a", new long[] {1000},
      "b", new long[] {30, 100},
      "c", new long[] {2, 133});

  @Test
  void impRoundsPruneExactlyTheRoundedRateOfTheRemainingGlobally() {
    Weights w = gaussian(SMALL, 11);
    PruningSchedule imp = PruningSchedules.imp(0.2, 0.9);
    Mask mask = Mask.dense(SMALL);
    assertThat(mask.size()).isEqualTo(4266);
    List<Long> kept = new ArrayList<>();
    for (int round = 1; round <= imp.rounds(); round++) {
      long before = mask.kept();
      Mask next = Pruner.prune(mask, magnitude(mask, w), PruningScope.GLOBAL, imp, round);
      assertThat(next.kept()).isEqualTo(before - (long) Math.rint(0.2 * before));
      assertThat(next.andNot(mask).kept()).as("nothing pruned comes back").isZero();
      assertLowestMagnitudesPruned(next, w);
      kept.add(next.kept());
      mask = next;
    }
    assertThat(kept).containsExactly(3413L, 2730L, 2184L, 1747L, 1398L, 1118L, 894L, 715L, 572L,
        458L);
  }

  @Test
  void tenImpRoundsOnLenetGiveTheTextbookSparsities() {
    Weights w = gaussian(LENET, 5);
    PruningSchedule imp = PruningSchedules.imp(0.2, 0.9);
    Mask mask = Mask.dense(LENET);
    assertThat(mask.size()).isEqualTo(266_200);
    List<String> printed = new ArrayList<>();
    for (int round = 1; round <= imp.rounds(); round++) {
      mask = Pruner.prune(mask, magnitude(mask, w), PruningScope.GLOBAL, imp, round);
      printed.add(String.format("%.2f", 100 * mask.sparsity()));
    }
    assertThat(printed).containsExactly("20.00", "36.00", "48.80", "59.04", "67.23", "73.79",
        "79.03", "83.22", "86.58", "89.26");
    assertThat(mask.kept()).isEqualTo(28_583);   // 266200 → 212960 → ... → 35729 → 28583
    assertLowestMagnitudesPruned(mask, w);
  }

  @Test
  void prunedWeightsStayPrunedEvenWhenTheirScoreBecomesTheLargest() {
    Weights w = gaussian(SMALL, 3);
    PruningSchedule imp = PruningSchedules.imp(0.2, 0.9);
    Mask first = Pruner.prune(Mask.dense(SMALL), magnitude(Mask.dense(SMALL), w),
        PruningScope.GLOBAL, imp, 1);
    // pruned weights now score 1e30, far above every kept weight
    Weights.Builder flipped = Weights.builder();
    for (String layer : first.layers()) {
      float[] s = abs(w.values(layer));
      for (int i = 0; i < s.length; i++) {
        if (!first.isKept(layer, i)) {
          s[i] = 1e30f;
        }
      }
      flipped.put(layer, first.shape(layer), s);
    }
    Mask second = Pruner.prune(first, Scores.of(flipped.build()), PruningScope.GLOBAL, imp, 2);
    assertThat(second.kept()).isEqualTo(2730);
    assertThat(second.andNot(first).kept()).isZero();
    assertLowestMagnitudesPruned(second, w);
  }

  @Test
  void layerScopeGivesEveryLayerItsOwnExactCount() {
    Weights w = gaussian(SMALL, 8);
    PruningSchedule imp = PruningSchedules.imp(0.2, 0.9);
    Mask mask = Mask.dense(SMALL);
    for (int round = 1; round <= 4; round++) {
      Mask next = Pruner.prune(mask, magnitude(mask, w), PruningScope.LAYER, imp, round);
      for (String layer : SMALL.keySet()) {
        long before = mask.kept(layer);
        assertThat(next.kept(layer)).as("%s round %s", layer, round)
            .isEqualTo(before - (long) Math.rint(0.2 * before));
        assertLowestMagnitudesPruned(next, w, List.of(layer));
      }
      mask = next;
    }
    assertThat(mask.kept("a")).isEqualTo(410);   // 1000 → 800 → 640 → 512 → 410 (409.6)
    assertThat(mask.kept("b")).isEqualTo(1229);  // 3000 → 2400 → 1920 → 1536 → 1229 (1228.8)
    assertThat(mask.kept("c")).isEqualTo(109);   // 266 → 213 → 170 → 136 → 109 (108.8)
  }

  @Test
  void tiesArePrunedLowerLayerFirstThenLowerIndex() {
    Map<String, long[]> shapes = shapes("x", new long[] {4}, "y", new long[] {2, 2});
    Weights scores = Weights.builder()
        .put("x", new long[] {4}, new float[] {2f, 1f, 1f, 3f})
        .put("y", new long[] {2, 2}, new float[] {1f, -0.0f, 1f, 1f})
        .build();
    Mask half = Pruner.pruneTo(Mask.dense(shapes), Scores.of(scores), PruningScope.GLOBAL, 0.5);
    assertThat(half.toBooleans("x")).containsExactly(true, false, false, true);
    assertThat(half.toBooleans("y")).containsExactly(false, false, true, true);

    Weights flat = Weights.builder()
        .put("x", new long[] {4}, new float[] {7f, 7f, 7f, 7f})
        .put("y", new long[] {2, 2}, new float[] {7f, 7f, 7f, 7f})
        .build();
    Mask five = Pruner.pruneTo(Mask.dense(shapes), Scores.of(flat), PruningScope.GLOBAL, 0.625);
    assertThat(five.toBooleans("x")).containsExactly(false, false, false, false);
    assertThat(five.toBooleans("y")).containsExactly(false, true, true, true);
    Mask sorted = Pruner.prune(Mask.dense(shapes), Scores.of(flat), PruningScope.GLOBAL,
        PruningSchedules.oneShot(0.625), 1, LowestSelections.sorting());
    assertThat(sorted).isEqualTo(five);
  }

  @Test
  void pruneToFromDenseKeepsTheRoundedComplement() {
    Weights w = gaussian(SMALL, 21);
    Mask m = Pruner.pruneTo(Mask.dense(SMALL), magnitude(Mask.dense(SMALL), w),
        PruningScope.GLOBAL, 0.8);
    assertThat(m.kept()).isEqualTo(4266 - Math.round(0.8 * 4266));   // 853
    assertLowestMagnitudesPruned(m, w);

    Mask layered = Pruner.pruneTo(Mask.dense(SMALL), magnitude(Mask.dense(SMALL), w),
        PruningScope.LAYER, 0.8);
    assertThat(layered.kept("a")).isEqualTo(200);
    assertThat(layered.kept("b")).isEqualTo(600);
    assertThat(layered.kept("c")).isEqualTo(53);   // 266 − round(212.8)
  }

  @Test
  void pruneToFromAPreviousMaskOnlyPrunesMoreAndHitsTheTargetCount() {
    Weights w = gaussian(SMALL, 4);
    Mask dense = Mask.dense(SMALL);
    Mask previous = Pruner.pruneTo(dense, PruningCriteria.random(1).score(Subnetwork.of(dense, w)),
        PruningScope.GLOBAL, 0.3);
    assertThat(previous.kept()).isEqualTo(2986);
    Mask m = Pruner.pruneTo(previous, magnitude(previous, w), PruningScope.GLOBAL, 0.9);
    assertThat(m.kept()).isEqualTo(4266 - Math.round(0.9 * 4266));   // 427
    assertThat(m.andNot(previous).kept()).isZero();
    // among the weights the random mask had kept, the lowest magnitudes went
    float maxNewlyPruned = Float.NEGATIVE_INFINITY;
    float minKept = Float.POSITIVE_INFINITY;
    for (String layer : SMALL.keySet()) {
      float[] v = w.values(layer);
      for (int i = 0; i < v.length; i++) {
        if (m.isKept(layer, i)) {
          minKept = Math.min(minKept, Math.abs(v[i]));
        } else if (previous.isKept(layer, i)) {
          maxNewlyPruned = Math.max(maxNewlyPruned, Math.abs(v[i]));
        }
      }
    }
    assertThat(maxNewlyPruned).isLessThanOrEqualTo(minKept);

    Mask same = Pruner.pruneTo(previous, magnitude(previous, w), PruningScope.GLOBAL, 0.3);
    assertThat(same).isEqualTo(previous);
  }

  @Test
  void pruneToRefusesAPreviousMaskThatIsAlreadySparser() {
    Map<String, long[]> shapes = shapes("fc1", new long[] {10, 100}, "fc2", new long[] {1000});
    Weights w = gaussian(shapes, 2);
    Mask sparse = Pruner.pruneTo(Mask.dense(shapes), magnitude(Mask.dense(shapes), w),
        PruningScope.LAYER, 0.8);
    assertThat(sparse.sparsity()).isEqualTo(0.8);
    assertThatThrownBy(() -> Pruner.pruneTo(sparse, magnitude(sparse, w), PruningScope.GLOBAL,
        0.5))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("previous mask is already 0.8 sparse, more than the 0.5 asked for");
    assertThatThrownBy(() -> Pruner.pruneTo(sparse, magnitude(sparse, w), PruningScope.LAYER,
        0.5))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("previous mask layer fc1 is already 0.8 sparse, more than the 0.5 asked"
            + " for");
    assertThatThrownBy(() -> Pruner.pruneTo(sparse, magnitude(sparse, w), PruningScope.GLOBAL,
        1.0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("sparsity must be in [0, 1): 1.0");
  }

  @Test
  void nonFiniteScoreNamesTheLayerUnlessThatWeightIsAlreadyPruned() {
    Map<String, long[]> shapes = shapes("fc1.weight", new long[] {2, 3}, "fc2.weight",
        new long[] {3, 3});
    float[] bad = {0.5f, 0.1f, 0.2f, 0.3f, 0.4f, Float.NaN, 0.6f, 0.7f, 0.8f};
    Scores scores = Scores.of(Weights.builder()
        .put("fc1.weight", new long[] {2, 3}, new float[] {1, 2, 3, 4, 5, 6})
        .put("fc2.weight", new long[] {3, 3}, bad)
        .build());
    assertThatThrownBy(() -> Pruner.pruneTo(Mask.dense(shapes), scores, PruningScope.GLOBAL,
        0.2))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("layer fc2.weight holds a non-finite score (NaN at flat index 5)");
    assertThatThrownBy(() -> Pruner.pruneTo(Mask.dense(shapes), scores, PruningScope.LAYER, 0.2))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("layer fc2.weight holds a non-finite score (NaN at flat index 5)");

    boolean[] without5 = {true, true, true, true, true, false, true, true, true};
    Mask previous = Mask.builder().put("fc1.weight", new long[] {2, 3}, new boolean[] {
        true, true, true, true, true, true}).put("fc2.weight", new long[] {3, 3}, without5).build();
    Mask m = Pruner.pruneTo(previous, scores, PruningScope.GLOBAL, 0.2);
    assertThat(m.toBooleans("fc2.weight"))
        .containsExactly(true, false, false, true, true, false, true, true, true);
  }

  @Test
  void mismatchedScoresAreRefusedByLayerName() {
    Mask mask = Mask.dense(shapes("fc", new long[] {2, 2}));
    Scores wrongShape = Scores.of(Weights.builder().put("fc", new long[] {4}, new float[4])
        .build());
    assertThatThrownBy(() -> Pruner.pruneTo(mask, wrongShape, PruningScope.GLOBAL, 0.5))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("layer fc: scores of shape (4,) for a mask of shape (2, 2)");
    Scores missing = Scores.of(Weights.builder().put("other", new long[] {2, 2}, new float[4])
        .build());
    assertThatThrownBy(() -> Pruner.pruneTo(mask, missing, PruningScope.GLOBAL, 0.5))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("the criterion gave no scores for layer fc");
  }

  @Test
  void magnitudeScoresReadFromTheWeightsPruneAsMaterializedMagnitudesDo() {
    // adversarial weights: |w| ties across signs, ±0.0, subnormals, a few repeated values
    float[] pool = {-1f, 1f, -0.0f, 0.0f, Float.MIN_VALUE, -Float.MIN_VALUE, 1e-40f, -1e-40f,
        0.25f, -0.25f, 3e38f, -3e38f};
    SplittableRandom rng = new SplittableRandom(77);
    Weights.Builder b = Weights.builder();
    SMALL.forEach((name, shape) -> {
      float[] v = new float[Math.toIntExact(Shapes.size(shape))];
      for (int i = 0; i < v.length; i++) {
        v[i] = rng.nextInt(3) == 0 ? pool[rng.nextInt(pool.length)]
            : (float) (rng.nextDouble() - 0.5);
      }
      b.putOwned(name, shape, v);
    });
    Weights w = b.build();
    PruningSchedule imp = PruningSchedules.imp(0.2, 0.9);
    for (PruningScope scope : PruningScope.values()) {
      Mask mask = Mask.dense(SMALL);
      for (int round = 1; round <= 4; round++) {
        Scores onTheFly = PruningCriteria.magnitude().score(Subnetwork.of(mask, w));
        Weights.Builder abs = Weights.builder();
        for (String layer : mask.layers()) {
          abs.putOwned(layer, mask.shape(layer), abs(w.values(layer)));
        }
        Mask reference = Pruner.prune(mask, Scores.of(abs.build()), scope, imp, round,
            LowestSelections.sorting());
        Mask next = Pruner.prune(mask, onTheFly, scope, imp, round);
        assertThat(next).as("%s round %s", scope, round).isEqualTo(reference);
        assertThat(Pruner.prune(mask, onTheFly, scope, imp, round, LowestSelections.sorting()))
            .isEqualTo(reference);
        mask = next;
      }
    }
  }

  @Test
  void magnitudeScoresShowTheirMagnitudesWithoutCopyingTheWeights() {
    float[] v = {-2f, -0.0f, 3f, Float.NEGATIVE_INFINITY, -1e-40f, 0.5f};
    Weights w = Weights.builder().put("fc", new long[] {2, 3}, v).build();
    Mask mask = Mask.dense(shapes("fc", new long[] {2, 3}));
    Scores s = PruningCriteria.magnitude().score(Subnetwork.of(mask, w));
    float[] expected = abs(v);
    assertThat(s.values("fc")).containsExactly(expected);
    float[] viewed = new float[6];
    s.view("fc").get(viewed);
    assertThat(viewed).containsExactly(expected);
    assertThat(s.asWeights().values("fc")).containsExactly(expected);
    assertThat(s.shape("fc")).containsExactly(2, 3);
    // the weights themselves, not a copy, back the scores
    assertThat(s.raw("fc")).isSameAs(w.raw("fc"));
    assertThat(Float.floatToRawIntBits(s.values("fc")[1])).isZero();
    assertThatThrownBy(() -> Pruner.pruneTo(mask, s, PruningScope.GLOBAL, 0.5))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("layer fc holds a non-finite score (Infinity at flat index 3)");
  }

  // ---- PyTorch torch.nn.utils.prune semantics, emulated in plain Java -------------------------

  @Test
  void impRoundsEqualTorchGlobalUnstructuredOnUntiedWeights() {
    Weights w = untied(SMALL, 17);
    PruningSchedule imp = PruningSchedules.imp(0.2, 0.9);
    Mask mask = Mask.dense(SMALL);
    boolean[][] torch = denseBooleans(SMALL);
    for (int round = 1; round <= imp.rounds(); round++) {
      mask = Pruner.prune(mask, magnitude(mask, w), PruningScope.GLOBAL, imp, round);
      torch = torchGlobalUnstructured(w, List.copyOf(SMALL.keySet()), torch, 0.2);
      assertSameAs(mask, torch, "round " + round);
    }
  }

  @Test
  void layerScopeEqualsTorchL1UnstructuredPerLayer() {
    Weights w = untied(SMALL, 23);
    PruningSchedule imp = PruningSchedules.imp(0.2, 0.9);
    Mask mask = Mask.dense(SMALL);
    boolean[][] torch = denseBooleans(SMALL);
    List<String> names = List.copyOf(SMALL.keySet());
    for (int round = 1; round <= 5; round++) {
      mask = Pruner.prune(mask, magnitude(mask, w), PruningScope.LAYER, imp, round);
      for (int l = 0; l < names.size(); l++) {
        torch[l] = torchGlobalUnstructured(w, List.of(names.get(l)), new boolean[][] {torch[l]},
            0.2)[0];
      }
      assertSameAs(mask, torch, "round " + round);
    }
  }

  @Test
  void pruneToEqualsTorchGlobalUnstructuredWithAFloatOrCountAmount() {
    Weights w = untied(SMALL, 29);
    List<String> names = List.copyOf(SMALL.keySet());
    // from dense, a float amount prunes round(amount × size): the same as pruneTo's count
    for (double s : new double[] {0.1, 0.25, 0.5, 0.8, 0.95}) {
      Mask ours = Pruner.pruneTo(Mask.dense(SMALL), magnitude(Mask.dense(SMALL), w),
          PruningScope.GLOBAL, s);
      assertSameAs(ours, torchGlobalUnstructured(w, names, denseBooleans(SMALL), s), "s=" + s);
    }
    // from a previous mask, torch needs the count still to prune as an int amount
    Mask previous = Pruner.pruneTo(Mask.dense(SMALL), magnitude(Mask.dense(SMALL), w),
        PruningScope.GLOBAL, 0.36);
    boolean[][] prev = new boolean[names.size()][];
    for (int l = 0; l < names.size(); l++) {
      prev[l] = previous.toBooleans(names.get(l));
    }
    Mask ours = Pruner.pruneTo(previous, magnitude(previous, w), PruningScope.GLOBAL, 0.8932);
    long target = Math.round(0.8932 * 4266);   // 3810
    assertSameAs(ours, torchGlobalUnstructured(w, names, prev, (int) (target - previous.pruned())),
        "from 0.36 to 0.8932");
  }

  /**
   * {@code torch.nn.utils.prune.global_unstructured(params, L1Unstructured, amount)} as PyTorch
   * computes it: within the weights not yet pruned, a float amount prunes {@code round(amount ×
   * remaining)} (Python's round, half to even), an int amount prunes exactly that many; the ones
   * pruned are those of lowest |w| over all the given tensors together.
   */
  private static boolean[][] torchGlobalUnstructured(Weights w, List<String> names,
      boolean[][] mask, Number amount) {
    List<float[]> remaining = new ArrayList<>();   // {|w|, tensor, index}
    for (int t = 0; t < names.size(); t++) {
      float[] v = w.values(names.get(t));
      for (int i = 0; i < v.length; i++) {
        if (mask[t][i]) {
          remaining.add(new float[] {Math.abs(v[i]), t, i});
        }
      }
    }
    long prune = amount instanceof Integer n ? n
        : new BigDecimal(amount.doubleValue() * remaining.size())
            .setScale(0, RoundingMode.HALF_EVEN).longValueExact();
    remaining.sort(Comparator.comparingDouble(r -> r[0]));
    boolean[][] out = new boolean[mask.length][];
    for (int t = 0; t < mask.length; t++) {
      out[t] = mask[t].clone();
    }
    for (int k = 0; k < prune; k++) {
      float[] r = remaining.get(k);
      out[(int) r[1]][(int) r[2]] = false;
    }
    return out;
  }

  private static void assertSameAs(Mask mask, boolean[][] torch, String what) {
    List<String> names = mask.layers();
    for (int l = 0; l < names.size(); l++) {
      assertThat(mask.toBooleans(names.get(l))).as("%s, %s", what, names.get(l))
          .isEqualTo(torch[l]);
    }
  }

  private static boolean[][] denseBooleans(Map<String, long[]> shapes) {
    boolean[][] out = new boolean[shapes.size()][];
    int l = 0;
    for (long[] shape : shapes.values()) {
      out[l] = new boolean[Math.toIntExact(Shapes.size(shape))];
      Arrays.fill(out[l++], true);
    }
    return out;
  }

  // ---- helpers ----------------------------------------------------------------------------------

  /** Checks, per group, that no pruned weight has a larger |w| than any kept weight. */
  private static void assertLowestMagnitudesPruned(Mask mask, Weights w) {
    assertLowestMagnitudesPruned(mask, w, mask.layers());
  }

  private static void assertLowestMagnitudesPruned(Mask mask, Weights w, List<String> group) {
    float maxPruned = Float.NEGATIVE_INFINITY;
    float minKept = Float.POSITIVE_INFINITY;
    for (String layer : group) {
      float[] v = w.values(layer);
      for (int i = 0; i < v.length; i++) {
        float a = Math.abs(v[i]);
        if (mask.isKept(layer, i)) {
          minKept = Math.min(minKept, a);
        } else {
          maxPruned = Math.max(maxPruned, a);
        }
      }
    }
    assertThat(maxPruned).as("largest pruned |w| of %s", group).isLessThanOrEqualTo(minKept);
  }

  private static Scores magnitude(Mask mask, Weights w) {
    return PruningCriteria.magnitude().score(Subnetwork.of(mask, w));
  }

  private static float[] abs(float[] v) {
    float[] out = new float[v.length];
    for (int i = 0; i < v.length; i++) {
      out[i] = Math.abs(v[i]);
    }
    return out;
  }

  private static Weights gaussian(Map<String, long[]> shapes, long seed) {
    SplittableRandom rng = new SplittableRandom(seed);
    Weights.Builder b = Weights.builder();
    shapes.forEach((name, shape) -> {
      float[] v = new float[Math.toIntExact(Shapes.size(shape))];
      for (int i = 0; i < v.length; i++) {
        double u = rng.nextDouble(Double.MIN_NORMAL, 1.0);
        v[i] = (float) (0.05 * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI
            * rng.nextDouble()));
      }
      b.putOwned(name, shape, v);
    });
    return b.build();
  }

  /** Weights whose magnitudes are all different: a shuffled ladder k / 4096 with random signs. */
  private static Weights untied(Map<String, long[]> shapes, long seed) {
    SplittableRandom rng = new SplittableRandom(seed);
    int total = 0;
    for (long[] s : shapes.values()) {
      total += Math.toIntExact(Shapes.size(s));
    }
    int[] ladder = new int[total];
    for (int i = 0; i < total; i++) {
      ladder[i] = i + 1;
    }
    for (int i = total - 1; i > 0; i--) {
      int j = rng.nextInt(i + 1);
      int t = ladder[i];
      ladder[i] = ladder[j];
      ladder[j] = t;
    }
    Weights.Builder b = Weights.builder();
    int k = 0;
    for (Map.Entry<String, long[]> e : shapes.entrySet()) {
      float[] v = new float[Math.toIntExact(Shapes.size(e.getValue()))];
      for (int i = 0; i < v.length; i++) {
        v[i] = (rng.nextBoolean() ? 1 : -1) * ladder[k++] / 4096f;
      }
      b.putOwned(e.getKey(), e.getValue(), v);
    }
    return b.build();
  }

  private static Map<String, long[]> shapes(Object... nameThenShape) {
    Map<String, long[]> out = new LinkedHashMap<>();
    for (int i = 0; i < nameThenShape.length; i += 2) {
      out.put((String) nameThenShape[i], (long[]) nameThenShape[i + 1]);
    }
    return out;
  }
}
