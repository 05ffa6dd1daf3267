package io.github.lth.djl.models;

import static com.google.common.base.Preconditions.checkArgument;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import java.util.Optional;

/**
 * The basic residual block of the CIFAR ResNets (He et al. 2016): {@code relu(bn2(conv2(relu(
 * bn1(conv1(x))))) + shortcut(x))} with 3×3 convolutions without bias. The shortcut is the
 * identity, or a 1×1 strided convolution with BatchNorm (a projection) when the block changes
 * the resolution or the width. Parameters: {@code conv1_weight, bn1_gamma, bn1_beta,
 * bn1_runningMean, bn1_runningVar, conv2_weight, bn2_*} and, with a projection, {@code
 * shortcut_conv_weight, shortcut_bn_*}.
 *
 * <pre>{@code
 * Block down = new ResidualBlock(32, 2, true);   // 16 -> 32 channels, half the resolution
 * Block same = new ResidualBlock(32, 1, false);  // identity shortcut
 * }</pre>
 */
public final class ResidualBlock extends AbstractBlock {
  private final Block conv1;
  private final Block bn1;
  private final Block conv2;
  private final Block bn2;
  private final Block shortcut;

  /**
   * @param channels output channels of both convolutions
   * @param stride stride of the first convolution (and of the projection)
   * @param projection whether the shortcut is a 1×1 convolution + BatchNorm; needed whenever
   *     the stride is not 1 or the input has a different number of channels
   */
  public ResidualBlock(int channels, int stride, boolean projection) {
    this(Layers.conv3x3(channels, checkedStride(channels, stride, projection), false),
        Layers.batchNorm(), Layers.conv3x3(channels, 1, false), Layers.batchNorm(),
        projection ? new NamedSequentialBlock()
            .add("conv", Layers.conv1x1(channels, stride, false))
            .add("bn", Layers.batchNorm())
            : null);
  }

  private ResidualBlock(Block conv1, Block bn1, Block conv2, Block bn2, Block shortcut) {
    this.conv1 = addNamed("conv1", conv1);
    this.bn1 = addNamed("bn1", bn1);
    this.conv2 = addNamed("conv2", conv2);
    this.bn2 = addNamed("bn2", bn2);
    this.shortcut = shortcut == null ? null : addNamed("shortcut", shortcut);
  }

  /**
   * A residual block of the given, uninitialized parts, under the child names the public
   * constructor uses (so parameter names are the same): for a block whose inner width (conv1's
   * filters) differs from its output width, as after removing pruned channels. Input widths are
   * inferred at initialization; an identity shortcut needs conv2 to keep the input's width.
   *
   * <pre>{@code
   * Block conv1 = Conv2d.builder().setKernelShape(new Shape(3, 3)).optPadding(new Shape(1, 1))
   *     .setFilters(12).optBias(false).build();                 // 16 -> 12 channels
   * Block conv2 = Conv2d.builder().setKernelShape(new Shape(3, 3)).optPadding(new Shape(1, 1))
   *     .setFilters(16).optBias(false).build();                 // 12 -> 16 channels
   * ResidualBlock narrow = ResidualBlock.ofParts(conv1, BatchNorm.builder().build(), conv2,
   *     BatchNorm.builder().build(), null);                     // identity shortcut
   * }</pre>
   *
   * @param shortcut the projection, or null for the identity
   */
  public static ResidualBlock ofParts(Block conv1, Block bn1, Block conv2, Block bn2,
      Block shortcut) {
    checkArgument(conv1 != null && bn1 != null && conv2 != null && bn2 != null,
        "a residual block needs conv1, bn1, conv2 and bn2");
    return new ResidualBlock(conv1, bn1, conv2, bn2, shortcut);
  }

  private static int checkedStride(int channels, int stride, boolean projection) {
    checkArgument(channels > 0, "residual block channels must be positive: %s", channels);
    checkArgument(stride > 0, "residual block stride must be positive: %s", stride);
    checkArgument(projection || stride == 1,
        "residual block with stride %s needs a projection shortcut", stride);
    return stride;
  }

  private Block addNamed(String name, Block block) {
    // Bypasses addChildBlock, which would prefix the name with a sequence number.
    children.add(name, block);
    return block;
  }

  /** Whether the shortcut is a projection rather than the identity. */
  public boolean hasProjection() {
    return shortcut != null;
  }

  /** The first convolution, {@code relu(bn1(conv1(x)))} feeding conv2. */
  public Block conv1() {
    return conv1;
  }

  /** The BatchNorm after {@link #conv1}. */
  public Block bn1() {
    return bn1;
  }

  /** The second convolution, whose output joins the shortcut's in the residual sum. */
  public Block conv2() {
    return conv2;
  }

  /** The BatchNorm after {@link #conv2}. */
  public Block bn2() {
    return bn2;
  }

  /** The projection shortcut (1×1 convolution + BatchNorm), or empty for the identity. */
  public Optional<Block> shortcut() {
    return Optional.ofNullable(shortcut);
  }

  @Override
  protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training,
      PairList<String, Object> params) {
    NDList y = conv1.forward(ps, inputs, training, params);
    y = Activation.relu(bn1.forward(ps, y, training, params));
    y = bn2.forward(ps, conv2.forward(ps, y, training, params), training, params);
    NDArray skip = shortcut == null ? inputs.singletonOrThrow()
        : shortcut.forward(ps, inputs, training, params).singletonOrThrow();
    return new NDList(Activation.relu(y.singletonOrThrow().add(skip)));
  }

  @Override
  protected void initializeChildBlocks(NDManager manager, DataType dataType,
      Shape... inputShapes) {
    conv1.initialize(manager, dataType, inputShapes);
    Shape[] s1 = conv1.getOutputShapes(inputShapes);
    bn1.initialize(manager, dataType, s1);
    conv2.initialize(manager, dataType, s1);
    Shape[] s2 = conv2.getOutputShapes(s1);
    bn2.initialize(manager, dataType, s2);
    if (shortcut != null) {
      shortcut.initialize(manager, dataType, inputShapes);
    } else {
      checkArgument(inputShapes[0].equals(s2[0]),
          "residual block with identity shortcut: input %s and output %s differ; use a"
              + " projection", inputShapes[0], s2[0]);
    }
  }

  @Override
  public Shape[] getOutputShapes(Shape[] inputShapes) {
    return conv2.getOutputShapes(conv1.getOutputShapes(inputShapes));
  }
}
