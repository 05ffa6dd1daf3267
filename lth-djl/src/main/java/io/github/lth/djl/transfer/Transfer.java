package io.github.lth.djl.transfer;

import static com.google.common.base.Preconditions.checkArgument;

import io.github.lth.core.Mask;
import io.github.lth.core.Metrics;
import io.github.lth.core.ParameterInfo;
import io.github.lth.core.SparsityControllers;
import io.github.lth.core.Task;
import io.github.lth.core.TrainingContext;
import io.github.lth.core.TrainingListener;
import io.github.lth.core.Weights;
import io.github.lth.djl.DjlModel;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Moves a subnetwork (a mask and the weights it starts from) onto a model built for a target
 * task, and trains it there. The target model is built for the target's classes, so its head is
 * fresh and sized to them; only the backbone takes the subnetwork's weights and mask.
 *
 * <pre>{@code
 * // θp and mP from a run on the source task; the target model has a 5-class head
 * try (DjlModel target = DjlModel.create(Models.lenet300(5), new Shape(1, 1, 28, 28), cpu, seed)) {
 *   Metrics full = Transfer.fineTune(target, thetaP, mP, targetTask, seed);
 * }
 * }</pre>
 */
public final class Transfer {
  private Transfer() {}

  /**
   * Full fine-tuning with the mask fixed: loads {@code start}'s backbone weights and {@code
   * mask} into {@code target}, trains every unpruned weight (backbone and the fresh head) on
   * {@code task} and evaluates it.
   *
   * @param start weights of at least every backbone parameter of {@code target} (head entries
   *     are ignored: the target's head is its own)
   * @param mask over backbone parameters of {@code target}
   * @param seed the data order's seed
   * @throws IllegalArgumentException if {@code start} lacks a backbone parameter or has another
   *     shape, or {@code mask} covers a head parameter or one the model does not have
   */
  public static Metrics fineTune(DjlModel target, Weights start, Mask mask,
      Task<? super DjlModel> task, long seed) {
    prepare(target, start, mask);
    task.train(target, SparsityControllers.fixed(mask),
        new TrainingContext(0, seed, TrainingListener.NONE, 0));
    return task.evaluate(target);
  }

  /**
   * Checks that a subnetwork fits {@code target}: {@code start} has every backbone parameter
   * with the model's shape, and {@code mask} covers only backbone parameters, with their shapes.
   *
   * @return the target's backbone parameter names
   * @throws IllegalArgumentException naming the parameters that do not fit
   */
  public static List<String> checkFits(DjlModel target, Weights start, Mask mask) {
    List<String> backbone = new ArrayList<>();
    List<String> head = new ArrayList<>();
    for (ParameterInfo p : target.parameters()) {
      (p.inHead() ? head : backbone).add(p.name());
    }
    checkArgument(!head.isEmpty(), "transfer needs a model with a declared head to replace;"
        + " %s has none", target.parameters().isEmpty() ? "the model" : "this model");
    List<String> missing = backbone.stream().filter(n -> !start.contains(n)).toList();
    checkArgument(missing.isEmpty(), "the starting weights lack backbone parameter%s %s",
        missing.size() == 1 ? "" : "s", listed(missing));
    for (ParameterInfo p : target.parameters()) {
      if (!p.inHead()) {
        checkArgument(Arrays.equals(start.shape(p.name()), p.shape()), "the starting weights'"
            + " %s has shape %s, the target model's %s", p.name(),
            Arrays.toString(start.shape(p.name())), Arrays.toString(p.shape()));
      }
    }
    for (String layer : mask.layers()) {
      checkArgument(!head.contains(layer), "the mask covers %s, a parameter of the head the"
          + " transfer replaces", layer);
      checkArgument(backbone.contains(layer), "the mask covers %s, which the target model does"
          + " not have", layer);
      checkArgument(Arrays.equals(mask.shape(layer), start.shape(layer)), "the mask of %s has"
          + " shape %s, the target model's %s", layer, Arrays.toString(mask.shape(layer)),
          Arrays.toString(start.shape(layer)));
    }
    return backbone;
  }

  /**
   * Loads {@code start}'s backbone weights into {@code target} and applies {@code mask}; the
   * target's head keeps its own (fresh) weights.
   */
  static void prepare(DjlModel target, Weights start, Mask mask) {
    List<String> backbone = checkFits(target, start, mask);
    Weights.Builder b = Weights.builder();
    for (String name : backbone) {
      b.put(name, start.shape(name), start.values(name));
    }
    target.load(b.build());
    target.applyMask(mask);
  }

  private static String listed(List<String> names) {
    return names.size() <= 8 ? String.join(", ", names)
        : String.join(", ", names.subList(0, 8)) + " and " + (names.size() - 8) + " more";
  }
}
