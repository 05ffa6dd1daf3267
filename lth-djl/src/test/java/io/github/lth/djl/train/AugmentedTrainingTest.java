package io.github.lth.djl.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.Device;
import ai.djl.ndarray.types.Shape;
import io.github.lth.core.Metrics;
import io.github.lth.core.TrainingContext;
import io.github.lth.core.TrainingListener;
import io.github.lth.core.TrainingSummary;
import io.github.lth.core.Weights;
import io.github.lth.djl.DjlModel;
import io.github.lth.djl.TestBlocks;
import io.github.lth.djl.data.Augmentation;
import io.github.lth.djl.data.DataSources;
import io.github.lth.djl.data.ImageDataset;
import io.github.lth.djl.data.TrainTestSplit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** {@link ClassificationTask#builder()}{@code .optAugmentation}: settings and training. */
class AugmentedTrainingTest {
  private static final ImageDataset TRAIN = TestBlocks.quarters("train", 240, 4, 1);
  private static final ImageDataset TEST = TestBlocks.quarters("test", 80, 4, 2);

  @Test
  void settingsAreUnchangedWithoutAugmentationAndNameItsSpecWhenOn() {
    try (ClassificationTask plain = ClassificationTask.builder().setTrainData(TRAIN)
            .setTestData(TEST).build();
        ClassificationTask none = ClassificationTask.builder().setTrainData(TRAIN)
            .setTestData(TEST).optAugmentation(Augmentation.none()).build();
        ClassificationTask augmented = ClassificationTask.builder().setTrainData(TRAIN)
            .setTestData(TEST).optAugmentation(Augmentation.cropAndFlip(1)).build()) {
      assertThat(none.settings()).isEqualTo(plain.settings()).doesNotContainKey("augmentation");
      assertThat(List.copyOf(none.settings().keySet()))
          .isEqualTo(List.copyOf(plain.settings().keySet()));
      assertThat(augmented.settings()).containsEntry("augmentation", "crop:1,flip");
      // the same settings otherwise, the new key after the task's own ones
      Map<String, Object> expected = new LinkedHashMap<>();
      plain.settings().forEach((k, v) -> {
        expected.put(k, v);
        if (k.equals("validation_seed")) {
          expected.put("augmentation", "crop:1,flip");
        }
      });
      assertThat(List.copyOf(augmented.settings().entrySet()))
          .isEqualTo(List.copyOf(expected.entrySet()));
      assertThat(augmented.trainingTask().loop().trainData().augmentation())
          .isEqualTo(Augmentation.cropAndFlip(1));
    }
    assertThatThrownBy(() -> ClassificationTask.builder().optAugmentation(null))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("Augmentation.none()");
  }

  /**
   * An MLP on 400 images of the embedded Fashion-MNIST sample with the standard augmentation:
   * it learns, the same seed gives bit-identical weights, the weights differ from training
   * without augmentation (so the augmentation reached the batches), and evaluation is the same
   * as the plain task's (validation and test data are never augmented).
   */
  @Test
  void augmentedTrainingOnTheEmbeddedSampleLearnsReproduciblyAndEvaluatesUnaugmented() {
    TrainTestSplit data = DataSources.embedded();
    ImageDataset train = data.train().samplePerClass(40, 3);
    ImageDataset test = data.test().samplePerClass(20, 3);
    List<Weights> augmentedRuns = new ArrayList<>();
    try (ClassificationTask augmented = fashionTask(train, test, Augmentation.cropAndFlip(2));
        ClassificationTask plain = fashionTask(train, test, Augmentation.none())) {
      for (int run = 0; run < 2; run++) {
        try (DjlModel m = mlp()) {
          Metrics before = augmented.evaluate(m);
          TrainingSummary s = augmented.train(m, TestBlocks.denseLayerWeights(m),
              new TrainingContext(0, 31, TrainingListener.NONE));
          Metrics after = augmented.evaluate(m);
          assertThat(s.steps()).isEqualTo(40);
          assertThat(s.finalLoss()).isFinite().isLessThan(before.get("val_loss"));
          assertThat(after.get("val_loss")).isLessThan(before.get("val_loss"));
          assertThat(after.get("test_accuracy")).isGreaterThan(0.5);
          assertThat(after).isEqualTo(plain.evaluate(m));
          augmentedRuns.add(m.state());
        }
      }
      try (DjlModel m = mlp()) {
        plain.train(m, TestBlocks.denseLayerWeights(m),
            new TrainingContext(0, 31, TrainingListener.NONE));
        assertThat(m.state()).isNotEqualTo(augmentedRuns.get(0));
      }
    }
    assertThat(augmentedRuns.get(1)).isEqualTo(augmentedRuns.get(0));
  }

  private static ClassificationTask fashionTask(ImageDataset train, ImageDataset test,
      Augmentation augmentation) {
    return ClassificationTask.builder().setTrainData(train).setTestData(test)
        .optValidation(0.1, 5).optNormalization(0.2860f, 0.3530f).optEpochs(4).optBatchSize(36)
        .optAugmentation(augmentation).build();
  }

  private static DjlModel mlp() {
    return DjlModel.create(TestBlocks.mlp(64, 10), new Shape(1, 1, 28, 28), Device.cpu(), 7);
  }
}
