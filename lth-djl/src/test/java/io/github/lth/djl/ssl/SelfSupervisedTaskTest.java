package io.github.lth.djl.ssl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.github.lth.core.Metrics;
import io.github.lth.core.SparsityControllers;
import io.github.lth.core.TrainingContext;
import io.github.lth.core.TrainingListener;
import io.github.lth.core.Weights;
import io.github.lth.djl.DjlModel;
import io.github.lth.djl.TestBlocks;
import io.github.lth.djl.data.DataSources;
import io.github.lth.djl.data.ImageDataset;
import io.github.lth.djl.data.Shuffle;
import io.github.lth.djl.data.TrainTestSplit;
import io.github.lth.djl.models.Models;
import io.github.lth.djl.train.OptimizerSpec;
import java.io.IOException;
import java.util.HashSet;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class SelfSupervisedTaskTest {
  static TrainTestSplit data;

  @BeforeAll
  static void load() throws IOException {
    TrainTestSplit all = DataSources.load("embedded");
    data = new TrainTestSplit(all.train().samplePerClass(60, 1), all.test().samplePerClass(20, 1));
  }

  private static SelfSupervisedTask task(Pretext pretext, int epochs, int batch) {
    return SelfSupervisedTask.builder().setPretext(pretext).setTrainData(data.train())
        .setTestData(data.test()).optValidation(0.1, 3).optEpochs(epochs).optBatchSize(batch)
        .optOptimizer(OptimizerSpec.adam(1e-3)).build();
  }

  private static DjlModel model(SelfSupervisedTask task, long seed) {
    return DjlModel.create(task.attachHead(Models.lenet300(10)), new Shape(1, 1, 28, 28),
        Device.cpu(), seed);
  }

  private static Metrics trainAndEvaluate(SelfSupervisedTask task, DjlModel m, long seed) {
    task.train(m, SparsityControllers.fixed(TestBlocks.dense(m.parameters())),
        new TrainingContext(0, seed, TrainingListener.NONE));
    return task.evaluate(m);
  }

  @Test
  void rotnetLearnsTheRotationWellAboveChance() {
    try (SelfSupervisedTask task = task(Pretext.parse("rotnet"), 3, 30);
        DjlModel m = model(task, 1)) {
      assertThat(task.primaryMetric()).isEqualTo("val_rotation_accuracy");
      Metrics before = task.evaluate(m);
      Metrics after = trainAndEvaluate(task, m, 7);
      assertThat(after.asMap()).containsOnlyKeys("val_rotation_accuracy", "val_rotation_loss",
          "test_rotation_accuracy", "test_rotation_loss");
      // chance is 0.25; Fashion-MNIST items have an upright pose that is easy to learn
      assertThat(after.get("val_rotation_accuracy")).isGreaterThan(0.6);
      assertThat(after.get("test_rotation_loss")).isLessThan(before.get("test_rotation_loss"));
    }
  }

  @Test
  void simclrRetrievalIsWellAboveChanceAndRunsAreRepeatable() {
    Pretext simclr = Pretext.parse("simclr").withEmbeddingDimension(32);
    Weights first;
    Metrics firstMetrics;
    Metrics untrained;
    try (SelfSupervisedTask task = task(simclr, 2, 32); DjlModel m = model(task, 2)) {
      untrained = task.evaluate(m);
      firstMetrics = trainAndEvaluate(task, m, 11);
      first = m.state();
    }
    // chance for groups of 32 images (64 views) is 1/63
    assertThat(firstMetrics.get("val_retrieval_accuracy")).isGreaterThan(5.0 / 63)
        .isGreaterThan(untrained.get("val_retrieval_accuracy") + 0.03);
    assertThat(firstMetrics.get("val_nt_xent_loss"))
        .isLessThan(untrained.get("val_nt_xent_loss"));
    assertThat(firstMetrics.asMap()).containsKeys("test_retrieval_accuracy", "val_nt_xent_loss");
    try (SelfSupervisedTask task = task(simclr, 2, 32); DjlModel m = model(task, 2)) {
      Metrics again = trainAndEvaluate(task, m, 11);
      assertThat(again).isEqualTo(firstMetrics);
      assertThat(m.state()).isEqualTo(first);
    }
  }

  @Test
  void exemplarClassifiesEveryTrainingImageAndMeasuresFeatureRetrieval() {
    try (SelfSupervisedTask task = task(Pretext.parse("exemplar"), 1, 30);
        DjlModel m = model(task, 3)) {
      assertThat(m.parameters().stream().filter(p -> p.name().equals("exemplar_weight"))
          .findFirst().orElseThrow().shape()).containsExactly(540, 100);   // 600 minus 10 %
      Metrics after = trainAndEvaluate(task, m, 5);
      assertThat(after.asMap()).containsOnlyKeys("val_retrieval_accuracy",
          "test_retrieval_accuracy");
      assertThat(after.get("test_retrieval_accuracy")).isBetween(1.0 / 59, 1.0);
    }
  }

  @Test
  void npidUpdatesExactlyTheBankRowsOfTheBatchAndKeepsThemUnit() {
    int batch = 20;
    long seed = 13;
    try (SelfSupervisedTask task = SelfSupervisedTask.builder()
        .setPretext(Pretext.parse("npid").withEmbeddingDimension(16)).setTrainData(data.train())
        .setTestData(data.test()).optValidation(0.1, 3).optSteps(1).optBatchSize(batch).build();
        DjlModel m = model(task, 4)) {
      NpidObjective npid = (NpidObjective) task.trainingTask().objective();
      trainAndEvaluate(task, m, seed);
      float[] after = npid.memoryBank(m.manager()).orElseThrow().toFloatArray();
      npid.beginTraining(m, new TrainingContext(0, seed, TrainingListener.NONE));
      NDArray start = npid.memoryBank(m.manager()).orElseThrow();
      assertThat(start.getShape()).isEqualTo(new Shape(540, 16));
      float[] before = start.toFloatArray();
      Set<Integer> changed = new HashSet<>();
      for (int row = 0; row < 540; row++) {
        double norm = 0;
        for (int j = 0; j < 16; j++) {
          norm += after[row * 16 + j] * after[row * 16 + j];
          if (after[row * 16 + j] != before[row * 16 + j]) {
            changed.add(row);
          }
        }
        assertThat(norm).isCloseTo(1.0, within(1e-5));
      }
      // the first batch of epoch 0 is the first 20 positions of the run seed's permutation
      int[] order = Shuffle.order(540, new SplittableRandom(seed));
      Set<Integer> expected = new HashSet<>();
      for (int k = 0; k < batch; k++) {
        expected.add(order[k]);
      }
      assertThat(changed).isEqualTo(expected);
    }
  }

  @Test
  void npidMovesEachBatchRowTowardsItsImagesEmbeddingByTheMomentum() {
    int batch = 10;
    long seed = 21;
    double momentum = 0.7;
    Pretext npid = Pretext.parse("npid").withEmbeddingDimension(8).withViews(Views.none())
        .withMemoryMomentum(momentum);
    try (SelfSupervisedTask task = SelfSupervisedTask.builder().setPretext(npid)
        .setTrainData(data.train()).setTestData(data.test()).optValidation(0.1, 3).optSteps(1)
        .optBatchSize(batch).build();
        DjlModel m = model(task, 8);
        NDManager scratch = m.manager().newSubManager()) {
      NpidObjective objective = (NpidObjective) task.trainingTask().objective();
      Weights initial = m.state();
      objective.beginTraining(m, new TrainingContext(0, seed, TrainingListener.NONE));
      float[] bank0 = objective.memoryBank(scratch).orElseThrow().toFloatArray();
      trainAndEvaluate(task, m, seed);
      float[] bank1 = objective.memoryBank(scratch).orElseThrow().toFloatArray();
      // the step's embeddings come from the weights before the step; LeNet has no batch norm
      // or dropout, so a forward pass without training gives them
      m.load(initial);
      ImageDataset train = data.train().splitValidation(0.1, 3).train();
      int[] order = Shuffle.order(train.size(), new SplittableRandom(seed));
      byte[] pixels = train.pixels();
      float[] images = new float[batch * 784];
      for (int k = 0; k < batch; k++) {
        for (int j = 0; j < 784; j++) {
          images[k * 784 + j] = (pixels[order[k] * 784 + j] & 0xFF) / 255f;
        }
      }
      float[] f = Contrastive.normalizeRows(m.forward(new NDList(scratch.create(images,
          new Shape(batch, 1, 28, 28))), false).singletonOrThrow()).toFloatArray();
      for (int k = 0; k < batch; k++) {
        int row = order[k];
        double[] mixed = new double[8];
        double norm = 0;
        for (int j = 0; j < 8; j++) {
          mixed[j] = momentum * bank0[row * 8 + j] + (1 - momentum) * f[k * 8 + j];
          norm += mixed[j] * mixed[j];
        }
        for (int j = 0; j < 8; j++) {
          assertThat((double) bank1[row * 8 + j]).isCloseTo(mixed[j] / Math.sqrt(norm),
              within(1e-5));
        }
      }
    }
  }

  @Test
  void s4lTrainsTheClassifierOnTheLabelledImagesBesideTheRotation() {
    try (SelfSupervisedTask task = task(Pretext.parse("s4l").withLabelled(0.2, false), 4, 30);
        DjlModel m = model(task, 5)) {
      assertThat(task.primaryMetric()).isEqualTo("val_accuracy");
      Metrics after = trainAndEvaluate(task, m, 3);
      assertThat(after.asMap()).containsKeys("val_accuracy", "val_mean_class_accuracy",
          "val_loss", "val_rotation_accuracy", "test_accuracy", "test_rotation_accuracy");
      assertThat(after.get("val_accuracy")).isGreaterThan(0.4);            // chance 0.1
      assertThat(after.get("val_rotation_accuracy")).isGreaterThan(0.4);   // chance 0.25
      assertThat(m.activeHead()).contains("fc3");
    }
  }

  /** Device arrays under the model after training {@code steps} steps. */
  private static int liveArraysAfter(Pretext pretext, long steps) {
    try (SelfSupervisedTask task = SelfSupervisedTask.builder().setPretext(pretext)
        .setTrainData(data.train()).setTestData(data.test()).optValidation(0.1, 3)
        .optSteps(steps).optBatchSize(20).build();
        DjlModel m = model(task, 6)) {
      trainAndEvaluate(task, m, 1);
      return m.manager().getManagedArrays().size();
    }
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"rotnet", "simclr", "exemplar", "npid", "s4l"})
  void aStepLeavesNoArrayBehindOnTheModel(String name) {
    // the objectives' state (NPID's bank, S4L's label table) is there after 2 steps as after 9
    assertThat(liveArraysAfter(Pretext.parse(name), 9))
        .isEqualTo(liveArraysAfter(Pretext.parse(name), 2));
  }

  @Test
  void simclrRefusesALastBatchOfOneImage() {
    // 540 training images in batches of 7 leave one image for the last batch
    assertThatThrownBy(() -> task(Pretext.parse("simclr"), 1, 7)).hasMessage("batch size:"
        + " simclr pairs images within a batch, and 540 training images in batches of 7 leave"
        + " a last batch of one; choose another batch size");
  }

  @Test
  void badInputIsRefusedWithTheReason() {
    ImageDataset wide = ImageDataset.of("wide", new byte[2 * 28 * 32], new int[] {0, 1}, 1, 28,
        32, 2);
    assertThatThrownBy(() -> SelfSupervisedTask.builder().setPretext(Pretext.parse("rotnet"))
        .setTrainData(wide).setTestData(wide).optValidation(0, 0).build())
        .hasMessage("data set wide has 28x32 images; rotnet rotates images by 90 degrees and"
            + " needs square images");
    assertThatThrownBy(() -> SelfSupervisedTask.builder().setPretext(Pretext.parse("simclr"))
        .setTrainData(data.train()).setTestData(data.test()).optBatchSize(1).build())
        .hasMessage("batch size: simclr needs at least 2 images per batch, got 1");
    assertThatThrownBy(() -> SelfSupervisedTask.builder().setTrainData(data.train())
        .setTestData(data.test()).build())
        .hasMessage("the task needs a pretext (setPretext)");
  }
}
