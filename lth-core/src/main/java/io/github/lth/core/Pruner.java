package io.github.lth.core;

import static com.google.common.base.Preconditions.checkArgument;

import io.github.lth.core.prune.PruningScope;
import io.github.lth.core.prune.PruningStep;
import io.github.lth.core.schedule.PruningSchedule;
import io.github.lth.core.schedule.PruningSchedules;
import io.github.lth.core.select.LowestSelection;
import io.github.lth.core.select.LowestSelections;
import io.github.lth.core.select.ScoredLayer;
import io.github.lth.core.select.SelectionKernel;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Exact pruning: turns scores into the next mask. This is the one place that decides how many
 * weights a round prunes: each group (all layers for {@link PruningScope#GLOBAL}, each layer for
 * {@link PruningScope#LAYER}) keeps exactly {@link PruningSchedule#keptAfter} weights (for a
 * fixed rate, {@code round(rate × remaining)} fewer, half to even). Which weights go is the
 * {@link SelectionKernel}'s job, by one contract whatever holds the scores: weights already
 * pruned stay pruned and their scores are ignored; among equal scores the lower layer index,
 * then the lower flat index, is pruned first.
 *
 * <pre>{@code
 * Mask next = Pruner.prune(mask, PruningCriteria.magnitude().score(subnet), PruningScope.GLOBAL,
 *     PruningSchedules.imp(0.2, 0.9), 1);
 * }</pre>
 */
public final class Pruner {
  private Pruner() {}

  /** Prunes with the kernel {@link LowestSelections#exact()}. */
  public static Mask prune(Mask current, Scores scores, PruningScope scope,
      PruningSchedule schedule, int round) {
    return prune(current, scores, scope, schedule, round, LowestSelections.exact());
  }

  /** The round a {@link PruningStep} describes, with host scores of its mask's layers. */
  public static Mask prune(PruningStep step, Scores scores) {
    return prune(step.current(), scores, step.scope(), step.schedule(), step.round());
  }

  /**
   * Prunes with the given host selection kernel. Magnitude scores ({@link Scores#magnitudes})
   * reach the kernel as the weights themselves, marked {@linkplain ScoredLayer#absolute()
   * absolute}, so no array of |w| is made.
   */
  public static Mask prune(Mask current, Scores scores, PruningScope scope,
      PruningSchedule schedule, int round, LowestSelection kernel) {
    checkScoresFit(current, scores);
    List<float[]> raw = new ArrayList<>();
    for (String layer : current.layers()) {
      raw.add(scores.raw(layer));
    }
    boolean absolute = scores.magnitudes();
    SelectionKernel<float[]> scored = (names, arrays, eligible, count) -> {
      List<ScoredLayer> input = new ArrayList<>(names.size());
      for (int l = 0; l < names.size(); l++) {
        input.add(new ScoredLayer(names.get(l), arrays.get(l), eligible.get(l), absolute));
      }
      return kernel.select(input, count);
    };
    return prune(current, raw, scope, schedule, round, scored);
  }

  /**
   * Prunes with scores held anywhere: {@code scores} holds one array per layer of {@code
   * current}, in mask order, each with the layer's number of elements (the kernel checks).
   * Device-backed models call this with device arrays and a device kernel, so the counts are
   * the same as on the host by construction.
   */
  public static <S> Mask prune(Mask current, List<S> scores, PruningScope scope,
      PruningSchedule schedule, int round, SelectionKernel<S> kernel) {
    List<String> layers = current.layers();
    checkArgument(scores.size() == layers.size(), "%s score arrays for a mask of %s layers",
        scores.size(), layers.size());
    List<long[]> kept = new ArrayList<>(layers.size());
    for (String layer : layers) {
      kept.add(current.words(layer));
    }
    long[] counts = counts(current, scope, schedule, round);
    long[][] chosen = new long[layers.size()][];
    if (scope == PruningScope.GLOBAL) {
      chosen = kernel.select(layers, scores, kept, counts[0]).chosen();
    } else {
      for (int l = 0; l < layers.size(); l++) {
        chosen[l] = kernel.select(List.of(layers.get(l)), List.of(scores.get(l)),
            List.of(kept.get(l)), counts[l]).chosen()[0];
      }
    }
    Mask.Builder b = Mask.builder();
    for (int l = 0; l < layers.size(); l++) {
      long[] words = kept.get(l);
      for (int w = 0; w < words.length; w++) {
        words[w] &= ~chosen[l][w];
      }
      b.putWords(layers.get(l), current.shape(layers.get(l)), words);
    }
    return b.build();
  }

  /**
   * How many weights each group gives up in {@code round}: one count for a global scope, one per
   * mask layer for a layer scope.
   */
  public static long[] counts(Mask current, PruningScope scope, PruningSchedule schedule,
      int round) {
    if (scope == PruningScope.GLOBAL) {
      long keep = schedule.keptAfter(round, current.kept(), current.size());
      return new long[] {current.kept() - keep};
    }
    List<String> layers = current.layers();
    long[] counts = new long[layers.size()];
    for (int l = 0; l < layers.size(); l++) {
      String layer = layers.get(l);
      long keep = schedule.keptAfter(round, current.kept(layer), current.size(layer));
      counts[l] = current.kept(layer) - keep;
    }
    return counts;
  }

  /**
   * Prunes to an overall {@code sparsity} in one step (the {@code ./lth mask} case): the group
   * keeps {@code total − round(sparsity × total)} weights.
   *
   * @throws IllegalArgumentException if {@code current} is already sparser than asked
   */
  public static Mask pruneTo(Mask current, Scores scores, PruningScope scope, double sparsity) {
    checkArgument(sparsity >= 0 && sparsity < 1, "sparsity must be in [0, 1): %s", sparsity);
    if (scope == PruningScope.GLOBAL) {
      checkArgument(current.size() - (long) Math.rint(sparsity * current.size()) <= current.kept(),
          "previous mask is already %s sparse, more than the %s asked for",
          current.sparsity(), sparsity);
    } else {
      for (String layer : current.layers()) {
        long size = current.size(layer);
        checkArgument(size - (long) Math.rint(sparsity * size) <= current.kept(layer),
            "previous mask layer %s is already %s sparse, more than the %s asked for",
            layer, current.sparsity(layer), sparsity);
      }
    }
    return prune(current, scores, scope, PruningSchedules.oneShot(sparsity), 1);
  }

  private static void checkScoresFit(Mask mask, Scores scores) {
    for (String layer : mask.layers()) {
      checkArgument(scores.layers().contains(layer), "the criterion gave no scores for layer %s",
          layer);
      checkArgument(Arrays.equals(scores.shape(layer), mask.shape(layer)),
          "layer %s: scores of shape %s for a mask of shape %s", layer,
          Shapes.format(scores.shape(layer)), Shapes.format(mask.shape(layer)));
    }
  }
}
