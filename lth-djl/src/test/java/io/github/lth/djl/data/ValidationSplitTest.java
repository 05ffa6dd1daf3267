package io.github.lth.djl.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import ai.djl.training.dataset.ArrayDataset;
import ai.djl.training.dataset.Batch;
import io.github.lth.djl.internal.DeviceImages;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class ValidationSplitTest {
  private static final TrainTestSplit EMBEDDED = DataSources.embedded();
  private static final ImageDataset TRAIN = EMBEDDED.train();

  /** One-pixel images whose value is the image's index, so every part shows its origins. */
  private static ImageDataset indexed(int[] labels, int classes) {
    byte[] pixels = new byte[labels.length];
    for (int i = 0; i < labels.length; i++) {
      pixels[i] = (byte) i;
    }
    return ImageDataset.of("t", pixels, labels.clone(), 1, 1, 1, classes);
  }

  private static int[] origins(ImageDataset set) {
    byte[] p = set.pixels();
    return IntStream.range(0, p.length).map(i -> p[i] & 0xFF).toArray();
  }

  @Test
  void eachClassGivesRoundOfItsShareRoundingHalfUp() {
    // Class sizes 7, 5, 3, 1, 2 at 25%: round(1.75) = 2, round(1.25) = 1, round(0.75) = 1,
    // round(0.25) = 0, round(0.5) = 1.
    int[] sizes = {7, 5, 3, 1, 2};
    int[] labels = interleaved(sizes);
    ImageDataset set = indexed(labels, 5);
    ValidationSplit<ImageDataset> split = set.splitValidation(0.25, 3);
    assertThat(split.validation().classCounts()).containsExactly(2, 1, 1, 0, 1);
    assertThat(split.train().classCounts()).containsExactly(5, 4, 2, 1, 1);
    int[] val = origins(split.validation());
    int[] train = origins(split.train());
    assertThat(val).isSorted();
    assertThat(train).isSorted();
    assertThat(IntStream.concat(Arrays.stream(val), Arrays.stream(train)).sorted().toArray())
        .isEqualTo(IntStream.range(0, labels.length).toArray());
    for (int i = 0; i < val.length; i++) {
      assertThat(split.validation().label(i)).isEqualTo(labels[val[i]]);
    }
    assertThat(split.validation().name()).isEqualTo("t[val 25% seed 3]");
    assertThat(split.train().name()).isEqualTo("t[train 75% seed 3]");
  }

  // Labels 0, 1, 2, ... round robin until each class has its size.
  private static int[] interleaved(int[] sizes) {
    int[] left = sizes.clone();
    int total = Arrays.stream(sizes).sum();
    int[] labels = new int[total];
    int next = 0;
    while (next < total) {
      for (int c = 0; c < sizes.length; c++) {
        if (left[c] > 0) {
          labels[next++] = c;
          left[c]--;
        }
      }
    }
    return labels;
  }

  @Test
  void theEmbeddedSplitIsStratifiedDisjointAndCoversTheTrainingSet() {
    ValidationSplit<ImageDataset> split = TRAIN.splitValidation(0.1, 42);
    ImageDataset val = split.validation();
    ImageDataset train = split.train();
    assertThat(val.classCounts()).containsOnly(60).hasSize(10);
    assertThat(train.classCounts()).containsOnly(540).hasSize(10);
    assertThat(val.name()).isEqualTo("embedded-train[val 10% seed 42]");
    assertThat(train.name()).isEqualTo("embedded-train[train 90% seed 42]");

    int[][] positions = Splits.validationPositions(TRAIN.labels(), 0.1, 42, "x");
    assertThat(positions[0]).isSorted().hasSize(5400);
    assertThat(positions[1]).isSorted().hasSize(600);
    assertThat(IntStream.concat(Arrays.stream(positions[0]), Arrays.stream(positions[1]))
        .sorted().toArray()).isEqualTo(IntStream.range(0, 6000).toArray());
    assertThat(TRAIN.subset("any", positions[1]).fingerprint()).isEqualTo(val.fingerprint());
    assertThat(TRAIN.subset("any", positions[0]).fingerprint()).isEqualTo(train.fingerprint());

    Map<String, Integer> whole = multiset(TRAIN);
    Map<String, Integer> union = multiset(train);
    multiset(val).forEach((k, v) -> union.merge(k, v, Integer::sum));
    assertThat(union).isEqualTo(whole);

    // Drawn from the training set only, so the test set is a different source.
    assertThat(val.fingerprint()).isNotEqualTo(EMBEDDED.test().fingerprint())
        .isNotEqualTo(train.fingerprint()).isNotEqualTo(TRAIN.fingerprint());
    assertThat(train.fingerprint()).isNotEqualTo(EMBEDDED.test().fingerprint());
    assertThat(whole.keySet()).containsAll(multiset(val).keySet());
  }

  private static Map<String, Integer> multiset(ImageDataset set) {
    Map<String, Integer> counts = new HashMap<>();
    byte[] pixels = set.pixels();
    int per = set.imageSize();
    for (int i = 0; i < set.size(); i++) {
      String key = set.label(i) + ":"
          + Arrays.toString(Arrays.copyOfRange(pixels, i * per, (i + 1) * per));
      counts.merge(key, 1, Integer::sum);
    }
    return counts;
  }

  @Test
  void isTheDocumentedShuffleOfEachClassInLabelOrder() {
    // Written out: one SplittableRandom(seed); classes in label order; each class's positions
    // in data order, Fisher-Yates from the end; the first round(fraction x size) held out.
    double fraction = 0.15;
    long seed = 2024;
    SplittableRandom r = new SplittableRandom(seed);
    boolean[] held = new boolean[TRAIN.size()];
    for (int c = 0; c < TRAIN.classes(); c++) {
      int cls = c;
      int[] members = IntStream.range(0, TRAIN.size()).filter(i -> TRAIN.label(i) == cls)
          .toArray();
      for (int i = members.length - 1; i > 0; i--) {
        int j = r.nextInt(i + 1);
        int t = members[i];
        members[i] = members[j];
        members[j] = t;
      }
      for (int k = 0; k < Math.round(fraction * members.length); k++) {
        held[members[k]] = true;
      }
    }
    int[] expected = IntStream.range(0, held.length).filter(i -> held[i]).toArray();
    assertThat(TRAIN.splitValidation(fraction, seed).validation().fingerprint())
        .isEqualTo(TRAIN.subset("x", expected).fingerprint());
  }

  @Test
  void theSameSeedGivesTheSameSplitEverywhere() {
    ValidationSplit<ImageDataset> a = TRAIN.splitValidation(0.1, 42);
    ValidationSplit<ImageDataset> b = TRAIN.splitValidation(0.1, 42);
    assertThat(b.validation().pixels()).isEqualTo(a.validation().pixels());
    assertThat(b.validation().labels()).isEqualTo(a.validation().labels());
    assertThat(b.train().fingerprint()).isEqualTo(a.train().fingerprint());
    ValidationSplit<ImageDataset> other = TRAIN.splitValidation(0.1, 43);
    assertThat(other.validation().fingerprint()).isNotEqualTo(a.validation().fingerprint());
    assertThat(other.validation().classCounts()).isEqualTo(a.validation().classCounts());
    // Recorded once; a change means the same --seed no longer holds out the same images.
    assertThat(a.validation().fingerprint()).isEqualTo(PINNED_VAL_10_42);
  }

  private static final String PINNED_VAL_10_42 =
      "99067ecdabd26b5d1a49a82376ea3f32d6e6ad30d7f5c4b4a1ee2d608de8f196";

  @Test
  void fractionsOutsideTheOpenUnitIntervalAreRejected() {
    for (double bad : new double[] {0, 1, -0.1, 1.5, Double.NaN}) {
      assertThatThrownBy(() -> TRAIN.splitValidation(bad, 1))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("validation fraction")
          .hasMessageContaining(String.valueOf(bad));
    }
    ImageDataset two = indexed(new int[] {0, 1}, 2);
    assertThatThrownBy(() -> two.splitValidation(0.4, 1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("validation fraction 0.4 holds out no sample");
    assertThatThrownBy(() -> two.splitValidation(0.6, 1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("none is left to train on");
  }

  @Test
  void datasetBatchesSplitLikeTheImagesWhenGivenTheLabels() {
    Device cpu = Device.cpu();
    int n = TRAIN.size();
    ValidationSplit<ImageDataset> images = TRAIN.splitValidation(0.1, 42);
    try (NDManager manager = NDManager.newBaseManager(cpu);
        DeviceImages cache = DeviceImages.upload(TRAIN, cpu, 0, 0);
        ImageBatches expected = BatchSources.of(images.validation())) {
      ArrayDataset arrays = new ArrayDataset.Builder().setData(cache.images(0, n, manager))
          .optLabels(cache.labels(0, n, manager)).setSampling(100, false).build();
      DatasetBatches all = DatasetBatches.builder().setDataset(arrays)
          .optName("embedded-train").build();
      ValidationSplit<DatasetBatches> split = all.splitValidation(0.1, 42, TRAIN::label);
      DatasetBatches val = split.validation();
      assertThat(val.name()).isEqualTo("embedded-train[val 10% seed 42]");
      assertThat(split.train().name()).isEqualTo("embedded-train[train 90% seed 42]");
      assertThat(val.size()).isEqualTo(600);
      assertThat(split.train().size()).isEqualTo(5400);
      int[][] positions = Splits.validationPositions(TRAIN.labels(), 0.1, 42, "x");
      for (int k = 0; k < val.size(); k++) {
        assertThat(val.datasetIndex(k)).isEqualTo(positions[1][k]);
      }
      for (int k = 0; k < split.train().size(); k++) {
        assertThat(split.train().datasetIndex(k)).isEqualTo(positions[0][k]);
      }
      int[] identity = IntStream.range(0, 600).toArray();
      BatchSource.Epoch a = expected.epoch(manager, cpu, identity);
      BatchSource.Epoch b = val.epoch(manager, cpu, identity);
      for (int from = 0; from < 600; from += 250) {
        int to = Math.min(600, from + 250);
        Batch x = a.batch(manager, from, to);
        Batch y = b.batch(manager, from, to);
        assertThat(y.getData().head().toFloatArray()).isEqualTo(x.getData().head().toFloatArray());
        assertThat(y.getLabels().head().toLongArray())
            .isEqualTo(x.getLabels().head().toLongArray());
      }
      assertThat(all.splitValidation(0.1, 42, TRAIN::label).validation().fingerprint())
          .isEqualTo(val.fingerprint())
          .isNotEqualTo(all.splitValidation(0.1, 7, TRAIN::label).validation().fingerprint())
          .isNotEqualTo(split.train().fingerprint())
          .isNotEqualTo(all.fingerprint());
    }
  }

  @Test
  void datasetBatchesSplitUnstratifiedWithoutLabels() {
    try (NDManager manager = NDManager.newBaseManager(Device.cpu())) {
      ArrayDataset arrays = new ArrayDataset.Builder().setData(manager.arange(0f, 1001f))
          .setSampling(10, false).build();
      DatasetBatches all = BatchSources.of(arrays);
      // round(0.2345 x 1001) = round(234.73) = 235
      ValidationSplit<DatasetBatches> split = all.splitValidation(0.2345, 9);
      assertThat(split.validation().size()).isEqualTo(235);
      assertThat(split.train().size()).isEqualTo(766);
      long[] val = IntStream.range(0, 235).mapToLong(split.validation()::datasetIndex).toArray();
      long[] train = IntStream.range(0, 766).mapToLong(split.train()::datasetIndex).toArray();
      assertThat(val).isSorted();
      assertThat(train).isSorted();
      long[] both = new long[1001];
      System.arraycopy(val, 0, both, 0, 235);
      System.arraycopy(train, 0, both, 235, 766);
      Arrays.sort(both);
      assertThat(both).isEqualTo(IntStream.range(0, 1001).asLongStream().toArray());
      assertThat(split.validation().name()).isEqualTo("ArrayDataset[val 23.45% seed 9]");
      // A split of a split resolves to the data set's own indices.
      DatasetBatches inner = split.train().splitValidation(0.5, 1).validation();
      for (int k = 0; k < inner.size(); k++) {
        assertThat(Arrays.binarySearch(train, inner.datasetIndex(k))).isNotNegative();
      }
      assertThatThrownBy(() -> all.splitValidation(0, 9))
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("validation fraction");
    }
  }

}
