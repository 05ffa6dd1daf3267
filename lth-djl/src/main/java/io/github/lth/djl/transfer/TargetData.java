package io.github.lth.djl.transfer;

import static com.google.common.base.Preconditions.checkArgument;

import io.github.lth.djl.data.ImageDataset;
import io.github.lth.djl.data.TrainTestSplit;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * How a transfer target is cut from a data set: a class split, low-shot subsets and permuted
 * labels, applied in that order. Low-shot and permuted labels change only the training images;
 * the test set keeps every image of the kept classes and their true labels, so the numbers stay
 * comparable across settings.
 *
 * <pre>{@code
 * // classes 5-9 of Fashion-MNIST, 10 % of each class's training images
 * TargetData cut = TargetData.all().withClasses(5, 6, 7, 8, 9).withSamplesPercent(10);
 * TrainTestSplit target = cut.apply(DataSources.fashionMnist());
 * }</pre>
 *
 * @param classes the classes kept, relabelled 0.. in this order; empty for all
 * @param samplesPercent the percentage of each class's training images kept (100: all)
 * @param classesPercent the percentage of the (kept) classes kept, the first ones (100: all)
 * @param permuteLabels whether the training labels are shuffled among the training images
 * @param seed the seed of the low-shot sample and of the label permutation
 */
public record TargetData(int[] classes, double samplesPercent, double classesPercent,
    boolean permuteLabels, long seed) {

  public TargetData {
    classes = classes.clone();
    checkPercent("samples per class", samplesPercent);
    checkPercent("classes", classesPercent);
  }

  /** Every class and image, true labels. */
  public static TargetData all() {
    return new TargetData(new int[0], 100, 100, false, 0);
  }

  @Override
  public int[] classes() {
    return classes.clone();
  }

  public TargetData withClasses(int... kept) {
    return new TargetData(kept, samplesPercent, classesPercent, permuteLabels, seed);
  }

  /** Keeps {@code percent} % of each class's training images (a seeded, nested sample). */
  public TargetData withSamplesPercent(double percent) {
    return new TargetData(classes, percent, classesPercent, permuteLabels, seed);
  }

  /** Keeps the first {@code percent} % of the classes. */
  public TargetData withClassesPercent(double percent) {
    return new TargetData(classes, samplesPercent, percent, permuteLabels, seed);
  }

  public TargetData withPermutedLabels(boolean permute) {
    return new TargetData(classes, samplesPercent, classesPercent, permute, seed);
  }

  public TargetData withSeed(long newSeed) {
    return new TargetData(classes, samplesPercent, classesPercent, permuteLabels, newSeed);
  }

  /**
   * The target cut from {@code data}.
   *
   * @throws IllegalArgumentException if a class is out of range or no image is left
   */
  public TrainTestSplit apply(TrainTestSplit data) {
    ImageDataset train = data.train();
    ImageDataset test = data.test();
    if (classes.length > 0) {
      train = train.classSubset(classes);
      test = test.classSubset(classes);
    }
    if (classesPercent < 100) {
      train = train.fractionOfClasses(classesPercent / 100);
      test = test.fractionOfClasses(classesPercent / 100);
    }
    checkArgument(train.classes() >= 2, "target %s has %s class left; a classifier needs 2",
        train.name(), train.classes());
    if (samplesPercent < 100) {
      train = train.fractionPerClass(samplesPercent / 100, seed);
    }
    if (permuteLabels) {
      train = train.withPermutedLabels(seed);
    }
    checkArgument(train.size() > 0, "target %s has no training image left", train.name());
    return new TrainTestSplit(train, test);
  }

  /** The cut as written to a transfer's settings. */
  public Map<String, Object> asMap() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("classes", classes.length == 0 ? "all" : Arrays.toString(classes));
    m.put("samples_percent", samplesPercent);
    m.put("classes_percent", classesPercent);
    m.put("permute_labels", permuteLabels);
    m.put("seed", seed);
    return m;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof TargetData t && Arrays.equals(t.classes, classes)
        && t.samplesPercent == samplesPercent && t.classesPercent == classesPercent
        && t.permuteLabels == permuteLabels && t.seed == seed;
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(classes) * 31 + Map.of("s", samplesPercent, "c", classesPercent,
        "p", permuteLabels, "seed", seed).hashCode();
  }

  @Override
  public String toString() {
    return "TargetData" + asMap();
  }

  private static void checkPercent(String what, double percent) {
    checkArgument(percent > 0 && percent <= 100, "% of %s must be in (0, 100]: %s", what,
        percent);
  }
}
