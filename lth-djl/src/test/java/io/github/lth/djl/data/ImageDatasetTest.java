package io.github.lth.djl.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class ImageDatasetTest {
  /** One-pixel images whose value is the image's index, so every subset shows its origin. */
  private static ImageDataset indexed(int[] labels, int classes) {
    byte[] pixels = new byte[labels.length];
    for (int i = 0; i < labels.length; i++) {
      pixels[i] = (byte) i;
    }
    return ImageDataset.of("t", pixels, labels.clone(), 1, 1, 1, classes);
  }

  private static int[] origins(ImageDataset set) {
    byte[] p = set.pixels();
    int[] o = new int[p.length];
    for (int i = 0; i < p.length; i++) {
      o[i] = p[i] & 0xFF;
    }
    return o;
  }

  // 0:4 images, 1:3 images, 2:1 image
  private static final int[] LABELS = {0, 1, 0, 1, 0, 1, 0, 2};

  @Test
  void classCounts() {
    assertThat(indexed(LABELS, 4).classCounts()).containsExactly(4, 3, 1, 0);
  }

  @Test
  void fractionPerClassTakesTheFirstOfEachClassInDataOrder() {
    // round(0.5 x 4) = 2 of class 0, round(1.5) = 2 of class 1, max(1, round(0.5)) = 1 of class 2
    ImageDataset half = indexed(LABELS, 3).fractionPerClass(0.5);
    assertThat(origins(half)).containsExactly(0, 1, 2, 3, 7);
    assertThat(half.labels()).containsExactly(0, 1, 0, 1, 2);
    assertThat(half.name()).isEqualTo("t-0.5-per-class");
    assertThat(origins(indexed(LABELS, 3).fractionPerClass(1.0)))
        .containsExactly(0, 1, 2, 3, 4, 5, 6, 7);
  }

  @Test
  void seededFractionsAreNestedAndStratified() {
    ImageDataset set = labelled(80, 4);
    ImageDataset quarter = set.fractionPerClass(0.25, 11);
    ImageDataset half = set.fractionPerClass(0.5, 11);
    assertThat(quarter.classCounts()).containsExactly(5, 5, 5, 5);
    assertThat(half.classCounts()).containsExactly(10, 10, 10, 10);
    assertThat(asList(origins(half))).containsAll(asList(origins(quarter)));
    assertThat(origins(quarter)).isSorted();
    assertThat(origins(set.fractionPerClass(0.25, 12))).isNotEqualTo(origins(quarter));
  }

  @Test
  void samplePerClassIsExactDeterministicAndKeepsLabels() {
    ImageDataset set = labelled(50, 5);
    ImageDataset sample = set.samplePerClass(7, 3);
    assertThat(sample.classCounts()).containsExactly(7, 7, 7, 7, 7);
    assertThat(sample.size()).isEqualTo(35);
    int[] o = origins(sample);
    assertThat(o).isSorted().doesNotHaveDuplicates();
    for (int i = 0; i < o.length; i++) {
      assertThat(sample.label(i)).isEqualTo(set.label(o[i]));
    }
    assertThat(origins(set.samplePerClass(7, 3))).isEqualTo(o);
    assertThat(origins(set.samplePerClass(7, 4))).isNotEqualTo(o);
    assertThat(sample.name()).isEqualTo("t-7-per-class");
  }

  @Test
  void samplePerClassOfTheEmbeddedSetIsPinned() {
    ImageDataset train = DataSources.embedded().train();
    ImageDataset few = train.samplePerClass(10, 2024);
    assertThat(few.classCounts()).containsOnly(10);
    // Computed independently in Python (SplitMix64 port, same per-class Fisher-Yates): the same
    // seed must pick the same images on every machine.
    assertThat(few.fingerprint()).isEqualTo(PINNED_FEW);
  }

  @Test
  void samplePerClassRejectsTooFewImages() {
    assertThatThrownBy(() -> indexed(LABELS, 3).samplePerClass(2, 0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("data set t: class 2 has 1 images, fewer than the 2 per class asked for");
    assertThatThrownBy(() -> indexed(LABELS, 3).samplePerClass(0, 0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("data set t: images per class must be positive: 0");
    assertThatThrownBy(() -> indexed(LABELS, 3).fractionPerClass(1.5))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("data set t: fraction per class must be in (0, 1]: 1.5");
  }

  @Test
  void permutedLabelsKeepTheHistogramAndPixels() {
    ImageDataset set = labelled(200, 10);
    ImageDataset permuted = set.withPermutedLabels(5);
    int[] perm = Shuffle.permutation(200, 5);
    for (int i = 0; i < 200; i++) {
      assertThat(permuted.label(i)).isEqualTo(set.label(perm[i]));
    }
    assertThat(permuted.classCounts()).isEqualTo(set.classCounts());
    assertThat(permuted.pixels()).isEqualTo(set.pixels());
    assertThat(permuted.labels()).isNotEqualTo(set.labels());
    assertThat(permuted.labels()).isEqualTo(set.withPermutedLabels(5).labels());
    assertThat(permuted.name()).isEqualTo("t-permuted-labels-5");
  }

  @Test
  void fractionOfClassesKeepsTheFirstClassesWithAllTheirImages() {
    ImageDataset set = labelled(200, 10);
    // round(0.3 x 10) = 3 classes of 20 images each
    ImageDataset three = set.fractionOfClasses(0.3);
    assertThat(three.classes()).isEqualTo(3);
    assertThat(three.classCounts()).containsExactly(20, 20, 20);
    assertThat(three.size()).isEqualTo(60);
    // one class is the least: round(0.04 x 10) = 0
    assertThat(set.fractionOfClasses(0.04).classCounts()).containsExactly(20);
    assertThat(set.fractionOfClasses(1.0).classCounts()).isEqualTo(set.classCounts());
    assertThatThrownBy(() -> set.fractionOfClasses(0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("data set t: fraction of classes must be in (0, 1]: 0.0");
  }

  @Test
  void classSubsetRelabelsInTheGivenOrder() {
    ImageDataset sub = indexed(LABELS, 3).classSubset(2, 0);
    assertThat(origins(sub)).containsExactly(0, 2, 4, 6, 7);
    assertThat(sub.labels()).containsExactly(1, 1, 1, 1, 0);
    assertThat(sub.classes()).isEqualTo(2);
    assertThat(sub.name()).isEqualTo("t-classes-2+0");
    assertThatThrownBy(() -> indexed(LABELS, 3).classSubset(0, 0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("data set t: class 0 is listed twice");
    assertThatThrownBy(() -> indexed(LABELS, 4).classSubset(3))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("data set t: no images of classes [3]");
  }

  /** n images with labels i % classes, pixel = index. */
  private static ImageDataset labelled(int n, int classes) {
    int[] labels = new int[n];
    for (int i = 0; i < n; i++) {
      labels[i] = (i * 7 + i / classes) % classes;
    }
    return indexed(labels, classes);
  }

  private static List<Integer> asList(int[] a) {
    List<Integer> l = new ArrayList<>();
    Arrays.stream(a).forEach(l::add);
    return l;
  }

  private static final String PINNED_FEW =
      "4a6e1f17761642d8bf057f107b42faf15ebb45d8072541a42962228f3b25cfe3";

  @Test
  void positionsAsLabelsKeepThePixelsAndMakeOneClassPerImage() {
    ImageDataset positions = indexed(LABELS, 4).indexed();
    assertThat(positions.labels()).containsExactly(0, 1, 2, 3, 4, 5, 6, 7);
    assertThat(positions.classes()).isEqualTo(8);
    assertThat(origins(positions)).containsExactly(0, 1, 2, 3, 4, 5, 6, 7);
    assertThat(positions.name()).isEqualTo("t[indexed]");
  }

  @Test
  void theMaskPerClassFlagsExactlyTheImagesTheSampleKeeps() {
    ImageDataset set = indexed(LABELS, 4);
    for (long seed = 0; seed < 5; seed++) {
      boolean[] flags = set.fractionPerClassMask(0.5, seed);
      List<Integer> flagged = new ArrayList<>();
      for (int i = 0; i < flags.length; i++) {
        if (flags[i]) {
          flagged.add(i);
        }
      }
      // round(0.5 x 4) + round(0.5 x 3) + max(1, round(0.5 x 1)) = 2 + 2 + 1
      assertThat(flagged).hasSize(5)
          .isEqualTo(asList(origins(set.fractionPerClass(0.5, seed))));
    }
    assertThatThrownBy(() -> set.fractionPerClassMask(0, 1))
        .hasMessage("data set t: fraction per class must be in (0, 1]: 0.0");
  }

  @Test
  void theTrainingSizeAfterValidationIsTheSplitsWithoutTheSplit() {
    ImageDataset set = indexed(LABELS, 4);
    // round(0.5 x 4) + round(0.5 x 3) + round(0.5 x 1) = 5 of 8 held out
    for (long seed = 0; seed < 3; seed++) {
      assertThat(set.trainingSizeAfterValidation(0.5, seed))
          .isEqualTo(set.splitValidation(0.5, seed).train().size()).isEqualTo(3);
    }
    assertThatThrownBy(() -> set.trainingSizeAfterValidation(0.01, 0))
        .hasMessageStartingWith("validation fraction 0.01 holds out no sample of t");
  }
}
