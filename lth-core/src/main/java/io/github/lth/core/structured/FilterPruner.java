package io.github.lth.core.structured;

import static com.google.common.base.Preconditions.checkArgument;

import io.github.lth.core.Mask;
import io.github.lth.core.prune.PruningScope;
import io.github.lth.core.prune.PruningStep;
import io.github.lth.core.schedule.PruningSchedule;
import io.github.lth.core.schedule.PruningSchedules;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Exact filter pruning: turns filter scores into the next mask. The structured counterpart of
 * {@link io.github.lth.core.Pruner}, by the same rules with filters in place of weights: each
 * group (all filter layers for {@link PruningScope#GLOBAL}, each filter layer for {@link
 * PruningScope#LAYER}) keeps exactly {@link PruningSchedule#keptAfter}{@code (round,
 * keptFilters, totalFilters)} filters, so a rate or sparsity counts filters. Filters already
 * pruned stay pruned and their scores are ignored; among equal scores the lower layer index,
 * then the lower filter index, is pruned first. A global scope never prunes a layer's last
 * filter while another layer still has a filter to give (an emptied layer disconnects the
 * network; at high filter sparsities a global ranking can otherwise take a whole layer whose
 * filters score alike): that filter stays and the next one in the order goes instead, so the
 * count is still exact.
 *
 * <p>Pruning a filter clears its whole row and its element in every companion (see {@link
 * FilterLayout}); weights of kept filters that an earlier, weight-level mask pruned stay pruned.
 *
 * <pre>{@code
 * Mask next = FilterPruner.prune(mask, FilterCriteria.l1().scoreFilters(Subnetwork.of(mask, w)),
 *     PruningScope.GLOBAL, PruningSchedules.imp(0.2, 0.9), 1);   // 20 % of the filters go
 * }</pre>
 */
public final class FilterPruner {
  private FilterPruner() {}

  /** The round a {@link PruningStep} describes, with the filter scores of its mask. */
  public static Mask prune(PruningStep step, FilterScores scores) {
    return prune(step.current(), scores, step.scope(), step.schedule(), step.round());
  }

  /**
   * Prunes whole filters of {@code current} for {@code round} of {@code schedule}.
   *
   * @throws IllegalArgumentException if the mask has no filter layout ({@link FilterLayout#of}),
   *     the scores miss a filter layer or have another number of filters, or a kept filter has a
   *     NaN or infinite score
   */
  public static Mask prune(Mask current, FilterScores scores, PruningScope scope,
      PruningSchedule schedule, int round) {
    checkArgument(scope != null && schedule != null, "scope and schedule are required");
    checkArgument(round >= 1, "pruning rounds start at 1: %s", round);
    FilterLayout layout = FilterLayout.of(current);
    List<FilterLayout.Group> groups = layout.groups();
    boolean[][] kept = new boolean[groups.size()][];
    double[][] score = new double[groups.size()][];
    for (int l = 0; l < groups.size(); l++) {
      FilterLayout.Group g = groups.get(l);
      kept[l] = layout.keptFilters(current, g.layer());
      score[l] = scoresOf(scores, g);
      checkFinite(g, score[l], kept[l]);
    }
    boolean[][] chosen = new boolean[groups.size()][];
    for (int l = 0; l < groups.size(); l++) {
      chosen[l] = new boolean[groups.get(l).filters()];
    }
    long[] counts = counts(groups, kept, scope, schedule, round);
    if (scope == PruningScope.GLOBAL) {
      choose(allLayers(groups.size()), kept, score, counts[0], chosen);
    } else {
      for (int l = 0; l < groups.size(); l++) {
        choose(new int[] {l}, kept, score, counts[l], chosen);
      }
    }
    return without(current, groups, chosen);
  }

  /**
   * How many filters each group gives up in {@code round}: one count for a global scope, one per
   * filter layer (in {@link FilterLayout#groups()} order) for a layer scope.
   */
  public static long[] counts(Mask current, PruningScope scope, PruningSchedule schedule,
      int round) {
    FilterLayout layout = FilterLayout.of(current);
    List<FilterLayout.Group> groups = layout.groups();
    boolean[][] kept = new boolean[groups.size()][];
    for (int l = 0; l < groups.size(); l++) {
      kept[l] = layout.keptFilters(current, groups.get(l).layer());
    }
    return counts(groups, kept, scope, schedule, round);
  }

  /**
   * Prunes filters to a filter {@code sparsity} in one step (the {@code lth mask} case): the
   * group keeps {@code total − round(sparsity × total)} filters.
   *
   * @throws IllegalArgumentException if {@code current} has already pruned more filters than
   *     asked for
   */
  public static Mask pruneTo(Mask current, FilterScores scores, PruningScope scope,
      double sparsity) {
    checkArgument(sparsity >= 0 && sparsity < 1, "sparsity must be in [0, 1): %s", sparsity);
    FilterLayout layout = FilterLayout.of(current);
    if (scope == PruningScope.GLOBAL) {
      long total = layout.totalFilters();
      long kept = 0;
      for (FilterLayout.Group g : layout.groups()) {
        kept += layout.keptFilterCount(current, g.layer());
      }
      checkArgument(total - (long) Math.rint(sparsity * total) <= kept,
          "previous mask has already pruned %s of %s filters, more than the %s asked for",
          total - kept, total, sparsity);
    } else {
      for (FilterLayout.Group g : layout.groups()) {
        long kept = layout.keptFilterCount(current, g.layer());
        checkArgument(g.filters() - (long) Math.rint(sparsity * g.filters()) <= kept,
            "previous mask layer %s has already pruned %s of %s filters, more than the %s asked"
                + " for", g.layer(), g.filters() - kept, g.filters(), sparsity);
      }
    }
    return prune(current, scores, scope, PruningSchedules.oneShot(sparsity), 1);
  }

  /** The scores of a group's filters, checked against its filter count. */
  static double[] scoresOf(FilterScores scores, FilterLayout.Group g) {
    checkArgument(scores.contains(g.layer()), "the criterion gave no filter scores for layer %s",
        g.layer());
    double[] s = scores.raw(g.layer());
    checkArgument(s.length == g.filters(), "layer %s: %s filter scores for %s filters",
        g.layer(), s.length, g.filters());
    return s;
  }

  private static void checkFinite(FilterLayout.Group g, double[] score, boolean[] kept) {
    for (int f = 0; f < score.length; f++) {
      checkArgument(!kept[f] || Double.isFinite(score[f]),
          "layer %s: filter %s has the score %s; scores must be finite", g.layer(), f, score[f]);
    }
  }

  private static long[] counts(List<FilterLayout.Group> groups, boolean[][] kept,
      PruningScope scope, PruningSchedule schedule, int round) {
    if (scope == PruningScope.GLOBAL) {
      long total = 0;
      long keptNow = 0;
      for (int l = 0; l < groups.size(); l++) {
        total += groups.get(l).filters();
        keptNow += count(kept[l]);
      }
      return new long[] {keptNow - schedule.keptAfter(round, keptNow, total)};
    }
    long[] counts = new long[groups.size()];
    for (int l = 0; l < groups.size(); l++) {
      long keptNow = count(kept[l]);
      counts[l] = keptNow - schedule.keptAfter(round, keptNow, groups.get(l).filters());
    }
    return counts;
  }

  /**
   * Marks in {@code chosen} the {@code count} lowest (score, layer, filter) kept filters; across
   * several layers, a layer's last kept filter only when no other filter is left.
   */
  private static void choose(int[] layers, boolean[][] kept, double[][] score, long count,
      boolean[][] chosen) {
    if (count <= 0) {
      return;
    }
    List<long[]> candidates = new ArrayList<>();
    for (int l : layers) {
      for (int f = 0; f < kept[l].length; f++) {
        if (kept[l][f]) {
          candidates.add(new long[] {l, f});
        }
      }
    }
    candidates.sort((a, b) -> {
      // + 0.0 makes -0.0 and 0.0 one value, as for weight scores
      int c = Double.compare(score[(int) a[0]][(int) a[1]] + 0.0,
          score[(int) b[0]][(int) b[1]] + 0.0);
      if (c != 0) {
        return c;
      }
      c = Long.compare(a[0], b[0]);
      return c != 0 ? c : Long.compare(a[1], b[1]);
    });
    long[] left = new long[kept.length];
    for (long[] x : candidates) {
      left[(int) x[0]]++;
    }
    long taken = 0;
    // a global scope spares each layer's last filter while other filters can go: an emptied
    // layer disconnects the network; only when nothing else is left do last filters go too
    boolean spareLast = layers.length > 1;
    for (int pass = 0; pass < 2 && taken < count; pass++) {
      for (int i = 0; i < candidates.size() && taken < count; i++) {
        int l = (int) candidates.get(i)[0];
        int f = (int) candidates.get(i)[1];
        if (chosen[l][f] || (pass == 0 && spareLast && left[l] == 1)) {
          continue;
        }
        chosen[l][f] = true;
        left[l]--;
        taken++;
      }
    }
  }

  private static Mask without(Mask current, List<FilterLayout.Group> groups,
      boolean[][] chosen) {
    Mask.Builder b = Mask.builder();
    for (int l = 0; l < groups.size(); l++) {
      FilterLayout.Group g = groups.get(l);
      long[] row = current.words(g.layer());
      for (int f = 0; f < g.filters(); f++) {
        if (chosen[l][f]) {
          FilterLayout.clearRange(row, f * g.filterSize(), (f + 1) * g.filterSize());
        }
      }
      b.putWords(g.layer(), current.shape(g.layer()), row);
      for (String companion : g.companions()) {
        long[] c = current.words(companion);
        for (int f = 0; f < g.filters(); f++) {
          if (chosen[l][f]) {
            c[f >>> 6] &= ~(1L << f);
          }
        }
        b.putWords(companion, current.shape(companion), c);
      }
    }
    return b.build();
  }

  private static int[] allLayers(int n) {
    int[] all = new int[n];
    Arrays.setAll(all, i -> i);
    return all;
  }

  private static long count(boolean[] bits) {
    long n = 0;
    for (boolean b : bits) {
      n += b ? 1 : 0;
    }
    return n;
  }
}
