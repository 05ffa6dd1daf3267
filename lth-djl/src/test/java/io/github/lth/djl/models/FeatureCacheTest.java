package io.github.lth.djl.models;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Blocks;
import ai.djl.training.GradientCollector;
import ai.djl.training.dataset.ArrayDataset;
import ai.djl.training.dataset.Batch;
import ai.djl.training.loss.Loss;
import io.github.lth.djl.DjlModel;
import io.github.lth.djl.TestBlocks;
import io.github.lth.djl.data.ImageDataset;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class FeatureCacheTest {
  private static final Shape INPUT = new Shape(1, 1, 4, 4);

  private static DjlModel model(long seed) {
    HeadedBlock net = new HeadedBlock(new NamedSequentialBlock()
            .add("flatten", Blocks.batchFlattenBlock())
            .add("fc1", Layers.linear(32))
            .add("relu1", Activation::relu))
        .addHead("out", Layers.linear(4));
    return DjlModel.create(net, INPUT, Device.cpu(), seed);
  }

  /** All images of the data set as one float array in [0, 1], optionally normalized. */
  private static NDArray images(NDManager m, ImageDataset data, float mean, float std) {
    byte[] pixels = data.pixels();
    float[] v = new float[pixels.length];
    for (int i = 0; i < v.length; i++) {
      v[i] = (pixels[i] & 0xFF) / 255f;
      if (std != 0) {
        v[i] = (v[i] - mean) / std;
      }
    }
    return m.create(v, new Shape(data.size(), 1, 4, 4));
  }

  @Test
  void batchedFeaturesEqualTheBackboneOnTheWholeSet() {
    ImageDataset data = TestBlocks.quarters("q", 30, 4, 1);
    try (DjlModel m = model(1); NDManager host = NDManager.newBaseManager(Device.cpu())) {
      for (float std : new float[] {0f, 0.25f}) {
        try (FeatureCache cache = FeatureCache.compute(m, data, 7, 0.5f, std)) {
          assertThat(cache.size()).isEqualTo(30);
          assertThat(cache.featureShape()).isEqualTo(new Shape(32));
          assertThat(cache.features().getShape()).isEqualTo(new Shape(30, 32));
          assertThat(cache.features().getDevice()).isEqualTo(m.device());
          float[] expected = m.features(new NDList(images(host, data, 0.5f, std)))
              .singletonOrThrow().toFloatArray();
          float[] actual = cache.features().toFloatArray();
          for (int i = 0; i < expected.length; i++) {
            assertThat(actual[i]).isCloseTo(expected[i], within(1e-5f));
          }
          assertThat(cache.labels().getDataType()).isEqualTo(DataType.INT64);
          long[] labels = cache.labels().toLongArray();
          for (int i = 0; i < 30; i++) {
            assertThat(labels[i]).isEqualTo(data.label(i));
          }
        }
      }
    }
  }

  @Test
  void theDatasetServesFeaturesAndLabelsInBatches() throws Exception {
    ImageDataset data = TestBlocks.quarters("q", 30, 4, 2);
    try (DjlModel m = model(2); FeatureCache cache = FeatureCache.compute(m, data, 64);
        NDManager batches = NDManager.newBaseManager(Device.cpu())) {
      ArrayDataset ds = cache.toDataset(8, false);
      assertThat(ds.size()).isEqualTo(30);
      List<Long> sizes = new ArrayList<>();
      boolean first = true;
      for (Batch b : ds.getData(batches)) {
        NDArray x = b.getData().singletonOrThrow();
        sizes.add(x.getShape().get(0));
        if (first) {
          assertThat(x.toFloatArray()).containsExactly(
              cache.features().get(new NDIndex("0:8")).toFloatArray());
          assertThat(b.getLabels().singletonOrThrow().toLongArray()).containsExactly(
              cache.labels().get(new NDIndex("0:8")).toLongArray());
          first = false;
        }
        b.close();
      }
      assertThat(sizes).containsExactly(8L, 8L, 8L, 6L);
    }
  }

  @Test
  void aLinearProbeTrainsOnTheCachedFeatures() {
    ImageDataset data = TestBlocks.quarters("q", 64, 4, 3);
    try (DjlModel m = model(3); FeatureCache cache = FeatureCache.compute(m, data, 16)) {
      m.freezeBackbone();
      HeadedBlock block = (HeadedBlock) m.block();
      NDList features = new NDList(cache.features());
      NDList labels = new NDList(cache.labels());
      float first = Float.NaN;
      float last = Float.NaN;
      for (int step = 0; step < 60; step++) {
        try (NDManager batch = m.manager().newSubManager()) {
          NDArray loss;
          try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
            NDArray out = block.head("out").forward(m.parameterStore(), features, true)
                .singletonOrThrow();
            loss = Loss.softmaxCrossEntropyLoss().evaluate(labels, new NDList(out));
            loss.attach(batch);
            gc.backward(loss);
          }
          for (String p : List.of("out_weight", "out_bias")) {
            NDArray w = m.parameterArray(p);
            NDArray g = w.getGradient();
            g.attach(batch);
            w.subi(g.mul(0.5f));
            g.set(new NDIndex("..."), 0f);
          }
          last = loss.getFloat();
          first = step == 0 ? last : first;
        }
      }
      assertThat(last).isLessThan(first / 2);
    }
  }

  @Test
  void badArgumentsAndAClosedCacheAreRefused() {
    ImageDataset data = TestBlocks.quarters("q", 8, 4, 4);
    try (DjlModel m = model(4);
        DjlModel plain = DjlModel.create(TestBlocks.mlp(3, 2), INPUT, Device.cpu(), 1)) {
      assertThatThrownBy(() -> FeatureCache.compute(m, data, 0))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessage("FeatureCache: batch size must be positive: 0");
      assertThatThrownBy(() -> FeatureCache.compute(plain, data, 4))
          .isInstanceOf(IllegalStateException.class)
          .hasMessageStartingWith("features needs a model whose block is a HeadedBlock");
      FeatureCache cache = FeatureCache.compute(m, data, 4);
      cache.close();
      assertThatThrownBy(cache::features).isInstanceOf(IllegalStateException.class)
          .hasMessage("the feature cache was closed");
    }
  }
}
