package io.github.lth.cli;

import static com.google.common.base.Preconditions.checkArgument;

import ai.djl.Device;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import com.google.gson.JsonObject;
import io.github.lth.djl.DjlModel;
import io.github.lth.djl.data.Augmentation;
import io.github.lth.djl.data.DataSources;
import io.github.lth.djl.data.ImageDataset;
import io.github.lth.djl.data.TrainTestSplit;
import io.github.lth.djl.models.Models;
import io.github.lth.djl.train.ClassificationTask;
import io.github.lth.djl.train.LrSchedules;
import java.io.IOException;
import java.nio.file.Path;

/**
 * The image-classification setting of an {@code lth imp} run — data, model and training — from
 * the command line's flags or from a run's config.json, so commands that continue a run
 * ({@code lth branch}) train exactly what {@code lth imp} trained.
 *
 * <pre>{@code
 * ClassificationSetup setup = ClassificationSetup.fromRun(storedRun.settings(), runDir);
 * TrainTestSplit split = setup.loadData();
 * try (ClassificationTask task = setup.task(split); DjlModel net = setup.model(split, device)) {
 *   ...
 * }
 * }</pre>
 *
 * @param epochs epochs per round, or null when {@code steps} is given
 * @param steps steps per round, or null when {@code epochs} is given
 * @param learningRate null for the optimizer's default
 * @param momentum null for the optimizer's default
 * @param augmentation training-image augmentation, {@link Augmentation#parse} syntax
 */
record ClassificationSetup(String data, String model, Integer epochs, Long steps, int batchSize,
    String optimizer, Double learningRate, Double momentum, double weightDecay, String lrSchedule,
    double validation, long seed, String augmentation) {

  ClassificationSetup {
    checkArgument(epochs == null || epochs > 0, "epochs must be positive: %s", epochs);
    checkArgument(steps == null || steps > 0, "steps must be positive: %s", steps);
    checkArgument(epochs == null || steps == null, "--epochs and --steps exclude each other");
    checkArgument(Models.names().contains(model), "model: unknown model '%s' (known: %s)", model,
        String.join(", ", Models.names()));
    checkArgument(validation >= 0 && validation < 1, "validation fraction must be in [0, 1): %s",
        validation);
  }

  /**
   * The setting a run made by {@code lth imp} recorded in its config.json settings.
   *
   * @throws IllegalArgumentException if the run was not made by {@code lth imp} (a run made
   *     from Java records no model name or data set) or is not an image classification run
   */
  static ClassificationSetup fromRun(JsonObject settings, Path runDir) {
    checkArgument(settings.has("model") && settings.has("data") && settings.has("task"),
        "run %s was not made by lth imp (its config.json names no model and data set);"
            + " branch it from Java with Branch.run and the run's model and task", runDir);
    JsonObject task = settings.getAsJsonObject("task");
    checkArgument(task.has("task") && task.get("task").getAsString().equals("classification"),
        "run %s trained task %s; lth branch retrains image classification runs", runDir,
        task.has("task") ? task.get("task").getAsString() : "(none)");
    for (String key : new String[] {"batch_size", "optimizer", "learning_rate", "weight_decay",
        "lr_schedule"}) {
      checkArgument(task.has(key), "run %s: its config.json task settings lack %s", runDir, key);
    }
    checkArgument(settings.has("seed"), "run %s: its config.json settings lack seed", runDir);
    return new ClassificationSetup(settings.get("data").getAsString(),
        settings.get("model").getAsString(),
        task.has("epochs") ? task.get("epochs").getAsInt() : null,
        task.has("steps") ? task.get("steps").getAsLong() : null,
        task.get("batch_size").getAsInt(), task.get("optimizer").getAsString(),
        task.get("learning_rate").getAsDouble(),
        task.has("momentum") ? task.get("momentum").getAsDouble() : null,
        task.get("weight_decay").getAsDouble(), task.get("lr_schedule").getAsString(),
        task.has("validation") ? task.get("validation").getAsDouble() : 0,
        settings.get("seed").getAsLong(),
        task.has("augmentation") ? task.get("augmentation").getAsString() : "none");
  }

  TrainTestSplit loadData() throws IOException {
    return DataSources.load(data);
  }

  /** The task on {@code split}: 5 epochs per round unless epochs or steps are set. */
  ClassificationTask task(TrainTestSplit split) {
    ClassificationTask.Builder b = ClassificationTask.builder()
        .setTrainData(split.train()).setTestData(split.test()).optValidation(validation, seed)
        .optBatchSize(batchSize).optOptimizer(optimizer);
    if (steps != null) {
      b.optSteps(steps);
    } else {
      b.optEpochs(epochs != null ? epochs : 5);
    }
    if (learningRate != null) {
      b.optLearningRate(learningRate);
    }
    if (momentum != null) {
      b.optMomentum(momentum);
    }
    b.optWeightDecay(weightDecay).optLrSchedule(LrSchedules.parse(lrSchedule))
        .optAugmentation(Augmentation.parse(augmentation));
    return b.build();
  }

  /** The model's block for the data's image size and classes. */
  Block block(TrainTestSplit split) {
    ImageDataset train = split.train();
    return Models.create(model, train.channels(), train.height(), train.width(), split.classes());
  }

  /** The model, initialized from {@link #seed}, on {@code device}. */
  DjlModel model(TrainTestSplit split, Device device) {
    ImageDataset train = split.train();
    return DjlModel.create(block(split),
        new Shape(1, train.channels(), train.height(), train.width()), device, seed);
  }
}
