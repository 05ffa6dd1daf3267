package io.github.lth.djl.ssl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class ViewsTest {
  private static final Device CPU = Device.cpu();
  private static final String USAGE = "none, or parts crop:S, flip, jitter:J, blur:P, noise:N";

  @Test
  void specsRoundTripInTheirCanonicalForm() {
    assertThat(Views.defaults().spec()).isEqualTo("crop:0.3,flip,jitter:0.4,blur:0.5,noise:0.05");
    assertThat(Views.none().spec()).isEqualTo("none");
    assertThat(Views.none().isNone()).isTrue();
    assertThat(Views.defaults().isNone()).isFalse();
    for (String spec : List.of("none", "flip", "crop:0.3,flip,jitter:0.4,blur:0.5,noise:0.05",
        "crop:1", "jitter:0", "blur:0", "noise:0", "crop:0.08,blur:1", "jitter:0.999",
        "noise:0.0000001")) {
      Views views = Views.parse(spec);
      assertThat(views.spec()).isEqualTo(spec);
      assertThat(views.toString()).isEqualTo(spec);
      assertThat(Views.parse(views.spec())).isEqualTo(views).hasSameHashCodeAs(views);
    }
    assertThat(Views.parse(" noise:0.10 , blur:.5,jitter:4e-1, flip, crop:1.0 ").spec())
        .isEqualTo("crop:1,flip,jitter:0.4,blur:0.5,noise:0.1");
    assertThat(Views.parse("noise:0.05,blur:0.5,jitter:0.4,flip,crop:0.3"))
        .isEqualTo(Views.defaults()).hasSameHashCodeAs(Views.defaults());
    assertThat(Views.parse("none")).isEqualTo(Views.none());
    assertThat(Views.parse("noise:-0")).isEqualTo(Views.parse("noise:0"));
    // a part with value 0 is still a part: its spec says so
    assertThat(Views.parse("jitter:0").isNone()).isFalse();
    assertThat(Views.parse("crop:0.5")).isNotEqualTo(Views.parse("crop:0.6"))
        .isNotEqualTo(Views.parse("crop:0.5,flip"));
    assertThat(Views.parse("blur:0")).isNotEqualTo(Views.parse("noise:0"));
  }

  @Test
  void badSpecsAreRefusedWithMessagesNamingTheBadPart() {
    assertBadSpec(null, "views: the spec is empty (use " + USAGE + ")");
    assertBadSpec(" ", "views: the spec is empty (use " + USAGE + ")");
    assertBadSpec("crop:2", "views 'crop:2': crop scale must be in (0, 1]: 2");
    assertBadSpec("crop:0", "views 'crop:0': crop scale must be in (0, 1]: 0");
    assertBadSpec("flip,jitter:1", "views 'flip,jitter:1': jitter strength must be in [0, 1): 1");
    assertBadSpec("blur:1.5", "views 'blur:1.5': blur probability must be in [0, 1]: 1.5");
    assertBadSpec("noise:-0.1", "views 'noise:-0.1': noise std must be finite and >= 0: -0.1");
    assertBadSpec("noise:1e999", "views 'noise:1e999': noise std must be finite and >= 0: 1e999");
    assertBadSpec("crop:x", "views 'crop:x': crop scale 'x' is not a decimal number");
    assertBadSpec("noise:NaN", "views 'noise:NaN': noise std 'NaN' is not a decimal number");
    assertBadSpec("blur:0x1p-1", "views 'blur:0x1p-1': blur probability '0x1p-1' is not a decimal"
        + " number");
    assertBadSpec("crop", "views 'crop': 'crop' needs its value, as in crop:0.3");
    assertBadSpec("flip,noise:", "views 'flip,noise:': 'noise:' needs its value, as in noise:0.05");
    assertBadSpec("flip:1", "views 'flip:1': 'flip' takes no value: 'flip:1'");
    assertBadSpec("flip,flip", "views 'flip,flip': 'flip' is given twice");
    assertBadSpec("crop:0.5,blur:1,crop:0.6", "views 'crop:0.5,blur:1,crop:0.6': 'crop' is given"
        + " twice");
    assertBadSpec("none,flip", "views 'none,flip': 'none' cannot be combined with other parts");
    assertBadSpec("rotate:10,flip",
        "views 'rotate:10,flip': unknown part 'rotate:10' (use " + USAGE + ")");
    assertBadSpec("flip,,crop:0.5", "views 'flip,,crop:0.5': unknown part '' (use " + USAGE + ")");
  }

  private static void assertBadSpec(String spec, String message) {
    assertThatThrownBy(() -> Views.parse(spec)).isInstanceOf(IllegalArgumentException.class)
        .hasMessage(message);
  }

  @Test
  void hostDrawsStayInTheirRangesAndDependOnSeedPositionAndView() {
    Views views = Views.parse("crop:0.3,flip,jitter:0.4,blur:0.5");
    int n = 4000;
    int flips = 0;
    int blurs = 0;
    for (int k = 0; k < n; k++) {
      Views.Draw d = views.draw(7, k, 0, 28, 20);
      assertThat(d).isEqualTo(views.draw(7, k, 0, 28, 20));
      assertThat(d.top()).isBetween(0.0, 28 - d.height());
      assertThat(d.left()).isBetween(0.0, 20 - d.width());
      assertThat(d.height()).isBetween(0.0, 28.0);
      assertThat(d.width()).isBetween(0.0, 20.0);
      double fraction = d.height() * d.width() / (28 * 20);
      assertThat(fraction).isBetween(0.3 * 3 / 4 - 1e-9, 1.0);
      if (d.height() < 28 && d.width() < 20) {
        // the box was not shrunk: its area and aspect are as drawn
        assertThat(fraction).isGreaterThanOrEqualTo(0.3 - 1e-9);
        assertThat(d.width() / d.height()).isBetween(0.75 - 1e-9, 4.0 / 3 + 1e-9);
      }
      assertThat(d.brightness()).isBetween(0.6, 1.4);
      assertThat(d.contrast()).isBetween(0.6, 1.4);
      assertThat(d.sigma()).isBetween(0.1, 1.0);
      flips += d.flip() ? 1 : 0;
      blurs += d.blur() ? 1 : 0;
      assertThat(views.draw(7, k, 1, 28, 20)).isNotEqualTo(d);
      assertThat(views.draw(8, k, 0, 28, 20)).isNotEqualTo(d);
      assertThat(views.draw(7, k + 1, 0, 28, 20)).isNotEqualTo(d);
    }
    assertThat(flips).isBetween(n / 2 - 200, n / 2 + 200);
    assertThat(blurs).isBetween(n / 2 - 200, n / 2 + 200);
    // a part's draws do not move when another part is added
    for (int k = 0; k < 50; k++) {
      assertThat(Views.parse("flip").draw(3, k, 2, 28, 28).flip())
          .isEqualTo(Views.parse("crop:0.5,flip,blur:0.3").draw(3, k, 2, 28, 28).flip());
    }
    Views.Draw plain = Views.parse("noise:0.1").draw(7, 3, 0, 28, 20);
    assertThat(List.of(plain.top(), plain.left(), plain.height(), plain.width(),
        plain.brightness(), plain.contrast())).containsExactly(0.0, 0.0, 28.0, 20.0, 1.0, 1.0);
    assertThat(plain.flip() || plain.blur()).isFalse();
    assertThat(Views.blurWeights(0.5)[0] + 4 * Views.blurWeights(0.5)[1]
        + 4 * Views.blurWeights(0.5)[2]).isCloseTo(1.0, within(1e-12));
  }

  @Test
  void noneGivesAnEqualNewArrayAndLeavesTheImagesAlone() {
    try (NDManager data = NDManager.newBaseManager(CPU);
        NDManager owner = NDManager.newBaseManager(CPU)) {
      NDArray images = images(data, 5, 2, 4, 3, 1);
      float[] before = images.toFloatArray();
      NDArray view = Views.none().apply(images, 1, 0, 0, owner);
      assertThat(view).isNotSameAs(images);
      assertThat(view.toFloatArray()).containsExactly(before);
      assertThat(images.toFloatArray()).containsExactly(before);
    }
  }

  @Test
  void aCropBoxOfTheWholeImageIsTheIdentity() {
    Views crop = Views.parse("crop:1");
    try (NDManager data = NDManager.newBaseManager(CPU);
        NDManager owner = NDManager.newBaseManager(CPU)) {
      NDArray images = images(data, 3, 2, 6, 5, 2);
      Views.Draw whole = new Views.Draw(0, 0, 6, 5, false, 1, 1, false, 0.5);
      NDArray view = crop.apply(images, new Views.Draw[] {whole, whole, whole}, owner);
      assertThat(view.toFloatArray()).containsExactly(images.toFloatArray());
    }
  }

  @Test
  void cropOneResamplesItsDrawnBoxesLikeAPlainJavaReference() {
    // crop:1 keeps the whole area but draws an aspect, so its boxes are the whole image shrunk
    // along one side: bilinear sampling of real boxes, compared pixel by pixel
    Views crop = Views.parse("crop:1");
    for (int k = 0; k < 8; k++) {
      Views.Draw d = crop.draw(11, k, 0, 28, 28);
      assertThat(Math.max(d.height(), d.width())).isEqualTo(28.0);
    }
    assertMatchesReference(crop, 8, 1, 28, 28, 11, 0, 0);
    assertMatchesReference(crop, 6, 2, 5, 7, 12, 3, 1);
  }

  @Test
  void everyPartButNoiseMatchesAPlainJavaReference() {
    for (String spec : List.of("crop:0.3,flip,jitter:0.4,blur:1", "crop:0.08,flip",
        "crop:0.5,jitter:0.2,blur:0.5", "flip,blur:0.7", "jitter:0.5", "blur:1", "flip")) {
      Views views = Views.parse(spec);
      assertMatchesReference(views, 8, 1, 28, 28, 21, 0, 0);
      assertMatchesReference(views, 7, 3, 5, 6, 22, 5, 2);
    }
  }

  /**
   * Applies {@code views} to random images and compares each pixel with {@link #reference} of
   * the host draws of its position.
   */
  private static void assertMatchesReference(Views views, int n, int c, int h, int w, long seed,
      long from, int view) {
    try (NDManager data = NDManager.newBaseManager(CPU);
        NDManager owner = NDManager.newBaseManager(CPU)) {
      NDArray images = images(data, n, c, h, w, seed * 31 + view);
      float[] x = images.toFloatArray();
      float[] actual = views.apply(images, seed, from, view, owner).toFloatArray();
      int changed = 0;
      for (int k = 0; k < n; k++) {
        Views.Draw d = views.draw(seed, from + k, view, h, w);
        float[] image = new float[c * h * w];
        System.arraycopy(x, k * c * h * w, image, 0, c * h * w);
        double[] expected = reference(image, c, h, w, d);
        for (int i = 0; i < expected.length; i++) {
          float got = actual[k * c * h * w + i];
          assertThat((double) got).as("%s, image %s, pixel %s, %s", views, k, i, d)
              .isCloseTo(expected[i], within(1e-5));
          changed += Math.abs(got - image[i]) > 1e-4 ? 1 : 0;
        }
      }
      assertThat(changed).as("%s changed some pixels", views).isPositive();
    }
  }

  /**
   * One image's view in plain Java, as the class comment describes it: crop (bilinear,
   * align_corners=false) and flip, then jitter, then the replicate-padded 3×3 blur.
   */
  private static double[] reference(float[] image, int c, int h, int w, Views.Draw d) {
    double[] out = new double[c * h * w];
    for (int ch = 0; ch < c; ch++) {
      for (int i = 0; i < h; i++) {
        for (int j = 0; j < w; j++) {
          int column = d.flip() ? w - 1 - j : j;
          double y = clamp(d.top() + (i + 0.5) * d.height() / h - 0.5, h - 1);
          double x = clamp(d.left() + (column + 0.5) * d.width() / w - 0.5, w - 1);
          int y0 = (int) Math.floor(y);
          int x0 = (int) Math.floor(x);
          int y1 = Math.min(y0 + 1, h - 1);
          int x1 = Math.min(x0 + 1, w - 1);
          double fy = y - y0;
          double fx = x - x0;
          int base = ch * h * w;
          out[base + i * w + j] = (1 - fy) * (1 - fx) * image[base + y0 * w + x0]
              + (1 - fy) * fx * image[base + y0 * w + x1]
              + fy * (1 - fx) * image[base + y1 * w + x0]
              + fy * fx * image[base + y1 * w + x1];
        }
      }
    }
    double mean = 0;
    for (double v : out) {
      mean += v;
    }
    mean /= out.length;
    for (int p = 0; p < out.length; p++) {
      out[p] = ((out[p] - mean) * d.contrast() + mean) * d.brightness();
    }
    if (!d.blur()) {
      return out;
    }
    double e = Math.exp(-1 / (2 * d.sigma() * d.sigma()));
    double[] blurred = new double[out.length];
    for (int ch = 0; ch < c; ch++) {
      for (int i = 0; i < h; i++) {
        for (int j = 0; j < w; j++) {
          double sum = 0;
          double weights = 0;
          for (int di = -1; di <= 1; di++) {
            for (int dj = -1; dj <= 1; dj++) {
              double weight = Math.pow(e, Math.abs(di) + Math.abs(dj));
              int row = Math.min(h - 1, Math.max(0, i + di));
              int col = Math.min(w - 1, Math.max(0, j + dj));
              sum += weight * out[ch * h * w + row * w + col];
              weights += weight;
            }
          }
          blurred[ch * h * w + i * w + j] = sum / weights;
        }
      }
    }
    return blurred;
  }

  private static double clamp(double v, int max) {
    return Math.min(max, Math.max(0, v));
  }

  @Test
  void flippingTwiceWithTheSameDrawsGivesTheImagesBack() {
    Views flip = Views.parse("flip");
    try (NDManager data = NDManager.newBaseManager(CPU);
        NDManager owner = NDManager.newBaseManager(CPU)) {
      int n = 8;
      NDArray images = images(data, n, 1, 4, 5, 3);
      NDArray once = flip.apply(images, 4, 10, 1, owner);
      NDArray twice = flip.apply(once, 4, 10, 1, owner);
      assertThat(twice.toFloatArray()).containsExactly(images.toFloatArray());
      boolean[] seen = new boolean[2];
      for (int k = 0; k < n; k++) {
        boolean flipped = flip.draw(4, 10 + k, 1, 4, 5).flip();
        seen[flipped ? 1 : 0] = true;
        NDArray original = images.get(k);
        NDArray mirrored = once.get(k);
        assertThat(mirrored.toFloatArray())
            .containsExactly((flipped ? original.flip(2) : original).toFloatArray());
      }
      assertThat(seen).as("flipped and unflipped images both drawn").containsExactly(true, true);
    }
  }

  @Test
  void blurringAConstantImageKeepsTheConstant() {
    try (NDManager data = NDManager.newBaseManager(CPU);
        NDManager owner = NDManager.newBaseManager(CPU)) {
      NDArray constant = data.full(new Shape(6, 2, 7, 5), 0.7f);
      float[] blurred = Views.parse("blur:1").apply(constant, 9, 0, 0, owner).toFloatArray();
      for (float v : blurred) {
        assertThat(v).isCloseTo(0.7f, within(1e-6f));
      }
    }
  }

  @Test
  void jitterOfStrengthZeroIsTheIdentity() {
    try (NDManager data = NDManager.newBaseManager(CPU);
        NDManager owner = NDManager.newBaseManager(CPU)) {
      NDArray images = images(data, 6, 3, 5, 4, 4);
      float[] view = Views.parse("jitter:0").apply(images, 9, 0, 0, owner).toFloatArray();
      assertThat(view).containsExactly(images.toFloatArray());
    }
  }

  @Test
  void theSameSeedPositionAndViewGiveTheSameViewOthersDiffer() {
    Views noNoise = Views.parse("crop:0.3,flip,jitter:0.4,blur:0.5");
    try (NDManager data = NDManager.newBaseManager(CPU);
        NDManager owner = NDManager.newBaseManager(CPU)) {
      NDArray images = images(data, 4, 1, 28, 28, 5);
      float[] first = noNoise.apply(images, 1, 0, 0, owner).toFloatArray();
      assertThat(noNoise.apply(images, 1, 0, 0, owner).toFloatArray()).containsExactly(first);
      assertThat(noNoise.apply(images, 1, 0, 1, owner).toFloatArray()).isNotEqualTo(first);
      assertThat(noNoise.apply(images, 2, 0, 0, owner).toFloatArray()).isNotEqualTo(first);
      assertThat(noNoise.apply(images, 1, 4, 0, owner).toFloatArray()).isNotEqualTo(first);

      // the noise comes from the engine's generator: reproducible on the CPU once it is seeded
      Engine.getInstance().setRandomSeed(17);
      float[] noisy = Views.defaults().apply(images, 1, 0, 0, owner).toFloatArray();
      Engine.getInstance().setRandomSeed(17);
      assertThat(Views.defaults().apply(images, 1, 0, 0, owner).toFloatArray())
          .containsExactly(noisy);
      assertThat(Views.defaults().apply(images, 1, 0, 0, owner).toFloatArray())
          .isNotEqualTo(noisy);
      float[] noiseOnly = Views.parse("noise:0.05").apply(images, 1, 0, 0, owner).toFloatArray();
      float[] x = images.toFloatArray();
      double sumOfSquares = 0;
      for (int p = 0; p < x.length; p++) {
        sumOfSquares += (noiseOnly[p] - x[p]) * (noiseOnly[p] - x[p]);
      }
      assertThat(Math.sqrt(sumOfSquares / x.length)).isCloseTo(0.05, within(0.005));
    }
  }

  @Test
  void viewsDoNotDependOnHowAPassIsSplitIntoBatches() {
    Views views = Views.parse("crop:0.3,flip,jitter:0.4,blur:0.5");
    try (NDManager data = NDManager.newBaseManager(CPU);
        NDManager owner = NDManager.newBaseManager(CPU)) {
      NDArray images = images(data, 8, 2, 9, 7, 6);
      float[] whole = views.apply(images, 3, 0, 1, owner).toFloatArray();
      float[] first = views.apply(images.get("0:4"), 3, 0, 1, owner).toFloatArray();
      float[] second = views.apply(images.get("4:8"), 3, 4, 1, owner).toFloatArray();
      float[] joined = new float[whole.length];
      System.arraycopy(first, 0, joined, 0, first.length);
      System.arraycopy(second, 0, joined, first.length, second.length);
      assertThat(joined).containsExactly(whole);
    }
  }

  @Test
  void viewsKeepShapeTypeAndDeviceAndRefuseOtherInputs() {
    try (NDManager data = NDManager.newBaseManager(CPU);
        NDManager owner = NDManager.newBaseManager(CPU)) {
      for (Shape shape : List.of(new Shape(3, 1, 28, 28), new Shape(2, 3, 5, 9),
          new Shape(1, 1, 1, 1), new Shape(0, 1, 4, 4))) {
        NDArray images = data.randomUniform(0, 1, shape);
        NDArray view = Views.defaults().apply(images, 1, 0, 0, owner);
        assertThat(view.getShape()).isEqualTo(shape);
        assertThat(view.getDataType()).isEqualTo(DataType.FLOAT32);
        assertThat(view.getDevice()).isEqualTo(images.getDevice());
      }
      NDArray ints = data.zeros(new Shape(2, 3), DataType.INT32);
      assertThatThrownBy(() -> Views.defaults().apply(ints, 1, 0, 0, owner))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessage("views: images must be float32 [n, C, H, W] with C, H, W >= 1, "
              + "not int32 (2, 3)");
      NDArray flat = data.zeros(new Shape(2, 28, 28));
      assertThatThrownBy(() -> Views.none().apply(flat, 1, 0, 0, owner))
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("(2, 28, 28)");
      NDArray doubles = data.zeros(new Shape(2, 1, 4, 4), DataType.FLOAT64);
      assertThatThrownBy(() -> Views.none().apply(doubles, 1, 0, 0, owner))
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("float64");
      NDArray images = data.zeros(new Shape(2, 1, 4, 4));
      assertThatThrownBy(() -> Views.defaults().apply(images, 1, 0, -1, owner))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessage("views: view must not be negative: -1");
      assertThatThrownBy(() -> Views.defaults().apply(images, 1, -1, 0, owner))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessage("views: firstPosition must not be negative: -1");
    }
  }

  @Test
  void theViewIsAttachedToTheOwnerAndNothingElseIsLeftBehind() {
    try (NDManager data = NDManager.newBaseManager(CPU);
        NDManager owner = NDManager.newBaseManager(CPU)) {
      NDArray images = images(data, 4, 2, 8, 6, 7);
      float[] before = images.toFloatArray();
      for (Views views : List.of(Views.defaults(), Views.none(), Views.parse("flip,blur:1"),
          Views.parse("crop:0.5,flip"), Views.parse("jitter:0.3"))) {
        int dataArrays = data.getManagedArrays().size();
        int ownerArrays = owner.getManagedArrays().size();
        NDArray view = views.apply(images, 2, 0, 0, owner);
        assertThat(view.getManager()).as("%s", views).isSameAs(owner);
        assertThat(owner.getManagedArrays()).as("%s", views).hasSize(ownerArrays + 1);
        assertThat(data.getManagedArrays()).as("%s", views).hasSize(dataArrays);
        assertThat(images.toFloatArray()).as("%s", views).containsExactly(before);
        view.close();
        assertThat(owner.getManagedArrays()).as("%s", views).hasSize(ownerArrays);
      }
    }
  }

  /** Random float32 images in [0, 1), drawn in Java so that they do not touch the engine. */
  private static NDArray images(NDManager manager, int n, int c, int h, int w, long seed) {
    SplittableRandom random = new SplittableRandom(seed);
    float[] x = new float[n * c * h * w];
    for (int p = 0; p < x.length; p++) {
      x[p] = (float) random.nextDouble();
    }
    return manager.create(x, new Shape(n, c, h, w));
  }
}
