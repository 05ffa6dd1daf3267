package io.github.lth.djl.data;

import static com.google.common.base.Preconditions.checkArgument;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.SplittableRandom;

/**
 * The train-time augmentation of images, the standard one of CIFAR training: a random crop with
 * zero padding (pad {@code P} pixels on every side, take a random crop of the original size,
 * that is shift the image by {@code dx, dy} in {@code [-P, P]}) followed by a horizontal flip
 * with probability 0.5. Immutable; {@link #none()} means no augmentation.
 *
 * <pre>{@code
 * Augmentation standard = Augmentation.cropAndFlip(4);       // spec "crop:4,flip"
 * Augmentation flipOnly = Augmentation.parse("flip");
 * ImageBatches train = BatchSources.of(data.train(), stats.mean(), stats.std())
 *     .withAugmentation(standard);
 * }</pre>
 *
 * <p>Padding is black: the padded pixels are what a raw 0 pixel becomes after normalisation,
 * {@code (0 − mean) / std}, as in torchvision's CIFAR pipeline, which pads the raw image before
 * normalising it.
 *
 * <p>The draws are seeded and fixed per image of a pass: the image at position {@code k} of the
 * order of epoch {@code e} of a run with seed {@code s} gets the same shift and flip on every
 * machine, whatever the batch size or thread timing, and another epoch draws anew.
 */
public final class Augmentation {
  /** Largest crop padding: keeps {@code 2P + 1} and shifted pixel indices well inside an int. */
  public static final int MAX_PADDING = 65_535;

  private static final String USAGE = "none, flip, crop:P or crop:P,flip";
  private static final Augmentation NONE = new Augmentation(0, false);

  private final int padding;
  private final boolean flip;

  private Augmentation(int padding, boolean flip) {
    this.padding = padding;
    this.flip = flip;
  }

  /** No augmentation: spec {@code none}. */
  public static Augmentation none() {
    return NONE;
  }

  /**
   * The standard CIFAR augmentation: random crop with {@code padding} pixels of zero padding,
   * then a random horizontal flip. {@code cropAndFlip(4)} has the spec {@code crop:4,flip}.
   *
   * @throws IllegalArgumentException unless {@code 1 <= padding <=} {@link #MAX_PADDING}
   */
  public static Augmentation cropAndFlip(int padding) {
    return new Augmentation(checkPadding(padding), true);
  }

  /**
   * This augmentation with a random crop of {@code padding} pixels of zero padding, or without
   * cropping when {@code padding} is 0.
   *
   * <pre>{@code
   * Augmentation cropOnly = Augmentation.none().withCrop(4);   // "crop:4"
   * }</pre>
   *
   * @throws IllegalArgumentException unless {@code 0 <= padding <=} {@link #MAX_PADDING}
   */
  public Augmentation withCrop(int padding) {
    return of(padding == 0 ? 0 : checkPadding(padding), flip);
  }

  /**
   * This augmentation with or without the random horizontal flip.
   *
   * <pre>{@code
   * Augmentation flipOnly = Augmentation.none().withFlip(true);   // "flip"
   * }</pre>
   */
  public Augmentation withFlip(boolean value) {
    return of(padding, value);
  }

  private static Augmentation of(int padding, boolean flip) {
    return padding == 0 && !flip ? NONE : new Augmentation(padding, flip);
  }

  private static int checkPadding(int padding) {
    checkArgument(padding >= 1 && padding <= MAX_PADDING,
        "augmentation: crop padding must be in [1, %s]: %s", MAX_PADDING, padding);
    return padding;
  }

  /**
   * Reads a spec as {@link #spec()} writes it: {@code none}, {@code flip}, {@code crop:P} or
   * {@code crop:P,flip} (the parts in any order, spaces around them ignored).
   *
   * <pre>{@code
   * Augmentation a = Augmentation.parse("crop:4,flip");   // equals cropAndFlip(4)
   * }</pre>
   *
   * @throws IllegalArgumentException naming the bad part, for an empty spec, an unknown or
   *     repeated part, {@code none} combined with another part, or a padding that is not an
   *     integer in {@code [1,} {@link #MAX_PADDING}{@code ]}
   */
  public static Augmentation parse(String spec) {
    String s = spec == null ? "" : spec.trim();
    checkArgument(!s.isEmpty(), "augmentation: the spec is empty (use %s)", USAGE);
    if (s.equals("none")) {
      return NONE;
    }
    Integer padding = null;
    boolean flip = false;
    for (String raw : s.split(",", -1)) {
      String part = raw.trim();
      if (part.equals("flip")) {
        checkArgument(!flip, "augmentation '%s': 'flip' is given twice", s);
        flip = true;
      } else if (part.equals("crop") || part.startsWith("crop:")) {
        checkArgument(padding == null, "augmentation '%s': 'crop' is given twice", s);
        padding = parsePadding(s, part);
      } else if (part.equals("none")) {
        throw new IllegalArgumentException(String.format(Locale.ROOT,
            "augmentation '%s': 'none' cannot be combined with other parts", s));
      } else {
        throw new IllegalArgumentException(String.format(Locale.ROOT,
            "augmentation '%s': unknown part '%s' (use %s)", s, part, USAGE));
      }
    }
    return of(padding == null ? 0 : padding, flip);
  }

  private static int parsePadding(String spec, String part) {
    String digits = part.equals("crop") ? "" : part.substring("crop:".length()).trim();
    checkArgument(!digits.isEmpty(), "augmentation '%s': '%s' needs its padding, as in crop:4",
        spec, part);
    checkArgument(digits.chars().allMatch(ch -> ch >= '0' && ch <= '9'),
        "augmentation '%s': the crop padding '%s' is not a whole number", spec, digits);
    long value = digits.length() > 9 ? Long.MAX_VALUE : Long.parseLong(digits);
    checkArgument(value >= 1 && value <= MAX_PADDING,
        "augmentation '%s': the crop padding %s is outside [1, %s]", spec, digits, MAX_PADDING);
    return (int) value;
  }

  /** The canonical spec: {@code none}, {@code flip}, {@code crop:P} or {@code crop:P,flip}. */
  public String spec() {
    if (isNone()) {
      return "none";
    }
    if (padding == 0) {
      return "flip";
    }
    return "crop:" + padding + (flip ? ",flip" : "");
  }

  /** Whether nothing is augmented. */
  public boolean isNone() {
    return padding == 0 && !flip;
  }

  /** Whether images are randomly cropped ({@link #cropPadding()} is positive). */
  public boolean crops() {
    return padding > 0;
  }

  /** Pixels of zero padding on each side of the random crop; 0 when not cropping. */
  public int cropPadding() {
    return padding;
  }

  /** Whether images are flipped horizontally with probability 0.5. */
  public boolean flips() {
    return flip;
  }

  /**
   * The augmentation for a run's config: {@code crop_padding} (0 when not cropping) and {@code
   * horizontal_flip}, in that order.
   */
  public Map<String, Object> settings() {
    Map<String, Object> s = new LinkedHashMap<>();
    s.put("crop_padding", padding);
    s.put("horizontal_flip", flip);
    return s;
  }

  /**
   * The seed of the draws of epoch {@code epoch} of a run seeded with {@code seed}: hashed, not
   * offset, so that neighbouring epochs (and seeds) draw unrelated shifts; its constant differs
   * from the one of {@link Shuffle#epochPermutation}, so the draws are unrelated to the order.
   */
  static long passSeed(long seed, int epoch) {
    checkArgument(epoch >= 0, "epoch must not be negative: %s", epoch);
    return mix64(seed ^ mix64(0xA06_0000L + epoch));
  }

  /**
   * The shift and flip of the image at {@code position} of a pass's order, drawn from a {@link
   * SplittableRandom} of its own (seeded from the pass seed and the position), so that it depends
   * on nothing else: row shift {@code dy}, then column shift {@code dx}, each uniform in {@code
   * [-P, P]} when cropping, then the flip, a fair coin when flipping; 0 and false otherwise.
   */
  Draw draw(long passSeed, long position) {
    if (isNone()) {
      return new Draw(0, 0, false);
    }
    SplittableRandom random = new SplittableRandom(mix64(passSeed + 0x9E3779B97F4A7C15L
        * (position + 1)));
    int dy = padding == 0 ? 0 : random.nextInt(2 * padding + 1) - padding;
    int dx = padding == 0 ? 0 : random.nextInt(2 * padding + 1) - padding;
    boolean flipped = flip && random.nextBoolean();
    return new Draw(dy, dx, flipped);
  }

  /**
   * One image's transform: output pixel {@code (i, j)} is the input pixel {@code (i + dy, j' +
   * dx)} where {@code j' = flip ? width − 1 − j : j} (crop, then flip the crop), or padding when
   * that lies outside the image.
   */
  record Draw(int dy, int dx, boolean flip) {}

  // SplitMix64 finaliser, as in Shuffle.
  private static long mix64(long z) {
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Augmentation other && padding == other.padding && flip == other.flip;
  }

  @Override
  public int hashCode() {
    return Objects.hash(padding, flip);
  }

  /** The {@link #spec()}. */
  @Override
  public String toString() {
    return spec();
  }
}
