package io.github.lth.djl;

import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Blocks;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.BatchNorm;
import io.github.lth.core.Mask;
import io.github.lth.core.ParameterInfo;
import io.github.lth.core.prune.ParameterSelectors;
import io.github.lth.djl.data.ImageDataset;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/** Small blocks and data sets for tests. */
public final class TestBlocks {
  private TestBlocks() {}

  /** flatten → Linear(hidden) → ReLU → Linear(classes). */
  public static SequentialBlock mlp(int hidden, int classes) {
    return new SequentialBlock().add(Blocks.batchFlattenBlock())
        .add(Linear.builder().setUnits(hidden).build()).add(Activation::relu)
        .add(Linear.builder().setUnits(classes).build());
  }

  /** conv 3x3 (4 filters) → BatchNorm → ReLU → flatten → Linear(classes). */
  public static SequentialBlock convNet(int classes) {
    return new SequentialBlock()
        .add(Conv2d.builder().setKernelShape(new Shape(3, 3)).setFilters(4).build())
        .add(BatchNorm.builder().build()).add(Activation::relu)
        .add(Blocks.batchFlattenBlock()).add(Linear.builder().setUnits(classes).build());
  }

  /** The dense mask over the given parameters. */
  public static Mask dense(List<ParameterInfo> params) {
    Map<String, long[]> shapes = new LinkedHashMap<>();
    params.forEach(p -> shapes.put(p.name(), p.shape()));
    return Mask.dense(shapes);
  }

  /** The dense mask over every conv and linear weight (classifier included). */
  public static Mask denseLayerWeights(DjlModel model) {
    return dense(ParameterSelectors.layerWeights().select(model.parameters()));
  }

  /**
   * A separable set of 1×4×4 images in {@code classes} (≤ 4) classes: class c lights up the
   * c-th quarter of the image (values 150–255) over background noise (0–80).
   */
  public static ImageDataset quarters(String name, int n, int classes, long seed) {
    SplittableRandom rng = new SplittableRandom(seed);
    byte[] pixels = new byte[n * 16];
    int[] labels = new int[n];
    for (int i = 0; i < n; i++) {
      int c = i % classes;
      labels[i] = c;
      for (int p = 0; p < 16; p++) {
        int row = p / 4;
        int col = p % 4;
        int quarter = (row / 2) * 2 + col / 2;
        int v = quarter == c ? 150 + rng.nextInt(106) : rng.nextInt(81);
        pixels[i * 16 + p] = (byte) v;
      }
    }
    return ImageDataset.of(name, pixels, labels, 1, 4, 4, classes);
  }
}
