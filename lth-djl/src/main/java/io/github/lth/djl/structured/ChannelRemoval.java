package io.github.lth.djl.structured;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.github.lth.core.Weights;
import io.github.lth.djl.DjlModel;
import java.util.Locale;
import java.util.Random;

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

  /** Relative to the largest output magnitude (at least 1): float rounding stays far below. */
  private static final float PROBE_TOLERANCE = 1e-3f;

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
   * @throws IllegalStateException for a wrapped model that does not know its input shape, or
   *     if the rebuilt model's outputs on a probe input differ from the masked model's (see
   *     {@link #shrink(DjlModel, int)})
   */
  public static DjlModel shrink(DjlModel masked) {
    return shrink(masked, 1);
  }

  /**
   * {@link #shrink(DjlModel)} with every rebuilt width rounded up to a multiple of {@code
   * channelMultiple} (never above the original width) by keeping back some of the removable
   * zero channels, lowest index first. They compute zeros, so the outputs stay the same. Widths
   * that are multiples of the SIMD width run faster on many CPU kernels, and 16 avoids a
   * convolution fault of the PyTorch 2.7.1 CPU engine on AVX-512 machines, which miscomputes
   * convolutions with more than 16 input channels that are not a multiple of 16.
   *
   * <pre>{@code
   * try (DjlModel small = ChannelRemoval.shrink(model, 16)) { ... }
   * }</pre>
   *
   * @throws IllegalArgumentException if {@code channelMultiple} is not positive, or as {@link
   *     #shrink(DjlModel)}
   * @throws IllegalStateException if the rebuilt model's outputs on a probe input differ from
   *     the masked model's: the engine miscomputes a layer of the rebuilt widths (the message
   *     suggests a channel multiple)
   */
  public static DjlModel shrink(DjlModel masked, int channelMultiple) {
    ChannelWalk.Result walk = ChannelWalk.walk(masked, channelMultiple);
    Weights.Builder kept = Weights.builder();
    for (ParameterCut cut : walk.cuts().values()) {
      kept.putOwned(cut.name(), cut.newShape(), cut.values());
    }
    Weights weights = kept.build();
    DjlModel small = DjlModel.create(walk.block(), masked.inputShape(), masked.device(), SEED);
    try {
      small.load(weights);
      checkSameOutputs(masked, small, channelMultiple);
      return small;
    } catch (RuntimeException e) {
      small.close();
      throw e;
    }
  }

  /**
   * Compares both models on one probe input: the removal is exact by construction, so a
   * difference can only come from the engine computing a layer of the new widths wrongly.
   */
  private static void checkSameOutputs(DjlModel masked, DjlModel small, int channelMultiple) {
    try (NDManager probe = masked.manager().newSubManager()) {
      Shape shape = masked.inputShape();
      Random random = new Random(SEED);
      float[] values = new float[Math.toIntExact(shape.size())];
      for (int i = 0; i < values.length; i++) {
        values[i] = (float) random.nextGaussian();
      }
      NDList input = new NDList(probe.create(values, shape));
      NDList expected = masked.forward(input, false);
      NDList actual = small.forward(input, false);
      for (int i = 0; i < expected.size(); i++) {
        NDArray want = expected.get(i);
        NDArray got = actual.get(i);
        probe.attachAll(want, got);
        float scale = Math.max(1f, want.abs().max().getFloat());
        float error = want.sub(got).abs().max().getFloat();
        if (!(error <= PROBE_TOLERANCE * scale)) {
          throw new IllegalStateException(String.format(Locale.ROOT, "channel removal: the"
              + " rebuilt model's output differs from the masked model's by %.3g on a probe"
              + " input although the removed channels compute zeros: the engine miscomputes a"
              + " layer of the new widths on this machine (the PyTorch 2.7.1 CPU engine does so"
              + " on AVX-512 CPUs for convolutions with more than 16 input channels that are"
              + " not a multiple of 16); rebuild with a channel multiple of 16 (now %d)",
              error, channelMultiple));
        }
      }
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
    return plan(masked, 1);
  }

  /** What {@link #shrink(DjlModel, int)} would remove with that channel multiple. */
  public static RemovalPlan plan(DjlModel masked, int channelMultiple) {
    return ChannelWalk.walk(masked, channelMultiple).plan();
  }
}
