package io.github.lth.djl.models;

import static com.google.common.base.Preconditions.checkArgument;

import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Blocks;
import ai.djl.nn.pooling.Pool;
import io.github.lth.core.ParameterKind;
import io.github.lth.core.prune.ParameterSelector;
import io.github.lth.core.prune.ParameterSelectors;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The architectures of the lottery-ticket papers, by the names the command line's {@code
 * --model} flag takes. Blocks come uninitialised, with DJL's default initialisers (Kaiming
 * normal for weights, zero biases); inputs are NCHW float32 already scaled or normalised by the
 * caller. Parameters have readable names, in forward order:
 *
 * <ul>
 *   <li>{@code lenet300}: LeNet-300-100, flatten → fc1 300 → ReLU → fc2 100 → ReLU → fc3.
 *   <li>{@code conv2}, {@code conv4}, {@code conv6} (Frankle &amp; Carbin 2019): pairs of 3×3
 *       convolutions (padding 1, ReLU) with 64, 128, 256 filters, each pair followed by 2×2 max
 *       pooling, then fc1 256 → ReLU → fc2 256 → ReLU → fc3. Parameters {@code conv1 ..
 *       conv6}, {@code fc1 .. fc3}.
 *   <li>{@code resnet20}: the CIFAR ResNet-20 (He et al. 2016): conv1 16 + bn1, three stages of
 *       three {@link ResidualBlock}s with 16, 32, 64 channels (stride 2 and a 1×1 projection
 *       shortcut at the start of stages 2 and 3), global average pooling, fc.
 *   <li>{@code resnet18}: the CIFAR ResNet-18 of the lottery-ticket literature (He et al. 2016;
 *       Chen et al. 2021): a 3×3 stride-1 conv1 with 64 filters + bn1 and no max pooling, four
 *       stages of two {@link ResidualBlock}s with 64, 128, 256, 512 channels (stride 2 and a 1×1
 *       projection shortcut with BatchNorm at the start of stages 2 to 4), global average
 *       pooling, fc. Convolutions have no bias, as in torchvision.
 *   <li>{@code vgg16}: the CIFAR VGG-16 with BatchNorm (Frankle et al. 2020): thirteen 3×3
 *       convolutions {@code conv1 .. conv13} (padding 1, with bias), each followed by {@code
 *       bn1 .. bn13} and ReLU, with 64, 64, M, 128, 128, M, 256 ×3, M, 512 ×3, M, 512 ×3, M
 *       filters (M: 2×2 max pooling), then global average pooling and one linear layer fc.
 * </ul>
 *
 * <p>Every model is a {@link HeadedBlock}: the classifier ({@code fc3}, or {@code fc} for the
 * ResNets and VGG-16) is its one head, everything before it the backbone. Each model also names its
 * default prunable set, after the paper it comes from ({@link #defaultPrunable}).
 *
 * <pre>{@code
 * HeadedBlock block = Models.create("conv4", 1, 28, 28, 10);
 * try (DjlModel model = DjlModel.create(block, new Shape(1, 1, 28, 28), Devices.parse("auto"), 7)) {
 *   // parameters: conv1_weight, conv1_bias, ..., fc3_bias (head fc3)
 *   List<ParameterInfo> prunable = Models.defaultPrunable("conv4").select(model.parameters());
 * }
 * }</pre>
 */
public final class Models {
  private static final List<String> NAMES =
      List.of("lenet300", "conv2", "conv4", "conv6", "resnet20", "resnet18", "vgg16");

  /** VGG-16's layers: a number is a 3×3 convolution with that many filters, 0 a max pooling. */
  private static final int[] VGG16_PLAN =
      {64, 64, 0, 128, 128, 0, 256, 256, 256, 0, 512, 512, 512, 0, 512, 512, 512, 0};
  private static final int VGG16_POOLS = 5;

  private Models() {}

  /** The model names {@link #create} knows. */
  public static List<String> names() {
    return NAMES;
  }

  /**
   * The paper's prunable set for a built-in model:
   *
   * <ul>
   *   <li>{@code lenet300}, {@code conv2/4/6} (Frankle &amp; Carbin 2019): every linear and
   *       convolution weight except the output layer, which is the head;
   *   <li>{@code resnet20}, {@code resnet18} (Chen et al. 2021): every convolution weight
   *       except the first convolution {@code conv1}; the classifier stays dense;
   *   <li>{@code vgg16} (Frankle et al. 2020, whose OpenLTH VGGs leave only {@code fc.weight}
   *       out of pruning): every convolution weight; the classifier stays dense.
   * </ul>
   *
   * Biases and BatchNorm parameters stay dense everywhere. The selector is meant for the model's
   * {@link HeadedBlock}: it goes by declared heads, so a replaced head stays dense too.
   *
   * <pre>{@code
   * Mask dense = Mask.dense(shapes(Models.defaultPrunable("resnet20").select(model.parameters())));
   * }</pre>
   *
   * @throws IllegalArgumentException for an unknown model name
   */
  public static ParameterSelector defaultPrunable(String modelName) {
    checkKnown(modelName);
    switch (modelName) {
      case "resnet20":
      case "resnet18":
        return ParameterSelectors.ofKind(ParameterKind.CONV_WEIGHT)
            .and(ParameterSelectors.backbone())
            .and(ParameterSelectors.excluding("conv1_weight"));
      case "vgg16":
        return ParameterSelectors.ofKind(ParameterKind.CONV_WEIGHT)
            .and(ParameterSelectors.backbone());
      default:
        break;
    }
    return ParameterSelectors.layerWeights().and(ParameterSelectors.backbone());
  }

  /**
   * What a filter criterion ({@code filter-l1}, {@code filter-l2}) prunes for a built-in model:
   * filter layers with their companions (see {@link io.github.lth.core.structured.FilterLayout}),
   * chosen so that every pruned channel can be physically removed, its output being exactly zero:
   *
   * <ul>
   *   <li>{@code lenet300}: {@code fc1} and {@code fc2}, weight and bias;
   *   <li>{@code conv2/4/6}: every convolution's weight and bias, and {@code fc1}, {@code fc2}
   *       weight and bias; never the head {@code fc3};
   *   <li>{@code vgg16}: every convolution's weight and bias with its BatchNorm's gamma and beta;
   *   <li>{@code resnet20}, {@code resnet18}: only the first convolution of each residual block
   *       ({@code stage*_block*_conv1_weight}) with that block's {@code bn1_gamma} and {@code
   *       bn1_beta}. The block's second convolution, the stem and the shortcuts feed the residual
   *       sum, whose channels cannot be removed one layer at a time.
   * </ul>
   *
   * <pre>{@code
   * Imp.builder().optCriterion(FilterCriteria.l1()).optSelector(Models.structuredPrunable("vgg16"))
   * }</pre>
   *
   * @throws IllegalArgumentException for an unknown model name
   */
  public static ParameterSelector structuredPrunable(String modelName) {
    checkKnown(modelName);
    switch (modelName) {
      case "lenet300":
        return ParameterSelectors.matching("fc[12]_(weight|bias)");
      case "resnet20":
      case "resnet18":
        return ParameterSelectors.matching(
            "stage\\d+_block\\d+_(conv1_weight|bn1_gamma|bn1_beta)");
      case "vgg16":
        return ParameterSelectors.matching("conv\\d+_(weight|bias)|bn\\d+_(gamma|beta)");
      default:
        return ParameterSelectors.matching("conv\\d+_(weight|bias)|fc[12]_(weight|bias)");
    }
  }

  /**
   * One line saying what {@link #structuredPrunable} prunes for the model, for {@code --help}
   * and the README.
   *
   * <pre>{@code
   * System.out.println("resnet20: " + Models.structuredPresetDescription("resnet20"));
   * }</pre>
   *
   * @throws IllegalArgumentException for an unknown model name
   */
  public static String structuredPresetDescription(String modelName) {
    checkKnown(modelName);
    switch (modelName) {
      case "lenet300":
        return "filters (neurons) of fc1 and fc2 with their biases";
      case "resnet20":
      case "resnet18":
        return "filters of each residual block's first convolution with its bn1 gamma and beta"
            + " (the residual sum's channels stay)";
      case "vgg16":
        return "filters of every convolution with its bias and BatchNorm gamma and beta";
      default:
        return "filters of every convolution and of fc1, fc2, with their biases; fc3 stays";
    }
  }

  /**
   * One line saying what {@link #defaultPrunable} prunes for the model and after which paper,
   * for {@code --help} and the README.
   *
   * <pre>{@code
   * System.out.println("resnet20: " + Models.presetDescription("resnet20"));
   * }</pre>
   *
   * @throws IllegalArgumentException for an unknown model name
   */
  public static String presetDescription(String modelName) {
    checkKnown(modelName);
    switch (modelName) {
      case "resnet20":
      case "resnet18":
        return "all convolution weights except conv1; classifier, biases, BatchNorm dense"
            + " (Chen et al. 2021)";
      case "vgg16":
        return "all convolution weights; classifier, biases, BatchNorm dense"
            + " (Frankle et al. 2020)";
      default:
        return "all linear and convolution weights except the output layer; biases dense"
            + " (Frankle & Carbin 2019)";
    }
  }

  /** Every model's {@link #structuredPresetDescription}, in the order of {@link #names()}. */
  public static Map<String, String> structuredPresets() {
    Map<String, String> out = new LinkedHashMap<>();
    for (String name : NAMES) {
      out.put(name, structuredPresetDescription(name));
    }
    return Collections.unmodifiableMap(out);
  }

  /** Every model's {@link #presetDescription}, in the order of {@link #names()}. */
  public static Map<String, String> presets() {
    Map<String, String> out = new LinkedHashMap<>();
    for (String name : NAMES) {
      out.put(name, presetDescription(name));
    }
    return Collections.unmodifiableMap(out);
  }

  /**
   * A new, uninitialised block for images of the given shape.
   *
   * @throws IllegalArgumentException for an unknown name, a non-positive size, or an image too
   *     small for the model's poolings
   */
  public static HeadedBlock create(String name, int channels, int height, int width,
      int classes) {
    checkKnown(name);
    checkArgument(channels > 0 && height > 0 && width > 0,
        "model %s: image shape must be positive: %sx%sx%s", name, channels, height, width);
    checkArgument(classes > 0, "model %s: number of classes must be positive: %s", name,
        classes);
    switch (name) {
      case "lenet300":
        return lenet300(classes);
      case "conv2":
        return conv(2, height, width, classes);
      case "conv4":
        return conv(4, height, width, classes);
      case "conv6":
        return conv(6, height, width, classes);
      case "resnet20":
        return resnet20(classes);
      case "resnet18":
        return resnet18(classes);
      default:
        return vgg16(height, width, classes);
    }
  }

  /** LeNet-300-100 (fully connected): backbone up to the 100 features, head {@code fc3}. */
  public static HeadedBlock lenet300(int classes) {
    NamedSequentialBlock backbone = new NamedSequentialBlock()
        .add("flatten", Blocks.batchFlattenBlock())
        .add("fc1", Layers.linear(300))
        .add("relu1", Activation::relu)
        .add("fc2", Layers.linear(100))
        .add("relu2", Activation::relu);
    return new HeadedBlock(backbone).addHead("fc3", Layers.linear(classes));
  }

  /**
   * Conv-2, Conv-4 or Conv-6 for images of the given height and width: backbone up to the 256
   * features after fc2, head {@code fc3}.
   */
  public static HeadedBlock conv(int depth, int height, int width, int classes) {
    checkArgument(depth == 2 || depth == 4 || depth == 6, "conv depth must be 2, 4 or 6: %s",
        depth);
    int pools = depth / 2;
    int smallest = 1 << pools;
    checkArgument(height >= smallest && width >= smallest,
        "model conv%s: images of %sx%s are too small for %s 2x2 poolings (need at least"
            + " %sx%s)", depth, height, width, pools, smallest, smallest);
    NamedSequentialBlock net = new NamedSequentialBlock();
    int filters = 64;
    for (int layer = 1; layer <= depth; layer++) {
      net.add("conv" + layer, Layers.conv3x3(filters, 1, true));
      net.add("relu" + layer, Activation::relu);
      if (layer % 2 == 0) {
        net.add("pool" + layer / 2, Pool.maxPool2dBlock(new Shape(2, 2), new Shape(2, 2)));
        filters *= 2;
      }
    }
    net.add("flatten", Blocks.batchFlattenBlock())
        .add("fc1", Layers.linear(256))
        .add("fcrelu1", Activation::relu)
        .add("fc2", Layers.linear(256))
        .add("fcrelu2", Activation::relu);
    return new HeadedBlock(net).addHead("fc3", Layers.linear(classes));
  }

  /**
   * ResNet-20 for CIFAR-sized images (any size works; the pooling is global): backbone up to the
   * 64 pooled features, head {@code fc}.
   */
  public static HeadedBlock resnet20(int classes) {
    return cifarResNet(new int[] {16, 32, 64}, 3, classes);
  }

  /**
   * ResNet-18, CIFAR variant (3×3 stride-1 stem, no max pooling), for any image size (the
   * pooling is global): backbone up to the 512 pooled features, head {@code fc}. Parameters:
   * {@code conv1_weight}, {@code bn1_*}, then {@code stage<s>_block<b>_conv1_weight}, {@code
   * _bn1_*}, {@code _conv2_weight}, {@code _bn2_*} and, in block 0 of stages 2 to 4, {@code
   * _shortcut_conv_weight}, {@code _shortcut_bn_*}; last {@code fc_weight}, {@code fc_bias}.
   * 11,173,962 trainable parameters for 10 classes, as PyTorch counts them; DJL also lists
   * BatchNorm's running mean and variance (9,600 more values, no gradient).
   *
   * @throws IllegalArgumentException if {@code classes} is not positive
   */
  public static HeadedBlock resnet18(int classes) {
    checkArgument(classes > 0, "model resnet18: number of classes must be positive: %s",
        classes);
    return cifarResNet(new int[] {64, 128, 256, 512}, 2, classes);
  }

  /**
   * A CIFAR-style ResNet: a 3×3 stem as wide as the first stage, then one stage of {@code
   * blocksPerStage} basic blocks per width, the first block of every stage but the first
   * halving the resolution through a projection shortcut.
   */
  private static HeadedBlock cifarResNet(int[] widths, int blocksPerStage, int classes) {
    NamedSequentialBlock net = new NamedSequentialBlock()
        .add("conv1", Layers.conv3x3(widths[0], 1, false))
        .add("bn1", Layers.batchNorm())
        .add("relu1", Activation::relu);
    int inChannels = widths[0];
    for (int stage = 0; stage < widths.length; stage++) {
      NamedSequentialBlock blocks = new NamedSequentialBlock();
      for (int b = 0; b < blocksPerStage; b++) {
        int stride = stage > 0 && b == 0 ? 2 : 1;
        boolean projection = stride != 1 || inChannels != widths[stage];
        blocks.add("block" + b, new ResidualBlock(widths[stage], stride, projection));
        inChannels = widths[stage];
      }
      net.add("stage" + (stage + 1), blocks);
    }
    net.add("pool", Pool.globalAvgPool2dBlock());
    return new HeadedBlock(net).addHead("fc", Layers.linear(classes));
  }

  /**
   * VGG-16 with BatchNorm for CIFAR-sized images, at least 32×32 (five 2×2 max poolings):
   * backbone up to the 512 pooled features, head {@code fc}. Parameters in forward order:
   * {@code conv1_weight, conv1_bias, bn1_gamma, bn1_beta, bn1_runningMean, bn1_runningVar, ..,
   * conv13_*, bn13_*, fc_weight, fc_bias}.
   *
   * <p>After the fifth pooling a 32×32 image is 1×1, so the global average pooling before fc
   * equals the flatten of the papers' models there; unlike a flatten it keeps fc at 512 inputs
   * for larger images too. The convolutions keep their bias, as in torchvision's {@code
   * vgg16_bn} and OpenLTH's VGGs: 14,728,266 trainable parameters for 10 classes, plus 8,448
   * BatchNorm running statistics that DJL also lists.
   *
   * @throws IllegalArgumentException if a size is not positive or the image is smaller than
   *     32×32
   */
  public static HeadedBlock vgg16(int height, int width, int classes) {
    checkArgument(height > 0 && width > 0, "model vgg16: image size must be positive: %sx%s",
        height, width);
    checkArgument(classes > 0, "model vgg16: number of classes must be positive: %s", classes);
    int smallest = 1 << VGG16_POOLS;
    checkArgument(height >= smallest && width >= smallest,
        "model vgg16: images of %sx%s are too small for %s 2x2 poolings (need at least %sx%s)",
        height, width, VGG16_POOLS, smallest, smallest);
    NamedSequentialBlock net = new NamedSequentialBlock();
    int layer = 0;
    int pool = 0;
    for (int filters : VGG16_PLAN) {
      if (filters == 0) {
        pool++;
        net.add("pool" + pool, Pool.maxPool2dBlock(new Shape(2, 2), new Shape(2, 2)));
      } else {
        layer++;
        net.add("conv" + layer, Layers.conv3x3(filters, 1, true))
            .add("bn" + layer, Layers.batchNorm())
            .add("relu" + layer, Activation::relu);
      }
    }
    net.add("pool", Pool.globalAvgPool2dBlock());
    return new HeadedBlock(net).addHead("fc", Layers.linear(classes));
  }

  private static void checkKnown(String name) {
    checkArgument(name != null && NAMES.contains(name), "model: unknown model '%s' (known: %s)",
        name, String.join(", ", NAMES));
  }
}
