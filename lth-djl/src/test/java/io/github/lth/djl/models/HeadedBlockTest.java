package io.github.lth.djl.models;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.nn.Blocks;
import ai.djl.nn.pooling.Pool;
import ai.djl.training.ParameterStore;
import io.github.lth.core.ParameterInfo;
import io.github.lth.djl.DjlModel;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class HeadedBlockTest {

  static Stream<Arguments> models() {
    return Stream.of(
        Arguments.of("lenet300", 1, 28, 28, 10),
        Arguments.of("conv2", 3, 16, 16, 7),
        Arguments.of("conv4", 1, 12, 12, 10),
        Arguments.of("conv6", 3, 8, 8, 5),
        Arguments.of("resnet20", 3, 16, 16, 10));
  }

  /**
   * The built-in models as heads changed them must be the models they were: same parameter
   * names, order, shapes and kinds, same weights for the same seed, same outputs, and the same
   * .params bytes.
   */
  @ParameterizedTest(name = "{0}")
  @MethodSource("models")
  void builtInModelsEqualTheFlatSequencesTheyReplace(String name, int c, int h, int w,
      int classes) throws IOException {
    Shape input = new Shape(1, c, h, w);
    try (DjlModel headed = DjlModel.create(Models.create(name, c, h, w, classes), input,
            Device.cpu(), 17);
        DjlModel flat = DjlModel.create(legacy(name, h, w, classes), input, Device.cpu(), 17);
        NDManager data = NDManager.newBaseManager(Device.cpu())) {
      assertThat(headed.parameters()).hasSameSizeAs(flat.parameters());
      for (int i = 0; i < flat.parameters().size(); i++) {
        ParameterInfo a = headed.parameters().get(i);
        ParameterInfo b = flat.parameters().get(i);
        assertThat(a.name()).isEqualTo(b.name());
        assertThat(a.shape()).isEqualTo(b.shape());
        assertThat(a.kind()).isEqualTo(b.kind());
        assertThat(a.head()).isEqualTo(i >= flat.parameters().size() - 2
            ? (name.equals("resnet20") ? "fc" : "fc3") : "");
      }
      assertThat(headed.state()).isEqualTo(flat.state());

      data.getEngine().setRandomSeed(3);
      NDArray x = data.randomUniform(0f, 1f, new Shape(4, c, h, w));
      for (boolean training : new boolean[] {false, true}) {
        float[] a = headed.forward(new NDList(x), training).singletonOrThrow().toFloatArray();
        float[] b = flat.forward(new NDList(x), training).singletonOrThrow().toFloatArray();
        assertThat(a).hasSize(4 * classes).containsExactly(b);
      }
      assertThat(saved(headed.block())).isEqualTo(saved(flat.block()));
    }
  }

  @Test
  void parametersSavedByTheFlatLenetLoadIntoTheHeadedOne() throws Exception {
    try (DjlModel flat = DjlModel.create(legacy("lenet300", 28, 28, 10), new Shape(1, 1, 28, 28),
            Device.cpu(), 4);
        NDManager m = NDManager.newBaseManager(Device.cpu())) {
      HeadedBlock fresh = Models.lenet300(10);
      try (DataInputStream in = new DataInputStream(
          new ByteArrayInputStream(saved(flat.block())))) {
        fresh.loadParameters(m, in);
      }
      assertThat(fresh.getParameters().keys()).containsExactlyElementsOf(
          flat.block().getParameters().keys());
      for (String p : fresh.getParameters().keys()) {
        assertThat(fresh.getParameters().get(p).getArray().toFloatArray()).as(p)
            .containsExactly(flat.parameterArray(p).toFloatArray());
      }
      // loaded but never initialized: a training pass initializes only what is missing
      NDArray x = m.ones(new Shape(2, 1, 28, 28));
      float[] out = fresh.forward(new ParameterStore(m, false), new NDList(x), true)
          .singletonOrThrow().toFloatArray();
      assertThat(out).containsExactly(
          flat.forward(new NDList(x), true).singletonOrThrow().toFloatArray());
    }
  }

  @Test
  void headParametersArePrefixedAndTheActiveHeadDecidesTheOutput() {
    HeadedBlock net = new HeadedBlock(new NamedSequentialBlock()
            .add("flatten", Blocks.batchFlattenBlock())
            .add("fc1", Layers.linear(6))
            .add("relu1", Activation::relu))
        .addHead("proj", new NamedSequentialBlock().add("lin", Layers.linear(3)))
        .addHead("cls", Layers.linear(2));
    try (NDManager m = NDManager.newBaseManager(Device.cpu())) {
      net.initialize(m, DataType.FLOAT32, new Shape(1, 1, 2, 2));
      assertThat(net.getParameters().keys()).containsExactly("fc1_weight", "fc1_bias",
          "proj_lin_weight", "proj_lin_bias", "cls_weight", "cls_bias");
      assertThat(net.heads()).containsExactly("proj", "cls");
      assertThat(net.activeHead()).contains("proj");
      ParameterStore ps = new ParameterStore(m, false);
      NDList x = new NDList(m.ones(new Shape(5, 1, 2, 2)));
      assertThat(net.forward(ps, x, false).singletonOrThrow().getShape())
          .isEqualTo(new Shape(5, 3));
      assertThat(net.getOutputShapes(new Shape[] {new Shape(5, 1, 2, 2)}))
          .containsExactly(new Shape(5, 3));

      net.useHead("cls");
      assertThat(net.forward(ps, x, false).singletonOrThrow().getShape())
          .isEqualTo(new Shape(5, 2));

      Block removed = net.removeHead("cls");
      assertThat(removed.getParameters().keys()).containsExactly("weight", "bias");
      assertThat(net.activeHead()).contains("proj");
      net.removeHead("proj");
      assertThat(net.activeHead()).isEmpty();
      assertThat(net.heads()).isEmpty();
      NDArray features = net.forward(ps, x, false).singletonOrThrow();
      NDArray backbone = net.backbone().forward(ps, x, false).singletonOrThrow();
      assertThat(features.getShape()).isEqualTo(new Shape(5, 6));
      assertThat(features.toFloatArray()).containsExactly(backbone.toFloatArray());
      assertThat(net.getParameters().keys()).containsExactly("fc1_weight", "fc1_bias");
    }
  }

  @Test
  void replaceHeadKeepsThePlaceAndAppendsUnknownNames() {
    HeadedBlock net = new HeadedBlock(Layers.linear(4)).addHead("a", Layers.linear(2))
        .addHead("b", Layers.linear(3));
    Block fresh = Layers.linear(9);
    Block old = net.replaceHead("a", fresh);
    assertThat(old).isNotSameAs(fresh);
    assertThat(net.heads()).containsExactly("a", "b");
    assertThat(net.head("a")).isSameAs(fresh);
    assertThat(net.replaceHead("c", Layers.linear(1))).isNull();
    assertThat(net.heads()).containsExactly("a", "b", "c");
    assertThat(net.activeHead()).contains("a");
  }

  @Test
  void badHeadsAreRefusedWithTheName() {
    HeadedBlock net = new HeadedBlock(new NamedSequentialBlock().add("fc", Layers.linear(4)))
        .addHead("out", Layers.linear(2));
    assertThatThrownBy(() -> net.addHead("out", Layers.linear(2)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("head name 'out' is used twice");
    assertThatThrownBy(() -> net.addHead("my_head", Layers.linear(2)))
        .hasMessage("head name must be a letter followed by letters or digits: 'my_head'");
    assertThatThrownBy(() -> net.addHead("backbone", Layers.linear(2)))
        .hasMessage("a head cannot be called 'backbone'");
    // a head "fc" holding a "weight" would be called fc_weight, the backbone's name
    assertThatThrownBy(() -> net.addHead("fc", Layers.linear(2)))
        .hasMessage("head 'fc': parameter name fc_weight is already taken");
    assertThatThrownBy(() -> net.useHead("cls"))
        .hasMessage("the block has no head 'cls' (heads: [out])");
    assertThatThrownBy(() -> net.head("backbone"))
        .hasMessage("the block has no head 'backbone' (heads: [out])");
    assertThat(net.heads()).containsExactly("out");
  }

  // ---------------------------------------------------------------------------------------------

  private static byte[] saved(Block block) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (DataOutputStream out = new DataOutputStream(bytes)) {
      block.saveParameters(out);
    }
    return bytes.toByteArray();
  }

  /** The built-in models as one flat NamedSequentialBlock each, as they were built before. */
  static NamedSequentialBlock legacy(String name, int height, int width, int classes) {
    switch (name) {
      case "lenet300":
        return new NamedSequentialBlock()
            .add("flatten", Blocks.batchFlattenBlock())
            .add("fc1", Layers.linear(300))
            .add("relu1", Activation::relu)
            .add("fc2", Layers.linear(100))
            .add("relu2", Activation::relu)
            .add("fc3", Layers.linear(classes));
      case "resnet20": {
        NamedSequentialBlock net = new NamedSequentialBlock()
            .add("conv1", Layers.conv3x3(16, 1, false))
            .add("bn1", Layers.batchNorm())
            .add("relu1", Activation::relu);
        int[] widths = {16, 32, 64};
        int inChannels = 16;
        for (int stage = 0; stage < widths.length; stage++) {
          NamedSequentialBlock blocks = new NamedSequentialBlock();
          for (int b = 0; b < 3; b++) {
            int stride = stage > 0 && b == 0 ? 2 : 1;
            boolean projection = stride != 1 || inChannels != widths[stage];
            blocks.add("block" + b, new ResidualBlock(widths[stage], stride, projection));
            inChannels = widths[stage];
          }
          net.add("stage" + (stage + 1), blocks);
        }
        return net.add("pool", Pool.globalAvgPool2dBlock()).add("fc", Layers.linear(classes));
      }
      default: {
        int depth = Integer.parseInt(name.substring(4));
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
        return net.add("flatten", Blocks.batchFlattenBlock())
            .add("fc1", Layers.linear(256))
            .add("fcrelu1", Activation::relu)
            .add("fc2", Layers.linear(256))
            .add("fcrelu2", Activation::relu)
            .add("fc3", Layers.linear(classes));
      }
    }
  }
}
