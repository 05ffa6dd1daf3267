package io.github.lth.djl.train;

import static com.google.common.base.Preconditions.checkArgument;

import io.github.lth.djl.data.BatchSource;
import io.github.lth.djl.data.BatchSources;
import io.github.lth.djl.data.ImageBatches;
import io.github.lth.djl.data.ImageDataset;
import io.github.lth.djl.data.ValidationSplit;
import java.util.List;

/**
 * The images of a task built on in-memory image sets: the training images less a held-out
 * validation part, the test images, and the normalisation of all three. It checks that the sets
 * fit together, makes the split, and gives a {@link TrainingTask.Builder} its batch sources and
 * the data settings ({@code normalization}, {@code validation}, {@code validation_seed}), the same
 * way for {@link ClassificationTask} and the self-supervised tasks.
 *
 * <pre>{@code
 * ImageTaskData data = ImageTaskData.split(train, test, 0.1, seed, 0f, 0f);
 * data.configure(taskBuilder, data.batches(data.trainPart()));
 * }</pre>
 */
public final class ImageTaskData {
  private final ImageDataset trainPart;
  private final ImageDataset validationPart;
  private final ImageDataset test;
  private final float mean;
  private final float std;
  private final double validation;
  private final long validationSeed;

  private ImageTaskData(ImageDataset trainPart, ImageDataset validationPart, ImageDataset test,
      float mean, float std, double validation, long validationSeed) {
    this.trainPart = trainPart;
    this.validationPart = validationPart;
    this.test = test;
    this.mean = mean;
    this.std = std;
    this.validation = validation;
    this.validationSeed = validationSeed;
  }

  /**
   * Checks the sets and holds out {@code validation} of the training images (stratified by class,
   * drawn with {@code seed}; 0 holds out none).
   *
   * @param std 0 for no normalisation, else pixels become {@code (x − mean) / std}
   * @throws IllegalArgumentException if a set is missing or empty, or the test images differ in
   *     shape from the training images
   */
  public static ImageTaskData split(ImageDataset train, ImageDataset test, double validation,
      long seed, float mean, float std) {
    checkArgument(train != null, "the task needs training data (setTrainData)");
    checkArgument(test != null, "the task needs test data (setTestData)");
    checkArgument(train.size() > 0, "data set %s is empty", train.name());
    checkArgument(test.size() > 0, "data set %s is empty", test.name());
    checkArgument(train.channels() == test.channels() && train.height() == test.height()
        && train.width() == test.width(),
        "test data %s has %sx%sx%s images, the training data %s has %sx%sx%s", test.name(),
        test.channels(), test.height(), test.width(), train.name(), train.channels(),
        train.height(), train.width());
    if (validation == 0) {
      return new ImageTaskData(train, null, test, mean, std, validation, seed);
    }
    ValidationSplit<ImageDataset> split = train.splitValidation(validation, seed);
    return new ImageTaskData(split.train(), split.validation(), test, mean, std, validation,
        seed);
  }

  /** The training images that remain after the validation part is held out. */
  public ImageDataset trainPart() {
    return trainPart;
  }

  /** {@code images} as normalised batches on the device. */
  public ImageBatches batches(ImageDataset images) {
    return BatchSources.of(images, mean, std);
  }

  /**
   * Sets {@code trainData} (made from {@link #trainPart()}, maybe augmented or indexed), the
   * validation and test batches and the data settings on {@code task}.
   */
  public TrainingTask.Builder configure(TrainingTask.Builder task, BatchSource trainData) {
    task.setTrainData(trainData)
        .optTestData(batches(test))
        .optSetting("normalization", std == 0 ? "none" : List.of((double) mean, (double) std))
        .optSetting("validation", validation)
        .optSetting("validation_seed", validationSeed);
    if (validationPart != null) {
      task.optValidationData(batches(validationPart));
    }
    return task;
  }
}
