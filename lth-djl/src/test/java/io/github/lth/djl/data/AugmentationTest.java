package io.github.lth.djl.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import ai.djl.training.dataset.Batch;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class AugmentationTest {
  private static final Device CPU = Device.cpu();

  @Test
  void specsRoundTripAndFactoriesEqualTheirSpecs() {
    Map<Augmentation, String> expected = Map.of(
        Augmentation.none(), "none",
        Augmentation.none().withFlip(true), "flip",
        Augmentation.none().withCrop(4), "crop:4",
        Augmentation.cropAndFlip(4), "crop:4,flip",
        Augmentation.cropAndFlip(1), "crop:1,flip");
    expected.forEach((augmentation, spec) -> {
      assertThat(augmentation.spec()).isEqualTo(spec);
      assertThat(augmentation.toString()).isEqualTo(spec);
      assertThat(Augmentation.parse(spec)).isEqualTo(augmentation)
          .hasSameHashCodeAs(augmentation);
      assertThat(Augmentation.parse(augmentation.spec()).spec()).isEqualTo(spec);
    });
    assertThat(Augmentation.parse(" flip , crop:4 ")).isEqualTo(Augmentation.cropAndFlip(4));
    assertThat(Augmentation.cropAndFlip(4).withCrop(0)).isEqualTo(Augmentation.parse("flip"));
    assertThat(Augmentation.cropAndFlip(4).withFlip(false)).isEqualTo(Augmentation.parse("crop:4"));
    assertThat(Augmentation.cropAndFlip(4).withCrop(0).withFlip(false))
        .isEqualTo(Augmentation.none());
    assertThat(Augmentation.cropAndFlip(4)).isNotEqualTo(Augmentation.cropAndFlip(2))
        .isNotEqualTo(Augmentation.parse("crop:4"));
    assertThat(Augmentation.cropAndFlip(3).settings())
        .containsExactly(Map.entry("crop_padding", 3), Map.entry("horizontal_flip", true));
    assertThat(Augmentation.none().settings())
        .containsExactly(Map.entry("crop_padding", 0), Map.entry("horizontal_flip", false));
    Augmentation flip = Augmentation.parse("flip");
    assertThat(List.of(flip.isNone(), flip.crops(), flip.flips(), flip.cropPadding()))
        .containsExactly(false, false, true, 0);
    Augmentation crop = Augmentation.parse("crop:2");
    assertThat(List.of(crop.isNone(), crop.crops(), crop.flips(), crop.cropPadding()))
        .containsExactly(false, true, false, 2);
    assertThat(Augmentation.none().isNone()).isTrue();
  }

  @Test
  void badSpecsAreRefusedNamingTheBadPart() {
    assertBadSpec(null, "the spec is empty");
    assertBadSpec("  ", "the spec is empty");
    assertBadSpec("rotate", "unknown part 'rotate'");
    assertBadSpec("crop:4,rotate:10", "unknown part 'rotate:10'");
    assertBadSpec("crop:4,,flip", "unknown part ''");
    assertBadSpec("crop", "'crop' needs its padding");
    assertBadSpec("crop:", "'crop:' needs its padding");
    assertBadSpec("crop:x,flip", "the crop padding 'x' is not a whole number");
    assertBadSpec("crop:-1", "the crop padding '-1' is not a whole number");
    assertBadSpec("crop:0", "the crop padding 0 is outside [1, 65535]");
    assertBadSpec("crop:99999999999", "the crop padding 99999999999 is outside [1, 65535]");
    assertBadSpec("flip,flip", "'flip' is given twice");
    assertBadSpec("crop:2,crop:3", "'crop' is given twice");
    assertBadSpec("none,flip", "'none' cannot be combined");
    assertThatThrownBy(() -> Augmentation.cropAndFlip(0))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("[1, 65535]: 0");
    assertThatThrownBy(() -> Augmentation.none().withCrop(-2))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("[1, 65535]: -2");
  }

  private static void assertBadSpec(String spec, String message) {
    assertThatThrownBy(() -> Augmentation.parse(spec))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining(message)
        .hasMessageStartingWith("augmentation");
  }

  @Test
  void drawsCoverEveryShiftAndFlipAboutHalfTheImages() {
    Augmentation standard = Augmentation.cropAndFlip(2);
    long passSeed = Augmentation.passSeed(42, 0);
    int[][] shiftCounts = new int[2][5];
    int flips = 0;
    int n = 5000;
    for (int k = 0; k < n; k++) {
      Augmentation.Draw d = standard.draw(passSeed, k);
      assertThat(d.dy()).isBetween(-2, 2);
      assertThat(d.dx()).isBetween(-2, 2);
      shiftCounts[0][d.dy() + 2]++;
      shiftCounts[1][d.dx() + 2]++;
      flips += d.flip() ? 1 : 0;
      assertThat(standard.draw(passSeed, k)).isEqualTo(d);
    }
    for (int[] counts : shiftCounts) {
      for (int count : counts) {
        assertThat(count).isBetween(n / 5 - 150, n / 5 + 150);
      }
    }
    assertThat(flips).isBetween(n / 2 - 200, n / 2 + 200);
    for (int k = 0; k < 200; k++) {
      Augmentation.Draw cropOnly = Augmentation.parse("crop:3").draw(passSeed, k);
      assertThat(cropOnly.flip()).isFalse();
      Augmentation.Draw flipOnly = Augmentation.parse("flip").draw(passSeed, k);
      assertThat(List.of(flipOnly.dy(), flipOnly.dx())).containsExactly(0, 0);
    }
    assertThat(Augmentation.passSeed(42, 1)).isNotEqualTo(passSeed);
    assertThat(Augmentation.passSeed(43, 0)).isNotEqualTo(passSeed);
    assertThatThrownBy(() -> Augmentation.passSeed(42, -1))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("epoch");
  }

  @Test
  void oneChannelBatchesEqualABruteForceReferenceOfTheDraws() {
    ImageDataset data = images(1, 4, 4, 12, 3);
    for (String spec : new String[] {"crop:1,flip", "crop:2", "flip", "crop:4,flip"}) {
      assertMatchesBruteForce(data, new float[] {0.4f}, new float[] {0.3f},
          Augmentation.parse(spec), 7, 0);
      assertMatchesBruteForce(data, new float[] {0.4f}, new float[] {0.3f},
          Augmentation.parse(spec), 7, 3);
    }
  }

  @Test
  void perChannelNonSquareBatchesEqualABruteForceReferenceOfTheDraws() {
    // height ≠ width, so a swapped axis cannot pass
    ImageDataset data = images(3, 5, 3, 12, 4);
    float[] mean = {0.49f, 0.48f, 0.45f};
    float[] std = {0.25f, 0.24f, 0.26f};
    assertMatchesBruteForce(data, mean, std, Augmentation.cropAndFlip(2), 11, 1);
    assertMatchesBruteForce(data, mean, std, Augmentation.parse("flip"), 11, 1);
    assertMatchesBruteForce(data, null, null, Augmentation.cropAndFlip(1), 11, 2);
  }

  /**
   * Runs one training pass in a shuffled order and compares every batch with the normalised
   * images of a plain source, shifted and flipped in Java by the draws of each position. The
   * padding reference is the normalised value of the raw 0 pixels {@link #images} plants, as the
   * device computed it.
   */
  private static void assertMatchesBruteForce(ImageDataset data, float[] mean, float[] std,
      Augmentation augmentation, long seed, int epoch) {
    int n = data.size();
    int c = data.channels();
    int h = data.height();
    int w = data.width();
    int[] order = Shuffle.order(n, new SplittableRandom(seed + 100));
    long passSeed = Augmentation.passSeed(seed, epoch);
    int shifted = 0;
    int flipped = 0;
    int paddedPixels = 0;
    try (ImageBatches plain = source(data, mean, std);
        ImageBatches augmented = source(data, mean, std).withAugmentation(augmentation);
        NDManager scope = NDManager.newBaseManager(CPU)) {
      float[] images = plain.epoch(scope, CPU, IntStream.range(0, n).toArray()).batch(scope, 0, n)
          .getData().head().toFloatArray();
      float[] padding = new float[c];
      for (int ch = 0; ch < c; ch++) {
        padding[ch] = images[ch * h * w];
        float expected = mean == null ? 0f : (0f - mean[ch]) / std[ch];
        assertThat(padding[ch]).isCloseTo(expected, within(1e-6f));
      }
      BatchSource.Epoch pass = augmented.trainingEpoch(scope, CPU, order, seed, epoch);
      for (int from = 0; from < n; from += 5) {
        int to = Math.min(n, from + 5);
        Batch batch = pass.batch(scope, from, to);
        float[] actual = batch.getData().head().toFloatArray();
        assertThat(batch.getData().head().getShape().getShape())
            .containsExactly(to - from, c, h, w);
        long[] labels = batch.getLabels().head().toLongArray();
        for (int k = from; k < to; k++) {
          assertThat(labels[k - from]).isEqualTo(data.label(order[k]));
          Augmentation.Draw d = augmentation.draw(passSeed, k);
          shifted += d.dy() != 0 || d.dx() != 0 ? 1 : 0;
          flipped += d.flip() ? 1 : 0;
          for (int ch = 0; ch < c; ch++) {
            for (int i = 0; i < h; i++) {
              for (int j = 0; j < w; j++) {
                int row = i + d.dy();
                int column = (d.flip() ? w - 1 - j : j) + d.dx();
                boolean inside = row >= 0 && row < h && column >= 0 && column < w;
                float expected = inside
                    ? images[((order[k] * c + ch) * h + row) * w + column] : padding[ch];
                paddedPixels += inside ? 0 : 1;
                assertThat(actual[(((k - from) * c + ch) * h + i) * w + j])
                    .as("%s, position %s (image %s), channel %s, pixel (%s, %s), draw %s",
                        augmentation, k, order[k], ch, i, j, d)
                    .isEqualTo(expected);
              }
            }
          }
        }
      }
    }
    // the draws did something, so the comparison above was not with unchanged images
    assertThat(shifted > 0).isEqualTo(augmentation.crops());
    assertThat(paddedPixels > 0).isEqualTo(augmentation.crops());
    assertThat(flipped > 0).isEqualTo(augmentation.flips());
  }

  @Test
  void aFlipMirrorsEachRowExactlyAndTheRestStaysPut() {
    // pixel (i, j) = 10 i + j + 1: the mirror is easy to write down
    byte[] pixels = new byte[2 * 9];
    for (int image = 0; image < 2; image++) {
      for (int p = 0; p < 9; p++) {
        pixels[image * 9 + p] = (byte) (10 * (p / 3) + p % 3 + 1 + 100 * image);
      }
    }
    ImageDataset data = ImageDataset.of("rows", pixels, new int[] {0, 1}, 1, 3, 3, 2);
    Augmentation flip = Augmentation.parse("flip");
    try (ImageBatches source = BatchSources.of(data).withAugmentation(flip);
        NDManager scope = NDManager.newBaseManager(CPU)) {
      int seen = 0;
      for (int epoch = 0; epoch < 20 && seen != 3; epoch++) {
        float[] x = source.trainingEpoch(scope, CPU, new int[] {0, 1}, 5, epoch)
            .batch(scope, 0, 2).getData().head().toFloatArray();
        for (int k = 0; k < 2; k++) {
          boolean mirrored = flip.draw(Augmentation.passSeed(5, epoch), k).flip();
          seen |= mirrored ? 1 : 2;
          for (int i = 0; i < 3; i++) {
            for (int j = 0; j < 3; j++) {
              int expected = 10 * i + (mirrored ? 2 - j : j) + 1 + 100 * k;
              assertThat(x[k * 9 + i * 3 + j]).isEqualTo(expected / 255f);
            }
          }
        }
      }
      assertThat(seen).as("both flipped and unflipped images were seen").isEqualTo(3);
    }
  }

  @Test
  void sameSeedAndEpochGiveTheSameBatchesAnyBatchSizeOtherEpochsAndSeedsDiffer() {
    ImageDataset data = images(1, 4, 4, 12, 5);
    int[] order = Shuffle.order(12, new SplittableRandom(1));
    Augmentation standard = Augmentation.cropAndFlip(2);
    float[] first = trainingPass(data, standard, order, 9, 4, 12);
    assertThat(trainingPass(data, standard, order, 9, 4, 12)).isEqualTo(first);
    assertThat(trainingPass(data, standard, order, 9, 4, 5)).isEqualTo(first);
    assertThat(trainingPass(data, standard, order, 9, 5, 12)).isNotEqualTo(first);
    assertThat(trainingPass(data, standard, order, 10, 4, 12)).isNotEqualTo(first);
  }

  /** One training pass in batches of {@code batchSize}, all images concatenated. */
  private static float[] trainingPass(ImageDataset data, Augmentation augmentation, int[] order,
      long seed, int epoch, int batchSize) {
    List<Float> all = new ArrayList<>();
    try (ImageBatches source = BatchSources.of(data, 0.5f, 0.2f).withAugmentation(augmentation);
        NDManager scope = NDManager.newBaseManager(CPU)) {
      BatchSource.Epoch pass = source.trainingEpoch(scope, CPU, order, seed, epoch);
      for (int from = 0; from < order.length; from += batchSize) {
        try (NDManager batchScope = scope.newSubManager()) {
          for (float v : pass.batch(batchScope, from, Math.min(order.length, from + batchSize))
              .getData().head().toFloatArray()) {
            all.add(v);
          }
        }
      }
    }
    float[] out = new float[all.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = all.get(i);
    }
    return out;
  }

  @Test
  void plainPassesOfAnAugmentingSourceAreNotAugmented() {
    ImageDataset data = images(3, 4, 4, 12, 6);
    int[] order = Shuffle.order(12, new SplittableRandom(2));
    try (ImageBatches plain = BatchSources.of(data, 0.5f, 0.2f);
        ImageBatches augmented = plain.withAugmentation(Augmentation.cropAndFlip(2));
        ImageBatches switchedOff = augmented.withAugmentation(Augmentation.none());
        NDManager scope = NDManager.newBaseManager(CPU)) {
      float[] expected = plain.epoch(scope, CPU, order).batch(scope, 0, 12).getData().head()
          .toFloatArray();
      assertThat(augmented.epoch(scope, CPU, order).batch(scope, 0, 12).getData().head()
          .toFloatArray()).isEqualTo(expected);
      assertThat(switchedOff.trainingEpoch(scope, CPU, order, 3, 0).batch(scope, 0, 12)
          .getData().head().toFloatArray()).isEqualTo(expected);
      assertThat(plain.trainingEpoch(scope, CPU, order, 3, 0).batch(scope, 0, 12).getData()
          .head().toFloatArray()).isEqualTo(expected);
      assertThat(augmented.trainingEpoch(scope, CPU, order, 3, 0).batch(scope, 0, 12).getData()
          .head().toFloatArray()).isNotEqualTo(expected);
      assertThat(plain.augmentation().isNone()).isTrue();
      assertThat(augmented.augmentation()).isEqualTo(Augmentation.cropAndFlip(2));
      assertThat(augmented.fingerprint()).isEqualTo(plain.fingerprint());
      assertThat(augmented.toString()).endsWith(", augmented crop:2,flip");
      assertThatThrownBy(() -> augmented.trainingEpoch(scope, CPU, order, 3, -1))
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("epoch");
    }
  }

  @Test
  void closingABatchFreesEverythingItsAugmentationMade() {
    ImageDataset data = images(1, 4, 4, 12, 8);
    try (ImageBatches source = BatchSources.of(data).withAugmentation(Augmentation.cropAndFlip(1));
        NDManager scope = NDManager.newBaseManager(CPU)) {
      BatchSource.Epoch pass = source.trainingEpoch(scope, CPU,
          Shuffle.order(12, new SplittableRandom(3)), 1, 0);
      // warm up: the pass's own arrays and the device copy exist from here on
      pass.batch(scope.newSubManager(), 0, 4).close();
      Set<String> before = new HashSet<>(arrayUids(scope));
      for (int from = 0; from < 12; from += 4) {
        try (NDManager batchScope = scope.newSubManager()) {
          pass.batch(batchScope, from, from + 4).getData().head().toFloatArray();
        }
      }
      assertThat(arrayUids(scope)).containsExactlyInAnyOrderElementsOf(before);
    }
  }

  /** The arrays of the manager and its sub-managers (getManagedArrays walks the tree). */
  private static List<String> arrayUids(NDManager manager) {
    List<String> uids = new ArrayList<>();
    manager.getManagedArrays().forEach(a -> uids.add(a.getUid()));
    return uids;
  }

  private static ImageBatches source(ImageDataset data, float[] mean, float[] std) {
    return mean == null ? BatchSources.of(data) : BatchSources.of(data, mean, std);
  }

  /**
   * {@code n} random images with pixels in {@code [1, 255]}, except that pixel 0 of every
   * channel of image 0 is a raw 0 (the reference for the padding).
   */
  private static ImageDataset images(int channels, int height, int width, int n, long seed) {
    SplittableRandom random = new SplittableRandom(seed);
    byte[] pixels = new byte[n * channels * height * width];
    for (int i = 0; i < pixels.length; i++) {
      pixels[i] = (byte) (1 + random.nextInt(255));
    }
    for (int ch = 0; ch < channels; ch++) {
      pixels[ch * height * width] = 0;
    }
    int[] labels = IntStream.range(0, n).map(i -> i % 3).toArray();
    return ImageDataset.of("tiny-" + channels + "x" + height + "x" + width, pixels, labels,
        channels, height, width, 3);
  }
}
