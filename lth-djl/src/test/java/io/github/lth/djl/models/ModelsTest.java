package io.github.lth.djl.models;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.util.Pair;
import io.github.lth.core.ParameterInfo;
import io.github.lth.core.ParameterKind;
import io.github.lth.core.prune.ParameterSelectors;
import io.github.lth.djl.DjlModel;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

class ModelsTest {
  /** name, channels, height, width, classes, all parameters, trainable parameters. */
  static Stream<Arguments> models() {
    return Stream.of(
        Arguments.of("lenet300", 1, 28, 28, 10, lenet(1 * 28 * 28, 10), lenet(784, 10)),
        Arguments.of("lenet300", 3, 32, 32, 7, lenet(3 * 32 * 32, 7), lenet(3072, 7)),
        Arguments.of("conv2", 1, 28, 28, 10, conv(2, 1, 28, 28, 10), conv(2, 1, 28, 28, 10)),
        Arguments.of("conv2", 3, 32, 32, 7, conv(2, 3, 32, 32, 7), conv(2, 3, 32, 32, 7)),
        Arguments.of("conv4", 1, 28, 28, 10, conv(4, 1, 28, 28, 10), conv(4, 1, 28, 28, 10)),
        Arguments.of("conv4", 3, 32, 32, 7, conv(4, 3, 32, 32, 7), conv(4, 3, 32, 32, 7)),
        Arguments.of("conv6", 1, 28, 28, 10, conv(6, 1, 28, 28, 10), conv(6, 1, 28, 28, 10)),
        Arguments.of("conv6", 3, 32, 32, 7, conv(6, 3, 32, 32, 7), conv(6, 3, 32, 32, 7)),
        Arguments.of("resnet20", 1, 28, 28, 10, resnet20(1, 10, true), resnet20(1, 10, false)),
        Arguments.of("resnet20", 3, 32, 32, 7, resnet20(3, 7, true), resnet20(3, 7, false)),
        Arguments.of("resnet18", 3, 32, 32, 10, resnet18(3, 10, true), resnet18(3, 10, false)),
        Arguments.of("resnet18", 1, 28, 28, 7, resnet18(1, 7, true), resnet18(1, 7, false)),
        Arguments.of("vgg16", 3, 32, 32, 10, vgg16(3, 10, true), vgg16(3, 10, false)),
        Arguments.of("vgg16", 1, 64, 48, 7, vgg16(1, 7, true), vgg16(1, 7, false)));
  }

  @ParameterizedTest(name = "{0} on {1}x{2}x{3}")
  @MethodSource("models")
  void initialisesAndMapsABatchToClassScores(String name, int c, int h, int w, int classes,
      long all, long trainable) {
    try (NDManager manager = NDManager.newBaseManager()) {
      Block block = Models.create(name, c, h, w, classes);
      block.initialize(manager, DataType.FLOAT32, new Shape(1, c, h, w));
      long total = 0;
      long withGradient = 0;
      for (Pair<String, Parameter> p : block.getParameters()) {
        long size = p.getValue().getArray().size();
        total += size;
        withGradient += p.getValue().requiresGradient() ? size : 0;
      }
      assertThat(total).isEqualTo(all);
      assertThat(withGradient).isEqualTo(trainable);
      assertThat(block.getParameters().keys()).isEqualTo(expectedNames(name));

      NDArray x = manager.randomUniform(0f, 1f, new Shape(3, c, h, w));
      ParameterStore store = new ParameterStore(manager, false);
      NDArray out = block.forward(store, new NDList(x), false).singletonOrThrow();
      assertThat(out.getShape()).isEqualTo(new Shape(3, classes));
      assertThat(out.isInfinite().any().getBoolean() || out.isNaN().any().getBoolean())
          .isFalse();
      NDArray trainOut = block.forward(store, new NDList(x), true).singletonOrThrow();
      assertThat(trainOut.getShape()).isEqualTo(new Shape(3, classes));
    }
  }

  @Test
  void paperParameterCounts() {
    // Published figures: LeNet-300-100 266,610 on MNIST; Conv-2 4.3M and Conv-4 2.4M on
    // CIFAR-10 (Frankle & Carbin, Figure 2); ResNet-20 0.27M (He et al. 2016).
    assertThat(lenet(784, 10)).isEqualTo(266_610L);
    assertThat(conv(2, 3, 32, 32, 10)).isEqualTo(4_301_642L);
    assertThat(conv(4, 3, 32, 32, 10)).isEqualTo(2_425_930L);
    assertThat(conv(6, 3, 32, 32, 10)).isEqualTo(2_262_602L);
    assertThat(resnet20(3, 10, false)).isEqualTo(272_474L);
    // ResNet-18 (CIFAR) and VGG-16 with BatchNorm as PyTorch counts them (torchvision-style
    // convolutions: no bias in the ResNet, bias in VGG); DJL adds BatchNorm's running mean and
    // variance, 2 x 4,800 and 2 x 4,224 values without gradient.
    assertThat(resnet18(3, 10, false)).isEqualTo(11_173_962L);
    assertThat(resnet18(3, 10, true)).isEqualTo(11_183_562L);
    assertThat(vgg16(3, 10, false)).isEqualTo(14_728_266L);
    assertThat(vgg16(3, 10, true)).isEqualTo(14_736_714L);
  }

  @Test
  void lenetComputesTheTextbookFormula() {
    try (NDManager manager = NDManager.newBaseManager()) {
      Block block = Models.create("lenet300", 1, 28, 28, 10);
      block.initialize(manager, DataType.FLOAT32, new Shape(1, 1, 28, 28));
      float[] image = new float[784];
      for (int i = 0; i < image.length; i++) {
        image[i] = (i * 37 % 101) / 100f;
      }
      NDArray x = manager.create(image, new Shape(1, 1, 28, 28));
      float[] out = block.forward(new ParameterStore(manager, false), new NDList(x), false)
          .singletonOrThrow().toFloatArray();

      double[] h1 = dense(block, "fc1", toDouble(image), true);
      double[] h2 = dense(block, "fc2", h1, true);
      double[] expected = dense(block, "fc3", h2, false);
      for (int k = 0; k < 10; k++) {
        assertThat((double) out[k]).isCloseTo(expected[k],
            Offset.offset(1e-4 * (1 + Math.abs(expected[k]))));
      }
    }
  }

  @Test
  void savedParametersLoadIntoAFreshBlock() throws Exception {
    try (NDManager manager = NDManager.newBaseManager()) {
      Shape shape = new Shape(2, 3, 8, 8);
      Block trained = Models.create("resnet20", 3, 8, 8, 4);
      trained.initialize(manager, DataType.FLOAT32, shape);
      ByteArrayOutputStream bytes = new ByteArrayOutputStream();
      try (DataOutputStream out = new DataOutputStream(bytes)) {
        trained.saveParameters(out);
      }
      Block fresh = Models.create("resnet20", 3, 8, 8, 4);
      fresh.initialize(manager, DataType.FLOAT32, shape);
      try (DataInputStream in =
          new DataInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
        fresh.loadParameters(manager, in);
      }
      NDArray x = manager.randomUniform(0f, 1f, shape);
      ParameterStore store = new ParameterStore(manager, false);
      float[] a = trained.forward(store, new NDList(x), false).singletonOrThrow().toFloatArray();
      float[] b = fresh.forward(store, new NDList(x), false).singletonOrThrow().toFloatArray();
      assertThat(b).containsExactly(a);
      assertThat(fresh.getParameters().get("stage3_block0_shortcut_conv_weight").getArray()
          .toFloatArray()).containsExactly(trained.getParameters()
          .get("stage3_block0_shortcut_conv_weight").getArray().toFloatArray());
    }
  }

  @Test
  void presetsFollowThePapers() {
    try (DjlModel conv = DjlModel.create(Models.create("conv4", 3, 16, 16, 10),
            new Shape(1, 3, 16, 16), Device.cpu(), 1);
        DjlModel lenet = DjlModel.create(Models.create("lenet300", 1, 28, 28, 10),
            new Shape(1, 1, 28, 28), Device.cpu(), 1);
        DjlModel resnet = DjlModel.create(Models.create("resnet20", 3, 8, 8, 10),
            new Shape(1, 3, 8, 8), Device.cpu(), 1)) {
      // Frankle & Carbin: every conv and linear weight but the output layer
      assertThat(Models.defaultPrunable("conv4").select(conv.parameters()))
          .extracting(ParameterInfo::name).containsExactly("conv1_weight", "conv2_weight",
              "conv3_weight", "conv4_weight", "fc1_weight", "fc2_weight");
      assertThat(Models.defaultPrunable("lenet300").select(lenet.parameters()))
          .extracting(ParameterInfo::name).containsExactly("fc1_weight", "fc2_weight");
      // Chen et al.: every convolution but conv1; fc, biases and BatchNorm dense
      List<ParameterInfo> r = Models.defaultPrunable("resnet20").select(resnet.parameters());
      assertThat(r).hasSize(20).allMatch(p -> p.kind() == ParameterKind.CONV_WEIGHT)
          .extracting(ParameterInfo::name)
          .doesNotContain("conv1_weight", "fc_weight")
          .contains("stage1_block0_conv1_weight", "stage3_block0_shortcut_conv_weight",
              "stage3_block2_conv2_weight");
      // the defaults keep conv1: that is the one difference
      assertThat(ParameterSelectors.defaults().select(resnet.parameters()))
          .extracting(ParameterInfo::name).first().isEqualTo("conv1_weight");
    }
    try (DjlModel resnet = DjlModel.create(Models.create("resnet18", 3, 8, 8, 10),
            new Shape(1, 3, 8, 8), Device.cpu(), 1);
        DjlModel vgg = DjlModel.create(Models.create("vgg16", 3, 32, 32, 10),
            new Shape(1, 3, 32, 32), Device.cpu(), 1)) {
      // Chen et al.: 16 block convolutions and 3 projections; conv1 and fc stay dense
      List<String> expected = new ArrayList<>();
      for (String name : expectedNames("resnet18")) {
        if (name.endsWith("conv1_weight") || name.endsWith("conv2_weight")
            || name.endsWith("shortcut_conv_weight")) {
          expected.add(name);
        }
      }
      expected.remove("conv1_weight");
      assertThat(Models.defaultPrunable("resnet18").select(resnet.parameters()))
          .extracting(ParameterInfo::name).hasSize(19).containsExactlyElementsOf(expected);
      // Frankle et al. 2020 (OpenLTH VGG): every convolution; fc, biases, BatchNorm dense
      List<String> convs = new ArrayList<>();
      for (int i = 1; i <= 13; i++) {
        convs.add("conv" + i + "_weight");
      }
      assertThat(Models.defaultPrunable("vgg16").select(vgg.parameters()))
          .extracting(ParameterInfo::name).containsExactlyElementsOf(convs);
    }
    assertThat(Models.presetDescription("resnet18"))
        .isEqualTo(Models.presetDescription("resnet20"));
    assertThat(Models.presetDescription("vgg16")).isEqualTo("all convolution weights;"
        + " classifier, biases, BatchNorm dense (Frankle et al. 2020)");
    assertThat(Models.presets()).containsOnlyKeys(Models.names());
    assertThat(Models.presetDescription("conv6")).isEqualTo("all linear and convolution"
        + " weights except the output layer; biases dense (Frankle & Carbin 2019)");
    assertThat(Models.presetDescription("resnet20")).isEqualTo("all convolution weights except"
        + " conv1; classifier, biases, BatchNorm dense (Chen et al. 2021)");
    assertThatThrownBy(() -> Models.defaultPrunable("vgg19"))
        .hasMessage("model: unknown model 'vgg19' (known: lenet300, conv2, conv4, conv6,"
            + " resnet20, resnet18, vgg16)");
  }

  @Test
  void unknownModel() {
    assertThatThrownBy(() -> Models.create("vgg19", 3, 32, 32, 10))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("model: unknown model 'vgg19' (known: lenet300, conv2, conv4, conv6,"
            + " resnet20, resnet18, vgg16)");
    assertThat(Models.names()).containsExactly("lenet300", "conv2", "conv4", "conv6", "resnet20",
        "resnet18", "vgg16");
  }

  @Test
  void imageTooSmallForThePoolings() {
    assertThatThrownBy(() -> Models.create("conv6", 1, 7, 28, 10))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("model conv6: images of 7x28 are too small for 3 2x2 poolings (need at"
            + " least 8x8)");
    assertThatThrownBy(() -> Models.create("lenet300", 0, 28, 28, 10))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("model lenet300: image shape must be positive: 0x28x28");
    assertThatThrownBy(() -> Models.create("vgg16", 3, 32, 16, 10))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("model vgg16: images of 32x16 are too small for 5 2x2 poolings (need at"
            + " least 32x32)");
    assertThatThrownBy(() -> Models.vgg16(28, 28, 10))
        .hasMessage("model vgg16: images of 28x28 are too small for 5 2x2 poolings (need at"
            + " least 32x32)");
    assertThatThrownBy(() -> Models.vgg16(32, 32, 0))
        .hasMessage("model vgg16: number of classes must be positive: 0");
    assertThatThrownBy(() -> Models.resnet18(-1))
        .hasMessage("model resnet18: number of classes must be positive: -1");
    // global pooling: ResNet-18 takes small images (stride-2 convolutions round up)
    try (NDManager manager = NDManager.newBaseManager()) {
      Block block = Models.create("resnet18", 3, 4, 4, 10);
      block.initialize(manager, DataType.FLOAT32, new Shape(1, 3, 4, 4));
      NDArray out = block.forward(new ParameterStore(manager, false),
          new NDList(manager.ones(new Shape(2, 3, 4, 4))), false).singletonOrThrow();
      assertThat(out.getShape()).isEqualTo(new Shape(2, 10));
    }
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"resnet18", "vgg16"})
  void sameSeedSameWeights(String name) {
    Shape input = new Shape(1, 3, 32, 32);
    try (DjlModel a = DjlModel.create(Models.create(name, 3, 32, 32, 10), input, Device.cpu(), 5);
        DjlModel b = DjlModel.create(Models.create(name, 3, 32, 32, 10), input, Device.cpu(), 5);
        DjlModel c = DjlModel.create(Models.create(name, 3, 32, 32, 10), input, Device.cpu(),
            6)) {
      assertThat(a.parameters()).extracting(ParameterInfo::name)
          .isEqualTo(expectedNames(name));
      // Arrays.equals: AssertJ's containsExactly diffs in quadratic time, too slow at 2M values
      for (String p : List.of("conv1_weight", "fc_weight")) {
        assertThat(Arrays.equals(c.parameterArray(p).toFloatArray(),
            a.parameterArray(p).toFloatArray())).as(p).isFalse();
      }
      for (ParameterInfo p : a.parameters()) {
        assertThat(Arrays.equals(b.parameterArray(p.name()).toFloatArray(),
            a.parameterArray(p.name()).toFloatArray())).as(p.name()).isTrue();
      }
      assertThat(a.heads()).containsExactly("fc");
    }
  }

  @Test
  void childNamesMustBeUniqueAndPlain() {
    NamedSequentialBlock seq = new NamedSequentialBlock().add("fc1", Layers.linear(3));
    assertThatThrownBy(() -> seq.add("fc1", Layers.linear(3)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("block name 'fc1' is used twice");
    assertThatThrownBy(() -> seq.add("fc_2", Layers.linear(3)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("block name must be a letter followed by letters or digits: 'fc_2'");
  }

  // ---- parameter counts, layer by layer ----

  /** LeNet-300-100: weights plus biases of three dense layers. */
  static long lenet(int inputs, int classes) {
    return (inputs * 300L + 300) + (300 * 100 + 100) + (100L * classes + classes);
  }

  /** Conv-n: 3x3 convolutions with bias, 64/128/256 filters, then 256-256-classes. */
  static long conv(int depth, int c, int h, int w, int classes) {
    long total = 0;
    int in = c;
    int filters = 64;
    for (int layer = 1; layer <= depth; layer++) {
      total += (long) in * filters * 9 + filters;
      in = filters;
      if (layer % 2 == 0) {
        h /= 2;
        w /= 2;
        filters *= 2;
      }
    }
    long flat = (long) in * h * w;
    return total + (flat * 256 + 256) + (256 * 256 + 256) + (256L * classes + classes);
  }

  /**
   * ResNet-20: 3x3 convolutions without bias, BatchNorm (gamma and beta trainable, running mean
   * and variance not), 1x1 projections into stages 2 and 3, a dense classifier.
   */
  static long resnet20(int c, int classes, boolean withRunningStats) {
    int bnPer = withRunningStats ? 4 : 2;
    long total = c * 16L * 9 + bnPer * 16L;
    int in = 16;
    for (int width : new int[] {16, 32, 64}) {
      for (int b = 0; b < 3; b++) {
        total += (long) in * width * 9 + bnPer * width + (long) width * width * 9 + bnPer * width;
        if (in != width) {
          total += (long) in * width + bnPer * width;
        }
        in = width;
      }
    }
    return total + 64L * classes + classes;
  }

  /** CIFAR ResNet-18: like {@link #resnet20}, 64-128-256-512 channels, two blocks a stage. */
  static long resnet18(int c, int classes, boolean withRunningStats) {
    int bnPer = withRunningStats ? 4 : 2;
    long total = c * 64L * 9 + bnPer * 64L;
    int in = 64;
    for (int width : new int[] {64, 128, 256, 512}) {
      for (int b = 0; b < 2; b++) {
        total += (long) in * width * 9 + bnPer * width + (long) width * width * 9 + bnPer * width;
        if (in != width) {
          total += (long) in * width + bnPer * width;
        }
        in = width;
      }
    }
    return total + 512L * classes + classes;
  }

  /** VGG-16: thirteen 3x3 convolutions with bias, each with BatchNorm, then 512 -> classes. */
  static long vgg16(int c, int classes, boolean withRunningStats) {
    int bnPer = withRunningStats ? 4 : 2;
    long total = 0;
    int in = c;
    for (int width : VGG16_WIDTHS) {
      total += (long) in * width * 9 + width + (long) bnPer * width;
      in = width;
    }
    return total + 512L * classes + classes;
  }

  private static final int[] VGG16_WIDTHS =
      {64, 64, 128, 128, 256, 256, 256, 512, 512, 512, 512, 512, 512};

  // ---- parameter names ----

  static List<String> expectedNames(String model) {
    List<String> names = new ArrayList<>();
    if (model.equals("vgg16")) {
      for (int i = 1; i <= 13; i++) {
        names.add("conv" + i + "_weight");
        names.add("conv" + i + "_bias");
        bn(names, "bn" + i);
      }
      names.add("fc_weight");
      names.add("fc_bias");
      return names;
    }
    if (model.startsWith("resnet")) {
      boolean deep = model.equals("resnet18");
      names.add("conv1_weight");
      bn(names, "bn1");
      for (int stage = 1; stage <= (deep ? 4 : 3); stage++) {
        for (int b = 0; b < (deep ? 2 : 3); b++) {
          String p = "stage" + stage + "_block" + b + "_";
          names.add(p + "conv1_weight");
          bn(names, p + "bn1");
          names.add(p + "conv2_weight");
          bn(names, p + "bn2");
          if (stage > 1 && b == 0) {
            names.add(p + "shortcut_conv_weight");
            bn(names, p + "shortcut_bn");
          }
        }
      }
      names.add("fc_weight");
      names.add("fc_bias");
      return names;
    }
    int convs = model.equals("lenet300") ? 0 : Integer.parseInt(model.substring(4));
    for (int i = 1; i <= convs; i++) {
      names.add("conv" + i + "_weight");
      names.add("conv" + i + "_bias");
    }
    for (int i = 1; i <= 3; i++) {
      names.add("fc" + i + "_weight");
      names.add("fc" + i + "_bias");
    }
    return names;
  }

  private static void bn(List<String> names, String prefix) {
    for (String s : new String[] {"gamma", "beta", "runningMean", "runningVar"}) {
      names.add(prefix + "_" + s);
    }
  }

  // ---- plain-Java reference for LeNet ----

  private static double[] dense(Block block, String layer, double[] in, boolean relu) {
    NDArray weight = block.getParameters().get(layer + "_weight").getArray();
    float[] wv = weight.toFloatArray();
    float[] bv = block.getParameters().get(layer + "_bias").getArray().toFloatArray();
    int units = (int) weight.getShape().get(0);
    assertThat(weight.getShape().get(1)).isEqualTo(in.length);
    double[] out = new double[units];
    for (int u = 0; u < units; u++) {
      double s = bv[u];
      for (int i = 0; i < in.length; i++) {
        s += wv[u * in.length + i] * in[i];
      }
      out[u] = relu ? Math.max(0, s) : s;
    }
    return out;
  }

  private static double[] toDouble(float[] v) {
    double[] d = new double[v.length];
    for (int i = 0; i < v.length; i++) {
      d[i] = v[i];
    }
    return d;
  }
}
