package io.github.lth.djl.sparse;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;
import io.github.lth.core.Mask;
import io.github.lth.core.PrunableModel;
import io.github.lth.core.SparsityController;
import io.github.lth.core.TrainingContext;
import io.github.lth.core.TrainingListener;
import io.github.lth.core.TrainingState;
import io.github.lth.core.TrainingSummary;
import io.github.lth.core.Weights;
import io.github.lth.core.prune.PruningScope;
import io.github.lth.djl.DjlModel;
import io.github.lth.djl.TestBlocks;
import io.github.lth.djl.data.BatchSource;
import io.github.lth.djl.data.BatchSources;
import io.github.lth.djl.data.ImageDataset;
import io.github.lth.djl.train.ClassificationObjective;
import io.github.lth.djl.train.LrSchedules;
import io.github.lth.djl.train.MaskedTrainer;
import io.github.lth.djl.train.OptimizerSpec;
import io.github.lth.djl.train.TrainingLoop;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class SoftThresholdReparametrizationTest {
  private static final ImageDataset TRAIN = TestBlocks.quarters("train", 100, 4, 1);
  private static final int IN = 4;
  private static final int HIDDEN = 5;
  private static final int OUT = 3;

  // ---------------------------------------------------------------- fixtures

  /** x → Linear(5) → Linear(3): two masked layers whose gradients are easy to write down. */
  private static DjlModel linear(long seed) {
    SequentialBlock block = new SequentialBlock()
        .add(Linear.builder().setUnits(HIDDEN).build())
        .add(Linear.builder().setUnits(OUT).build());
    return DjlModel.create(block, new Shape(1, IN), Device.cpu(), seed);
  }

  /** flatten → Linear(16) → ReLU → Linear(4) for the 4×4 quarter images. */
  private static DjlModel mlp(long seed) {
    return DjlModel.create(TestBlocks.mlp(16, 4), new Shape(1, 1, 4, 4), Device.cpu(), seed);
  }

  private static TrainingLoop loop(BatchSource data, int epochs) {
    return TrainingLoop.builder().setObjective(new ClassificationObjective())
        .setTrainData(data).optEpochs(epochs).optBatchSize(16)
        .optOptimizer(OptimizerSpec.adam(1e-2)).optLrSchedule(LrSchedules.constant()).build();
  }

  /** A training state driven by hand, for calling the controller outside a loop. */
  private static final class HandState implements TrainingState {
    private final DjlModel model;
    private final long total;
    private Mask mask;
    long step;

    HandState(DjlModel model, Mask mask, long total) {
      this.model = model;
      this.mask = mask;
      this.total = total;
    }

    @Override
    public long step() {
      return step;
    }

    @Override
    public long totalSteps() {
      return total;
    }

    @Override
    public long stepsPerEpoch() {
      return total;
    }

    @Override
    public int epoch() {
      return 0;
    }

    @Override
    public Mask mask() {
      return mask;
    }

    @Override
    public PrunableModel model() {
      return model;
    }

    @Override
    public Weights denseGradients(List<String> names) {
      throw new IllegalStateException("not kept");
    }
  }

  /** The logit of the median |w| over the masked layers: a threshold that prunes about half. */
  private static double medianLogit(DjlModel model, Mask mask) {
    Weights w = model.weights(mask.layers());
    List<Float> all = new ArrayList<>();
    for (String layer : mask.layers()) {
      for (float v : w.values(layer)) {
        all.add(Math.abs(v));
      }
    }
    all.sort(null);
    double m = all.get(all.size() / 2);
    return Math.log(m / (1 - m));
  }

  private static float sigmoid(double s) {
    return (float) (1 / (1 + Math.exp(-s)));
  }

  /** sign(w)·max(|w| − g, 0) on the host, in float as the device does it. */
  private static float[] soft(float[] w, float g) {
    float[] out = new float[w.length];
    for (int i = 0; i < w.length; i++) {
      float shrunk = Math.max(Math.abs(w[i]) - g, 0f);
      out[i] = Math.signum(w[i]) * shrunk;
    }
    return out;
  }

  /** y = x·Wᵀ + b for row-major x (n × in) and W (out × in). */
  private static double[] affine(double[] x, int n, int in, float[] w, float[] b, int out) {
    double[] y = new double[n * out];
    for (int r = 0; r < n; r++) {
      for (int o = 0; o < out; o++) {
        double sum = b[o];
        for (int i = 0; i < in; i++) {
          sum += x[r * in + i] * w[o * in + i];
        }
        y[r * out + o] = sum;
      }
    }
    return y;
  }

  private static float[] randomFloats(int n, long seed) {
    SplittableRandom rng = new SplittableRandom(seed);
    float[] v = new float[n];
    for (int i = 0; i < n; i++) {
      v[i] = (float) (rng.nextDouble() * 2 - 1);
    }
    return v;
  }

  private static double[] toDoubles(float[] v) {
    double[] d = new double[v.length];
    for (int i = 0; i < v.length; i++) {
      d[i] = v[i];
    }
    return d;
  }

  private static String weightOf(DjlModel m, int layer) {
    return TestBlocks.denseLayerWeights(m).layers().get(layer);
  }

  private static String biasOf(DjlModel m, String weight) {
    return weight.replace("weight", "bias");
  }

  private static long zeros(float[] v) {
    long z = 0;
    for (float f : v) {
      if (f == 0) {
        z++;
      }
    }
    return z;
  }

  // ---------------------------------------------------------------- the view

  @ParameterizedTest
  @EnumSource(PruningScope.class)
  void theForwardPassComputesWithSoftThresholdedWeights(PruningScope scope) {
    try (DjlModel m = linear(3); NDManager batch = m.manager().newSubManager()) {
      Mask mask = TestBlocks.denseLayerWeights(m);
      double sInit = medianLogit(m, mask);
      Weights latent = m.state();
      int n = 2;
      float[] x = randomFloats(n * IN, 11);
      NDArray input = batch.create(x, new Shape(n, IN));
      String w1 = weightOf(m, 0);
      String w2 = weightOf(m, 1);
      try (SoftThresholdReparametrization str = SoftThresholdReparametrization.builder()
          .optThresholdInit(sInit).optScope(scope).build()) {
        str.start(new HandState(m, mask, 10));
        float g = sigmoid(sInit);
        float[] s1 = soft(latent.values(w1), g);
        float[] s2 = soft(latent.values(w2), g);
        // the threshold really cuts: some weights of each layer go, some stay
        for (float[] s : List.of(s1, s2)) {
          assertThat(zeros(s)).isPositive().isLessThan(s.length);
        }
        double[] h = affine(toDoubles(x), n, IN, s1, latent.values(biasOf(m, w1)), HIDDEN);
        double[] y = affine(h, n, HIDDEN, s2, latent.values(biasOf(m, w2)), OUT);
        for (boolean training : new boolean[] {false, true}) {
          float[] got = m.forward(new NDList(input), training).singletonOrThrow().toFloatArray();
          for (int i = 0; i < y.length; i++) {
            assertThat((double) got[i]).as("output %s, training %s", i, training)
                .isCloseTo(y[i], within(1e-5));
          }
        }
        // the model's own weights stay the latent W
        assertThat(m.state()).isEqualTo(latent);
      }
      // closing the controller removes the view: the plain weights are back
      assertThat(m.weightView()).isEmpty();
      double[] h = affine(toDoubles(x), n, IN, latent.values(w1),
          latent.values(biasOf(m, w1)), HIDDEN);
      double[] y = affine(h, n, HIDDEN, latent.values(w2), latent.values(biasOf(m, w2)), OUT);
      float[] got = m.forward(new NDList(input), false).singletonOrThrow().toFloatArray();
      for (int i = 0; i < y.length; i++) {
        assertThat((double) got[i]).isCloseTo(y[i], within(1e-5));
      }
    }
  }

  // ---------------------------------------------------------------- ∂L/∂s

  /**
   * L = Σ c ⊙ y for y = (x·S₁ᵀ + b₁)·S₂ᵀ + b₂, so ∂L/∂S₂ = Σ_rows cᵀh and ∂L/∂S₁ = Σ_rows
   * (c·S₂)ᵀx; then ∂L/∂s = −g'(s)·Σ_q ∂L/∂S_q·sign(W_q)·1[|W_q| > g(s)] per threshold.
   */
  private static double[] closedFormGradients(Weights latent, String w1, String w2,
      double[] s, float[] x, float[] c, int n) {
    float g1 = sigmoid(s[0]);
    float g2 = sigmoid(s[s.length - 1]);
    float[] lat1 = latent.values(w1);
    float[] lat2 = latent.values(w2);
    float[] s1 = soft(lat1, g1);
    float[] s2 = soft(lat2, g2);
    double[] h = affine(toDoubles(x), n, IN, s1, latent.values(w1.replace("weight", "bias")),
        HIDDEN);
    double[] gradS2 = new double[OUT * HIDDEN];
    double[] gradS1 = new double[HIDDEN * IN];
    for (int r = 0; r < n; r++) {
      for (int o = 0; o < OUT; o++) {
        for (int j = 0; j < HIDDEN; j++) {
          gradS2[o * HIDDEN + j] += c[r * OUT + o] * h[r * HIDDEN + j];
        }
      }
      for (int j = 0; j < HIDDEN; j++) {
        double dh = 0;
        for (int o = 0; o < OUT; o++) {
          dh += c[r * OUT + o] * s2[o * HIDDEN + j];
        }
        for (int i = 0; i < IN; i++) {
          gradS1[j * IN + i] += dh * x[r * IN + i];
        }
      }
    }
    double sum1 = 0;
    for (int q = 0; q < lat1.length; q++) {
      if (Math.abs(lat1[q]) > g1) {
        sum1 += gradS1[q] * Math.signum(lat1[q]);
      }
    }
    double sum2 = 0;
    for (int q = 0; q < lat2.length; q++) {
      if (Math.abs(lat2[q]) > g2) {
        sum2 += gradS2[q] * Math.signum(lat2[q]);
      }
    }
    double d1 = -g1 * (1.0 - g1) * sum1;
    double d2 = -g2 * (1.0 - g2) * sum2;
    return s.length == 1 ? new double[] {d1 + d2} : new double[] {d1, d2};
  }

  @ParameterizedTest
  @EnumSource(PruningScope.class)
  void theThresholdGradientIsTheClosedForm(PruningScope scope) {
    int n = 3;
    float[] x = randomFloats(n * IN, 5);
    float[] c = randomFloats(n * OUT, 6);
    try (DjlModel m = linear(4)) {
      Mask mask = TestBlocks.denseLayerWeights(m);
      String w1 = weightOf(m, 0);
      String w2 = weightOf(m, 1);
      double lr = 1;   // so that s_before − s_after is ∂L/∂s itself (no decay)
      HandState state = new HandState(m, mask, 100);
      try (SoftThresholdReparametrization str = SoftThresholdReparametrization.builder()
          .optThresholdInit(medianLogit(m, mask)).optThresholdLearningRate(lr)
          .optThresholdDecay(0).optScope(scope).build();
          MaskedTrainer trainer = new MaskedTrainer(m, OptimizerSpec.sgd(0.05, 0),
              LrSchedules.constant(), 100, 0)) {
        state.mask = str.start(state);
        // two steps: the second one shows the first step's gradient of s did not linger
        for (int step = 1; step <= 2; step++) {
          Weights latent = m.state();
          Map<String, Double> before = str.thresholdParameters();
          double[] s = scope == PruningScope.GLOBAL ? new double[] {before.get(w1)}
              : new double[] {before.get(w1), before.get(w2)};
          double[] expected = closedFormGradients(latent, w1, w2, s, x, c, n);
          try (NDManager batch = m.manager().newSubManager()) {
            NDArray input = batch.create(x, new Shape(n, IN));
            NDArray weights = batch.create(c, new Shape(n, OUT));
            trainer.step(batch, () -> m.forward(new NDList(input), true).singletonOrThrow()
                .mul(weights).sum());
          }
          state.step = step;
          assertThat(str.afterStep(state)).isSameAs(mask);
          Map<String, Double> after = str.thresholdParameters();
          List<String> layers = scope == PruningScope.GLOBAL ? List.of(w1) : List.of(w1, w2);
          for (int l = 0; l < layers.size(); l++) {
            double measured = (before.get(layers.get(l)) - after.get(layers.get(l))) / lr;
            assertThat(Math.abs(expected[l])).as("a gradient worth checking").isGreaterThan(1e-3);
            assertThat(measured).as("∂L/∂s of %s at step %s", layers.get(l), step)
                .isCloseTo(expected[l], within(1e-4 * Math.max(1, Math.abs(expected[l]))));
          }
          if (scope == PruningScope.GLOBAL) {
            assertThat(after.get(w2)).isEqualTo(after.get(w1));
          }
        }
      }
    }
  }

  // ---------------------------------------------------------------- the freeze

  /** Runs STR and keeps the weights as they are right after the freeze. */
  private static final class FreezeWatch implements SparsityController {
    private final SoftThresholdReparametrization str;
    private final DjlModel model;
    Weights atFreeze;
    Mask frozenMask;
    boolean viewAfterFreeze = true;

    FreezeWatch(SoftThresholdReparametrization str, DjlModel model) {
      this.str = str;
      this.model = model;
    }

    @Override
    public Mask start(TrainingState s) {
      return str.start(s);
    }

    @Override
    public Mask afterStep(TrainingState s) {
      Mask next = str.afterStep(s);
      if (s.step() == str.freezeStep()) {
        atFreeze = model.weights(next.layers());
        frozenMask = next;
        viewAfterFreeze = model.weightView().isPresent();
      }
      return next;
    }
  }

  @Test
  void strSparsityCountsTheExactZerosTheFreezeLeavesAndTheMaskPrunesExactlyThose() {
    try (BatchSource data = BatchSources.of(TRAIN); DjlModel m = mlp(3);
        SoftThresholdReparametrization str = SoftThresholdReparametrization.builder()
            .optThresholdInit(-3).optThresholdDecay(2).optThresholdLearningRate(0.05).build()) {
      FreezeWatch watch = new FreezeWatch(str, m);
      TrainingSummary s = loop(data, 5).run(m, watch, new TrainingContext(0, 9, null));
      assertThat(str.freezeStep()).isEqualTo(28);   // round(0.8 × 35)
      assertThat(watch.viewAfterFreeze).isFalse();
      Mask mask = watch.frozenMask;
      assertThat(s.finalMask()).isEqualTo(mask);
      long zeros = 0;
      for (String layer : mask.layers()) {
        float[] w = watch.atFreeze.values(layer);
        boolean[] kept = mask.toBooleans(layer);
        long layerZeros = 0;
        for (int i = 0; i < w.length; i++) {
          assertThat(kept[i]).as("%s[%s] = %s", layer, i, w[i]).isEqualTo(w[i] != 0);
          if (w[i] == 0) {
            assertThat(Float.floatToRawIntBits(w[i])).as("+0.0 at %s[%s]", layer, i).isZero();
            layerZeros++;
          }
        }
        assertThat(str.strSparsity().get(layer)).isEqualTo((double) layerZeros / w.length);
        assertThat(layerZeros).as("STR pruned part of %s", layer).isPositive()
            .isLessThan(w.length);
        zeros += layerZeros;
      }
      assertThat(str.strSparsity()).containsOnlyKeys(mask.layers());
      assertThat(str.strOverallSparsity()).isEqualTo((double) zeros / mask.size());
    }
  }

  @ParameterizedTest
  @EnumSource(PruningScope.class)
  void aTargetTopsUpTheFrozenMaskExactlyAndPrunedWeightsEndAtPlusZero(PruningScope scope) {
    double target = 0.8;
    try (BatchSource data = BatchSources.of(TRAIN); DjlModel m = mlp(5);
        // ρ = 0 keeps λ at 0, so STR alone stays well short of the target and the top-up acts
        SoftThresholdReparametrization str = SoftThresholdReparametrization.builder()
            .optThresholdInit(-4).optRho(0).optTargetSparsity(target).optScope(scope)
            .build()) {
      TrainingSummary s = loop(data, 5).run(m, str, new TrainingContext(0, 9, null));
      Mask mask = s.finalMask();
      assertThat(str.strOverallSparsity()).isPositive().isLessThan(target);
      // the top-up is global whatever the thresholds' scope: the layers keep their own spread
      assertThat(mask.pruned()).isEqualTo(Math.round(target * mask.size()));
      for (String layer : mask.layers()) {
        assertThat(str.strSparsity().get(layer)).isLessThan(target);
      }
      // STR's own zeros stay pruned: the top-up only adds to them
      Weights end = m.weights(mask.layers());
      for (String layer : mask.layers()) {
        float[] w = end.values(layer);
        boolean[] kept = mask.toBooleans(layer);
        long strZeros = Math.round(str.strSparsity().get(layer) * w.length);
        assertThat(w.length - mask.kept(layer)).isGreaterThanOrEqualTo(strZeros);
        int moved = 0;
        for (int i = 0; i < w.length; i++) {
          if (!kept[i]) {
            assertThat(Float.floatToRawIntBits(w[i])).as("%s[%s]", layer, i).isZero();
          } else if (w[i] != 0) {
            moved++;
          }
        }
        assertThat(moved).as("kept weights of %s trained on", layer).isPositive();
      }
    }
  }

  @ParameterizedTest
  @EnumSource(PruningScope.class)
  void withTheDefaultsTheDualAscentBringsStrItselfNearTheTarget(PruningScope scope) {
    double target = 0.7;
    try (BatchSource data = BatchSources.of(TRAIN); DjlModel m = mlp(6);
        SoftThresholdReparametrization str = SoftThresholdReparametrization.builder()
            .optTargetSparsity(target).optScope(scope).build()) {
      TrainingSummary s = loop(data, 10).run(m, str, new TrainingContext(0, 9, null));
      assertThat(str.strOverallSparsity()).isCloseTo(target, within(0.05));
      assertThat(s.finalMask().sparsity()).isGreaterThanOrEqualTo(target - 0.005);
    }
  }

  // ---------------------------------------------------------------- determinism, reuse

  @Test
  void theSameSeedGivesTheSameMaskAndTheControllerCanRunAgain() {
    try (BatchSource data = BatchSources.of(TRAIN);
        SoftThresholdReparametrization str = SoftThresholdReparametrization.builder()
            .optTargetSparsity(0.75).build()) {
      List<Mask> masks = new ArrayList<>();
      List<Map<String, Double>> strSparsities = new ArrayList<>();
      for (long seed : new long[] {3, 3, 4}) {
        try (DjlModel m = mlp(seed)) {
          masks.add(loop(data, 5).run(m, str, new TrainingContext(0, seed, null)).finalMask());
          strSparsities.add(str.strSparsity());
        }
      }
      assertThat(masks.get(1)).isEqualTo(masks.get(0));
      assertThat(strSparsities.get(1)).isEqualTo(strSparsities.get(0));
      assertThat(masks.get(2)).isNotEqualTo(masks.get(0));
    }
  }

  // ---------------------------------------------------------------- settings

  @Test
  void settingsNameTheMethodAndItsParameters() {
    SoftThresholdReparametrization str = SoftThresholdReparametrization.builder()
        .optThresholdInit(-8).optThresholdLearningRate(0.2).optThresholdDecay(1e-3).optRho(2)
        .optFreezeFraction(0.5).optScope(PruningScope.GLOBAL).optTargetSparsity(0.9).build();
    assertThat(str.settings()).containsExactly(Map.entry("method", "str"),
        Map.entry("s_init", -8.0), Map.entry("threshold_lr", 0.2),
        Map.entry("threshold_decay", 1e-3), Map.entry("rho", 2.0),
        Map.entry("freeze_fraction", 0.5), Map.entry("scope", "global"),
        Map.entry("target_sparsity", 0.9));
    assertThat(SoftThresholdReparametrization.builder().build().settings())
        .doesNotContainKey("target_sparsity").containsEntry("scope", "layer");
  }

  @Test
  void badSettingsAreRefusedWithTheirName() {
    SoftThresholdReparametrization.Builder b = SoftThresholdReparametrization.builder();
    for (double s : new double[] {Double.NaN, Double.NEGATIVE_INFINITY,
        Double.POSITIVE_INFINITY}) {
      assertThatThrownBy(() -> b.optThresholdInit(s))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessage("STR's initial threshold parameter s_init must be a finite number: " + s);
    }
    for (double f : new double[] {0, -0.1, 1.0001, Double.NaN}) {
      assertThatThrownBy(() -> b.optFreezeFraction(f))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessage("STR's freeze fraction must be in (0, 1]: " + f);
    }
    for (double t : new double[] {1, -0.01, 1.5, Double.NaN}) {
      assertThatThrownBy(() -> b.optTargetSparsity(t))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessage("STR's target sparsity must be in [0, 1): " + t);
    }
    assertThatThrownBy(() -> b.optThresholdLearningRate(0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("threshold learning rate must be positive");
    assertThatThrownBy(() -> b.optRho(-1)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("rho must be non-negative");
    assertThatThrownBy(() -> SoftThresholdReparametrization.builder()
        .optThresholdLearningRate(0.5).optThresholdDecay(2).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("must be below 1");
    // the boundaries themselves are fine
    b.optFreezeFraction(1).optTargetSparsity(0).optThresholdInit(-1e6).build();
  }

  @Test
  void aRunThatStartsAtTheFreezeStepIsRefused() {
    try (DjlModel m = linear(1); SoftThresholdReparametrization str =
        SoftThresholdReparametrization.builder().optFreezeFraction(0.5).build()) {
      HandState state = new HandState(m, TestBlocks.denseLayerWeights(m), 20);
      state.step = 10;
      assertThatThrownBy(() -> str.start(state)).isInstanceOf(IllegalArgumentException.class)
          .hasMessage("the run starts at step 10, not before STR's freeze step 10 (0.5 of 20"
              + " steps)");
      assertThat(m.weightView()).isEmpty();
    }
  }

  @Test
  void theBareParameterStoreRefusesViewedParameters() {
    try (DjlModel m = linear(1); NDManager batch = m.manager().newSubManager();
        SoftThresholdReparametrization str = SoftThresholdReparametrization.builder()
            .optThresholdInit(-2).build()) {
      str.start(new HandState(m, TestBlocks.denseLayerWeights(m), 10));
      NDList x = new NDList(batch.ones(new Shape(1, IN)));
      assertThatThrownBy(() -> m.block().forward(m.parameterStore(), x, false))
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("must run through DjlModel.forward");
      // through DjlModel.forward the same pass works, on the viewed weights
      float[] viewed = m.forward(x, false).singletonOrThrow().toFloatArray();
      str.close();
      float[] plain = m.forward(x, false).singletonOrThrow().toFloatArray();
      assertThat(viewed).isNotEqualTo(plain);
    }
  }
}
