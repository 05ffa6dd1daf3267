package io.github.lth.cli;

import static com.google.common.base.Preconditions.checkArgument;

import ai.djl.Device;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import com.google.gson.JsonObject;
import com.google.gson.JsonPrimitive;
import io.github.lth.djl.DjlModel;
import io.github.lth.djl.data.Augmentation;
import io.github.lth.djl.data.DataSources;
import io.github.lth.djl.data.ImageDataset;
import io.github.lth.djl.data.TrainTestSplit;
import io.github.lth.djl.models.HeadedBlock;
import io.github.lth.djl.models.Models;
import io.github.lth.djl.ssl.Pretext;
import io.github.lth.djl.ssl.SelfSupervisedTask;
import io.github.lth.djl.train.ClassificationTask;
import io.github.lth.djl.transfer.TargetData;
import io.github.lth.djl.train.DjlTask;
import io.github.lth.djl.train.LrSchedules;
import io.github.lth.djl.train.OptimizerSpec;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The setting of an {@code lth imp} run — data, model, task and training — from the command
 * line's flags or from a run's config.json, so commands that continue a run ({@code lth branch})
 * train exactly what {@code lth imp} trained. The task is image classification, or a
 * self-supervised pretext task when {@code pretext} is set.
 *
 * <pre>{@code
 * RunSetup setup = RunSetup.fromRun(storedRun.settings(), runDir);
 * TrainTestSplit split = setup.loadData();
 * try (DjlTask task = setup.task(split); DjlModel net = setup.model(split, device)) {
 *   ...
 * }
 * }</pre>
 *
 * @param epochs epochs per round, or null when {@code steps} is given
 * @param steps steps per round, or null when {@code epochs} is given
 * @param learningRate null for the optimizer's default
 * @param momentum null for the optimizer's default
 * @param augmentation training-image augmentation, {@link Augmentation#parse} syntax
 * @param pretext the self-supervised task, or null for classification
 * @param classes the classes of the data set kept (relabelled in this order), or null for all
 */
record RunSetup(String data, String model, Integer epochs, Long steps, int batchSize,
    String optimizer, Double learningRate, Double momentum, double weightDecay, String lrSchedule,
    double validation, long seed, String augmentation, Pretext pretext, List<Integer> classes) {

  RunSetup {
    checkArgument(epochs == null || epochs > 0, "epochs must be positive: %s", epochs);
    checkArgument(steps == null || steps > 0, "steps must be positive: %s", steps);
    checkArgument(epochs == null || steps == null, "--epochs and --steps exclude each other");
    checkArgument(Models.names().contains(model), "model: unknown model '%s' (known: %s)", model,
        String.join(", ", Models.names()));
    checkArgument(validation >= 0 && validation < 1, "validation fraction must be in [0, 1): %s",
        validation);
    checkArgument(pretext == null || augmentation.equals("none"), "augmentation: applies to"
        + " classification, not to the %s task (simclr, exemplar and npid take --views)",
        pretext == null ? "" : pretext.name());
  }

  /** A classification setup: no pretext. */
  RunSetup(String data, String model, Integer epochs, Long steps, int batchSize,
      String optimizer, Double learningRate, Double momentum, double weightDecay,
      String lrSchedule, double validation, long seed, String augmentation) {
    this(data, model, epochs, steps, batchSize, optimizer, learningRate, momentum, weightDecay,
        lrSchedule, validation, seed, augmentation, null, null);
  }

  /** The task's name: {@code classification} or the pretext's. */
  String taskName() {
    return pretext == null ? "classification" : pretext.name();
  }

  /**
   * The setting a run made by {@code lth imp} recorded in its config.json settings.
   *
   * @throws IllegalArgumentException if the run was not made by {@code lth imp} (a run made
   *     from Java records no model name or data set) or is not an image classification run
   */
  static RunSetup fromRun(JsonObject settings, Path runDir) {
    checkArgument(settings.has("model") && settings.has("data") && settings.has("task"),
        "run %s was not made by lth imp (its config.json names no model and data set);"
            + " branch it from Java with Branch.run and the run's model and task", runDir);
    JsonObject task = settings.getAsJsonObject("task");
    String taskName = task.has("task") ? task.get("task").getAsString() : "(none)";
    checkArgument(taskName.equals("classification") || Pretext.NAMES.contains(taskName),
        "run %s trained task %s; lth retrains image classification and the self-supervised"
            + " tasks (%s)", runDir, taskName, String.join(", ", Pretext.NAMES));
    for (String key : new String[] {"batch_size", "optimizer", "learning_rate", "weight_decay",
        "lr_schedule"}) {
      checkArgument(task.has(key), "run %s: its config.json task settings lack %s", runDir, key);
    }
    checkArgument(settings.has("seed"), "run %s: its config.json settings lack seed", runDir);
    return new RunSetup(settings.get("data").getAsString(),
        settings.get("model").getAsString(),
        task.has("epochs") ? task.get("epochs").getAsInt() : null,
        task.has("steps") ? task.get("steps").getAsLong() : null,
        task.get("batch_size").getAsInt(), task.get("optimizer").getAsString(),
        task.get("learning_rate").getAsDouble(),
        task.has("momentum") ? task.get("momentum").getAsDouble() : null,
        task.get("weight_decay").getAsDouble(), task.get("lr_schedule").getAsString(),
        task.has("validation") ? task.get("validation").getAsDouble() : 0,
        settings.get("seed").getAsLong(),
        task.has("augmentation") ? task.get("augmentation").getAsString() : "none",
        taskName.equals("classification") ? null : pretextOf(taskName, task, runDir),
        settings.has("classes") ? classesOf(settings, runDir) : null);
  }

  private static List<Integer> classesOf(JsonObject settings, Path runDir) {
    checkArgument(settings.get("classes").isJsonArray(), "run %s: its config.json classes are"
        + " not a list", runDir);
    List<Integer> out = new ArrayList<>();
    settings.getAsJsonArray("classes").forEach(e -> out.add(e.getAsInt()));
    return out;
  }

  /** The pretext a run's config.json task settings describe ({@link Pretext#settings()}). */
  private static Pretext pretextOf(String name, JsonObject task, Path runDir) {
    Map<String, Object> values = new LinkedHashMap<>();
    task.entrySet().forEach(e -> {
      if (e.getValue().isJsonPrimitive()) {
        JsonPrimitive v = e.getValue().getAsJsonPrimitive();
        values.put(e.getKey(), v.isNumber() ? v.getAsDouble() : v.getAsString());
      }
    });
    try {
      return Pretext.fromSettings(values);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(String.format("run %s: its config.json task settings"
          + " do not describe a %s task: %s", runDir, name, e.getMessage()), e);
    }
  }

  /** The data set, cut to {@link #classes} when they are set. */
  TrainTestSplit loadData() throws IOException {
    Phase.set("loading the data (" + data + ")");
    TrainTestSplit all = DataSources.load(data);
    if (classes == null) {
      return all;
    }
    try {
      return TargetData.all().withClasses(classes.stream().mapToInt(Integer::intValue).toArray())
          .apply(all);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("classes " + classes + ": " + e.getMessage(), e);
    }
  }

  /** The run's task on {@code split}: 5 epochs per round unless epochs or steps are set. */
  DjlTask task(TrainTestSplit split) {
    if (pretext == null) {
      return classificationTask(split);
    }
    SelfSupervisedTask.Builder b = SelfSupervisedTask.builder().setPretext(pretext)
        .setTrainData(split.train()).setTestData(split.test()).optValidation(validation, seed)
        .optBatchSize(batchSize)
        .optOptimizer(OptimizerSpec.of(optimizer, learningRate, momentum, weightDecay))
        .optLrSchedule(LrSchedules.parse(lrSchedule));
    if (steps != null) {
      b.optSteps(steps);
    } else {
      b.optEpochs(epochs != null ? epochs : 5);
    }
    return b.build();
  }

  /**
   * Image classification on {@code split} with this setup's training settings, whatever the
   * run's own task: the target task of a transfer.
   */
  ClassificationTask classificationTask(TrainTestSplit split) {
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

  /**
   * The model's block for the data's image size and classes, with the pretext's head in place of
   * the classifier (S4L: beside it).
   */
  Block block(TrainTestSplit split) {
    ImageDataset train = split.train();
    HeadedBlock block = Models.create(model, train.channels(), train.height(), train.width(),
        split.classes());
    if (pretext == null) {
      return block;
    }
    // the images the task trains on: Exemplar's head has one output per image
    int trained = validation > 0 ? train.trainingSizeAfterValidation(validation, seed)
        : train.size();
    return pretext.attachHead(block, trained);
  }

  /** The model, initialized from {@link #seed}, on {@code device}. */
  DjlModel model(TrainTestSplit split, Device device) {
    ImageDataset train = split.train();
    return DjlModel.create(block(split),
        new Shape(1, train.channels(), train.height(), train.width()), device, seed);
  }
}
