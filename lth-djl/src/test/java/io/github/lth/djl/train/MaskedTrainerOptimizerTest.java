package io.github.lth.djl.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import io.github.lth.core.Mask;
import io.github.lth.djl.DjlModel;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The optimizers of {@link MaskedTrainer} against a plain-Java transcription of PyTorch's update
 * rules, and the mask rule (pruned weights +0.0, their optimizer state exactly 0) for each.
 */
class MaskedTrainerOptimizerTest {
  private static final String W1 = "02Linear_weight";
  private static final String B1 = "02Linear_bias";
  private static final String W2 = "04Linear_weight";
  private static final String B2 = "04Linear_bias";
  private static final long[] W1_SHAPE = {16, 16};
  private static final long[] W2_SHAPE = {4, 16};

  private static final List<OptimizerSpec> ALL = List.of(
      OptimizerSpec.adam(1e-2),
      OptimizerSpec.adam(1e-2).withWeightDecay(1e-2),
      OptimizerSpec.adamW(1e-2, 0.1),
      OptimizerSpec.sgd(0.1, 0),
      OptimizerSpec.sgd(0.1, 0).withWeightDecay(1e-2),
      OptimizerSpec.sgd(0.1, 0.9),
      OptimizerSpec.sgd(0.1, 0.9).withWeightDecay(1e-2),
      OptimizerSpec.sgd(0.1, 0.9).withNesterov(true),
      OptimizerSpec.sgd(0.1, 0.9).withWeightDecay(1e-2).withNesterov(true));

  /** Ten samples of 1×4×4 with labels, on the host; each use uploads them to a scope. */
  private record Batch(float[] x, long[] y) {
    static Batch random(long seed) {
      SplittableRandom rng = new SplittableRandom(seed);
      float[] x = new float[10 * 16];
      for (int i = 0; i < x.length; i++) {
        x[i] = (float) rng.nextDouble(-1, 1);
      }
      long[] y = new long[10];
      for (int i = 0; i < y.length; i++) {
        y[i] = rng.nextInt(4);
      }
      return new Batch(x, y);
    }

    NDArray loss(DjlModel m, NDManager scope) {
      NDArray in = scope.create(x, new Shape(10, 1, 4, 4));
      NDArray labels = scope.create(y);
      NDArray logits = m.forward(new NDList(in), true).singletonOrThrow();
      return logits.logSoftmax(1).gather(labels.reshape(-1, 1), 1).neg().mean();
    }
  }

  private static void step(MaskedTrainer t, DjlModel m, Batch b) {
    try (NDManager batch = m.manager().newSubManager()) {
      float loss = t.step(batch, () -> b.loss(m, batch)).getFloat();
      assertThat(loss).isFinite();
    }
  }

  /** Unmasked gradients of the loss at the model's current weights, without the trainer. */
  private static Map<String, float[]> gradients(DjlModel m, Batch b, List<String> names) {
    Map<String, float[]> out = new LinkedHashMap<>();
    try (NDManager tmp = m.manager().newSubManager()) {
      for (String n : names) {
        NDArray g = m.parameterArray(n).getGradient();
        g.attach(tmp);
        g.set(new NDIndex("..."), 0f);
      }
      try (GradientCollector c = Engine.getInstance().newGradientCollector()) {
        c.backward(b.loss(m, tmp));
      }
      for (String n : names) {
        NDArray g = m.parameterArray(n).getGradient();
        g.attach(tmp);
        out.put(n, g.toFloatArray());
      }
    }
    return out;
  }

  private static float[] host(DjlModel m, String name) {
    return m.parameterArray(name).toFloatArray();
  }

  private static float[] moment(MaskedTrainer t, String name, boolean second) {
    return (second ? t.secondMoment(name) : t.firstMoment(name)).orElseThrow().toFloatArray();
  }

  /** Asserts pruned weights are +0.0 and pruned optimizer state is +0 (bit patterns). */
  private static void assertPrunedZero(MaskedTrainer t, DjlModel m, Mask mask, OptimizerSpec spec,
      String when) {
    for (String layer : mask.layers()) {
      float[] w = host(m, layer);
      float[] first = t.firstMoment(layer).map(NDArray::toFloatArray).orElse(null);
      float[] second = t.secondMoment(layer).map(NDArray::toFloatArray).orElse(null);
      for (int i = 0; i < w.length; i++) {
        if (!mask.isKept(layer, i)) {
          String what = spec.name() + " wd " + spec.weightDecay() + " " + layer + "[" + i + "] "
              + when;
          assertThat(Float.floatToRawIntBits(w[i])).as("weight %s", what).isZero();
          if (first != null) {
            assertThat(Float.floatToRawIntBits(first[i])).as("first moment %s", what).isZero();
          }
          if (second != null) {
            assertThat(Float.floatToRawIntBits(second[i])).as("second moment %s", what).isZero();
          }
        }
      }
    }
  }

  @Test
  void everyOptimizerKeepsPrunedWeightsAndStateAtZero() {
    Batch data = Batch.random(1);
    for (OptimizerSpec spec : ALL) {
      try (DjlModel m = MaskedTrainingTest.mlp(7)) {
        Mask mask = MaskedTrainingTest.halfMask(m, 8);
        assertThat(mask.sparsity()).isBetween(0.4, 0.6);
        float[] before = host(m, W1);
        try (MaskedTrainer t = new MaskedTrainer(m, mask, spec, LrSchedules.cosine(), 30)) {
          for (int i = 1; i <= 12; i++) {
            step(t, m, data);
            assertPrunedZero(t, m, mask, spec, "after step " + i);
          }
          assertThat(t.steps()).isEqualTo(12);
          float[] after = host(m, W1);
          int moved = 0;
          for (int i = 0; i < after.length; i++) {
            moved += mask.isKept(W1, i) && after[i] != before[i] ? 1 : 0;
          }
          assertThat(moved).as(spec.toString()).isGreaterThan((int) mask.kept(W1) / 2);
          boolean stateful = spec.kind().isAdam() || spec.momentum() > 0;
          assertThat(t.firstMoment(W1).isPresent()).as(spec.toString()).isEqualTo(stateful);
          assertThat(t.secondMoment(W1).isPresent()).isEqualTo(spec.kind().isAdam());
        }
      }
    }
  }

  /** PyTorch's update rules in double precision, one parameter tensor at a time. */
  private static final class Reference {
    final OptimizerSpec spec;
    final Map<String, double[]> weights = new HashMap<>();
    final Map<String, double[]> first = new HashMap<>();
    final Map<String, double[]> second = new HashMap<>();
    long t;

    Reference(OptimizerSpec spec, DjlModel m, List<String> names) {
      this.spec = spec;
      for (String n : names) {
        float[] w = host(m, n);
        double[] d = new double[w.length];
        for (int i = 0; i < w.length; i++) {
          d[i] = w[i];
        }
        weights.put(n, d);
        first.put(n, new double[w.length]);
        second.put(n, new double[w.length]);
      }
    }

    void step(Map<String, float[]> gradients, Mask mask, double lr) {
      t++;
      double wd = spec.weightDecay();
      double mom = spec.momentum();
      for (Map.Entry<String, float[]> e : gradients.entrySet()) {
        String n = e.getKey();
        double[] w = weights.get(n);
        double[] m = first.get(n);
        double[] v = second.get(n);
        for (int i = 0; i < w.length; i++) {
          double g = mask.contains(n) && !mask.isKept(n, i) ? 0 : e.getValue()[i];
          switch (spec.kind()) {
            case ADAM, ADAMW -> {
              if (spec.kind() == OptimizerSpec.Kind.ADAMW) {
                w[i] *= 1 - lr * wd;
              } else {
                g += wd * w[i];
              }
              m[i] = OptimizerSpec.BETA1 * m[i] + (1 - OptimizerSpec.BETA1) * g;
              v[i] = OptimizerSpec.BETA2 * v[i] + (1 - OptimizerSpec.BETA2) * g * g;
              double c1 = 1 - Math.pow(OptimizerSpec.BETA1, t);
              double c2 = 1 - Math.pow(OptimizerSpec.BETA2, t);
              w[i] -= lr / c1 * m[i] / (Math.sqrt(v[i]) / Math.sqrt(c2) + OptimizerSpec.EPSILON);
            }
            case SGD, SGD_NESTEROV -> {
              double d = g + wd * w[i];
              if (mom > 0) {
                m[i] = t == 1 ? d : mom * m[i] + d;
                d = spec.nesterov() ? d + mom * m[i] : m[i];
              }
              w[i] -= lr * d;
            }
          }
        }
      }
    }
  }

  /**
   * Asserts {@code actual} is within {@code relative} of {@code expected}, plus
   * {@code ofLargest} times the largest |expected| of the tensor: sums of terms of both signs
   * (momentum buffers) lose float digits relative to their terms, not to their result.
   */
  private static void assertClose(float[] actual, double[] expected, double relative,
      double ofLargest, String what) {
    assertThat(actual).hasSize(expected.length);
    double largest = 0;
    for (double e : expected) {
      largest = Math.max(largest, Math.abs(e));
    }
    for (int i = 0; i < actual.length; i++) {
      double tolerance = relative * Math.abs(expected[i]) + ofLargest * largest;
      assertThat((double) actual[i]).as("%s[%s]", what, i).isCloseTo(expected[i],
          within(tolerance));
    }
  }

  @Test
  void everyOptimizerFollowsPyTorchsUpdateRules() {
    Batch data = Batch.random(2);
    for (OptimizerSpec spec : ALL) {
      try (DjlModel m = MaskedTrainingTest.mlp(3)) {
        // only the first layer is masked: the second runs the unmasked path
        Mask mask = Mask.builder().put(W1, W1_SHAPE,
            MaskedTrainingTest.halfMask(m, 4).toBooleans(W1)).build();
        m.applyMask(mask);
        // started at global step 5 of 20 with a cosine: the rate changes every step while the
        // bias correction counts from 1
        try (MaskedTrainer t = new MaskedTrainer(m, spec, LrSchedules.cosine(), 20, 5)) {
          List<String> names = t.trainableParameters();
          assertThat(names).containsExactly(W1, B1, W2, B2);
          Reference ref = new Reference(spec, m, names);
          for (int i = 0; i < 8; i++) {
            Map<String, float[]> g = gradients(m, data, names);
            double lr = t.learningRate();
            assertThat(lr).isCloseTo(spec.learningRate()
                * LrSchedules.cosine().factor(5 + i, 20), within(1e-15));
            step(t, m, data);
            ref.step(g, mask, lr);
            for (String n : names) {
              String what = spec.name() + " wd " + spec.weightDecay() + " step " + (i + 1)
                  + " " + n;
              assertClose(host(m, n), ref.weights.get(n), 1e-6, 1e-7, what);
              if (t.firstMoment(n).isPresent()) {
                assertClose(moment(t, n, false), ref.first.get(n), 1e-5, 1e-6, what + " m");
              }
              if (t.secondMoment(n).isPresent()) {
                assertClose(moment(t, n, true), ref.second.get(n), 1e-5, 1e-6, what + " v");
              }
            }
          }
          assertThat(t.steps()).isEqualTo(13);
        }
      }
    }
  }

  @Test
  void maskChangedZeroesNewlyPrunedStateAndGrowsFromZero() {
    Batch data = Batch.random(3);
    for (OptimizerSpec spec : List.of(OptimizerSpec.adam(1e-2),
        OptimizerSpec.sgd(0.1, 0.9).withWeightDecay(1e-3),
        OptimizerSpec.adamW(1e-2, 0.1))) {
      try (DjlModel m = MaskedTrainingTest.mlp(5)) {
        Mask first = MaskedTrainingTest.halfMask(m, 6);
        try (MaskedTrainer t = new MaskedTrainer(m, first, spec, LrSchedules.constant(), 100)) {
          for (int i = 0; i < 4; i++) {
            step(t, m, data);
          }
          // prune more: about half of the kept entries go
          Mask fewer = first.and(first.randomLike(9));
          assertThat(fewer.kept()).isLessThan(first.kept());
          m.applyMask(fewer);
          t.maskChanged();
          assertPrunedZero(t, m, fewer, spec, "after pruning more");
          for (int i = 0; i < 3; i++) {
            step(t, m, data);
            assertPrunedZero(t, m, fewer, spec, "after pruning more and a step");
          }
          // grow: everything the first mask pruned comes back
          Mask grown = fewer.or(first.not());
          Mask newcomers = grown.andNot(fewer);
          m.applyMask(grown);
          t.maskChanged();
          assertPrunedZero(t, m, grown, spec, "after growing");
          assertAllZero(t, m, newcomers, spec, "right after growing");
          for (int i = 0; i < 3; i++) {
            step(t, m, data);
          }
          for (String layer : newcomers.layers()) {
            float[] w = host(m, layer);
            float[] mo = moment(t, layer, false);
            int grew = 0;
            for (int i = 0; i < w.length; i++) {
              if (newcomers.isKept(layer, i) && w[i] != 0 && mo[i] != 0) {
                grew++;
              }
            }
            assertThat(grew).as("%s %s", spec.name(), layer)
                .isGreaterThan((int) newcomers.kept(layer) / 2);
          }
          assertPrunedZero(t, m, grown, spec, "after growing and steps");
        }
      }
    }
  }

  /** Asserts weights and state are +0 at the entries {@code where} keeps. */
  private static void assertAllZero(MaskedTrainer t, DjlModel m, Mask where, OptimizerSpec spec,
      String when) {
    assertPrunedZero(t, m, where.not(), spec, when);
  }

  @Test
  void parametersNewlyMaskedOrUnmaskedAreHandled() {
    Batch data = Batch.random(4);
    OptimizerSpec spec = OptimizerSpec.adam(1e-2);
    try (DjlModel m = MaskedTrainingTest.mlp(11)) {
      Mask both = MaskedTrainingTest.halfMask(m, 12);
      Mask onlyFirst = Mask.builder().put(W1, W1_SHAPE, both.toBooleans(W1)).build();
      Mask onlySecond = Mask.builder().put(W2, W2_SHAPE, both.toBooleans(W2)).build();
      m.applyMask(onlyFirst);
      try (MaskedTrainer t = new MaskedTrainer(m, spec, LrSchedules.constant(), 100, 0)) {
        step(t, m, data);
        // W2 becomes masked; no explicit maskChanged(): the step notices the new mask
        m.applyMask(both);
        step(t, m, data);
        assertPrunedZero(t, m, both, spec, "after W2 became masked");
        // W1 becomes unmasked: its pruned entries start from 0 and grow
        m.applyMask(onlySecond);
        t.maskChanged();
        Mask w1Pruned = Mask.builder().put(W1, W1_SHAPE, both.not().toBooleans(W1)).build();
        assertAllZero(t, m, w1Pruned, spec, "right after unmasking W1");
        for (int i = 0; i < 3; i++) {
          step(t, m, data);
        }
        float[] v = moment(t, W1, true);
        int grown = 0;
        for (int i = 0; i < v.length; i++) {
          grown += w1Pruned.isKept(W1, i) && v[i] > 0 ? 1 : 0;
        }
        assertThat(grown).isGreaterThan((int) w1Pruned.kept(W1) / 2);
        assertPrunedZero(t, m, onlySecond, spec, "after unmasking W1");
        // a mask that keeps W2 whole: W2 trains as if unmasked, its pruned entries from 0
        Mask whole = Mask.dense(Map.of(W2, W2_SHAPE));
        m.applyMask(whole);
        t.maskChanged();
        Mask w2Pruned = Mask.builder().put(W2, W2_SHAPE, both.not().toBooleans(W2)).build();
        assertAllZero(t, m, w2Pruned, spec, "right after keeping W2 whole");
        for (int i = 0; i < 3; i++) {
          step(t, m, data);
        }
        float[] w2 = host(m, W2);
        int moved = 0;
        for (int i = 0; i < w2.length; i++) {
          moved += w2Pruned.isKept(W2, i) && w2[i] != 0 ? 1 : 0;
        }
        assertThat(moved).isGreaterThan((int) w2Pruned.kept(W2) / 2);
      }
    }
  }

  @Test
  void frozenParametersAreNeverWrittenAndHaveNoState() {
    Batch data = Batch.random(5);
    for (OptimizerSpec spec : List.of(OptimizerSpec.adamW(1e-2, 0.1),
        OptimizerSpec.sgd(0.1, 0.9).withWeightDecay(1e-2))) {
      try (DjlModel m = MaskedTrainingTest.mlp(13)) {
        Mask mask = MaskedTrainingTest.halfMask(m, 14);
        m.parameterArray(W2).setRequiresGradient(false);
        m.parameterArray(B1).setRequiresGradient(false);
        try (MaskedTrainer t = new MaskedTrainer(m, mask, spec, LrSchedules.constant(), 10)) {
          float[] w2 = host(m, W2);
          float[] b1 = host(m, B1);
          float[] w1 = host(m, W1);
          assertThat(t.trainableParameters()).containsExactly(W1, B2);
          for (int i = 0; i < 5; i++) {
            step(t, m, data);
          }
          assertThat(bits(host(m, W2))).isEqualTo(bits(w2));
          assertThat(bits(host(m, B1))).isEqualTo(bits(b1));
          assertThat(bits(host(m, W1))).isNotEqualTo(bits(w1));
          assertThat(t.firstMoment(W2)).isEmpty();
          assertThat(t.secondMoment(B1)).isEmpty();
          assertPrunedZero(t, m, mask, spec, "with frozen parameters");
        }
      }
    }
  }

  private static int[] bits(float[] values) {
    int[] b = new int[values.length];
    for (int i = 0; i < b.length; i++) {
      b[i] = Float.floatToRawIntBits(values[i]);
    }
    return b;
  }

  @Test
  void startStepMovesTheScheduleNotTheStepCount() {
    Batch data = Batch.random(6);
    LrSchedule schedule = LrSchedules.warmup(10, LrSchedules.milestones(0.1, 41));
    try (DjlModel m = MaskedTrainingTest.mlp(15)) {
      m.applyMask(MaskedTrainingTest.halfMask(m, 16));
      try (MaskedTrainer t = new MaskedTrainer(m, OptimizerSpec.sgd(0.5, 0.9), schedule, 100,
          40)) {
        assertThat(t.steps()).isEqualTo(40);
        assertThat(t.learningRate()).isEqualTo(0.5);
        step(t, m, data);
        assertThat(t.steps()).isEqualTo(41);
        assertThat(t.learningRate()).isCloseTo(0.05, within(1e-15));
      }
      try (MaskedTrainer t = new MaskedTrainer(m, OptimizerSpec.adam(1e-3), schedule, 100, 0)) {
        assertThat(t.learningRate()).isCloseTo(1e-4, within(1e-18));
      }
    }
    try (DjlModel m = MaskedTrainingTest.mlp(15)) {
      assertThatThrownBy(() -> new MaskedTrainer(m, OptimizerSpec.adam(1e-3), schedule, 100, 101))
          .hasMessage("startStep must be in [0, totalSteps = 100]: 101");
      assertThatThrownBy(() -> new MaskedTrainer(m, OptimizerSpec.adam(1e-3), schedule, 100, -1))
          .hasMessage("startStep must be in [0, totalSteps = 100]: -1");
    }
  }

  @Test
  void denseGradientIsTheUnmaskedGradientOfTheStep() {
    Batch data = Batch.random(7);
    try (DjlModel m = MaskedTrainingTest.mlp(17)) {
      Mask mask = MaskedTrainingTest.halfMask(m, 18);
      try (MaskedTrainer t = new MaskedTrainer(m, mask, OptimizerSpec.adam(1e-2),
          LrSchedules.constant(), 10)) {
        step(t, m, data);
        assertThat(t.denseGradient(W1)).isEmpty();
        Map<String, float[]> expected = gradients(m, data, t.trainableParameters());
        t.keepDenseGradients(true);
        step(t, m, data);
        for (String n : t.trainableParameters()) {
          float[] dense = t.denseGradient(n).orElseThrow().toFloatArray();
          float[] e = expected.get(n);
          int prunedNonZero = 0;
          for (int i = 0; i < e.length; i++) {
            assertThat(dense[i]).as("%s[%s]", n, i).isCloseTo(e[i],
                within(1e-6f * Math.abs(e[i]) + 1e-9f));
            prunedNonZero += mask.contains(n) && !mask.isKept(n, i) && dense[i] != 0 ? 1 : 0;
          }
          if (mask.contains(n)) {
            assertThat(prunedNonZero).as(n).isPositive();
          }
        }
        // the gradient arrays themselves hold the masked gradient
        try (NDManager tmp = m.manager().newSubManager()) {
          NDArray g = m.parameterArray(W1).getGradient();
          g.attach(tmp);
          float[] masked = g.toFloatArray();
          for (int i = 0; i < masked.length; i++) {
            if (!mask.isKept(W1, i)) {
              assertThat(masked[i]).isEqualTo(0f);
            }
          }
        }
        step(t, m, data);
        assertThat(t.denseGradient(W1)).isEmpty();
      }
    }
  }

  @Test
  void optimizerSpecNamesAndErrors() {
    assertThat(OptimizerSpec.kindOf("ADAM")).isEqualTo(OptimizerSpec.Kind.ADAM);
    assertThat(OptimizerSpec.kindOf("adamw")).isEqualTo(OptimizerSpec.Kind.ADAMW);
    assertThat(OptimizerSpec.kindOf(" sgd ")).isEqualTo(OptimizerSpec.Kind.SGD);
    assertThat(OptimizerSpec.kindOf("sgd-nesterov")).isEqualTo(OptimizerSpec.Kind.SGD_NESTEROV);
    assertThat(OptimizerSpec.kindOf("nesterov")).isEqualTo(OptimizerSpec.Kind.SGD_NESTEROV);
    for (OptimizerSpec s : ALL) {
      assertThat(OptimizerSpec.kindOf(s.name())).isEqualTo(s.kind());
    }
    OptimizerSpec n = OptimizerSpec.sgd(0.1, 0.9).withNesterov(true);
    assertThat(n.name()).isEqualTo("sgd-nesterov");
    assertThat(n.nesterov()).isTrue();
    assertThat(n.withNesterov(false)).isEqualTo(OptimizerSpec.sgd(0.1, 0.9));
    assertThat(OptimizerSpec.adamW(1e-3, 0.01).weightDecay()).isEqualTo(0.01);
    assertThatThrownBy(() -> OptimizerSpec.sgd(0.1, 0).withNesterov(true))
        .hasMessage("momentum must be positive for sgd-nesterov: 0.0");
    assertThatThrownBy(() -> OptimizerSpec.adam(0.1).withNesterov(true))
        .hasMessage("nesterov applies to sgd only, not adam");
    assertThatThrownBy(() -> OptimizerSpec.adam(-1)).hasMessage("learning rate must be positive: -1.0");
    assertThatThrownBy(() -> OptimizerSpec.sgd(0.1, 1))
        .hasMessage("momentum must be in [0, 1): 1.0");
    assertThatThrownBy(() -> OptimizerSpec.adamW(0.1, -1))
        .hasMessage("weight decay must not be negative: -1.0");
    assertThatThrownBy(() -> OptimizerSpec.kindOf("rmsprop"))
        .hasMessageStartingWith("optimizer: unknown optimizer 'rmsprop'");
  }

  @Test
  void anInactiveHeadGetsNoOptimizerStateAndKeepsItsWeights() {
    io.github.lth.djl.models.HeadedBlock block = new io.github.lth.djl.models.HeadedBlock(
        new ai.djl.nn.SequentialBlock().add(ai.djl.nn.Blocks.batchFlattenBlock())
            .add(ai.djl.nn.core.Linear.builder().setUnits(8).build()))
        .addHead("a", ai.djl.nn.core.Linear.builder().setUnits(4).build())
        .addHead("b", ai.djl.nn.core.Linear.builder().setUnits(3).build());
    try (DjlModel m = DjlModel.create(block, new Shape(1, 1, 4, 4), ai.djl.Device.cpu(), 1)) {
      var before = m.weights(List.of("b_weight", "b_bias"));
      try (MaskedTrainer t = new MaskedTrainer(m, OptimizerSpec.adamW(1e-2, 0.1),
          LrSchedules.constant(), 10, 0)) {
        assertThat(t.trainableParameters()).doesNotContain("b_weight", "b_bias")
            .contains("a_weight", "a_bias");
        try (NDManager batch = m.manager().newSubManager()) {
          NDArray x = batch.randomUniform(0, 1, new Shape(5, 1, 4, 4));
          t.step(batch, () -> m.forward(new NDList(x), true).singletonOrThrow().square().mean());
        }
      }
      // decoupled weight decay would have shrunk them had the head been a slot
      assertThat(m.weights(List.of("b_weight", "b_bias"))).isEqualTo(before);
    }
  }
}
