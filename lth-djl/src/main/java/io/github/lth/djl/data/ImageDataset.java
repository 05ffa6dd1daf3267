package io.github.lth.djl.data;

import static com.google.common.base.Preconditions.checkArgument;

import com.google.common.hash.Hasher;
import com.google.common.hash.Hashing;
import java.math.BigDecimal;
import java.util.Arrays;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * An in-memory labelled image set: 8-bit pixels in {@code [n, channels, height, width]} C order
 * and one integer label per image. Small enough to hold on the host and to move to the device
 * once, so that training never copies a batch from the host.
 *
 * <pre>{@code
 * ImageDataset train = ImageDataset.of("tiny", pixels, labels, 1, 28, 28, 10);
 * int label = train.label(0);
 * }</pre>
 */
public final class ImageDataset {
  private final String name;
  private final byte[] pixels;
  private final int[] labels;
  private final int channels;
  private final int height;
  private final int width;
  private final int classes;

  private ImageDataset(String name, byte[] pixels, int[] labels, int channels, int height,
      int width, int classes) {
    this.name = name;
    this.pixels = pixels;
    this.labels = labels;
    this.channels = channels;
    this.height = height;
    this.width = width;
    this.classes = classes;
  }

  /**
   * Wraps the arrays without copying them; the caller hands them over.
   *
   * @throws IllegalArgumentException if the sizes disagree, a label is outside {@code [0,
   *     classes)}, or the set is empty
   */
  public static ImageDataset of(String name, byte[] pixels, int[] labels, int channels,
      int height, int width, int classes) {
    checkArgument(labels.length > 0, "data set %s is empty", name);
    checkArgument(channels > 0 && height > 0 && width > 0, "data set %s: bad image shape %sx%sx%s",
        name, channels, height, width);
    checkArgument((long) labels.length * channels * height * width == pixels.length,
        "data set %s: %s pixels for %s images of %sx%sx%s", name, pixels.length, labels.length,
        channels, height, width);
    checkArgument(classes > 0, "data set %s: number of classes must be positive", name);
    for (int i = 0; i < labels.length; i++) {
      checkArgument(labels[i] >= 0 && labels[i] < classes,
          "data set %s: label %s of image %s is outside [0, %s)", name, labels[i], i, classes);
    }
    return new ImageDataset(name, pixels, labels, channels, height, width, classes);
  }

  public String name() {
    return name;
  }

  /** Number of images. */
  public int size() {
    return labels.length;
  }

  public int channels() {
    return channels;
  }

  public int height() {
    return height;
  }

  public int width() {
    return width;
  }

  /** Number of classes; labels lie in {@code [0, classes)}. */
  public int classes() {
    return classes;
  }

  /** Values per image: channels × height × width. */
  public int imageSize() {
    return channels * height * width;
  }

  public int label(int index) {
    return labels[index];
  }

  /** A copy of all labels. */
  public int[] labels() {
    return labels.clone();
  }

  /** A copy of all pixels, {@code [n, c, h, w]} C order, unsigned bytes. */
  public byte[] pixels() {
    return pixels.clone();
  }

  /** The subset at the given indices, in that order (for stratified samples and low-shot). */
  public ImageDataset subset(String subsetName, int[] indices) {
    int per = imageSize();
    byte[] p = new byte[indices.length * per];
    int[] l = new int[indices.length];
    for (int i = 0; i < indices.length; i++) {
      System.arraycopy(pixels, indices[i] * per, p, i * per, per);
      l[i] = labels[indices[i]];
    }
    return of(subsetName, p, l, channels, height, width, classes);
  }

  /** Number of images of each class, indexed by label. */
  public int[] classCounts() {
    int[] counts = new int[classes];
    for (int label : labels) {
      counts[label]++;
    }
    return counts;
  }

  /**
   * A stratified sample: {@code perClass} images of every class, chosen by a seeded shuffle of
   * each class's images and kept in their original order. The same seed gives the same sample
   * on every machine.
   *
   * @throws IllegalArgumentException if {@code perClass < 1} or some class has fewer images
   */
  public ImageDataset samplePerClass(int perClass, long seed) {
    checkArgument(perClass > 0, "data set %s: images per class must be positive: %s", name,
        perClass);
    int[] counts = classCounts();
    for (int c = 0; c < classes; c++) {
      checkArgument(counts[c] >= perClass,
          "data set %s: class %s has %s images, fewer than the %s per class asked for", name, c,
          counts[c], perClass);
    }
    int[] take = new int[classes];
    Arrays.fill(take, perClass);
    return stratified(take, seed, name + "-" + perClass + "-per-class");
  }

  /**
   * The first {@code round(fraction × count)} images of each class (at least one of every class
   * that has images), in data order; smaller fractions give subsets of larger ones. For the
   * low-shot experiments ("x% of the samples per class").
   *
   * @throws IllegalArgumentException if the fraction is not in {@code (0, 1]}
   */
  public ImageDataset fractionPerClass(double fraction) {
    return fractionPerClass(fraction, null);
  }

  /**
   * As {@link #fractionPerClass(double)}, but the images of each class are taken in a seeded
   * shuffled order instead of data order (still nested for a fixed seed).
   */
  public ImageDataset fractionPerClass(double fraction, long seed) {
    return fractionPerClass(fraction, Long.valueOf(seed));
  }

  private ImageDataset fractionPerClass(double fraction, Long seed) {
    int[] take = takePerClass(fraction);
    String suffix = String.format(Locale.ROOT, "-%s-per-class",
        BigDecimal.valueOf(fraction).stripTrailingZeros().toPlainString());
    return stratified(take, seed, name + suffix);
  }

  // Keeps take[c] images of class c: the first ones in data order, or in a seeded shuffled
  // order of that class's images; the result lists them in data order either way.
  private ImageDataset stratified(int[] take, Long seed, String subsetName) {
    boolean[] keep = stratifiedMask(take, seed);
    int total = 0;
    for (int c = 0; c < classes; c++) {
      total += take[c];
    }
    int[] indices = new int[total];
    int next = 0;
    for (int i = 0; i < keep.length; i++) {
      if (keep[i]) {
        indices[next++] = i;
      }
    }
    return subset(subsetName, indices);
  }

  /**
   * Which images {@link #fractionPerClass(double, long)} keeps, as a flag per image, for a subset
   * that must stay in place: the labelled images of a semi-supervised task.
   *
   * <pre>{@code
   * boolean[] labelled = train.fractionPerClassMask(0.1, seed);   // 10 % of each class
   * }</pre>
   */
  public boolean[] fractionPerClassMask(double fraction, long seed) {
    return stratifiedMask(takePerClass(fraction), seed);
  }

  // round(fraction × n_c) images of each class, at least one of a class that has any
  private int[] takePerClass(double fraction) {
    checkArgument(fraction > 0 && fraction <= 1,
        "data set %s: fraction per class must be in (0, 1]: %s", name, fraction);
    int[] counts = classCounts();
    int[] take = new int[classes];
    for (int c = 0; c < classes; c++) {
      take[c] = counts[c] == 0 ? 0 : (int) Math.max(1, Math.round(fraction * counts[c]));
    }
    return take;
  }

  /**
   * The same images with each labelled by its position: image {@code i} has label {@code i}, and
   * there are as many classes as images. Self-supervised objectives that need to know which image
   * a batch row is (Exemplar's classes, NPID's memory bank) train on it.
   *
   * <pre>{@code
   * ImageDataset positions = train.indexed();   // labels 0, 1, ..., size - 1
   * }</pre>
   */
  public ImageDataset indexed() {
    int[] positions = new int[labels.length];
    Arrays.setAll(positions, i -> i);
    return new ImageDataset(name + "[indexed]", pixels, positions, channels, height, width,
        labels.length);
  }

  private boolean[] stratifiedMask(int[] take, Long seed) {
    int[][] byClass = indicesByClass();
    boolean[] keep = new boolean[labels.length];
    // One generator for all classes, used in class order, so the sample depends on the seed only.
    SplittableRandom random = seed == null ? null : new SplittableRandom(seed);
    for (int c = 0; c < classes; c++) {
      int[] members = byClass[c];
      if (random != null) {
        Shuffle.shuffleInPlace(members, random);
      }
      for (int k = 0; k < take[c]; k++) {
        keep[members[k]] = true;
      }
    }
    return keep;
  }

  private int[][] indicesByClass() {
    int[] counts = classCounts();
    int[][] byClass = new int[classes][];
    for (int c = 0; c < classes; c++) {
      byClass[c] = new int[counts[c]];
    }
    int[] fill = new int[classes];
    for (int i = 0; i < labels.length; i++) {
      byClass[labels[i]][fill[labels[i]]++] = i;
    }
    return byClass;
  }

  /**
   * Holds out a seeded, class-stratified fraction of this set for validation. Class {@code c}
   * with {@code n_c} images gives exactly {@code Math.round(fraction × n_c)} of them (rounding
   * half up) to the validation part and keeps the rest for training, so the validation part has
   * {@code Σ_c round(fraction × n_c)} images, which may differ from {@code round(fraction × n)}.
   * Which images go is decided by one {@link java.util.SplittableRandom} seeded with {@code
   * seed}, shuffling each class's images in turn (classes in label order): the same seed gives
   * the same split in every process and on every machine. Both parts keep data order; they are
   * disjoint and together hold every image once. The parts are named {@code
   * <name>[train 90% seed S]} and {@code <name>[val 10% seed S]}, and each has its own {@link
   * #fingerprint()}.
   *
   * <pre>{@code
   * ValidationSplit<ImageDataset> split = data.train().splitValidation(0.1, seed);
   * ImageDataset train = split.train();
   * ImageDataset validation = split.validation();
   * }</pre>
   *
   * @throws IllegalArgumentException if the fraction is not in {@code (0, 1)} (0 means no
   *     validation set: the caller leaves this set whole), or it holds out no image or every
   *     image
   */
  public ValidationSplit<ImageDataset> splitValidation(double fraction, long seed) {
    int[][] parts = Splits.validationPositions(labels, fraction, seed, name);
    String[] names = Splits.partNames(name, fraction, seed);
    return new ValidationSplit<>(subset(names[0], parts[0]), subset(names[1], parts[1]));
  }

  /**
   * How many images {@link #splitValidation(double, long)} leaves for training, found without
   * copying any pixels (the number a model needs before its task splits the data).
   *
   * <pre>{@code
   * int trained = data.train().trainingSizeAfterValidation(0.1, seed);
   * }</pre>
   *
   * @throws IllegalArgumentException as {@link #splitValidation(double, long)} does
   */
  public int trainingSizeAfterValidation(double fraction, long seed) {
    return Splits.validationPositions(labels, fraction, seed, name)[0].length;
  }

  /**
   * The same images with the labels shuffled among them by a seeded permutation: the class
   * histogram stays, the link between image and label is destroyed (the permuted-labels
   * control). Pixels are shared, not copied.
   */
  public ImageDataset withPermutedLabels(long seed) {
    int[] perm = Shuffle.permutation(labels.length, seed);
    int[] shuffled = new int[labels.length];
    for (int i = 0; i < labels.length; i++) {
      shuffled[i] = labels[perm[i]];
    }
    return new ImageDataset(name + "-permuted-labels-" + seed, pixels, shuffled, channels, height,
        width, classes);
  }

  /**
   * The first {@code max(1, round(fraction × classes))} classes with their images, labels
   * unchanged (the "x% of the classes" low-shot setting); smaller fractions give subsets of
   * larger ones.
   *
   * @throws IllegalArgumentException if the fraction is not in {@code (0, 1]} or the kept
   *     classes have no images
   */
  public ImageDataset fractionOfClasses(double fraction) {
    checkArgument(fraction > 0 && fraction <= 1,
        "data set %s: fraction of classes must be in (0, 1]: %s", name, fraction);
    int kept = (int) Math.max(1, Math.round(fraction * classes));
    int[] first = new int[kept];
    Arrays.setAll(first, i -> i);
    return classSubset(first);
  }

  /**
   * Only the images of the given classes, relabelled {@code 0 .. keep.length-1} in the order
   * given (for "x% of the classes" experiments and for transfer to a class subset).
   *
   * @throws IllegalArgumentException if a class is out of range, repeated, or the list is empty
   */
  public ImageDataset classSubset(int... keep) {
    checkArgument(keep.length > 0, "data set %s: class subset is empty", name);
    int[] newLabel = new int[classes];
    Arrays.fill(newLabel, -1);
    for (int k = 0; k < keep.length; k++) {
      checkArgument(keep[k] >= 0 && keep[k] < classes,
          "data set %s: class %s is outside [0, %s)", name, keep[k], classes);
      checkArgument(newLabel[keep[k]] < 0, "data set %s: class %s is listed twice", name,
          keep[k]);
      newLabel[keep[k]] = k;
    }
    int count = 0;
    for (int label : labels) {
      count += newLabel[label] >= 0 ? 1 : 0;
    }
    int[] indices = new int[count];
    int next = 0;
    for (int i = 0; i < labels.length; i++) {
      if (newLabel[labels[i]] >= 0) {
        indices[next++] = i;
      }
    }
    checkArgument(count > 0, "data set %s: no images of classes %s", name,
        Arrays.toString(keep));
    int per = imageSize();
    byte[] p = new byte[count * per];
    int[] l = new int[count];
    for (int i = 0; i < count; i++) {
      System.arraycopy(pixels, indices[i] * per, p, i * per, per);
      l[i] = newLabel[labels[indices[i]]];
    }
    return of(name + "-classes-" + joinClasses(keep), p, l, channels, height, width,
        keep.length);
  }

  private static String joinClasses(int[] keep) {
    StringBuilder s = new StringBuilder();
    for (int k = 0; k < keep.length; k++) {
      s.append(k == 0 ? "" : "+").append(keep[k]);
    }
    return s.toString();
  }

  /** SHA-256 of the shape, labels and pixels: identifies the data in a run's config. */
  public String fingerprint() {
    Hasher h = Hashing.sha256().newHasher();
    h.putInt(labels.length).putInt(channels).putInt(height).putInt(width).putInt(classes);
    for (int label : labels) {
      h.putInt(label);
    }
    h.putBytes(pixels);
    return h.hash().toString();
  }

  @Override
  public String toString() {
    return String.format("%s: %d images %dx%dx%d, %d classes", name, size(), channels, height,
        width, classes);
  }
}
