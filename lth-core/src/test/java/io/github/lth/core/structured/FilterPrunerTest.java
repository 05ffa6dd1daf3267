package io.github.lth.core.structured;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.lth.core.Imp;
import io.github.lth.core.ImpResult;
import io.github.lth.core.Mask;
import io.github.lth.core.Round;
import io.github.lth.core.Subnetwork;
import io.github.lth.core.prune.ParameterSelectors;
import io.github.lth.core.prune.PruningScope;
import io.github.lth.core.schedule.PruningSchedule;
import io.github.lth.core.schedule.PruningSchedules;
import io.github.lth.core.testing.ToyModel;
import io.github.lth.core.testing.ToyTask;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class FilterPrunerTest {

  /** A filter layer of the test masks, written out by hand (not by FilterLayout). */
  private record Layer(String name, long[] shape, List<String> companions) {
    int filters() {
      return (int) shape[0];
    }

    int filterSize() {
      int n = 1;
      for (int i = 1; i < shape.length; i++) {
        n *= (int) shape[i];
      }
      return n;
    }
  }

  /** conv 6 filters + bias + BatchNorm gamma, beta; conv 5 filters alone; linear 7 + bias. */
  private static final List<Layer> LAYERS = List.of(
      new Layer("c1", new long[] {6, 2, 3, 3}, List.of("c1b", "bn1g", "bn1b")),
      new Layer("c2", new long[] {5, 6, 2, 2}, List.of()),
      new Layer("fc", new long[] {7, 20}, List.of("fcb")));

  private static Mask dense() {
    return randomMask(new SplittableRandom(0), 0, 0);
  }

  /**
   * A mask whose filters are each entirely pruned with probability {@code filterDrop}, and whose
   * other weights (companions included) are pruned one by one with probability {@code weightDrop}.
   */
  private static Mask randomMask(SplittableRandom rng, double filterDrop, double weightDrop) {
    Mask.Builder b = Mask.builder();
    for (Layer l : LAYERS) {
      boolean[] row = new boolean[l.filters() * l.filterSize()];
      boolean[][] comp = new boolean[l.companions().size()][l.filters()];
      for (int f = 0; f < l.filters(); f++) {
        boolean gone = rng.nextDouble() < filterDrop;
        for (int i = 0; i < l.filterSize(); i++) {
          row[f * l.filterSize() + i] = !gone && rng.nextDouble() >= weightDrop;
        }
        for (boolean[] c : comp) {
          c[f] = !gone && rng.nextDouble() >= weightDrop;
        }
      }
      b.put(l.name(), l.shape(), row);
      for (int c = 0; c < comp.length; c++) {
        b.put(l.companions().get(c), new long[] {l.filters()}, comp[c]);
      }
    }
    return b.build();
  }

  /** Scores drawn from a few values, so ties are common. */
  private static FilterScores randomScores(SplittableRandom rng) {
    FilterScores.Builder b = FilterScores.builder();
    for (Layer l : LAYERS) {
      double[] s = new double[l.filters()];
      for (int f = 0; f < s.length; f++) {
        s[f] = rng.nextInt(4) * 0.5 - (rng.nextBoolean() ? 0.0 : -0.0);
      }
      b.put(l.name(), s);
    }
    return b.build();
  }

  private static boolean kept(Mask m, Layer l, int f) {
    for (int i = 0; i < l.filterSize(); i++) {
      if (m.isKept(l.name(), (long) f * l.filterSize() + i)) {
        return true;
      }
    }
    for (String c : l.companions()) {
      if (m.isKept(c, f)) {
        return true;
      }
    }
    return false;
  }

  /**
   * The brute-force reference: list the kept filters of each group, sort them by (score, layer,
   * filter), clear the first ones' rows and companion entries.
   */
  private static Mask reference(Mask m, FilterScores scores, PruningScope scope,
      PruningSchedule schedule, int round) {
    List<List<int[]>> groups = new ArrayList<>();
    List<Integer> totals = new ArrayList<>();
    if (scope == PruningScope.GLOBAL) {
      groups.add(new ArrayList<>());
      totals.add(LAYERS.stream().mapToInt(Layer::filters).sum());
    }
    for (int l = 0; l < LAYERS.size(); l++) {
      if (scope == PruningScope.LAYER) {
        groups.add(new ArrayList<>());
        totals.add(LAYERS.get(l).filters());
      }
      for (int f = 0; f < LAYERS.get(l).filters(); f++) {
        if (kept(m, LAYERS.get(l), f)) {
          groups.get(groups.size() - 1).add(new int[] {l, f});
        }
      }
    }
    Map<String, boolean[]> bits = new LinkedHashMap<>();
    for (String layer : m.layers()) {
      bits.put(layer, m.toBooleans(layer));
    }
    for (int g = 0; g < groups.size(); g++) {
      List<int[]> candidates = groups.get(g);
      long keep = schedule.keptAfter(round, candidates.size(), totals.get(g));
      candidates.sort(Comparator
          .<int[]>comparingDouble(x -> scores.scores(LAYERS.get(x[0]).name())[x[1]] == 0 ? 0
              : scores.scores(LAYERS.get(x[0]).name())[x[1]])
          .thenComparingInt(x -> x[0]).thenComparingInt(x -> x[1]));
      List<int[]> pruned = new ArrayList<>(candidates.subList(0, (int) (candidates.size() - keep)));
      if (scope == PruningScope.GLOBAL) {
        pruned = sparingLastFilters(candidates, candidates.size() - (int) keep);
      }
      for (int[] x : pruned) {
        Layer l = LAYERS.get(x[0]);
        int f = x[1];
        for (int j = 0; j < l.filterSize(); j++) {
          bits.get(l.name())[f * l.filterSize() + j] = false;
        }
        for (String c : l.companions()) {
          bits.get(c)[f] = false;
        }
      }
    }
    Mask.Builder b = Mask.builder();
    bits.forEach((name, v) -> b.put(name, m.shape(name), v));
    return b.build();
  }

  /**
   * The first {@code n} of the sorted candidates, except that a candidate that is its layer's
   * last remaining one is passed over while enough others follow (then taken in order after all).
   */
  private static List<int[]> sparingLastFilters(List<int[]> sorted, int n) {
    Map<Integer, Integer> left = new LinkedHashMap<>();
    for (int[] x : sorted) {
      left.merge(x[0], 1, Integer::sum);
    }
    List<int[]> out = new ArrayList<>();
    List<int[]> passed = new ArrayList<>();
    for (int[] x : sorted) {
      if (out.size() == n) {
        break;
      }
      if (left.get(x[0]) == 1) {
        passed.add(x);
      } else {
        out.add(x);
        left.merge(x[0], -1, Integer::sum);
      }
    }
    for (int i = 0; out.size() < n; i++) {
      out.add(passed.get(i));
    }
    return out;
  }

  private static int[] keptCounts(Mask m) {
    int[] out = new int[LAYERS.size()];
    for (int l = 0; l < LAYERS.size(); l++) {
      for (int f = 0; f < LAYERS.get(l).filters(); f++) {
        out[l] += kept(m, LAYERS.get(l), f) ? 1 : 0;
      }
    }
    return out;
  }

  @Test
  void aGlobalScopeSparesALayersLastFilterWhileOthersCanGo() {
    Mask dense = Mask.builder()
        .put("a", new long[] {2, 1}, new boolean[] {true, true})
        .put("b", new long[] {3, 1}, new boolean[] {true, true, true})
        .build();
    // a's filters score lowest: by order alone both would go, emptying a
    FilterScores scores = FilterScores.builder().put("a", new double[] {0.1, 0.2})
        .put("b", new double[] {1, 2, 3}).build();
    Mask two = FilterPruner.pruneTo(dense, scores, PruningScope.GLOBAL, 0.4);
    assertThat(two.toBooleans("a")).containsExactly(false, true);
    assertThat(two.toBooleans("b")).containsExactly(false, true, true);
    // when nothing else is left, the last filters go too, and the count stays exact
    Mask four = FilterPruner.pruneTo(dense, scores, PruningScope.GLOBAL, 0.8);
    assertThat(four.toBooleans("a")).containsExactly(false, false);
    assertThat(four.toBooleans("b")).containsExactly(false, false, true);
    // a layer scope prunes each layer by its own count: no sparing needed or done
    // (a: round(0.5 × 2) = 1 goes; b: round(0.5 × 3) = 2 go, half to even)
    Mask layer = FilterPruner.pruneTo(dense, scores, PruningScope.LAYER, 0.5);
    assertThat(layer.toBooleans("a")).containsExactly(false, true);
    assertThat(layer.toBooleans("b")).containsExactly(false, false, true);
  }

  @Test
  void matchesTheBruteForceOnRandomMasksAndTiedScores() {
    SplittableRandom rng = new SplittableRandom(11);
    List<PruningSchedule> schedules = List.of(PruningSchedules.imp(0.2, 0.99),
        PruningSchedules.imp(0.5, 0.99), PruningSchedules.oneShot(0.4),
        PruningSchedules.oneShot(0.9));
    int changed = 0;
    for (int trial = 0; trial < 200; trial++) {
      Mask m = randomMask(rng, rng.nextDouble() * 0.5, rng.nextInt(3) * 0.3);
      FilterScores s = randomScores(rng);
      PruningSchedule schedule = schedules.get(trial % schedules.size());
      int round = schedule.rounds() == 1 ? 1 : 1 + rng.nextInt(3);
      for (PruningScope scope : PruningScope.values()) {
        Mask expected = reference(m, s, scope, schedule, round);
        assertThat(FilterPruner.prune(m, s, scope, schedule, round))
            .as("trial %s, %s", trial, scope).isEqualTo(expected);
        changed += expected.equals(m) ? 0 : 1;
      }
    }
    assertThat(changed).as("most trials prune something").isGreaterThan(300);
  }

  @Test
  void tiesGoToTheLowerLayerThenTheLowerFilter() {
    FilterScores.Builder b = FilterScores.builder();
    for (Layer l : LAYERS) {
      double[] zeros = new double[l.filters()];
      zeros[0] = -0.0;
      b.put(l.name(), zeros);
    }
    Mask next = FilterPruner.prune(dense(), b.build(), PruningScope.GLOBAL,
        PruningSchedules.oneShot(0.5), 1);
    // 18 filters, 9 go: filters 0 to 4 of c1 (its last one is spared), then 0 to 3 of c2
    assertThat(keptCounts(next)).containsExactly(1, 1, 7);
    assertThat(next.toBooleans("c1b")).containsExactly(false, false, false, false, false, true);
    assertThat(next.toBooleans("c2")).startsWith(new boolean[24 * 4]);
    assertThat(next.kept("c2")).isEqualTo(24);
    assertThat(next.kept("c1b") + next.kept("bn1g") + next.kept("bn1b")).isEqualTo(3);
  }

  @Test
  void impRoundsKeepExactFilterCountsWithCompanionsFollowing() {
    PruningSchedule imp = PruningSchedules.imp(0.2, 0.7);
    SplittableRandom rng = new SplittableRandom(3);
    Mask global = dense();
    Mask layer = dense();
    List<Integer> globalKept = new ArrayList<>();
    List<List<Integer>> layerKept = new ArrayList<>();
    for (int round = 1; round <= 5; round++) {
      global = FilterPruner.prune(global, randomScores(rng), PruningScope.GLOBAL, imp, round);
      layer = FilterPruner.prune(layer, randomScores(rng), PruningScope.LAYER, imp, round);
      globalKept.add(java.util.Arrays.stream(keptCounts(global)).sum());
      layerKept.add(java.util.Arrays.stream(keptCounts(layer)).boxed().toList());
      for (Mask m : List.of(global, layer)) {
        assertAllOrNothing(m);
      }
    }
    // 18 filters: 18 - round(3.6) = 14, 14 - round(2.8) = 11, 9, 7, 6
    assertThat(globalKept).containsExactly(14, 11, 9, 7, 6);
    // 6 -> 5, 4, 3, 2, 2; 5 -> 4, 3, 2, 2, 2; 7 -> 6, 5, 4, 3, 2
    assertThat(layerKept).containsExactly(List.of(5, 4, 6), List.of(4, 3, 5), List.of(3, 2, 4),
        List.of(2, 2, 3), List.of(2, 2, 2));
  }

  /** Every filter is kept or pruned as a whole: its row and its companion entries. */
  private static void assertAllOrNothing(Mask m) {
    for (Layer l : LAYERS) {
      for (int f = 0; f < l.filters(); f++) {
        boolean k = m.isKept(l.name(), (long) f * l.filterSize());
        for (int i = 0; i < l.filterSize(); i++) {
          assertThat(m.isKept(l.name(), (long) f * l.filterSize() + i)).isEqualTo(k);
        }
        for (String c : l.companions()) {
          assertThat(m.isKept(c, f)).as("%s[%s] follows %s", c, f, l.name()).isEqualTo(k);
        }
      }
    }
  }

  @Test
  void pruneToCountsFiltersAndRefusesAMaskAlreadySparser() {
    SplittableRandom rng = new SplittableRandom(5);
    FilterScores s = randomScores(rng);
    Mask half = FilterPruner.pruneTo(dense(), s, PruningScope.GLOBAL, 0.5);
    assertThat(java.util.Arrays.stream(keptCounts(half)).sum()).isEqualTo(9);
    assertThat(half).isEqualTo(reference(dense(), s, PruningScope.GLOBAL,
        PruningSchedules.oneShot(0.5), 1));
    Mask layerHalf = FilterPruner.pruneTo(dense(), s, PruningScope.LAYER, 0.5);
    // 6 - 3, 5 - round(2.5) = 5 - 2, 7 - round(3.5) = 7 - 4
    assertThat(keptCounts(layerHalf)).containsExactly(3, 3, 3);
    // from a previous mask: its pruned filters count as pruned
    assertThat(FilterPruner.pruneTo(half, s, PruningScope.GLOBAL, 0.5)).isEqualTo(half);
    assertThatThrownBy(() -> FilterPruner.pruneTo(half, s, PruningScope.GLOBAL, 0.4))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("previous mask has already pruned 9 of 18 filters, more than the 0.4 asked"
            + " for");
    assertThatThrownBy(() -> FilterPruner.pruneTo(layerHalf, s, PruningScope.LAYER, 0.3))
        .hasMessage("previous mask layer c1 has already pruned 3 of 6 filters, more than the 0.3"
            + " asked for");
    assertThatThrownBy(() -> FilterPruner.pruneTo(dense(), s, PruningScope.GLOBAL, 1.0))
        .hasMessage("sparsity must be in [0, 1): 1.0");
  }

  @Test
  void weightLevelHolesInKeptFiltersStayAndPrunedFiltersAreCleared() {
    // c1's filter 0 keeps only its bias; the other weights are pruned one by one at random
    SplittableRandom rng = new SplittableRandom(9);
    Mask m = randomMask(rng, 0, 0.3);
    Mask.Builder b = Mask.builder();
    for (String layer : m.layers()) {
      boolean[] v = m.toBooleans(layer);
      if (layer.equals("c1")) {
        java.util.Arrays.fill(v, 0, 18, false);
      } else if (layer.equals("c1b")) {
        v[0] = true;
      } else if (layer.equals("bn1g") || layer.equals("bn1b")) {
        v[0] = false;
      }
      b.put(layer, m.shape(layer), v);
    }
    Mask holes = b.build();
    double[] low = {-1, 5, 5, 5, 5, 5};
    FilterScores s = FilterScores.builder().put("c1", low).put("c2", new double[] {1, 1, 1, 1, 1})
        .put("fc", new double[] {1, 1, 1, 1, 1, 1, 1}).build();
    Mask next = FilterPruner.prune(holes, s, PruningScope.LAYER, PruningSchedules.oneShot(0.2),
        1);
    // the bias-only filter 0 of c1 counts as kept and goes first; c2 loses filter 0, fc filter 0
    assertThat(next.isKept("c1b", 0)).isFalse();
    assertThat(keptCounts(next)).containsExactly(5, 4, 6);
    for (String layer : List.of("c1", "c2", "fc")) {
      Layer l = LAYERS.stream().filter(x -> x.name().equals(layer)).findFirst().orElseThrow();
      boolean[] before = holes.toBooleans(layer);
      boolean[] after = next.toBooleans(layer);
      for (int i = l.filterSize(); i < before.length; i++) {
        assertThat(after[i]).as("%s[%s] unchanged outside filter 0", layer, i)
            .isEqualTo(before[i]);
      }
    }
  }

  @Test
  void badScoresAreRefusedNamingTheLayer() {
    Mask m = dense();
    PruningSchedule once = PruningSchedules.oneShot(0.5);
    FilterScores missing = FilterScores.builder().put("c1", new double[6])
        .put("fc", new double[7]).build();
    assertThatThrownBy(() -> FilterPruner.prune(m, missing, PruningScope.GLOBAL, once, 1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("the criterion gave no filter scores for layer c2");
    FilterScores shortScores = FilterScores.builder().put("c1", new double[6])
        .put("c2", new double[4]).put("fc", new double[7]).build();
    assertThatThrownBy(() -> FilterPruner.prune(m, shortScores, PruningScope.GLOBAL, once, 1))
        .hasMessage("layer c2: 4 filter scores for 5 filters");
    double[] nan = new double[7];
    nan[3] = Double.NaN;
    FilterScores withNan = FilterScores.builder().put("c1", new double[6])
        .put("c2", new double[5]).put("fc", nan).build();
    assertThatThrownBy(() -> FilterPruner.prune(m, withNan, PruningScope.LAYER, once, 1))
        .hasMessage("layer fc: filter 3 has the score NaN; scores must be finite");
    // a pruned filter's score is ignored, even NaN
    Mask without3 = FilterPruner.prune(m, FilterScores.builder().put("c1", new double[6])
        .put("c2", new double[5]).put("fc", new double[] {1, 1, 1, 0, 1, 1, 1}).build(),
        PruningScope.LAYER, PruningSchedules.oneShot(0.1), 1);
    assertThat(keptCounts(without3)).containsExactly(5, 5, 6);
    assertThat(FilterPruner.prune(without3, withNan, PruningScope.LAYER,
        PruningSchedules.oneShot(0.1), 1)).isEqualTo(without3);
    Mask badLayout = Mask.dense(Map.of("bias", new long[] {3}));
    assertThatThrownBy(() -> FilterPruner.prune(badLayout, withNan, PruningScope.GLOBAL, once, 1))
        .hasMessageStartingWith("layer bias of shape (3,) follows no layer of rank >= 2");
  }

  @Test
  void impPrunesWholeFiltersOfAPrunableModel() {
    // fc1 [12, 20] + bias, fc2 [8, 12] + bias: 20 filters; the output layer stays dense
    ToyModel model = ToyModel.mlp(20, 12, 8, 3, 4);
    ImpResult r = Imp.builder().setSchedule(PruningSchedules.imp(0.2, 0.7))
        .optCriterion(FilterCriteria.l2())
        .optSelector(ParameterSelectors.excluding("out\\..*"))
        .build().run(model, new ToyTask(1, 2));
    List<Integer> kept = new ArrayList<>();
    for (Round round : r.rounds()) {
      Mask m = round.mask();
      FilterLayout layout = FilterLayout.of(m);
      assertThat(layout.groups()).extracting(FilterLayout.Group::companions)
          .containsExactly(List.of("fc1.bias"), List.of("fc2.bias"));
      int k = 0;
      for (FilterLayout.Group g : layout.groups()) {
        boolean[] filters = layout.keptFilters(m, g.layer());
        for (int f = 0; f < g.filters(); f++) {
          k += filters[f] ? 1 : 0;
          for (int i = 0; i < g.filterSize(); i++) {
            assertThat(m.isKept(g.layer(), f * g.filterSize() + i)).isEqualTo(filters[f]);
          }
          assertThat(m.isKept(g.companions().get(0), f)).isEqualTo(filters[f]);
        }
      }
      kept.add(k);
    }
    assertThat(kept).containsExactly(20, 16, 13, 10, 8, 6);
  }

  @Test
  void impRefusesALayoutWithoutFiltersBeforeTraining() {
    ToyTask task = new ToyTask(1, 2);
    Imp imp = Imp.builder().setSchedule(PruningSchedules.imp(0.2, 0.5))
        .optCriterion(FilterCriteria.l1())
        .optSelector(ParameterSelectors.matching("fc1\\.bias|fc2\\.weight")).build();
    assertThatThrownBy(() -> imp.run(ToyModel.mlp(20, 12, 8, 3, 4), task))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("criterion: filter-l1 prunes whole filters: layer fc1.bias of shape (12,)"
            + " follows no layer of rank >= 2: a rank-1 layer can only be pruned with the"
            + " filters of the layer before it");
    assertThat(task.startWeights()).as("nothing trained").isEmpty();
  }
}
