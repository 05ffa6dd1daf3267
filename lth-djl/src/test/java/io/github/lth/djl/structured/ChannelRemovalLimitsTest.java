package io.github.lth.djl.structured;

import static io.github.lth.djl.structured.StructuredFixture.assertSameOutputs;
import static io.github.lth.djl.structured.StructuredFixture.assertShapes;
import static io.github.lth.djl.structured.StructuredFixture.evaluate;
import static io.github.lth.djl.structured.StructuredFixture.input;
import static io.github.lth.djl.structured.StructuredFixture.model;
import static io.github.lth.djl.structured.StructuredFixture.randomizeStatistics;
import static io.github.lth.djl.structured.StructuredFixture.rowsKept;
import static io.github.lth.djl.structured.StructuredFixture.shapes;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.nn.Blocks;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.BatchNorm;
import ai.djl.nn.norm.Dropout;
import ai.djl.nn.pooling.Pool;
import io.github.lth.core.Mask;
import io.github.lth.djl.DjlModel;
import io.github.lth.djl.models.HeadedBlock;
import io.github.lth.djl.models.NamedSequentialBlock;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * What channel removal must not remove, what it refuses, and that it leaves no native memory
 * behind.
 */
class ChannelRemovalLimitsTest {

  /** A mask zeroing the given rows of each named parameter (and nothing else). */
  private static Mask rows(DjlModel model, Map<String, int[]> rowsByParameter) {
    Map<String, long[]> shapes = shapes(model);
    Mask.Builder b = Mask.builder();
    rowsByParameter.forEach((name, r) -> b.put(name, shapes.get(name),
        rowsKept(shapes.get(name), r)));
    return b.build();
  }

  @Test
  void aZeroFilterWithANonzeroBiasOrBetaStays() {
    try (DjlModel lenet = model("lenet300", 1, 28, 10, 21);
        DjlModel resnet = model("resnet20", 3, 8, 10, 22);
        NDManager data = NDManager.newBaseManager(Device.cpu())) {
      randomizeStatistics(lenet, 23);
      // neuron 5: weights only, so its output is relu(bias) != 0; neuron 9: weights and bias
      lenet.applyMask(rows(lenet, Map.of("fc1_weight", new int[] {5, 9},
          "fc1_bias", new int[] {9})));
      Map<String, long[]> expected = shapes(lenet);
      expected.get("fc1_weight")[0] = 299;
      expected.get("fc1_bias")[0] = 299;
      expected.get("fc2_weight")[1] = 299;
      NDArray x = input(data, lenet, 2, 24);
      try (DjlModel shrunk = ChannelRemoval.shrink(lenet)) {
        assertShapes(shrunk, expected);
        assertSameOutputs(evaluate(shrunk, x), evaluate(lenet, x));
      }

      randomizeStatistics(resnet, 25);
      // channel 2: filter and gamma zero but beta not, so bn1 gives a constant; channel 7: all
      String block = "stage1_block1_";
      resnet.applyMask(rows(resnet, Map.of(block + "conv1_weight", new int[] {2, 7},
          block + "bn1_gamma", new int[] {2, 7}, block + "bn1_beta", new int[] {7})));
      assertThat(ChannelRemoval.plan(resnet).layers())
          .filteredOn(l -> l.name().equals(block + "conv1")).singleElement()
          .extracting(RemovalPlan.Layer::outputsAfter).isEqualTo(15L);
      NDArray y = input(data, resnet, 2, 26);
      try (DjlModel shrunk = ChannelRemoval.shrink(resnet)) {
        assertThat(shrunk.parameters().stream().filter(p -> p.name().equals(block + "conv2_weight"))
            .findFirst().orElseThrow().shape()).containsExactly(16, 15, 3, 3);
        assertSameOutputs(evaluate(shrunk, y), evaluate(resnet, y));
      }
    }
  }

  @Test
  void channelsFeedingAResidualSumOrTheOutputStayEvenWhenZero() {
    try (DjlModel model = model("resnet20", 3, 8, 10, 31);
        NDManager data = NDManager.newBaseManager(Device.cpu())) {
      randomizeStatistics(model, 32);
      int[] zero = {1, 4};
      model.applyMask(rows(model, Map.ofEntries(Map.entry("conv1_weight", zero),
          Map.entry("bn1_gamma", zero), Map.entry("bn1_beta", zero),
          Map.entry("stage1_block0_conv2_weight", zero), Map.entry("stage1_block0_bn2_gamma", zero),
          Map.entry("stage1_block0_bn2_beta", zero),
          Map.entry("stage2_block0_shortcut_conv_weight", zero),
          Map.entry("stage2_block0_shortcut_bn_gamma", zero),
          Map.entry("stage2_block0_shortcut_bn_beta", zero),
          Map.entry("fc_weight", zero), Map.entry("fc_bias", zero))));
      RemovalPlan plan = ChannelRemoval.plan(model);
      assertThat(plan.removesNothing()).isTrue();
      assertThat(plan.removedOutputs()).isZero();
      assertThat(plan.layers()).filteredOn(RemovalPlan.Layer::outputsFixed)
          .extracting(RemovalPlan.Layer::name).contains("conv1", "stage1_block0_conv2",
              "stage2_block0_shortcut_conv", "fc");
      NDArray x = input(data, model, 2, 33);
      try (DjlModel shrunk = ChannelRemoval.shrink(model)) {
        assertShapes(shrunk, shapes(model));
        assertSameOutputs(evaluate(shrunk, x), evaluate(model, x));
      }
    }
  }

  @Test
  void removingNothingGivesTheSameShapesAndOutputs() {
    try (DjlModel model = model("conv4", 1, 28, 10, 41);
        NDManager data = NDManager.newBaseManager(Device.cpu())) {
      randomizeStatistics(model, 42);
      RemovalPlan plan = ChannelRemoval.plan(model);
      assertThat(plan.parametersAfter()).isEqualTo(plan.parametersBefore()).isEqualTo(1_933_258L);
      assertThat(plan.layers()).allMatch(l -> l.inputsAfter() == l.inputsBefore()
          && l.outputsAfter() == l.outputsBefore());
      NDArray x = input(data, model, 2, 43);
      try (DjlModel shrunk = ChannelRemoval.shrink(model)) {
        assertShapes(shrunk, shapes(model));
        assertSameOutputs(evaluate(shrunk, x), evaluate(model, x));
      }
    }
  }

  @Test
  void aLayerWhoseFiltersAreAllZeroKeepsOne() {
    try (DjlModel model = model("lenet300", 1, 28, 10, 51);
        NDManager data = NDManager.newBaseManager(Device.cpu())) {
      randomizeStatistics(model, 52);
      int[] all = java.util.stream.IntStream.range(0, 100).toArray();
      model.applyMask(rows(model, Map.of("fc2_weight", all, "fc2_bias", all)));
      Map<String, long[]> expected = shapes(model);
      expected.get("fc2_weight")[0] = 1;
      expected.get("fc2_bias")[0] = 1;
      expected.get("fc3_weight")[1] = 1;
      NDArray x = input(data, model, 2, 53);
      try (DjlModel shrunk = ChannelRemoval.shrink(model)) {
        assertShapes(shrunk, expected);
        assertSameOutputs(evaluate(shrunk, x), evaluate(model, x));
      }
    }
  }

  /** conv (8 filters) → norm → function → pool → flatten → fc1 → head fc. */
  private static HeadedBlock small(Block norm, Block function) {
    NamedSequentialBlock net = new NamedSequentialBlock()
        .add("conv1", Conv2d.builder().setKernelShape(new Shape(3, 3)).setFilters(8).build())
        .add("bn1", norm)
        .add("act1", function)
        .add("pool1", Pool.maxPool2dBlock(new Shape(2, 2), new Shape(2, 2)))
        .add("flatten", Blocks.batchFlattenBlock())
        .add("fc1", Linear.builder().setUnits(6).build())
        .add("relu2", Activation::relu);
    return new HeadedBlock(net).addHead("fc", Linear.builder().setUnits(3).build());
  }

  @Test
  void aRebuiltBatchNormKeepsItsSettings() {
    BatchNorm norm = BatchNorm.builder().optEpsilon(0.25f).optMomentum(0.5f).build();
    try (DjlModel model = DjlModel.create(small(norm, Activation.reluBlock()),
        new Shape(1, 2, 6, 6), Device.cpu(), 61);
        NDManager data = NDManager.newBaseManager(Device.cpu())) {
      randomizeStatistics(model, 62);
      int[] gone = {0, 3, 6};
      model.applyMask(rows(model, Map.of("conv1_weight", gone, "conv1_bias", gone,
          "bn1_gamma", gone, "bn1_beta", gone)));
      NDArray x = input(data, model, 2, 63);
      try (DjlModel shrunk = ChannelRemoval.shrink(model)) {
        // 6x6 -> conv 4x4 -> pool 2x2: each channel is 4 features of fc1
        assertThat(shapes(shrunk).get("fc1_weight")).containsExactly(6, 20);
        BatchNorm rebuilt = (BatchNorm) ((NamedSequentialBlock) ((HeadedBlock) shrunk.block())
            .backbone()).get("bn1");
        assertThat(BatchNormSettings.of(rebuilt, "bn1"))
            .isEqualTo(new BatchNormSettings(1, 0.25f, 0.5f, true, true));
        assertSameOutputs(evaluate(shrunk, x), evaluate(model, x));
      }
    }
  }

  @Test
  void aFunctionThatDoesNotKeepZeroChannelsZeroIsNamed() {
    Block sigmoid = Activation.sigmoidBlock();
    try (DjlModel model = DjlModel.create(small(BatchNorm.builder().build(), sigmoid),
        new Shape(1, 2, 6, 6), Device.cpu(), 71)) {
      // without removals through it, the function is fine
      assertThat(ChannelRemoval.plan(model).removesNothing()).isTrue();
      int[] gone = {2};
      model.applyMask(rows(model, Map.of("conv1_weight", gone, "conv1_bias", gone,
          "bn1_gamma", gone, "bn1_beta", gone)));
      assertThatThrownBy(() -> ChannelRemoval.shrink(model))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageStartingWith("channel removal: cannot remove channels through block 'act1'")
          .hasMessageContaining("keep a zero channel zero");
    }
  }

  @Test
  void anUnsupportedBlockIsNamed() {
    NamedSequentialBlock net = new NamedSequentialBlock()
        .add("flatten", Blocks.batchFlattenBlock())
        .add("fc1", Linear.builder().setUnits(8).build())
        .add("drop1", Dropout.builder().optRate(0.5f).build());
    HeadedBlock block = new HeadedBlock(net).addHead("fc", Linear.builder().setUnits(2).build());
    try (DjlModel model = DjlModel.create(block, new Shape(1, 1, 4, 4), Device.cpu(), 81)) {
      assertThatThrownBy(() -> ChannelRemoval.plan(model))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessage("channel removal: cannot rebuild block 'drop1' (Dropout); supported are"
              + " HeadedBlock (at the top), NamedSequentialBlock, ResidualBlock, Conv2d, Linear,"
              + " BatchNorm and parameter-free LambdaBlock");
    }
  }

  @Test
  void aModelComputingThroughAWeightViewIsRefused() {
    try (DjlModel model = model("lenet300", 1, 28, 10, 91)) {
      model.setWeightView((name, w, scope) -> w);
      assertThatThrownBy(() -> ChannelRemoval.shrink(model))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("weight view");
    }
  }

  @Test
  void shrinkingLeavesNoArraysBehindAndTheOriginalWorks() {
    for (String name : List.of("conv4", "resnet20")) {
      try (DjlModel model = model(name, name.equals("conv4") ? 1 : 3, 16, 10, 101);
          NDManager data = NDManager.newBaseManager(Device.cpu())) {
        randomizeStatistics(model, 102);
        String layer = name.equals("conv4") ? "conv2" : "stage1_block1_conv1";
        String companion = name.equals("conv4") ? "conv2_bias" : "stage1_block1_bn1_gamma";
        // 16 of conv4's 64 conv2 filters (see ChannelRemovalTest on input widths), 3 of 16 in
        // the ResNet block
        int[] gone = name.equals("conv4")
            ? java.util.stream.IntStream.range(0, 16).map(i -> 4 * i + 1).toArray()
            : new int[] {1, 2, 3};
        Map<String, int[]> rows = name.equals("conv4")
            ? Map.of(layer + "_weight", gone, companion, gone)
            : Map.of(layer + "_weight", gone, companion, gone, "stage1_block1_bn1_beta", gone);
        model.applyMask(rows(model, rows));
        NDArray x = input(data, model, 2, 103);
        float[] before = evaluate(model, x);
        int modelArrays = model.manager().getManagedArrays().size();
        int engineArrays = model.manager().getParentManager().getManagedArrays().size();
        ChannelRemoval.plan(model);
        try (DjlModel shrunk = ChannelRemoval.shrink(model);
            NDManager scope = data.newSubManager()) {
          // the shrunk model's activations belong to the input's manager: this scope
          assertSameOutputs(evaluate(shrunk, scope.create(x.toFloatArray(), x.getShape())),
              before);
          assertThat(shrunk.manager()).isNotSameAs(model.manager());
          assertThat(shrunk.device()).isEqualTo(model.device());
        }
        assertThat(model.manager().getManagedArrays()).as(name).hasSize(modelArrays);
        assertThat(model.manager().getParentManager().getManagedArrays()).as(name)
            .hasSize(engineArrays);
        assertThat(evaluate(model, x)).containsExactly(before);
      }
    }
  }
}
