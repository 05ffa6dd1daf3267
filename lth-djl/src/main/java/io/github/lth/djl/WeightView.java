package io.github.lth.djl;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

/**
 * What the forward pass of a {@link DjlModel} uses in place of its parameters while the view is
 * set ({@link DjlModel#setWeightView}): the latent parameters stay what the optimizer trains,
 * the block computes with a function of them. Called inside every forward pass, so in training
 * passes the returned array is part of the recorded graph and gradients flow through it to the
 * latent parameter (and to any other array that requires gradients, such as a learned
 * threshold).
 *
 * <pre>{@code
 * // the forward pass sees fc1's weights halved; the model's own weights stay as they are
 * model.setWeightView((name, w, scope) -> name.equals("fc1_weight")
 *     ? scope.create(0.5f).mul(w) : w);   // the first operand lives in scope, so the result does
 * }</pre>
 */
@FunctionalInterface
public interface WeightView {

  /**
   * The array the block uses for parameter {@code name}.
   *
   * @param name the parameter's name, as in {@link DjlModel#parameters()}
   * @param live the parameter's live array (return it unchanged to leave the parameter as is;
   *     never write to it)
   * @param scope the manager of the forward pass's inputs. DJL attaches the result of an
   *     operation to the manager of its first operand, which for {@code live} is the model's: the
   *     view must attach every array it creates to {@code scope} (or compute from arrays already
   *     there), or each forward pass leaks them for the model's lifetime
   */
  NDArray apply(String name, NDArray live, NDManager scope);
}
