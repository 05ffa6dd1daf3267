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
import ai.djl.training.GradientCollector;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class ContrastiveTest {
  private NDManager manager;

  @BeforeEach
  void open() {
    manager = NDManager.newBaseManager(Device.cpu());
  }

  @AfterEach
  void close() {
    manager.close();
  }

  // ---- plain-Java references, in doubles, one sample at a time ----

  private static double[][] stacked(double[][] a, double[][] b) {
    int n = a.length;
    double[][] z = new double[2 * n][];
    for (int k = 0; k < n; k++) {
      z[k] = unit(a[k]);
      z[n + k] = unit(b[k]);
    }
    return z;
  }

  private static double[] unit(double[] v) {
    double sum = 0;
    for (double x : v) {
      sum += x * x;
    }
    double norm = Math.max(Math.sqrt(sum), 1e-12);
    double[] u = new double[v.length];
    for (int i = 0; i < v.length; i++) {
      u[i] = v[i] / norm;
    }
    return u;
  }

  private static double dot(double[] a, double[] b) {
    double s = 0;
    for (int i = 0; i < a.length; i++) {
      s += a[i] * b[i];
    }
    return s;
  }

  private static double referenceLoss(double[][] a, double[][] b, double tau) {
    double[][] z = stacked(a, b);
    int twoN = z.length;
    double total = 0;
    for (int i = 0; i < twoN; i++) {
      int p = (i + twoN / 2) % twoN;
      double max = Double.NEGATIVE_INFINITY;
      for (int j = 0; j < twoN; j++) {
        if (j != i) {
          max = Math.max(max, dot(z[i], z[j]) / tau);
        }
      }
      double denominator = 0;
      for (int j = 0; j < twoN; j++) {
        if (j != i) {
          denominator += Math.exp(dot(z[i], z[j]) / tau - max);
        }
      }
      total += -(dot(z[i], z[p]) / tau - max - Math.log(denominator));
    }
    return total / twoN;
  }

  private static int referenceHits(double[][] a, double[][] b) {
    double[][] z = stacked(a, b);
    int twoN = z.length;
    int hits = 0;
    for (int i = 0; i < twoN; i++) {
      int p = (i + twoN / 2) % twoN;
      double positive = dot(z[i], z[p]);
      boolean hit = true;
      for (int j = 0; j < twoN; j++) {
        if (j != i && j != p && dot(z[i], z[j]) >= positive) {
          hit = false;
        }
      }
      hits += hit ? 1 : 0;
    }
    return hits;
  }

  /** The smallest gap between a positive's similarity and any negative's, over all anchors. */
  private static double smallestMargin(double[][] a, double[][] b) {
    double[][] z = stacked(a, b);
    int twoN = z.length;
    double margin = Double.POSITIVE_INFINITY;
    for (int i = 0; i < twoN; i++) {
      int p = (i + twoN / 2) % twoN;
      for (int j = 0; j < twoN; j++) {
        if (j != i && j != p) {
          margin = Math.min(margin, Math.abs(dot(z[i], z[p]) - dot(z[i], z[j])));
        }
      }
    }
    return margin;
  }

  private static void assertFinite(double[] values) {
    for (int i = 0; i < values.length; i++) {
      assertThat(Double.isFinite(values[i])).as("value %d: %s", i, values[i]).isTrue();
    }
  }

  // ---- inputs ----

  /** Gaussian rows rounded to float, so the reference sees exactly what DJL sees. */
  private static double[][] gaussian(int n, int d, Random r) {
    double[][] x = new double[n][d];
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < d; j++) {
        x[i][j] = (float) r.nextGaussian();
      }
    }
    return x;
  }

  /** {@code a} with noise added: the second view of the same images. */
  private static double[][] nearby(double[][] a, double noise, Random r) {
    double[][] x = new double[a.length][a[0].length];
    for (int i = 0; i < a.length; i++) {
      for (int j = 0; j < a[0].length; j++) {
        x[i][j] = (float) (a[i][j] + noise * r.nextGaussian());
      }
    }
    return x;
  }

  private NDArray f32(double[][] x) {
    float[][] f = new float[x.length][x[0].length];
    for (int i = 0; i < x.length; i++) {
      for (int j = 0; j < x[0].length; j++) {
        f[i][j] = (float) x[i][j];
      }
    }
    return manager.create(f);
  }

  private NDArray f64(double[][] x) {
    return manager.create(x);
  }

  // ---- ntXent ----

  @Test
  void ntXentEqualsThePerPairFormula() {
    Random r = new Random(11);
    int[][] sizes = {{2, 3}, {3, 2}, {5, 8}, {16, 32}, {33, 7}};
    double[] temperatures = {0.05, 0.1, 0.5, 1.0, 2.0};
    for (int[] size : sizes) {
      for (double tau : temperatures) {
        double[][] a = gaussian(size[0], size[1], r);
        double[][] b = r.nextBoolean() ? gaussian(size[0], size[1], r) : nearby(a, 0.3, r);
        double expected = referenceLoss(a, b, tau);
        NDArray loss = Contrastive.ntXent(f32(a), f32(b), tau);
        assertThat(loss.getShape()).isEqualTo(new Shape());
        assertThat(loss.getDataType()).isEqualTo(DataType.FLOAT32);
        assertThat(loss.getFloat()).as("n=%d d=%d tau=%s", size[0], size[1], tau)
            .isCloseTo((float) expected, within((float) Math.max(1e-5 * expected, 1e-6)));
      }
    }
  }

  @Test
  void ntXentKnownValues() {
    // Orthogonal pairs: each anchor sees its positive at similarity 1 and two negatives at 0,
    // so every loss is log(1 + 2 exp(−1/τ)). Scaled rows check the normalization.
    double[][] a = {{2, 0}, {0, 0.5}};
    double[][] b = {{7, 0}, {0, 3}};
    for (double tau : new double[] {0.1, 0.5, 1.0}) {
      double expected = Math.log1p(2 * Math.exp(-1 / tau));
      // absolute: at τ = 0.1 the loss is 9e-5, below float32's resolution of 1 + 2 exp(−10)
      assertThat(Contrastive.ntXent(f32(a), f32(b), tau).getFloat())
          .isCloseTo((float) expected, within(1e-6f));
    }
    assertThat(Contrastive.ntXent(f32(a), f32(b), 1.0).getFloat())
        .isCloseTo(0.5514447f, within(1e-6f));
    // Identical rows: all 2n − 1 candidates alike, the loss of a uniform guess, log(2n − 1).
    double[][] same = {{3, 3, 3, 3}, {3, 3, 3, 3}, {3, 3, 3, 3}, {3, 3, 3, 3}};
    for (double tau : new double[] {0.1, 0.5, 1.0}) {
      assertThat(Contrastive.ntXent(f32(same), f32(same), tau).getFloat())
          .isCloseTo((float) Math.log(7), within(1e-6f));
    }
  }

  @Test
  void ntXentOfOneArrayTwiceLeavesItAttached() {
    NDArray z = f32(new double[][] {{1, 2}, {3, -1}, {0, 1}});
    NDArray loss = Contrastive.ntXent(z, z, 0.5);
    assertThat(z.getManager()).isSameAs(manager);
    assertThat(z.toFloatArray()).containsExactly(1, 2, 3, -1, 0, 1);
    assertThat(loss.getFloat()).isCloseTo((float) referenceLoss(
        new double[][] {{1, 2}, {3, -1}, {0, 1}}, new double[][] {{1, 2}, {3, -1}, {0, 1}}, 0.5),
        within(1e-5f));
  }

  @Test
  void onlyTheResultStaysAttached() {
    Random r = new Random(3);
    NDArray z1 = f32(gaussian(6, 5, r));
    NDArray z2 = f32(gaussian(6, 5, r));
    int before = manager.getManagedArrays().size();
    NDArray loss = Contrastive.ntXent(z1, z2, 0.2);
    NDArray hits = Contrastive.retrievalHits(z1, z2);
    NDArray unit = Contrastive.normalizeRows(z1);
    assertThat(manager.getManagedArrays().size()).isEqualTo(before + 3);
    for (NDArray a : new NDArray[] {z1, z2, loss, hits, unit}) {
      assertThat(a.getManager()).isSameAs(manager);
    }
  }

  @Test
  void gradientFlowsToBothViews() {
    Random r = new Random(5);
    NDArray z1 = f32(gaussian(4, 6, r));
    NDArray z2 = f32(gaussian(4, 6, r));
    z1.setRequiresGradient(true);
    z2.setRequiresGradient(true);
    try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
      gc.backward(Contrastive.ntXent(z1, z2, 0.1));
    }
    for (NDArray z : new NDArray[] {z1, z2}) {
      assertFinite(z.getGradient().toType(DataType.FLOAT64, false).toDoubleArray());
      assertThat(z.getGradient().abs().sum().getFloat()).isGreaterThan(1e-3f);
    }
  }

  @Test
  void gradientEqualsFiniteDifferencesOfTheFormula() {
    // float64 so central differences of the plain-Java formula are accurate to ~1e-9; a zero
    // row checks that the norm floor gives a finite gradient there.
    Random r = new Random(8);
    double[][] a = gaussian(3, 4, r);
    double[][] b = gaussian(3, 4, r);
    a[1] = new double[] {0, 0, 0, 0};
    double tau = 0.3;
    NDArray z1 = f64(a);
    NDArray z2 = f64(b);
    z1.setRequiresGradient(true);
    z2.setRequiresGradient(true);
    try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
      NDArray loss = Contrastive.ntXent(z1, z2, tau);
      assertThat(loss.getDataType()).isEqualTo(DataType.FLOAT64);
      assertThat(loss.getDouble()).isCloseTo(referenceLoss(a, b, tau), within(1e-12));
      gc.backward(loss);
    }
    double[] g1 = z1.getGradient().toDoubleArray();
    double[] g2 = z2.getGradient().toDoubleArray();
    assertFinite(g1);
    double h = 1e-6;
    for (int view = 0; view < 2; view++) {
      double[][] x = view == 0 ? a : b;
      double[] g = view == 0 ? g1 : g2;
      for (int i = 0; i < 3; i++) {
        if (view == 0 && i == 1) {
          continue;   // the zero row: not differentiable there, the floor only keeps it finite
        }
        for (int j = 0; j < 4; j++) {
          double saved = x[i][j];
          x[i][j] = saved + h;
          double up = referenceLoss(a, b, tau);
          x[i][j] = saved - h;
          double down = referenceLoss(a, b, tau);
          x[i][j] = saved;
          assertThat(g[i * 4 + j]).as("view %d [%d][%d]", view + 1, i, j)
              .isCloseTo((up - down) / (2 * h), within(1e-7));
        }
      }
    }
  }

  // ---- retrievalHits ----

  @Test
  void hitsEqualABruteForceCount() {
    Random r = new Random(21);
    int[][] sizes = {{2, 2}, {4, 2}, {8, 3}, {16, 4}, {32, 16}, {50, 3}};
    boolean someMissed = false;
    for (int[] size : sizes) {
      for (double noise : new double[] {0.2, 0.8, 2.0}) {
        double[][] a = gaussian(size[0], size[1], r);
        double[][] b = nearby(a, noise, r);
        // float32 similarities are off by ~1e-7; a seed with a closer call would be flaky
        assertThat(smallestMargin(a, b)).isGreaterThan(1e-5);
        int expected = referenceHits(a, b);
        someMissed |= expected < 2 * size[0];
        NDArray hits = Contrastive.retrievalHits(f32(a), f32(b));
        assertThat(hits.getDataType()).isEqualTo(DataType.INT64);
        assertThat(hits.getShape()).isEqualTo(new Shape());
        assertThat(hits.getLong()).as("n=%d d=%d noise=%s", size[0], size[1], noise)
            .isEqualTo(expected);
      }
    }
    assertThat(someMissed).isTrue();
  }

  @Test
  void aTieWithANegativeIsAMiss() {
    // Anchors 0 and 3 (both e1) see their positive e1 tied with the negative 2·e1 at similarity
    // 1, and anchor 2 (e3, paired with 2·e1) sees its positive's 0 tied with the other zeros;
    // anchor 5 (2·e1, paired with e3) prefers e1 outright. Only the e2 pair (1, 4) hits, where
    // counting ties as hits would give 5.
    double[][] a = {{1, 0, 0}, {0, 1, 0}, {0, 0, 1}};
    double[][] b = {{1, 0, 0}, {0, 4, 0}, {2, 0, 0}};
    assertThat(referenceHits(a, b)).isEqualTo(2);
    assertThat(Contrastive.retrievalHits(f32(a), f32(b)).getLong()).isEqualTo(2);
  }

  @Test
  void identicalRowsScoreNoHits() {
    // 3/6 = 0.5 exactly, so every similarity is exactly 1 whatever the summation order.
    double[][] same = {{3, 3, 3, 3}, {3, 3, 3, 3}, {3, 3, 3, 3}};
    assertThat(Contrastive.retrievalHits(f32(same), f32(same)).getLong()).isZero();
  }

  @Test
  void orthogonalPairsAllHit() {
    int n = 5;
    double[][] a = new double[n][n + 1];
    double[][] b = new double[n][n + 1];
    for (int k = 0; k < n; k++) {
      a[k][k] = 1 + k;
      b[k][k] = 0.25;
    }
    assertThat(Contrastive.retrievalHits(f32(a), f32(b)).getLong()).isEqualTo(2 * n);
  }

  @Test
  void retrievalIsNotSymmetricPerPair() {
    // Angles in the plane: a = 0°, b = 180°, a' = 30°, b' = 50°. a retrieves a' (30° away,
    // against 50° and 180°), but a' retrieves b' (20° away, against 30° for a); b retrieves b'
    // (130°, against 150° and 180°), but b' retrieves a' (20°, against 130° for b).
    double[][] a = {angle(0), angle(180)};
    double[][] b = {angle(30), angle(50)};
    assertThat(referenceHits(a, b)).isEqualTo(2);
    assertThat(Contrastive.retrievalHits(f32(a), f32(b)).getLong()).isEqualTo(2);
    // Swapping the views moves the hits to the other half but keeps the count.
    assertThat(Contrastive.retrievalHits(f32(b), f32(a)).getLong()).isEqualTo(2);
  }

  private static double[] angle(double degrees) {
    double t = Math.toRadians(degrees);
    return new double[] {Math.cos(t), Math.sin(t)};
  }

  @Test
  void hitsCarryNoGradient() {
    Random r = new Random(2);
    NDArray z1 = f32(gaussian(3, 4, r));
    NDArray z2 = f32(gaussian(3, 4, r));
    z1.setRequiresGradient(true);
    try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
      NDArray hits = Contrastive.retrievalHits(z1, z2);
      assertThat(hits.hasGradient()).isFalse();
      gc.backward(Contrastive.ntXent(z1, z2, 0.5));
    }
    assertFinite(z1.getGradient().toType(DataType.FLOAT64, false).toDoubleArray());
  }

  // ---- normalizeRows and checks ----

  @Test
  void normalizeRowsKeepsAZeroRowZero() {
    NDArray unit = Contrastive.normalizeRows(f32(new double[][] {{3, 4}, {0, 0}, {0, -2}}));
    assertThat(unit.getShape()).isEqualTo(new Shape(3, 2));
    float[] u = unit.toFloatArray();
    float[] expected = {0.6f, 0.8f, 0, 0, 0, -1};
    for (int i = 0; i < u.length; i++) {
      assertThat(u[i]).isCloseTo(expected[i], within(1e-7f));
    }
  }

  @Test
  void badInputsAreRefused() {
    NDArray twoByThree = manager.ones(new Shape(2, 3));
    NDArray oneByThree = manager.ones(new Shape(1, 3));
    assertThatThrownBy(() -> Contrastive.ntXent(oneByThree, oneByThree, 0.5))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("SimCLR needs at least 2 images per batch, got 1");
    assertThatThrownBy(() -> Contrastive.retrievalHits(oneByThree, oneByThree))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("SimCLR needs at least 2 images per batch, got 1");
    assertThatThrownBy(() -> Contrastive.ntXent(twoByThree, twoByThree, 0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("temperature must be positive: 0.0");
    assertThatThrownBy(() -> Contrastive.ntXent(twoByThree, twoByThree, -0.1))
        .hasMessage("temperature must be positive: -0.1");
    assertThatThrownBy(() -> Contrastive.ntXent(twoByThree, twoByThree, Double.NaN))
        .hasMessage("temperature must be finite: NaN");
    assertThatThrownBy(
        () -> Contrastive.ntXent(twoByThree, twoByThree, Double.POSITIVE_INFINITY))
        .hasMessage("temperature must be finite: Infinity");
    NDArray other = manager.ones(new Shape(2, 4));
    assertThatThrownBy(() -> Contrastive.ntXent(twoByThree, other, 0.5))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("z1 and z2 must have the same shape, got (2, 3) and (2, 4)");
    NDArray flat = manager.ones(new Shape(6));
    assertThatThrownBy(() -> Contrastive.retrievalHits(flat, twoByThree))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("embeddings must be 2-D [n, d], got z1 (6) and z2 (2, 3)");
    NDArray cube = manager.ones(new Shape(2, 3, 1));
    assertThatThrownBy(() -> Contrastive.ntXent(twoByThree, cube, 0.5))
        .hasMessage("embeddings must be 2-D [n, d], got z1 (2, 3) and z2 (2, 3, 1)");
    assertThatThrownBy(() -> Contrastive.normalizeRows(flat))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("normalizeRows needs a 2-D array [n, d], got (6)");
  }
}
