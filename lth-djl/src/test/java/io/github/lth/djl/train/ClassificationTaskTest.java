package io.github.lth.djl.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.djl.Device;
import ai.djl.ndarray.types.Shape;
import io.github.lth.core.Mask;
import io.github.lth.core.Metrics;
import io.github.lth.core.TrainingContext;
import io.github.lth.core.TrainingListener;
import io.github.lth.core.TrainingSummary;
import io.github.lth.core.Weights;
import io.github.lth.djl.DjlModel;
import io.github.lth.djl.TestBlocks;
import io.github.lth.djl.data.ImageDataset;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.DoubleSupplier;
import org.junit.jupiter.api.Test;

class ClassificationTaskTest {
  private static final ImageDataset TRAIN = TestBlocks.quarters("train", 240, 4, 1);
  private static final ImageDataset TEST = TestBlocks.quarters("test", 80, 4, 2);

  private static ClassificationTask.Builder base() {
    return ClassificationTask.builder().setTrainData(TRAIN).setTestData(TEST)
        .optValidation(0, 0);
  }

  @Test
  void smallMlpLearnsSeparableDataDenseAndHalfPruned() {
    try (ClassificationTask task = base().optEpochs(4).optBatchSize(20).optLearningRate(1e-2)
        .optNormalization(0.3f, 0.3f).build()) {
      for (boolean sparse : new boolean[] {false, true}) {
        try (DjlModel m = MaskedTrainingTest.mlp(21)) {
          Mask mask = sparse ? MaskedTrainingTest.halfMask(m, 22) : TestBlocks.denseLayerWeights(m);
          double before = task.evaluate(m).get("test_accuracy");
          TrainingSummary s = task.train(m, mask, new TrainingContext(0, 23, null));
          Metrics after = task.evaluate(m);
          assertThat(before).isLessThan(0.6);
          assertThat(after.get("test_accuracy")).as("sparse=%s", sparse).isGreaterThanOrEqualTo(0.95);
          assertThat(after.get("test_mean_class_accuracy")).isGreaterThanOrEqualTo(0.95);
          assertThat(after.get("test_loss")).isLessThan(0.3);
          assertThat(s.steps()).isEqualTo(48);
          assertThat(s.epochs()).isEqualTo(4);
          assertThat(s.finalLoss()).isLessThan(0.5);
        }
      }
    }
  }

  /** Logits of flatten → Linear → ReLU → Linear computed on the host in double. */
  private static double[] hostLogits(Weights w, byte[] pixels, int image) {
    float[] w1 = w.values("02Linear_weight");
    float[] b1 = w.values("02Linear_bias");
    float[] w2 = w.values("04Linear_weight");
    float[] b2 = w.values("04Linear_bias");
    int in = 16;
    int hidden = b1.length;
    double[] h = new double[hidden];
    for (int j = 0; j < hidden; j++) {
      double sum = b1[j];
      for (int i = 0; i < in; i++) {
        sum += w1[j * in + i] * ((pixels[image * in + i] & 0xFF) / 255.0);
      }
      h[j] = Math.max(0, sum);
    }
    double[] out = new double[b2.length];
    for (int c = 0; c < out.length; c++) {
      double sum = b2[c];
      for (int j = 0; j < hidden; j++) {
        sum += w2[c * hidden + j] * h[j];
      }
      out[c] = sum;
    }
    return out;
  }

  @Test
  void evaluateEqualsBruteForceHostComputation() {
    // 13 images of 3 classes, uneven support, evaluated in batches of 5
    ImageDataset tiny = TestBlocks.quarters("tiny", 13, 3, 31);
    int[] labels = tiny.labels();
    SplittableRandom rng = new SplittableRandom(32);
    for (int i = 0; i < labels.length; i++) {
      labels[i] = i < 7 ? 0 : rng.nextInt(3);
    }
    labels[12] = 2;
    labels[11] = 1;
    ImageDataset test = ImageDataset.of("tiny", tiny.pixels(), labels, 1, 4, 4, 4);
    try (ClassificationTask task = ClassificationTask.builder().setTrainData(TRAIN)
        .setTestData(test).optValidation(0, 0).optEvalBatchSize(5).build();
        DjlModel m = MaskedTrainingTest.mlp(33)) {
      Metrics got = task.evaluate(m);
      Weights w = m.state();
      byte[] pixels = test.pixels();
      long[] hits = new long[4];
      long[] support = new long[4];
      double loss = 0;
      for (int i = 0; i < test.size(); i++) {
        double[] z = hostLogits(w, pixels, i);
        int best = 0;
        double max = z[0];
        for (int c = 1; c < z.length; c++) {
          if (z[c] > max) {
            max = z[c];
            best = c;
          }
        }
        double sumExp = 0;
        for (double v : z) {
          sumExp += Math.exp(v - max);
        }
        loss += max + Math.log(sumExp) - z[labels[i]];
        support[labels[i]]++;
        hits[labels[i]] += best == labels[i] ? 1 : 0;
      }
      double accuracy = (double) (hits[0] + hits[1] + hits[2] + hits[3]) / test.size();
      double classMean = 0;
      int present = 0;
      for (int c = 0; c < 4; c++) {
        if (support[c] > 0) {
          classMean += (double) hits[c] / support[c];
          present++;
        }
      }
      classMean /= present;
      assertThat(present).isEqualTo(3);
      assertThat(got.names()).containsExactly("test_accuracy", "test_mean_class_accuracy",
          "test_loss");
      assertThat(got.get("test_accuracy")).isEqualTo(accuracy);
      assertThat(got.get("test_mean_class_accuracy")).isCloseTo(classMean, within(1e-12));
      assertThat(got.get("test_loss")).isCloseTo(loss / test.size(), within(1e-5));
      assertThat(accuracy).isNotEqualTo(classMean);
    }
  }

  @Test
  void stepsModeAndListenerSequence() {
    // 240 images, batch 100: epochs of 3 batches (100, 100, 40); 7 steps = 2 epochs + 1 step
    try (ClassificationTask task = base().optSteps(7).optBatchSize(100).build();
        DjlModel m = MaskedTrainingTest.mlp(41)) {
      List<String> events = new ArrayList<>();
      List<Double> losses = new ArrayList<>();
      DoubleSupplier[] kept = new DoubleSupplier[1];
      TrainingListener l = new TrainingListener() {
        @Override
        public void onTrainingStart(int epochs, long stepsPerEpoch) {
          events.add("start " + epochs + " " + stepsPerEpoch);
        }

        @Override
        public void onStep(long step, int epoch, long batch, DoubleSupplier loss) {
          events.add("step " + step + " " + epoch + " " + batch);
          losses.add(loss.getAsDouble());
          assertThat(loss.getAsDouble()).isEqualTo(losses.get(losses.size() - 1));
          kept[0] = loss;
        }

        @Override
        public void onEpochEnd(int epoch, long step) {
          events.add("epoch " + epoch + " " + step);
        }

        @Override
        public void onTrainingEnd(long steps) {
          events.add("end " + steps);
        }
      };
      TrainingSummary s = task.train(m, TestBlocks.denseLayerWeights(m),
          new TrainingContext(0, 42, l));
      assertThat(events).containsExactly("start 3 3", "step 1 0 0", "step 2 0 1", "step 3 0 2",
          "epoch 0 3", "step 4 1 0", "step 5 1 1", "step 6 1 2", "epoch 1 6", "step 7 2 0",
          "end 7");
      assertThat(s.steps()).isEqualTo(7);
      assertThat(s.epochs()).isEqualTo(2);
      assertThat(s.finalLoss()).isEqualTo((double) losses.get(6).floatValue());
      assertThat(losses).allSatisfy(v -> assertThat(v).isPositive().isFinite());
      // a loss read for the first time after its step is refused; one read during it is cached
      assertThat(kept[0].getAsDouble()).isEqualTo(losses.get(6));
    }
  }

  @Test
  void lossNotReadDuringStepCannotBeReadLater() {
    try (ClassificationTask task = base().optSteps(1).build();
        DjlModel m = MaskedTrainingTest.mlp(43)) {
      DoubleSupplier[] kept = new DoubleSupplier[1];
      task.train(m, TestBlocks.denseLayerWeights(m), new TrainingContext(0, 1,
          new TrainingListener() {
            @Override
            public void onStep(long step, int epoch, long batch, DoubleSupplier loss) {
              kept[0] = loss;
            }
          }));
      assertThatThrownBy(kept[0]::getAsDouble).isInstanceOf(IllegalStateException.class)
          .hasMessage("the loss of step 1 can only be read during onStep");
    }
  }

  @Test
  void validationIsAStratifiedSeededShareOfTheTrainingDataAndSelectionUsesIt() {
    try (ClassificationTask a = ClassificationTask.builder().setTrainData(TRAIN)
        .setTestData(TEST).optValidation(0.25, 7).optBatchSize(10).build();
        ClassificationTask b = ClassificationTask.builder().setTrainData(TRAIN)
            .setTestData(TEST).optValidation(0.25, 7).optBatchSize(10).build();
        ClassificationTask c = ClassificationTask.builder().setTrainData(TRAIN)
            .setTestData(TEST).optValidation(0.25, 8).optBatchSize(10).build();
        DjlModel m = MaskedTrainingTest.mlp(3)) {
      // 240 images, 60 per class: 15 per class held out, 180 trained on
      assertThat(a.settings()).containsEntry("train_size", 180).containsEntry("validation_size",
          60).containsEntry("test_size", 80);
      assertThat(a.stepsPerEpoch()).isEqualTo(18);
      assertThat(a.primaryMetric()).isEqualTo("val_accuracy");
      assertThat(a.settings().get("validation_fingerprint"))
          .isEqualTo(b.settings().get("validation_fingerprint"))
          .isNotEqualTo(c.settings().get("validation_fingerprint"))
          .isNotEqualTo(a.settings().get("train_fingerprint"))
          .isNotEqualTo(a.settings().get("test_fingerprint"));
      Metrics metrics = a.evaluate(m);
      assertThat(metrics.names()).containsExactly("val_accuracy", "val_mean_class_accuracy",
          "val_loss", "test_accuracy", "test_mean_class_accuracy", "test_loss");
    }
  }

  @Test
  void settingsListEverything() {
    try (ClassificationTask task = base().optEpochs(3).optBatchSize(32).optOptimizer("sgd")
        .optLearningRate(0.05).optMomentum(0.8).optWeightDecay(5e-4)
        .optLrSchedule(LrSchedules.parse("step:100:0.5")).build()) {
      assertThat(task.settings()).containsExactly(
          entry("task", "classification"), entry("epochs", 3), entry("batch_size", 32),
          entry("optimizer", "sgd"), entry("learning_rate", 0.05), entry("momentum", 0.8),
          entry("weight_decay", 5e-4), entry("lr_schedule", "step:100:0.5"),
          entry("normalization", "none"), entry("validation", 0.0),
          entry("validation_seed", 0L), entry("train_data", "train"),
          entry("train_size", 240), entry("train_fingerprint", TRAIN.fingerprint()),
          entry("test_data", "test"), entry("test_size", 80),
          entry("test_fingerprint", TEST.fingerprint()));
    }
    try (ClassificationTask task = base().optSteps(500).build()) {
      assertThat(task.settings()).containsEntry("steps", 500L).doesNotContainKey("epochs")
          .containsEntry("optimizer", "adam").containsEntry("learning_rate", 1.2e-3)
          .containsEntry("batch_size", 60).containsEntry("lr_schedule", "constant")
          .doesNotContainKey("momentum");
      assertThat(task.totalSteps()).isEqualTo(500);
      assertThat(task.stepsPerEpoch()).isEqualTo(4);
    }
  }

  private static java.util.Map.Entry<String, Object> entry(String k, Object v) {
    return java.util.Map.entry(k, v);
  }

  @Test
  void badSettingsAreRefusedWithOneLineMessages() {
    assertThatThrownBy(() -> base().optEpochs(0)).isInstanceOf(IllegalArgumentException.class)
        .hasMessage("epochs must be positive: 0");
    assertThatThrownBy(() -> base().optSteps(-3)).hasMessage("steps must be positive: -3");
    assertThatThrownBy(() -> base().optLearningRate(0))
        .hasMessage("learning rate must be positive: 0.0");
    assertThatThrownBy(() -> base().optBatchSize(0)).hasMessage("batch size must be positive: 0");
    assertThatThrownBy(() -> base().optOptimizer("rmsprop"))
        .hasMessage("optimizer: unknown optimizer 'rmsprop' (use adam, adamw, sgd or nesterov)");
    assertThatThrownBy(() -> base().optMomentum(1.0)).hasMessage("momentum must be in [0, 1): 1.0");
    assertThatThrownBy(() -> base().optMomentum(0.5).build())
        .hasMessage("momentum applies to sgd and nesterov only, not adam: 0.5");
    assertThatThrownBy(() -> base().optEpochs(2).optSteps(10).build())
        .hasMessage("epochs and steps exclude each other: 2 epochs, 10 steps");
    assertThatThrownBy(() -> ClassificationTask.builder().setTestData(TEST).build())
        .hasMessage("the task needs training data (setTrainData)");
    assertThatThrownBy(() -> base().setTestData(TestBlocks.quarters("three", 9, 3, 1)).build())
        .hasMessage("test data three has 3 classes, the training data train has 4");
    assertThatThrownBy(() -> LrSchedules.parse("linear"))
        .hasMessage("learning-rate schedule: unknown schedule 'linear' (use constant, cosine,"
            + " step:EVERY_STEPS:GAMMA, milestones:GAMMA:STEP1,STEP2,... or"
            + " warmup:STEPS:SCHEDULE)");
  }

  @Test
  void learningRateSchedules() {
    assertThat(LrSchedules.constant().factor(99, 100)).isEqualTo(1.0);
    assertThat(LrSchedules.cosine().factor(0, 100)).isEqualTo(1.0);
    assertThat(LrSchedules.cosine().factor(50, 100)).isCloseTo(0.5, within(1e-12));
    assertThat(LrSchedules.parse("step:10:0.5").factor(9, 100)).isEqualTo(1.0);
    assertThat(LrSchedules.parse("step:10:0.5").factor(25, 100)).isEqualTo(0.25);
    assertThat(LrSchedules.parse("cosine").spec()).isEqualTo("cosine");
  }

  @Test
  void fewerStepsThanAnEpochCompleteNoEpoch() {
    try (ClassificationTask task = base().optSteps(2).build();
        DjlModel m = DjlModel.create(TestBlocks.convNet(4), new Shape(1, 1, 4, 4), Device.cpu(),
            3)) {
      TrainingSummary s = task.train(m, TestBlocks.denseLayerWeights(m),
          new TrainingContext(0, 1, TrainingListener.NONE));
      assertThat(s.steps()).isEqualTo(2);
      assertThat(s.epochs()).isZero();
    }
  }
}
