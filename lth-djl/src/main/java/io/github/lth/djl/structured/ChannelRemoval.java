package io.github.lth.djl.structured;

import io.github.lth.core.Weights;
import io.github.lth.djl.DjlModel;

/**
 * Rebuilds a model whose structured mask zeroed whole channels as a smaller dense model with
 * those channels gone: fewer filters in a convolution (fewer neurons in a linear layer), its
 * bias and the BatchNorm after it cut to match, and the next layer's inputs cut to match (the
 * next convolution's input channels, the next linear layer's input features, or after an NCHW
 * flatten the block of height × width features each channel became). In evaluation mode the
 * rebuilt model computes what the masked one computes.
 *
 * <p>A channel goes when its filter is entirely zero in the model's current (masked) weights
 * and its bias and the gamma and beta of the BatchNorm after the layer are zero there too; then
 * the channel's output is exactly zero whatever the input and the running statistics, and ReLU
 * and pooling keep it zero. A zero filter with a nonzero bias or beta is kept: its output is a
 * constant, not zero. Channels that feed a residual sum (a residual block's second convolution
 * and shortcut, the stem before an identity shortcut) or form the model's output (a head's
 * outputs, a backbone without heads) always stay, zero or not: only a residual block's inner
 * channels (conv1 → bn1 → conv2) can go there. A head keeps its outputs and loses the inputs
 * the backbone's last layer lost.
 *
 * <p>Supported blocks: a {@code HeadedBlock} at the top, {@code NamedSequentialBlock}, {@code
 * ResidualBlock}, DJL's {@code Conv2d} (ungrouped), {@code Linear}, {@code BatchNorm} and
 * parameter-free {@code LambdaBlock}s (activations, poolings, flatten), which is every model of
 * {@code Models.names()}. A function through which channels are removed is checked on a probe
 * input to act on each channel separately and keep a zero channel zero.
 *
 * <pre>{@code
 * model.applyMask(structuredMask);          // whole filters (and their bias, bn gamma/beta) zero
 * RemovalPlan plan = ChannelRemoval.plan(model);
 * try (DjlModel small = ChannelRemoval.shrink(model)) {
 *   // small.parameters(): the same names, narrower shapes; forward equals model's in eval mode
 * }
 * }</pre>
 */
public final class ChannelRemoval {
  /**
   * Seed of the rebuilt model's throwaway initial draw; every parameter is overwritten right
   * after.
   */
  private static final long SEED = 0;

  private ChannelRemoval() {}

  /**
   * A new model, on the same device with its own manager (the caller closes it), built from
   * narrower blocks without the removable channels of {@code masked}: the same parameter names
   * (kept values of each parameter, in order), the same heads with the same active head, and no
   * mask. Running statistics come along, so evaluation-mode outputs equal the masked model's to
   * float rounding. Like {@code DjlModel.create}, this seeds the engine's random generator.
   *
   * <pre>{@code
   * try (DjlModel small = ChannelRemoval.shrink(model)) {
   *   NDArray logits = small.forward(new NDList(images), false).singletonOrThrow();
   * }
   * }</pre>
   *
   * @throws IllegalArgumentException naming the block, for a block it cannot rebuild, or if the
   *     model computes through a weight view
   * @throws IllegalStateException for a wrapped model that does not know its input shape
   */
  public static DjlModel shrink(DjlModel masked) {
    ChannelWalk.Result walk = ChannelWalk.walk(masked);
    Weights.Builder kept = Weights.builder();
    for (ParameterCut cut : walk.cuts().values()) {
      kept.putOwned(cut.name(), cut.newShape(), cut.values());
    }
    Weights weights = kept.build();
    DjlModel small = DjlModel.create(walk.block(), masked.inputShape(), masked.device(), SEED);
    try {
      small.load(weights);
      return small;
    } catch (RuntimeException e) {
      small.close();
      throw e;
    }
  }

  /**
   * What {@link #shrink} would remove, without building anything: every convolution and linear
   * layer's channels before and after, and the parameter counts.
   *
   * <pre>{@code
   * System.out.println(ChannelRemoval.plan(model));
   * }</pre>
   *
   * @throws IllegalArgumentException as {@link #shrink} does
   */
  public static RemovalPlan plan(DjlModel masked) {
    return ChannelWalk.walk(masked).plan();
  }
}
