package io.github.lth.djl.structured;

import static io.github.lth.djl.structured.StructuredFixture.assertSameOutputs;
import static io.github.lth.djl.structured.StructuredFixture.assertShapes;
import static io.github.lth.djl.structured.StructuredFixture.count;
import static io.github.lth.djl.structured.StructuredFixture.evaluate;
import static io.github.lth.djl.structured.StructuredFixture.expectedShapes;
import static io.github.lth.djl.structured.StructuredFixture.input;
import static io.github.lth.djl.structured.StructuredFixture.model;
import static io.github.lth.djl.structured.StructuredFixture.prune;
import static io.github.lth.djl.structured.StructuredFixture.randomizeStatistics;
import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.core.Linear;
import io.github.lth.djl.DjlModel;
import io.github.lth.djl.structured.StructuredFixture.Cut;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Every built-in model, structurally pruned as the shared contract defines (filter rows with
 * bias and BatchNorm gamma/beta; for the ResNets only each block's inner channels), then shrunk:
 * the shrunk model has exactly the narrower shapes, the hand-computed parameter count, and the
 * masked model's evaluation outputs.
 *
 * <p>Which filters go is a seeded random choice; how many is chosen so that every rebuilt
 * convolution has at most 16 input channels or a multiple of 16. On the CPU engine of the
 * development machine (PyTorch 2.7.1, oneDNN with AVX-512 on an AMD EPYC), conv2d returns wrong
 * values for other input widths (17-31, 33-47, ...) whatever the weights, which would fail the
 * output comparison for reasons outside this code; {@code ONEDNN_MAX_CPU_ISA=SSE41} avoids it.
 */
class ChannelRemovalTest {

  @Test
  void conv4LosesPrunedFiltersAndTheNextLayersInputs() {
    // 28x28 -> two 2x2 poolings -> 7x7: every conv4 filter is 49 columns of fc1
    List<Cut> cuts = List.of(new Cut("conv1", null, true, "conv2", 1, 16),
        new Cut("conv2", null, true, "conv3", 1, 16), new Cut("conv3", null, true, "conv4", 1, 32),
        new Cut("conv4", null, true, "fc1", 49, 32), new Cut("fc1", null, true, "fc2", 1, 64),
        new Cut("fc2", null, true, "fc3", 1, 64));
    RemovalPlan plan = check("conv4", 1, 28, 10, cuts, 2);
    // before: conv1 64*9+64 = 640, conv2 64*64*9+64 = 36,928, conv3 128*64*9+128 = 73,856,
    // conv4 128*128*9+128 = 147,584, fc1 256*6272+256 = 1,605,888, fc2 256*256+256 = 65,792,
    // fc3 10*256+10 = 2,570
    assertThat(plan.parametersBefore()).isEqualTo(1_933_258L);
    // after (48, 48, 96, 96, 192, 192 kept): 480 + 20,784 + 41,568 + 83,040
    // + fc1 192*(96*49)+192 = 903,360 + fc2 192*192+192 = 37,056 + fc3 10*192+10 = 1,930
    assertThat(plan.parametersAfter()).isEqualTo(1_088_218L);
    assertThat(plan.layers()).extracting(RemovalPlan.Layer::name)
        .containsExactly("conv1", "conv2", "conv3", "conv4", "fc1", "fc2", "fc3");
    assertThat(plan.layers().get(3)).isEqualTo(
        new RemovalPlan.Layer("conv4", "Conv2d", 128, 96, 128, 96, false));
    assertThat(plan.layers().get(4)).isEqualTo(
        new RemovalPlan.Layer("fc1", "Linear", 6272, 4704, 256, 192, false));
    assertThat(plan.layers().get(6)).isEqualTo(
        new RemovalPlan.Layer("fc3", "Linear", 256, 192, 10, 10, true));
    assertThat(plan.removedOutputs()).isEqualTo(16 + 16 + 32 + 32 + 64 + 64);
    assertThat(plan.toString())
        .contains("conv4  Conv2d  in   128 -> 96     out   128 -> 96\n")
        .contains("fc3    Linear  in   256 -> 192    out    10 -> 10     (outputs fixed)\n")
        .endsWith("parameters 1,933,258 -> 1,088,218 (56.3%), 224 channels removed");
  }

  @Test
  void resnet20LosesOnlyInnerChannelsOfItsBlocks() {
    List<Cut> cuts = new ArrayList<>();
    int[] prune = {4, 16, 16};
    for (int stage = 1; stage <= 3; stage++) {
      for (int b = 0; b < 3; b++) {
        String block = "stage" + stage + "_block" + b;
        cuts.add(new Cut(block + "_conv1", block + "_bn1", false, block + "_conv2", 1,
            prune[stage - 1]));
      }
    }
    RemovalPlan plan = check("resnet20", 3, 32, 10, cuts, 2);
    // 272,474 trainable parameters + 784 BatchNorm channels x 2 running statistics
    assertThat(plan.parametersBefore()).isEqualTo(274_042L);
    // stem 432+64 = 496; stage 1: 3 x (12*16*9 + 4*12 + 16*12*9 + 64) = 10,704;
    // stage 2: (16*16*9 + 64 + 32*16*9 + 128 + 512 + 128) + 2 x (16*32*9 + 64 + 32*16*9 + 128)
    // = 26,560; stage 3: (48*32*9 + 192 + 64*48*9 + 256 + 2048 + 256)
    // + 2 x (48*64*9 + 192 + 64*48*9 + 256) = 155,712; fc 650
    assertThat(plan.parametersAfter()).isEqualTo(194_122L);
    assertThat(plan.layers()).filteredOn(l -> !l.outputsFixed())
        .extracting(RemovalPlan.Layer::name).containsExactly("stage1_block0_conv1",
            "stage1_block1_conv1", "stage1_block2_conv1", "stage2_block0_conv1",
            "stage2_block1_conv1", "stage2_block2_conv1", "stage3_block0_conv1",
            "stage3_block1_conv1", "stage3_block2_conv1");
  }

  @Test
  void resnet18ShrinksOnACheapInput() {
    List<Cut> cuts = new ArrayList<>();
    int[] prune = {16, 32, 64, 128};
    for (int stage = 1; stage <= 4; stage++) {
      for (int b = 0; b < 2; b++) {
        String block = "stage" + stage + "_block" + b;
        cuts.add(new Cut(block + "_conv1", block + "_bn1", false, block + "_conv2", 1,
            prune[stage - 1] + 16 * b));
      }
    }
    RemovalPlan plan = check("resnet18", 3, 8, 10, cuts, 2);
    // 11,173,962 trainable parameters + 4,800 BatchNorm channels x 2 running statistics
    assertThat(plan.parametersBefore()).isEqualTo(11_183_562L);
  }

  @Test
  void lenet300LosesHiddenNeurons() {
    List<Cut> cuts = List.of(new Cut("fc1", null, true, "fc2", 1, 100),
        new Cut("fc2", null, true, "fc3", 1, 40));
    RemovalPlan plan = check("lenet300", 1, 28, 10, cuts, 3);
    // 784*300+300 + 300*100+100 + 100*10+10 = 266,610; after: 784*200+200 + 200*60+60
    // + 60*10+10 = 169,670
    assertThat(plan.parametersBefore()).isEqualTo(266_610L);
    assertThat(plan.parametersAfter()).isEqualTo(169_670L);
  }

  @Test
  void conv2AndConv6ShrinkOnSmallImages() {
    // conv2 on 8x8: one pooling -> 4x4, 16 columns of fc1 per conv2 filter
    check("conv2", 3, 8, 5, List.of(new Cut("conv1", null, true, "conv2", 1, 16),
        new Cut("conv2", null, true, "fc1", 16, 20), new Cut("fc1", null, true, "fc2", 1, 30),
        new Cut("fc2", null, true, "fc3", 1, 50)), 2);
    // conv6 on 8x8: three poolings -> 1x1, one column of fc1 per conv6 filter
    List<Cut> cuts = new ArrayList<>();
    int[] prune = {16, 32, 32, 64, 48, 50};
    for (int i = 1; i <= 6; i++) {
      cuts.add(new Cut("conv" + i, null, true, i < 6 ? "conv" + (i + 1) : "fc1", 1,
          prune[i - 1]));
    }
    cuts.add(new Cut("fc1", null, true, "fc2", 1, 11));
    check("conv6", 3, 8, 5, cuts, 2);
  }

  @Test
  void vgg16LosesFiltersWithTheirBatchNorms() {
    List<Cut> cuts = new ArrayList<>();
    for (int i = 1; i <= 13; i++) {
      cuts.add(new Cut("conv" + i, "bn" + i, true, i < 13 ? "conv" + (i + 1) : "fc", 1,
          16 * (1 + i % 3)));
    }
    RemovalPlan plan = check("vgg16", 3, 32, 10, cuts, 2);
    // 14,728,266 trainable parameters + 8,448 running statistics
    assertThat(plan.parametersBefore()).isEqualTo(14_736_714L);
  }

  @Test
  void everyHeadLosesTheBackbonesRemovedFeaturesAndTheActiveHeadStays() {
    try (DjlModel model = model("lenet300", 1, 28, 10, 3);
        NDManager data = NDManager.newBaseManager(model.device())) {
      model.replaceHead("aux", Linear.builder().setUnits(4).build(), 9);
      randomizeStatistics(model, 4);
      List<Cut> cuts = List.of(new Cut("fc2", null, true, "fc3", 1, 30));
      Map<String, int[]> pruned = new HashMap<>();
      model.applyMask(prune(model, cuts, 5, pruned));
      Map<String, long[]> expected = expectedShapes(model, cuts, pruned);
      expected.get("aux_weight")[1] -= 30;
      NDArray x = input(data, model, 2, 6);
      try (DjlModel shrunk = ChannelRemoval.shrink(model)) {
        assertThat(shrunk.heads()).containsExactly("fc3", "aux");
        assertThat(shrunk.activeHead()).contains("aux");
        assertShapes(shrunk, expected);
        assertSameOutputs(evaluate(shrunk, x), evaluate(model, x));
        model.useHead("fc3");
        shrunk.useHead("fc3");
        assertSameOutputs(evaluate(shrunk, x), evaluate(model, x));
      }
    }
  }

  /**
   * Prunes {@code cuts}, shrinks, and checks exact shapes, the parameter count of those shapes,
   * the plan's agreement with the shrunk model, and equal evaluation outputs.
   */
  private static RemovalPlan check(String name, int channels, int size, int classes,
      List<Cut> cuts, int batch) {
    try (DjlModel model = model(name, channels, size, classes, 11);
        NDManager data = NDManager.newBaseManager(model.device())) {
      randomizeStatistics(model, 12);
      Map<String, int[]> pruned = new HashMap<>();
      model.applyMask(prune(model, cuts, 13, pruned));
      Map<String, long[]> expected = expectedShapes(model, cuts, pruned);
      RemovalPlan plan = ChannelRemoval.plan(model);
      NDArray x = input(data, model, batch, 14);
      float[] masked = evaluate(model, x);
      try (DjlModel shrunk = ChannelRemoval.shrink(model)) {
        assertShapes(shrunk, expected);
        assertThat(shrunk.mask()).isEmpty();
        assertThat(shrunk.activeHead()).isEqualTo(model.activeHead());
        assertThat(plan.parametersBefore()).isEqualTo(count(StructuredFixture.shapes(model)));
        assertThat(plan.parametersAfter()).isEqualTo(count(expected));
        assertSameOutputs(evaluate(shrunk, x), masked);
      }
      return plan;
    }
  }
}
