package io.github.lth.djl.structured;

import static io.github.lth.djl.structured.StructuredFixture.assertSameOutputs;
import static io.github.lth.djl.structured.StructuredFixture.evaluate;
import static io.github.lth.djl.structured.StructuredFixture.input;
import static io.github.lth.djl.structured.StructuredFixture.model;
import static io.github.lth.djl.structured.StructuredFixture.prune;
import static io.github.lth.djl.structured.StructuredFixture.randomizeStatistics;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.convolutional.Conv2d;
import io.github.lth.djl.DjlModel;
import io.github.lth.djl.structured.StructuredFixture.Cut;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Rounding rebuilt widths up to a channel multiple, and the probe check that catches an engine
 * computing the rebuilt widths wrongly.
 */
class ChannelMultipleTest {

  /** Conv-4 pruned to uneven widths: 54, 41, 87, 78 conv filters, 179 and 156 neurons kept. */
  private static final List<Cut> UNEVEN = List.of(new Cut("conv1", null, true, "conv2", 1, 10),
      new Cut("conv2", null, true, "conv3", 1, 23), new Cut("conv3", null, true, "conv4", 1, 41),
      new Cut("conv4", null, true, "fc1", 49, 50), new Cut("fc1", null, true, "fc2", 1, 77),
      new Cut("fc2", null, true, "fc3", 1, 100));

  @Test
  void widthsRoundUpToTheMultipleAndOutputsStayTheSame() {
    try (DjlModel model = unevenConv4(); NDManager data = NDManager.newBaseManager()) {
      NDArray x = input(data, model, 2, 14);
      float[] masked = evaluate(model, x);
      try (DjlModel shrunk = ChannelRemoval.shrink(model, 16)) {
        Map<String, long[]> shapes = StructuredFixture.shapes(shrunk);
        // kept 54 -> 64 (the original width caps it), 41 -> 48, 87 -> 96, 78 -> 80,
        // 179 -> 192, 156 -> 160
        assertThat(shapes.get("conv1_weight")).containsExactly(64, 1, 3, 3);
        assertThat(shapes.get("conv2_weight")).containsExactly(48, 64, 3, 3);
        assertThat(shapes.get("conv3_weight")).containsExactly(96, 48, 3, 3);
        assertThat(shapes.get("conv4_weight")).containsExactly(80, 96, 3, 3);
        assertThat(shapes.get("fc1_weight")).containsExactly(192, 80 * 49);
        assertThat(shapes.get("fc2_weight")).containsExactly(160, 192);
        assertThat(shapes.get("fc3_weight")).containsExactly(10, 160);
        assertThat(shapes.get("fc2_bias")).containsExactly(160);
        assertSameOutputs(evaluate(shrunk, x), masked);
      }
      RemovalPlan plan = ChannelRemoval.plan(model, 16);
      assertThat(plan.layers()).extracting(RemovalPlan.Layer::outputsAfter)
          .containsExactly(64L, 48L, 96L, 80L, 192L, 160L, 10L);
      assertThat(ChannelRemoval.plan(model).layers()).extracting(RemovalPlan.Layer::outputsAfter)
          .containsExactly(54L, 41L, 87L, 78L, 179L, 156L, 10L);
    }
  }

  @Test
  void aMultipleOfOneRemovesEveryRemovableChannel() {
    try (DjlModel model = unevenConv4()) {
      assertThat(ChannelRemoval.plan(model, 1).layers())
          .isEqualTo(ChannelRemoval.plan(model).layers());
    }
  }

  @Test
  void theMultipleMustBePositive() {
    try (DjlModel model = unevenConv4()) {
      assertThatThrownBy(() -> ChannelRemoval.shrink(model, 0))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessage("channel removal: channel multiple must be positive: 0");
    }
  }

  /**
   * The uneven widths give convolutions of 54, 41 and 87 input channels. Where the engine
   * computes such a convolution wrongly (PyTorch 2.7.1 on AVX-512 CPUs), shrinking without a
   * multiple must refuse with the advice; where it computes it right, the shrunk model must
   * match. Which case holds is measured here against a plain-Java convolution.
   */
  @Test
  void theProbeCatchesAnEngineThatMiscomputesTheNewWidths() {
    boolean engineFaulty = convolutionIsWrong(54) || convolutionIsWrong(41)
        || convolutionIsWrong(87);
    try (DjlModel model = unevenConv4(); NDManager data = NDManager.newBaseManager()) {
      if (engineFaulty) {
        assertThatThrownBy(() -> ChannelRemoval.shrink(model))
            .isInstanceOf(IllegalStateException.class)
            .hasMessageContaining("channel removal: the rebuilt model's output differs")
            .hasMessageEndingWith("rebuild with a channel multiple of 16 (now 1)");
      } else {
        NDArray x = input(data, model, 2, 14);
        float[] masked = evaluate(model, x);
        try (DjlModel shrunk = ChannelRemoval.shrink(model)) {
          assertSameOutputs(evaluate(shrunk, x), masked);
        }
      }
    }
  }

  private static DjlModel unevenConv4() {
    DjlModel model = model("conv4", 1, 28, 10, 11);
    randomizeStatistics(model, 12);
    model.applyMask(prune(model, UNEVEN, 13, new HashMap<>()));
    return model;
  }

  /** Whether the engine's 3×3 convolution with {@code channels} inputs misses a direct sum. */
  private static boolean convolutionIsWrong(int channels) {
    int size = 8;
    int filters = 8;
    SplittableRandom random = new SplittableRandom(5);
    int batch = 2;
    float[] x = new float[batch * channels * size * size];
    float[] k = new float[filters * channels * 9];
    for (int i = 0; i < x.length; i++) {
      x[i] = (float) random.nextDouble(-1, 1);
    }
    for (int i = 0; i < k.length; i++) {
      k[i] = (float) random.nextDouble(-1, 1);
    }
    float[] y;
    try (NDManager m = NDManager.newBaseManager()) {
      y = Conv2d.conv2d(m.create(x, new Shape(batch, channels, size, size)),
          m.create(k, new Shape(filters, channels, 3, 3)), null, new Shape(1, 1),
          new Shape(1, 1), new Shape(1, 1), 1).singletonOrThrow().toFloatArray();
    }
    double worst = 0;
    for (int n = 0; n < batch; n++) {
      for (int o = 0; o < filters; o++) {
        for (int i = 0; i < size; i++) {
          for (int j = 0; j < size; j++) {
            double want = directSum(x, k, channels, size, n, o, i, j);
            worst = Math.max(worst,
                Math.abs(want - y[((n * filters + o) * size + i) * size + j]));
          }
        }
      }
    }
    return worst > 1e-3;
  }

  /** Output (n, o, i, j) of a 3×3 convolution with padding 1, summed in double. */
  private static double directSum(float[] x, float[] k, int channels, int size, int n, int o,
      int i, int j) {
    double sum = 0;
    for (int c = 0; c < channels; c++) {
      for (int di = -1; di <= 1; di++) {
        for (int dj = -1; dj <= 1; dj++) {
          int ii = i + di;
          int jj = j + dj;
          if (ii >= 0 && jj >= 0 && ii < size && jj < size) {
            sum += x[((n * channels + c) * size + ii) * size + jj]
                * k[((o * channels + c) * 3 + di + 1) * 3 + dj + 1];
          }
        }
      }
    }
    return sum;
  }
}
