package io.github.lth.djl.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.dataset.Batch;
import java.util.Random;
import org.junit.jupiter.api.Test;

class ChannelStatsTest {
  private static final Device CPU = Device.cpu();

  private static ImageDataset random(int n, int c, int h, int w, long seed) {
    Random r = new Random(seed);
    byte[] pixels = new byte[n * c * h * w];
    r.nextBytes(pixels);
    int[] labels = new int[n];
    for (int i = 0; i < n; i++) {
      labels[i] = i % 2;
    }
    return ImageDataset.of("random", pixels, labels, c, h, w, 2);
  }

  @Test
  void statsEqualATwoPassComputation() {
    ImageDataset data = random(5, 3, 4, 6, 1);
    byte[] p = data.pixels();
    int plane = 24;
    ChannelStats stats = ChannelStats.of(data);
    for (int c = 0; c < 3; c++) {
      double sum = 0;
      for (int i = 0; i < 5; i++) {
        for (int k = 0; k < plane; k++) {
          sum += (p[(i * 3 + c) * plane + k] & 0xFF) / 255.0;
        }
      }
      double mean = sum / (5 * plane);
      double squares = 0;
      for (int i = 0; i < 5; i++) {
        for (int k = 0; k < plane; k++) {
          double d = (p[(i * 3 + c) * plane + k] & 0xFF) / 255.0 - mean;
          squares += d * d;
        }
      }
      assertThat(stats.mean()[c]).isCloseTo((float) mean, within(1e-6f));
      assertThat(stats.std()[c]).isCloseTo((float) Math.sqrt(squares / (5 * plane)),
          within(1e-6f));
    }
  }

  @Test
  void perChannelNormalisationEqualsPlainJava() {
    ImageDataset data = random(4, 3, 2, 3, 7);
    float[] mean = {0.1f, 0.5f, 0.9f};
    float[] std = {0.25f, 0.5f, 2f};
    byte[] p = data.pixels();
    try (ImageBatches source = BatchSources.of(data, mean, std);
        NDManager scope = NDManager.newBaseManager(CPU)) {
      assertThat(source.perChannel()).isTrue();
      assertThat(source.channelMeans()).containsExactly(mean);
      Batch batch = source.epoch(scope, CPU, new int[] {2, 0, 3, 1}).batch(scope, 0, 4);
      NDArray x = batch.getData().singletonOrThrow();
      assertThat(x.getShape().getShape()).containsExactly(4, 3, 2, 3);
      float[] got = x.toFloatArray();
      int[] order = {2, 0, 3, 1};
      for (int i = 0; i < 4; i++) {
        for (int c = 0; c < 3; c++) {
          for (int k = 0; k < 6; k++) {
            float expected = ((p[(order[i] * 3 + c) * 6 + k] & 0xFF) / 255f - mean[c]) / std[c];
            assertThat(got[(i * 3 + c) * 6 + k]).isCloseTo(expected, within(1e-6f));
          }
        }
      }
      batch.close();
    }
  }

  @Test
  void scalarNormalisationIsUnchanged() {
    ImageDataset data = random(2, 3, 2, 2, 3);
    try (ImageBatches source = BatchSources.of(data, 0.5f, 0.25f)) {
      assertThat(source.perChannel()).isFalse();
      assertThat(source.mean()).isEqualTo(0.5f);
      assertThat(source.channelStds()).containsExactly(0.25f, 0.25f, 0.25f);
    }
  }

  @Test
  void badPerChannelArguments() {
    ImageDataset data = random(2, 3, 2, 2, 3);
    assertThatThrownBy(() -> BatchSources.of(data, new float[2], new float[] {1, 1, 1}))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("per-channel normalization of random: 2 means and 3 stds for 3 channels");
    assertThatThrownBy(() -> BatchSources.of(data, new float[3], new float[] {1, 0, 1}))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("normalization std of channel 1 must be positive and finite: 0.0");
    try (ImageBatches source = BatchSources.of(data, new float[3], new float[] {1, 1, 1})) {
      assertThatThrownBy(source::mean).isInstanceOf(IllegalStateException.class);
    }
  }
}
