package io.github.lth.djl.ssl;

import static com.google.common.base.Preconditions.checkArgument;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.github.lth.djl.internal.Temporaries;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.SplittableRandom;
import java.util.regex.Pattern;

/**
 * The augmented views of image batches that self-supervised objectives (SimCLR, Exemplar, NPID)
 * train on, made for small grey images such as 28×28 Fashion-MNIST (any number of channels
 * works). Immutable; a spec names its parts, applied in this order:
 *
 * <ul>
 *   <li>{@code crop:S}: a random resized crop, area fraction uniform in {@code [S, 1]}, aspect
 *       ratio (width over height) log-uniform in {@code [3/4, 4/3]}, the box shrunk to fit the
 *       image if it does not and placed uniformly inside it, resampled back to {@code H×W}
 *       bilinearly (align_corners=false: output row {@code i} samples source row {@code y0 + (i +
 *       0.5) h / H − 0.5}, clamped to the image); {@code S} in {@code (0, 1]};
 *   <li>{@code flip}: a horizontal flip with probability 0.5;
 *   <li>{@code jitter:J}: contrast then brightness, factors {@code c} and {@code b} uniform in
 *       {@code [1 − J, 1 + J]}: {@code x' = ((x − m) c + m) b} with {@code m} the image's mean
 *       over all its pixels and channels; {@code J} in {@code [0, 1)};
 *   <li>{@code blur:P}: with probability {@code P} a 3×3 Gaussian blur of {@code σ} uniform in
 *       {@code [0.1, 1.0]}, edges replicated; {@code P} in {@code [0, 1]};
 *   <li>{@code noise:N}: additive Gaussian noise of standard deviation {@code N ≥ 0}.
 * </ul>
 *
 * <pre>{@code
 * Views views = Views.defaults();   // "crop:0.3,flip,jitter:0.4,blur:0.5,noise:0.05"
 * try (NDManager batch = manager.newSubManager()) {
 *   NDArray first = views.apply(images, seed, from, 0, batch);    // view 0 of each image
 *   NDArray second = views.apply(images, seed, from, 1, batch);   // another view of each
 * }
 * }</pre>
 *
 * <p>Randomness. Everything but the noise is drawn on the host, a few numbers per image, by a
 * {@link SplittableRandom} of its own seeded from {@code (seed, position, view)}: an image gets
 * the same crop, flip, jitter and blur whatever the batch it comes in, and different views of it
 * differ. The noise is drawn on the device from DJL's engine generator: it is reproducible on
 * the CPU after {@code Engine.getInstance().setRandomSeed(...)}, but depends on the batching
 * and on the order of calls, and a GPU may draw other numbers.
 *
 * <p>All pixel work runs on the images' device for the whole batch; the host uploads one small
 * float array per call.
 */
public final class Views {
  private static final String USAGE = "none, or parts crop:S, flip, jitter:J, blur:P, noise:N";
  private static final Views NONE = new Views(null, false, null, null, null);
  private static final Pattern DECIMAL =
      Pattern.compile("[+-]?(\\d+(\\.\\d*)?|\\.\\d+)([eE][+-]?\\d+)?");

  private static final double MIN_SIGMA = 0.1;
  private static final double MAX_SIGMA = 1.0;
  private static final double LOG_MIN_ASPECT = Math.log(3.0 / 4.0);
  private static final double LOG_MAX_ASPECT = Math.log(4.0 / 3.0);
  // Sets the draws of views apart from those of other seeded draws (Augmentation, Shuffle) that
  // may be handed the same seed.
  private static final long VIEWS_SALT = 0x5649_4557_5321_0001L;
  private static final long GOLDEN_GAMMA = 0x9E3779B97F4A7C15L;

  // The per-image floats uploaded for a batch, in this order (see parameters()).
  private static final int TOP = 0;
  private static final int LEFT = 1;
  private static final int HEIGHT_SCALE = 2;
  private static final int WIDTH_SCALE = 3;
  private static final int FLIP = 4;
  private static final int GAIN = 5;
  private static final int SHIFT = 6;
  private static final int CENTRE = 7;
  private static final int EDGE = 8;
  private static final int CORNER = 9;
  private static final int PARAMETERS = 10;

  // null when the part is absent: jitter:0 and blur:0 are parts of their own (specs round-trip)
  private final Double crop;
  private final boolean flip;
  private final Double jitter;
  private final Double blur;
  private final Double noise;

  private Views(Double crop, boolean flip, Double jitter, Double blur, Double noise) {
    this.crop = crop;
    this.flip = flip;
    this.jitter = jitter;
    this.blur = blur;
    this.noise = noise;
  }

  /**
   * The usual views for small grey images: spec {@code crop:0.3,flip,jitter:0.4,blur:0.5,
   * noise:0.05}.
   *
   * <pre>{@code
   * NDArray view = Views.defaults().apply(images, seed, 0, 0, manager);
   * }</pre>
   */
  public static Views defaults() {
    return parse("crop:0.3,flip,jitter:0.4,blur:0.5,noise:0.05");
  }

  /**
   * The identity: every view is a copy of its image. Spec {@code none}.
   *
   * <pre>{@code
   * NDArray copy = Views.none().apply(images, seed, 0, 0, manager);   // equal to images
   * }</pre>
   */
  public static Views none() {
    return NONE;
  }

  /**
   * Reads a spec as {@link #spec()} writes it: {@code none}, or comma-separated parts {@code
   * crop:S}, {@code flip}, {@code jitter:J}, {@code blur:P}, {@code noise:N} in any order (spaces
   * around parts ignored), numbers written in decimal.
   *
   * <pre>{@code
   * Views views = Views.parse("flip, crop:0.5");   // spec() is "crop:0.5,flip"
   * }</pre>
   *
   * @throws IllegalArgumentException naming the bad part: for an empty spec, an unknown or
   *     repeated part, {@code none} with other parts, a missing or extra value, a value that is
   *     not a decimal number or is out of its range
   */
  public static Views parse(String spec) {
    String s = spec == null ? "" : spec.trim();
    checkArgument(!s.isEmpty(), "views: the spec is empty (use %s)", USAGE);
    if (s.equals("none")) {
      return NONE;
    }
    Double crop = null;
    boolean flip = false;
    Double jitter = null;
    Double blur = null;
    Double noise = null;
    for (String raw : s.split(",", -1)) {
      String part = raw.trim();
      int colon = part.indexOf(':');
      String name = colon < 0 ? part : part.substring(0, colon).trim();
      String value = colon < 0 ? null : part.substring(colon + 1).trim();
      switch (name) {
        case "flip" -> {
          checkArgument(value == null, "views '%s': 'flip' takes no value: '%s'", s, part);
          checkArgument(!flip, "views '%s': 'flip' is given twice", s);
          flip = true;
        }
        case "crop" -> crop = number(s, part, Part.CROP, crop, value);
        case "jitter" -> jitter = number(s, part, Part.JITTER, jitter, value);
        case "blur" -> blur = number(s, part, Part.BLUR, blur, value);
        case "noise" -> noise = number(s, part, Part.NOISE, noise, value);
        case "none" -> throw new IllegalArgumentException(String.format(Locale.ROOT,
            "views '%s': 'none' cannot be combined with other parts", s));
        default -> throw new IllegalArgumentException(String.format(Locale.ROOT,
            "views '%s': unknown part '%s' (use %s)", s, part, USAGE));
      }
    }
    Views views = new Views(crop, flip, jitter, blur, noise);
    return views.isNone() ? NONE : views;
  }

  /** The parts that take a number: their name in messages and their range. */
  private enum Part {
    CROP("crop", "crop scale", "in (0, 1]", "0.3"),
    JITTER("jitter", "jitter strength", "in [0, 1)", "0.4"),
    BLUR("blur", "blur probability", "in [0, 1]", "0.5"),
    NOISE("noise", "noise std", "finite and >= 0", "0.05");

    final String name;
    final String what;
    final String range;
    final String example;

    Part(String name, String what, String range, String example) {
      this.name = name;
      this.what = what;
      this.range = range;
      this.example = example;
    }

    boolean accepts(double v) {
      return switch (this) {
        case CROP -> v > 0 && v <= 1;
        case JITTER -> v >= 0 && v < 1;
        case BLUR -> v >= 0 && v <= 1;
        case NOISE -> v >= 0 && Double.isFinite(v);
      };
    }
  }

  private static Double number(String spec, String part, Part kind, Double previous,
      String value) {
    checkArgument(previous == null, "views '%s': '%s' is given twice", spec, kind.name);
    checkArgument(value != null && !value.isEmpty(),
        "views '%s': '%s' needs its value, as in %s:%s", spec, part, kind.name, kind.example);
    checkArgument(DECIMAL.matcher(value).matches(), "views '%s': %s '%s' is not a decimal number",
        spec, kind.what, value);
    double v = Double.parseDouble(value);
    checkArgument(kind.accepts(v), "views '%s': %s must be %s: %s", spec, kind.what, kind.range,
        value);
    // + 0.0 turns -0.0 into 0.0, so "noise:-0" equals "noise:0" as its spec says
    return v + 0.0;
  }

  /**
   * The canonical spec: the parts in the order crop, flip, jitter, blur, noise, numbers in plain
   * decimal without trailing zeros; {@code none} when there are no parts. {@link #parse} reads
   * it back to an equal {@code Views}.
   *
   * <pre>{@code
   * Views.parse("noise:0.10,crop:1.0").spec();   // "crop:1,noise:0.1"
   * }</pre>
   */
  public String spec() {
    if (isNone()) {
      return "none";
    }
    List<String> parts = new ArrayList<>();
    if (crop != null) {
      parts.add("crop:" + plain(crop));
    }
    if (flip) {
      parts.add("flip");
    }
    if (jitter != null) {
      parts.add("jitter:" + plain(jitter));
    }
    if (blur != null) {
      parts.add("blur:" + plain(blur));
    }
    if (noise != null) {
      parts.add("noise:" + plain(noise));
    }
    return String.join(",", parts);
  }

  private static String plain(double v) {
    return BigDecimal.valueOf(v).stripTrailingZeros().toPlainString();
  }

  /**
   * Whether this is the identity, {@link #none()}.
   *
   * <pre>{@code
   * Views.parse("none").isNone();   // true
   * }</pre>
   */
  public boolean isNone() {
    return crop == null && !flip && jitter == null && blur == null && noise == null;
  }

  /**
   * One augmented view of each image of a batch.
   *
   * <pre>{@code
   * // two views of each image of a batch at positions from .. from + n - 1 of a pass
   * NDArray a = views.apply(images, passSeed, from, 0, batchManager);
   * NDArray b = views.apply(images, passSeed, from, 1, batchManager);
   * }</pre>
   *
   * <p>The crop, flip, jitter and blur of image {@code k} depend only on {@code (seed,
   * firstPosition + k, view)}; the noise comes from DJL's engine generator (see the class
   * comment): deterministic on the CPU after {@code Engine.getInstance().setRandomSeed(...)},
   * possibly not on a GPU.
   *
   * @param images float32 {@code [n, C, H, W]} on any device; left unchanged
   * @param seed the seed of the pass
   * @param firstPosition the position of {@code images[0]} in the pass: image {@code k} uses
   *     position {@code firstPosition + k}
   * @param view which view, 0, 1, ...: different views of one image differ
   * @param owner the manager the result is attached to
   * @return a new float32 {@code [n, C, H, W]} array on the images' device, attached to {@code
   *     owner}
   * @throws IllegalArgumentException if {@code images} is not a 4-D float32 array with {@code C,
   *     H, W ≥ 1}, or {@code firstPosition} or {@code view} is negative
   */
  public NDArray apply(NDArray images, long seed, long firstPosition, int view, NDManager owner) {
    Shape shape = checkImages(images);
    checkArgument(firstPosition >= 0, "views: firstPosition must not be negative: %s",
        firstPosition);
    checkArgument(view >= 0, "views: view must not be negative: %s", view);
    int n = Math.toIntExact(shape.get(0));
    int height = Math.toIntExact(shape.get(2));
    int width = Math.toIntExact(shape.get(3));
    Draw[] draws = new Draw[n];
    for (int k = 0; k < n; k++) {
      draws[k] = draw(seed, firstPosition + k, view, height, width);
    }
    return apply(images, draws, owner);
  }

  /**
   * The host draws of one image: its crop box in pixels ({@code top}, {@code left}, {@code
   * height}, {@code width}; the whole image when not cropping), whether it is flipped, its
   * brightness and contrast factors (1 without jitter), whether it is blurred and the {@code σ}
   * it would be blurred with.
   */
  record Draw(double top, double left, double height, double width, boolean flip,
      double brightness, double contrast, boolean blur, double sigma) {}

  /**
   * The draws of the image at {@code position} of view {@code view} of a pass seeded with {@code
   * seed}, for images of {@code height × width}. All nine uniforms are drawn whatever the parts,
   * so that, say, an image's flip does not change when a crop is added to the spec.
   */
  Draw draw(long seed, long position, int view, int height, int width) {
    SplittableRandom random = new SplittableRandom(key(seed, position, view));
    double areaDraw = random.nextDouble();
    double aspectDraw = random.nextDouble();
    double topDraw = random.nextDouble();
    double leftDraw = random.nextDouble();
    double flipDraw = random.nextDouble();
    double brightnessDraw = random.nextDouble();
    double contrastDraw = random.nextDouble();
    double blurDraw = random.nextDouble();
    double sigmaDraw = random.nextDouble();

    double boxHeight = height;
    double boxWidth = width;
    double top = 0;
    double left = 0;
    if (crop != null) {
      double area = height * (double) width * (crop + (1 - crop) * areaDraw);
      double aspect = Math.exp(LOG_MIN_ASPECT + (LOG_MAX_ASPECT - LOG_MIN_ASPECT) * aspectDraw);
      boxWidth = Math.min(width, Math.sqrt(area * aspect));
      boxHeight = Math.min(height, Math.sqrt(area / aspect));
      top = topDraw * (height - boxHeight);
      left = leftDraw * (width - boxWidth);
    }
    double j = jitter == null ? 0 : jitter;
    // 1 + J (2u − 1) rather than nextDouble(1 − J, 1 + J), which refuses J = 0
    double brightness = 1 + j * (2 * brightnessDraw - 1);
    double contrast = 1 + j * (2 * contrastDraw - 1);
    boolean blurred = blur != null && blurDraw < blur;
    double sigma = MIN_SIGMA + (MAX_SIGMA - MIN_SIGMA) * sigmaDraw;
    return new Draw(top, left, boxHeight, boxWidth, flip && flipDraw < 0.5, brightness, contrast,
        blurred, sigma);
  }

  /**
   * The seed of one image's draws: hashed from all three, not offset, so that neighbouring
   * positions, views and seeds draw unrelated numbers.
   */
  private static long key(long seed, long position, int view) {
    long z = mix64(seed ^ mix64(VIEWS_SALT + view));
    return mix64(z + GOLDEN_GAMMA * (position + 1));
  }

  // SplitMix64 finaliser, as in Augmentation and Shuffle.
  private static long mix64(long z) {
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }

  /**
   * The weights of the centre, of each of the 4 edge neighbours and of each of the 4 corners of
   * a 3×3 Gaussian of {@code sigma}, summing to 1.
   */
  static double[] blurWeights(double sigma) {
    double e = Math.exp(-1 / (2 * sigma * sigma));
    double sum = (1 + 2 * e) * (1 + 2 * e);
    return new double[] {1 / sum, e / sum, e * e / sum};
  }

  /** The {@link #PARAMETERS} floats per image that the device needs, image after image. */
  private static float[] parameters(Draw[] draws, int height, int width) {
    float[] p = new float[PARAMETERS * draws.length];
    for (int k = 0; k < draws.length; k++) {
      Draw d = draws[k];
      int o = PARAMETERS * k;
      p[o + TOP] = (float) d.top();
      p[o + LEFT] = (float) d.left();
      p[o + HEIGHT_SCALE] = (float) (d.height() / height);
      p[o + WIDTH_SCALE] = (float) (d.width() / width);
      p[o + FLIP] = d.flip() ? 1 : 0;
      // ((x − m) c + m) b = x (b c) + m b (1 − c): with c = b = 1 this is x * 1 + m * 0,
      // exactly x, where the first form could round
      p[o + GAIN] = (float) (d.brightness() * d.contrast());
      p[o + SHIFT] = (float) (d.brightness() * (1 - d.contrast()));
      // an unblurred image gets the weights of the identity: centre 1, the rest 0, exactly
      double[] w = d.blur() ? blurWeights(d.sigma()) : new double[] {1, 0, 0};
      p[o + CENTRE] = (float) w[0];
      p[o + EDGE] = (float) w[1];
      p[o + CORNER] = (float) w[2];
    }
    return p;
  }

  /**
   * The views of {@code images} for the given draws, one per image; the noise is drawn here, on
   * the device.
   */
  NDArray apply(NDArray images, Draw[] draws, NDManager owner) {
    Shape shape = checkImages(images);
    int n = Math.toIntExact(shape.get(0));
    int channels = Math.toIntExact(shape.get(1));
    int height = Math.toIntExact(shape.get(2));
    int width = Math.toIntExact(shape.get(3));
    checkArgument(draws.length == n, "views: %s draws for %s images", draws.length, n);
    try (NDManager scratch = owner.newSubManager(images.getDevice())) {
      // Results attach to their first operand's manager: starting from a scratch alias of the
      // images keeps every intermediate in scratch, out of the caller's managers.
      NDArray input = Temporaries.in(scratch, images.reshape(shape));
      NDArray out = input;
      if (n > 0 && !isNone()) {
        NDArray p = scratch.create(parameters(draws, height, width), new Shape(n, PARAMETERS));
        if (crop != null) {
          out = crop(out, p, flip, scratch);
        } else if (flip) {
          out = flip(out, p, scratch);
        }
        if (jitter != null) {
          // PyTorch's mean in DJL takes one axis: average the flattened image
          NDArray mean = out.reshape(n, -1).mean(new int[] {1}, true).reshape(n, 1, 1, 1);
          out = out.mul(perImage(p, GAIN)).add(mean.mul(perImage(p, SHIFT)));
        }
        boolean anyBlurred = false;
        for (Draw d : draws) {
          anyBlurred |= d.blur();
        }
        if (anyBlurred) {
          out = blur(out, p, height, width);
        }
        if (noise != null && noise > 0) {
          out = out.add(scratch.randomNormal(0f, noise.floatValue(),
              new Shape(n, channels, height, width), DataType.FLOAT32));
        }
      }
      if (out == input) {
        // an alias of images would change with them
        out = input.duplicate();
      }
      out.attach(owner);
      return out;
    }
  }

  private static Shape checkImages(NDArray images) {
    Shape s = images.getShape();
    checkArgument(s.dimension() == 4 && images.getDataType() == DataType.FLOAT32
        && s.get(1) >= 1 && s.get(2) >= 1 && s.get(3) >= 1,
        "views: images must be float32 [n, C, H, W] with C, H, W >= 1, not %s %s",
        images.getDataType(), s);
    return s;
  }

  /** Column {@code k} of the parameters, shaped {@code [n, 1]}. */
  private static NDArray column(NDArray p, int k) {
    return p.get(":, " + k + ":" + (k + 1));
  }

  /** Column {@code k} of the parameters, shaped {@code [n, 1, 1, 1]} to scale whole images. */
  private static NDArray perImage(NDArray p, int k) {
    return column(p, k).reshape(-1, 1, 1, 1);
  }

  /**
   * The bilinear resampling of each image's crop box to the full size, mirrored for images that
   * flip: the flip is folded into the source columns (output column {@code j} of a flipped image
   * samples where column {@code W − 1 − j} of the unflipped crop would), so crop and flip cost
   * one set of four gathers.
   */
  private static NDArray crop(NDArray x, NDArray p, boolean flip, NDManager scratch) {
    Shape shape = x.getShape();
    int n = Math.toIntExact(shape.get(0));
    int channels = Math.toIntExact(shape.get(1));
    int height = Math.toIntExact(shape.get(2));
    int width = Math.toIntExact(shape.get(3));
    NDArray rows = scratch.arange(0, height, 1, DataType.FLOAT32).reshape(1, height);
    NDArray columns = scratch.arange(0, width, 1, DataType.FLOAT32).reshape(1, width);
    if (flip) {
      // j + f (W − 1 − 2j): column j, or W − 1 − j where f = 1
      NDArray mirror = columns.mul(-2).add(width - 1);
      columns = column(p, FLIP).mul(mirror).add(columns);
    }
    NDArray sourceRows = source(rows, column(p, TOP), column(p, HEIGHT_SCALE), height);
    NDArray sourceColumns = source(columns, column(p, LEFT), column(p, WIDTH_SCALE), width);

    NDArray rowLow = sourceRows.floor();
    NDArray rowWeight = sourceRows.sub(rowLow).reshape(n, 1, height, 1);
    NDArray rowHigh = rowLow.add(1).clip(0, height - 1);
    NDArray columnLow = sourceColumns.floor();
    NDArray columnWeight = sourceColumns.sub(columnLow).reshape(n, 1, 1, width);
    NDArray columnHigh = columnLow.add(1).clip(0, width - 1);

    NDArray flat = x.reshape(n, channels, (long) height * width);
    NDArray topLeft = corner(flat, rowLow, columnLow, shape);
    NDArray topRight = corner(flat, rowLow, columnHigh, shape);
    NDArray bottomLeft = corner(flat, rowHigh, columnLow, shape);
    NDArray bottomRight = corner(flat, rowHigh, columnHigh, shape);
    // a + (b − a) w rather than (1 − w) a + w b: at w = 0 (a box on the pixel grid) it is a,
    // exactly
    NDArray top = topLeft.add(topRight.sub(topLeft).mul(columnWeight));
    NDArray bottom = bottomLeft.add(bottomRight.sub(bottomLeft).mul(columnWeight));
    return top.add(bottom.sub(top).mul(rowWeight));
  }

  /**
   * The source coordinates {@code start + (i + 0.5) scale − 0.5} of output indices {@code i}
   * ({@code [1, size]}) per image ({@code [n, 1]} start and scale, scale being box over image
   * size), clamped to {@code [0, size − 1]}: {@code [n, size]}.
   */
  private static NDArray source(NDArray indices, NDArray start, NDArray scale, int size) {
    return indices.add(0.5f).mul(scale).add(start).sub(0.5f).clip(0, size - 1);
  }

  /**
   * The pixels at rows {@code rows} ({@code [n, H]}) and columns {@code columns} ({@code [n,
   * W]}) of each image, read by one gather along the flattened {@code H*W} axis: {@code [n, C, H,
   * W]}.
   */
  private static NDArray corner(NDArray flat, NDArray rows, NDArray columns, Shape shape) {
    long n = shape.get(0);
    long channels = shape.get(1);
    long height = shape.get(2);
    long width = shape.get(3);
    // int64, as gather wants; float would also lose exactness past 2^24 pixels
    NDArray rowStarts = rows.toType(DataType.INT64, false).mul(width).reshape(n, height, 1);
    NDArray index = rowStarts.add(columns.toType(DataType.INT64, false).reshape(n, 1, width))
        .reshape(n, 1, height * width);
    return flat.gather(index.broadcast(n, channels, height * width), 2).reshape(shape);
  }

  /** The images mirrored where the flip column is 1: one gather of whole columns. */
  private static NDArray flip(NDArray x, NDArray p, NDManager scratch) {
    Shape shape = x.getShape();
    long n = shape.get(0);
    int width = Math.toIntExact(shape.get(3));
    long[] identity = new long[width];
    long[] mirrorShift = new long[width];
    for (int j = 0; j < width; j++) {
      identity[j] = j;
      mirrorShift[j] = width - 1 - 2L * j;
    }
    NDArray flips = column(p, FLIP).toType(DataType.INT64, false);
    NDArray index = flips.mul(scratch.create(mirrorShift, new Shape(1, width)))
        .add(scratch.create(identity, new Shape(1, width)));
    return x.gather(index.reshape(n, 1, 1, width).broadcast(shape), 3);
  }

  /**
   * The 3×3 blur with per-image weights, from shifted slices of a replicate-padded copy: an
   * image that does not blur has weights 1, 0, 0 and comes out unchanged.
   */
  private static NDArray blur(NDArray x, NDArray p, int height, int width) {
    NDArray tall = x.get(":, :, 0:1, :").concat(x, 2)
        .concat(x.get(":, :, " + (height - 1) + ":" + height + ", :"), 2);
    NDArray padded = tall.get(":, :, :, 0:1").concat(tall, 3)
        .concat(tall.get(":, :, :, " + (width - 1) + ":" + width), 3);
    NDArray edges = shifted(padded, 0, 1, height, width).add(shifted(padded, 2, 1, height, width))
        .add(shifted(padded, 1, 0, height, width)).add(shifted(padded, 1, 2, height, width));
    NDArray corners = shifted(padded, 0, 0, height, width)
        .add(shifted(padded, 0, 2, height, width)).add(shifted(padded, 2, 0, height, width))
        .add(shifted(padded, 2, 2, height, width));
    return shifted(padded, 1, 1, height, width).mul(perImage(p, CENTRE))
        .add(edges.mul(perImage(p, EDGE))).add(corners.mul(perImage(p, CORNER)));
  }

  /** The {@code H×W} window of the padded images whose top left is {@code (dy, dx)}. */
  private static NDArray shifted(NDArray padded, int dy, int dx, int height, int width) {
    return padded.get(":, :, " + dy + ":" + (dy + height) + ", " + dx + ":" + (dx + width));
  }

  /**
   * Equal when the specs are equal.
   *
   * <pre>{@code
   * Views.parse("flip,crop:0.5").equals(Views.parse("crop:0.50,flip"));   // true
   * }</pre>
   */
  @Override
  public boolean equals(Object o) {
    return o instanceof Views other && flip == other.flip && Objects.equals(crop, other.crop)
        && Objects.equals(jitter, other.jitter) && Objects.equals(blur, other.blur)
        && Objects.equals(noise, other.noise);
  }

  /**
   * A hash consistent with {@link #equals}.
   *
   * <pre>{@code
   * Set<Views> seen = new HashSet<>(List.of(Views.defaults(), Views.none()));
   * }</pre>
   */
  @Override
  public int hashCode() {
    return Objects.hash(crop, flip, jitter, blur, noise);
  }

  /**
   * The {@link #spec()}.
   *
   * <pre>{@code
   * String s = "views " + Views.none();   // "views none"
   * }</pre>
   */
  @Override
  public String toString() {
    return spec();
  }
}
