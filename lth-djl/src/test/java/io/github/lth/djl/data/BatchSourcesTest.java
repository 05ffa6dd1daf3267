package io.github.lth.djl.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.dataset.ArrayDataset;
import ai.djl.training.dataset.Batch;
import ai.djl.translate.Transform;
import io.github.lth.djl.internal.DeviceImages;
import java.util.SplittableRandom;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class BatchSourcesTest {
  private static final Device CPU = Device.cpu();
  private static final float MEAN = 0.2860f;
  private static final float STD = 0.3530f;

  private static final ImageDataset TRAIN = DataSources.embedded().train();
  // 6000 images in batches of 64: 93 full batches and a last one of 48.
  private static final int BATCH = 64;

  @Test
  void imageBatchesGiveTheTensorsTheTaskGatheredFromDeviceImages() {
    assertSameAsTaskLoop(0, 0);
  }

  @Test
  void imageBatchesNormaliseLikeDeviceImages() {
    assertSameAsTaskLoop(MEAN, STD);
  }

  // The loop of ClassificationTask.train before BatchSource: order from Shuffle.indices uploaded
  // once per epoch, sliced per batch, gathered from DeviceImages.
  private static void assertSameAsTaskLoop(float mean, float std) {
    int n = TRAIN.size();
    SplittableRandom taskRng = new SplittableRandom(17);
    SplittableRandom sourceRng = new SplittableRandom(17);
    int batches = 0;
    try (DeviceImages cache = DeviceImages.upload(TRAIN, CPU, mean, std);
        ImageBatches source = BatchSources.of(TRAIN, mean, std);
        NDManager epochScope = NDManager.newBaseManager(CPU)) {
      for (int epoch = 0; epoch < 2; epoch++) {
        NDArray order = epochScope.create(Shuffle.indices(n, taskRng));
        BatchSource.Epoch pass = source.epoch(epochScope, CPU, Shuffle.order(n, sourceRng));
        for (int from = 0; from < n; from += BATCH) {
          int to = Math.min(n, from + BATCH);
          try (NDManager batchScope = epochScope.newSubManager()) {
            NDArray index = order.get(from + ":" + to);
            index.attach(batchScope);
            NDArray expectedX = cache.images(index, batchScope);
            NDArray expectedY = cache.labels(index, batchScope);
            Batch batch = pass.batch(batchScope, from, to);
            NDArray x = batch.getData().singletonOrThrow();
            NDArray y = batch.getLabels().singletonOrThrow();
            assertThat(x.getShape()).isEqualTo(new Shape(to - from, 1, 28, 28));
            assertThat(x.getDataType()).isEqualTo(DataType.FLOAT32);
            assertThat(y.getShape()).isEqualTo(new Shape(to - from));
            assertThat(y.getDataType()).isEqualTo(DataType.INT64);
            assertThat(x.getDevice()).isEqualTo(CPU);
            assertThat(x.toFloatArray()).isEqualTo(expectedX.toFloatArray());
            assertThat(y.toLongArray()).isEqualTo(expectedY.toLongArray());
            assertThat(batch.getSize()).isEqualTo(to - from);
            assertThat(batch.getProgress()).isEqualTo(to);
            assertThat(batch.getProgressTotal()).isEqualTo(n);
            batches++;
          }
        }
      }
    }
    assertThat(batches).isEqualTo(2 * 94);
  }

  @Test
  void pixelsAreScaledAndNormalisedOnTheDevice() {
    byte[] pixels = {0, (byte) 255, 51, (byte) 204};
    ImageDataset tiny = ImageDataset.of("tiny", pixels, new int[] {1, 0}, 1, 1, 2, 2);
    try (ImageBatches plain = BatchSources.of(tiny);
        ImageBatches normalised = BatchSources.of(tiny, 0.5f, 0.25f);
        NDManager scope = NDManager.newBaseManager(CPU)) {
      Batch a = plain.epoch(scope, CPU, new int[] {1, 0}).batch(scope, 0, 2);
      assertThat(a.getData().head().toFloatArray()).containsExactly(0.2f, 0.8f, 0f, 1f);
      assertThat(a.getLabels().head().toLongArray()).containsExactly(0, 1);
      Batch b = normalised.epoch(scope, CPU, new int[] {0}).batch(scope, 0, 1);
      assertThat(b.getData().head().toFloatArray()).containsExactly(-2f, 2f);
      assertThat(normalised.normalized()).isTrue();
      assertThat(plain.normalized()).isFalse();
    }
  }

  @Test
  void runsOfPositionsAreSlicedAndEqualTheGather() {
    int n = 300;
    int[] identity = IntStream.range(0, n).toArray();
    int[] shifted = IntStream.range(1000, 1000 + n).toArray();
    int[] reversedPair = {1001, 1000};
    try (DeviceImages cache = DeviceImages.upload(TRAIN, CPU, MEAN, STD);
        ImageBatches source = BatchSources.of(TRAIN, MEAN, STD);
        NDManager scope = NDManager.newBaseManager(CPU)) {
      BatchSource.Epoch evaluation = source.epoch(scope, CPU, identity);
      BatchSource.Epoch range = source.epoch(scope, CPU, shifted);
      for (int from = 0; from < n; from += 128) {
        int to = Math.min(n, from + 128);
        Batch batch = evaluation.batch(scope, from, to);
        assertThat(batch.getData().head().toFloatArray())
            .isEqualTo(cache.images(from, to, scope).toFloatArray());
        assertThat(batch.getLabels().head().toLongArray())
            .isEqualTo(cache.labels(from, to, scope).toLongArray());
        Batch shiftedBatch = range.batch(scope, from, to);
        assertThat(shiftedBatch.getData().head().toFloatArray())
            .isEqualTo(cache.images(1000 + from, 1000 + to, scope).toFloatArray());
      }
      Batch pair = source.epoch(scope, CPU, reversedPair).batch(scope, 0, 2);
      NDArray expected = cache.images(1000, 1002, scope).flip(0);
      assertThat(pair.getData().head().toFloatArray()).isEqualTo(expected.toFloatArray());
    }
  }

  @Test
  void datasetBatchesOverAnArrayDatasetEqualImageBatches() {
    int n = TRAIN.size();
    int[] order = Shuffle.order(n, new SplittableRandom(5));
    try (NDManager manager = NDManager.newBaseManager(CPU);
        DeviceImages cache = DeviceImages.upload(TRAIN, CPU, MEAN, STD);
        ImageBatches images = BatchSources.of(TRAIN, MEAN, STD)) {
      ArrayDataset arrays = new ArrayDataset.Builder()
          .setData(cache.images(0, n, manager))
          .optLabels(cache.labels(0, n, manager))
          .setSampling(BATCH, true)
          .build();
      DatasetBatches generic = BatchSources.of(arrays);
      assertThat(generic.size()).isEqualTo(n);
      assertThat(generic.name()).isEqualTo("ArrayDataset");
      assertSameBatches(images, generic, order, manager);
    }
  }

  @Test
  void datasetBatchesFetchRecordByRecordAndStackLikeImageBatches() {
    ImageDataset small = TRAIN.subset("small", IntStream.range(0, 250).toArray());
    int[] order = Shuffle.order(small.size(), new SplittableRandom(6));
    PerSampleDataset perSample = PerSampleDataset.of(small, MEAN, STD);
    try (NDManager manager = NDManager.newBaseManager(CPU);
        ImageBatches images = BatchSources.of(small, MEAN, STD)) {
      DatasetBatches generic =
          DatasetBatches.builder().setDataset(perSample).optName("per-sample").build();
      assertThat(generic.name()).isEqualTo("per-sample");
      assertSameBatches(images, generic, order, manager);
      assertThat(perSample.reads).isEqualTo(small.size());
    }
  }

  private static void assertSameBatches(BatchSource expected, BatchSource actual, int[] order,
      NDManager manager) {
    int n = order.length;
    try (NDManager epochScope = manager.newSubManager()) {
      BatchSource.Epoch a = expected.epoch(epochScope, CPU, order);
      BatchSource.Epoch b = actual.epoch(epochScope, CPU, order);
      for (int from = 0; from < n; from += BATCH) {
        int to = Math.min(n, from + BATCH);
        try (NDManager batchScope = epochScope.newSubManager()) {
          Batch x = a.batch(batchScope, from, to);
          Batch y = b.batch(batchScope, from, to);
          NDArray yData = y.getData().singletonOrThrow();
          NDArray yLabels = y.getLabels().singletonOrThrow();
          assertThat(yData.getShape()).isEqualTo(x.getData().head().getShape());
          assertThat(yData.getDataType()).isEqualTo(DataType.FLOAT32);
          assertThat(yLabels.getDataType()).isEqualTo(DataType.INT64);
          assertThat(yData.getDevice()).isEqualTo(CPU);
          assertThat(yData.toFloatArray()).isEqualTo(x.getData().head().toFloatArray());
          assertThat(yLabels.toLongArray()).isEqualTo(x.getLabels().head().toLongArray());
          assertThat(y.getSize()).isEqualTo(to - from);
          assertThat(y.getProgress()).isEqualTo(to);
          assertThat(y.getProgressTotal()).isEqualTo(n);
        }
      }
    }
  }

  @Test
  void datasetBatchesApplyTheDatasetsOwnPipeline() {
    try (NDManager manager = NDManager.newBaseManager(CPU)) {
      NDArray data = manager.arange(12f).reshape(6, 2);
      NDArray labels = manager.create(new long[] {0, 1, 2, 3, 4, 5});
      Transform twice = array -> array.mul(2);
      ArrayDataset doubled = new ArrayDataset.Builder().setData(data).optLabels(labels)
          .setSampling(2, false).addTransform(twice).build();
      DatasetBatches source = BatchSources.of(doubled);
      Batch batch = source.epoch(manager, CPU, new int[] {4, 1, 5}).batch(manager, 0, 2);
      assertThat(batch.getData().head().toFloatArray()).containsExactly(16f, 18f, 4f, 6f);
      assertThat(batch.getLabels().head().toLongArray()).containsExactly(4, 1);
      assertThat(batch.getIndices()).isEqualTo(java.util.List.of(4L, 1L));
    }
  }

  @Test
  void batchesLiveInTheirScopeAndClosingTheBatchFreesThemEarly() {
    try (NDManager root = NDManager.newBaseManager(CPU);
        ImageBatches source = BatchSources.of(TRAIN)) {
      BatchSource.Epoch pass = source.epoch(root, CPU, Shuffle.order(TRAIN.size(),
          new SplittableRandom(1)));
      NDManager batchScope = root.newSubManager();
      Batch first = pass.batch(batchScope, 0, 10);
      NDArray firstX = first.getData().head();
      first.close();
      assertThat(firstX.isReleased()).isTrue();
      assertThat(batchScope.isOpen()).isTrue();
      Batch second = pass.batch(batchScope, 10, 20);
      NDList secondData = second.getData();
      batchScope.close();
      assertThat(secondData.head().isReleased()).isTrue();
      assertThat(second.getManager().isOpen()).isFalse();
      // The pass outlives its batch scopes.
      try (NDManager next = root.newSubManager()) {
        assertThat(pass.batch(next, 20, 30).getSize()).isEqualTo(10);
      }
    }
  }

  @Test
  void closingFreesTheDeviceCopies() {
    ImageBatches source = BatchSources.of(TRAIN, MEAN, STD);
    assertThat(source.cached(CPU)).isNull();
    try (NDManager scope = NDManager.newBaseManager(CPU)) {
      source.epoch(scope, CPU, new int[] {0, 1});
      source.epoch(scope, CPU, new int[] {2, 3});
      DeviceImages copy = source.cached(CPU);
      assertThat(copy).isNotNull();
      assertThat(copy.isOpen()).isTrue();
      source.close();
      assertThat(copy.isOpen()).isFalse();
      assertThat(source.cached(CPU)).isNull();
      assertThatThrownBy(() -> source.epoch(scope, CPU, new int[] {0}))
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("closed");
      source.close();
    }
  }

  @Test
  void theFingerprintOfImagesIsTheDatasets() {
    try (ImageBatches source = BatchSources.of(TRAIN, MEAN, STD)) {
      assertThat(source.name()).isEqualTo("embedded-train");
      assertThat(source.size()).isEqualTo(6000);
      assertThat(source.fingerprint()).isEqualTo(TRAIN.fingerprint()).hasSize(64);
    }
  }

  @Test
  void datasetFingerprintsHashClassSizeAndTheFirstAndLastRecords() {
    try (NDManager manager = NDManager.newBaseManager(CPU)) {
      NDArray labels = manager.create(new long[] {0, 1, 2, 3});
      DatasetBatches a = BatchSources.of(arrays(manager, new float[] {1, 2, 3, 4}, labels));
      DatasetBatches same = BatchSources.of(arrays(manager, new float[] {1, 2, 3, 4}, labels));
      DatasetBatches lastDiffers = BatchSources.of(arrays(manager, new float[] {1, 2, 3, 5},
          labels));
      DatasetBatches shorter = BatchSources.of(arrays(manager, new float[] {1, 2, 4},
          manager.create(new long[] {0, 1, 3})));
      assertThat(a.fingerprint()).hasSize(64).matches("[0-9a-f]+")
          .isEqualTo(same.fingerprint())
          .isNotEqualTo(lastDiffers.fingerprint())
          .isNotEqualTo(shorter.fingerprint());
      // Inner records are not read: the documented price of a cheap fingerprint.
      DatasetBatches innerDiffers = BatchSources.of(arrays(manager, new float[] {1, 9, 3, 4},
          labels));
      assertThat(innerDiffers.fingerprint()).isEqualTo(a.fingerprint());
      DatasetBatches given = DatasetBatches.builder()
          .setDataset(arrays(manager, new float[] {1, 2, 3, 4}, labels))
          .optFingerprint("sha256-of-my-files").build();
      assertThat(given.fingerprint()).isEqualTo("sha256-of-my-files");
      DatasetBatches firstTwo = a.subset("first-two", new int[] {0, 1});
      assertThat(firstTwo.fingerprint()).isNotEqualTo(a.fingerprint())
          .isEqualTo(same.subset("other-name", new int[] {0, 1}).fingerprint())
          .isNotEqualTo(a.subset("first-two", new int[] {1, 0}).fingerprint());
      assertThat(firstTwo.size()).isEqualTo(2);
      assertThat(firstTwo.subset("second", new int[] {1}).datasetIndex(0)).isEqualTo(1);
    }
  }

  private static ArrayDataset arrays(NDManager manager, float[] values, NDArray labels) {
    return new ArrayDataset.Builder().setData(manager.create(values)).optLabels(labels)
        .setSampling(2, false).build();
  }

  @Test
  void datasetSizesMustFitAnInt() {
    ImageDataset one = TRAIN.subset("one", new int[] {0});
    assertThatThrownBy(() -> BatchSources.of(PerSampleDataset.claimingSize(one, 3_000_000_000L)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("3000000000");
    assertThatThrownBy(() -> BatchSources.of(PerSampleDataset.claimingSize(one, 0)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("empty");
  }

  @Test
  void badOrdersAndRangesAreRejectedWithTheValues() {
    ImageDataset small = TRAIN.subset("small", IntStream.range(0, 10).toArray());
    try (NDManager scope = NDManager.newBaseManager(CPU);
        ImageBatches images = BatchSources.of(small)) {
      DatasetBatches generic = BatchSources.of(PerSampleDataset.of(small, 0, 0));
      for (BatchSource source : new BatchSource[] {images, generic}) {
        assertThatThrownBy(() -> source.epoch(scope, CPU, new int[] {3, 10}))
            .isInstanceOf(IllegalArgumentException.class)
            .hasMessageContaining("position 10").hasMessageContaining("[0, 10)");
        assertThatThrownBy(() -> source.epoch(scope, CPU, new int[] {-1}))
            .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("position -1");
        BatchSource.Epoch pass = source.epoch(scope, CPU, new int[] {4, 2, 7});
        assertThatThrownBy(() -> pass.batch(scope, 2, 4))
            .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("[2, 4)");
        assertThatThrownBy(() -> pass.batch(scope, 1, 1))
            .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("[1, 1)");
        assertThat(pass.batch(scope, 1, 3).getLabels().head().toLongArray())
            .containsExactly(small.label(2), small.label(7));
      }
    }
    assertThatThrownBy(() -> BatchSources.of(small, 0.5f, -1f))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("-1.0");
    assertThatThrownBy(() -> BatchSources.of(small, Float.NaN, 1f))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("NaN");
  }
}
