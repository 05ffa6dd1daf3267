package io.github.lth.djl.structured;

import ai.djl.nn.Block;
import ai.djl.nn.LambdaBlock;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.BatchNorm;
import io.github.lth.djl.models.NamedSequentialBlock;
import io.github.lth.djl.models.ResidualBlock;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * What a layer's output flows into, up to the next layer with weights: whether that layer (or
 * every head) can take its inputs cut, and the BatchNorms on the way, whose gamma and beta must
 * be zero at a channel for the channel to be removable.
 *
 * <p>A BatchNorm past a parameter-free function (an activation, a pooling) does not count as a
 * companion: the function may have changed what a channel's zero means there, so such a path
 * cuts nothing.
 */
record Downstream(boolean acceptsCut, List<BatchNorm> norms) {
  /** The output reaches a residual sum, the model's output or a block we cannot cut. */
  static final Downstream FIXED = new Downstream(false, List.of());
  static final Downstream CONSUMER = new Downstream(true, List.of());

  /**
   * What follows position {@code from} of {@code blocks}, descending into nested sequences;
   * {@code tail} is what follows the whole list.
   */
  static Downstream scan(List<Block> blocks, int from, Supplier<Downstream> tail) {
    if (from == blocks.size()) {
      return tail.get();
    }
    Block b = blocks.get(from);
    Supplier<Downstream> rest = () -> scan(blocks, from + 1, tail);
    Class<?> type = b.getClass();
    if (type == BatchNorm.class) {
      return rest.get().throughNorm((BatchNorm) b);
    }
    if (type == LambdaBlock.class) {
      return rest.get().throughFunction();
    }
    if (type == NamedSequentialBlock.class) {
      return scan(b.getChildren().values(), 0, rest);
    }
    if (type == Conv2d.class || type == Linear.class) {
      return CONSUMER;
    }
    if (b instanceof ResidualBlock r) {
      // an identity shortcut adds the input itself to the sum
      return r.hasProjection() ? CONSUMER : FIXED;
    }
    return FIXED;
  }

  /** Both paths at once (an output feeding several heads). */
  Downstream and(Downstream other) {
    if (!acceptsCut || !other.acceptsCut) {
      return FIXED;
    }
    List<BatchNorm> both = new ArrayList<>(norms);
    both.addAll(other.norms);
    return new Downstream(true, List.copyOf(both));
  }

  private Downstream throughNorm(BatchNorm norm) {
    if (!acceptsCut) {
      return this;
    }
    List<BatchNorm> more = new ArrayList<>();
    more.add(norm);
    more.addAll(norms);
    return new Downstream(true, List.copyOf(more));
  }

  private Downstream throughFunction() {
    return acceptsCut && norms.isEmpty() ? this : FIXED;
  }
}
