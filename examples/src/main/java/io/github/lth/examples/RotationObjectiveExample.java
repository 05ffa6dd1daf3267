package io.github.lth.examples;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Blocks;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;
import ai.djl.training.dataset.Batch;
import io.github.lth.core.Imp;
import io.github.lth.core.ImpResult;
import io.github.lth.core.Metrics;
import io.github.lth.core.Round;
import io.github.lth.core.schedule.PruningSchedules;
import io.github.lth.djl.DjlModel;
import io.github.lth.djl.data.BatchSources;
import io.github.lth.djl.data.DataSources;
import io.github.lth.djl.data.ImageDataset;
import io.github.lth.djl.data.TrainTestSplit;
import io.github.lth.djl.data.ValidationSplit;
import io.github.lth.djl.train.ClassificationObjective;
import io.github.lth.djl.train.EvaluationData;
import io.github.lth.djl.train.Objective;
import io.github.lth.djl.train.OptimizerSpec;
import io.github.lth.djl.train.TrainingTask;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;

/**
 * A user's own objective on a user's own block: predict by how many quarter turns an image was
 * rotated (RotNet, Gidaris et al.), a label-free task. Every image of a batch is shown in all
 * four rotations; the loss is cross-entropy over the four classes and the metric is rotation
 * accuracy. IMP then finds sparse subnetworks of the block for this task, exactly as it does for
 * supervised classification.
 *
 * <pre>{@code
 * java -Dai.djl.offline=true -cp ... io.github.lth.examples.RotationObjectiveExample runs/rotation 300
 * }</pre>
 */
public final class RotationObjectiveExample {
  private RotationObjectiveExample() {}

  /** The objective: the block's four outputs are logits over the rotations 0, 90, 180, 270. */
  public static final class RotationPrediction implements Objective {

    @Override
    public NDArray loss(DjlModel model, Batch batch) {
      NDList rotated = rotateFourWays(batch.getData().singletonOrThrow());
      NDArray logits = model.forward(new NDList(rotated.get(0)), true).singletonOrThrow();
      return ClassificationObjective.crossEntropy(logits, rotated.get(1)).mean();
    }

    @Override
    public Metrics evaluate(DjlModel model, EvaluationData data) {
      NDArray hits = data.manager().zeros(new Shape(), DataType.INT64);
      data.forEach(b -> {
        NDList rotated = rotateFourWays(b.getData().singletonOrThrow());
        NDArray logits = model.forward(new NDList(rotated.get(0)), false).singletonOrThrow();
        hits.addi(logits.argMax(1).eq(rotated.get(1)).toType(DataType.INT64, false).sum());
      });
      return Metrics.of(Map.of("rotation_accuracy", hits.getLong() / (4.0 * data.size())));
    }

    @Override
    public String primaryMetric() {
      return "rotation_accuracy";
    }

    @Override
    public Map<String, Object> settings() {
      return Map.of("objective", "rotation-prediction");
    }

    /**
     * The images {@code [b, c, h, w]} turned by 0, 1, 2 and 3 quarter turns, stacked along the
     * batch axis, and their int64 labels 0…3 (each repeated b times).
     */
    static NDList rotateFourWays(NDArray images) {
      NDArray quarter = images.transpose(0, 1, 3, 2).flip(3);
      NDArray half = images.flip(2, 3);
      NDArray threeQuarters = images.transpose(0, 1, 3, 2).flip(2);
      NDArray all = NDArrays.concat(new NDList(images, quarter, half, threeQuarters), 0);
      long b = images.getShape().get(0);
      NDManager m = images.getManager();
      NDArray labels = m.arange(0, 4, 1, DataType.INT64).repeat(0, b);
      return new NDList(all, labels);
    }
  }

  /** Arguments: the run directory and the training steps per round. */
  public static void main(String[] args) throws IOException {
    Path runDirectory = Path.of(args.length > 0 ? args[0] : "runs/rotation");
    long steps = args.length > 1 ? Long.parseLong(args[1]) : 500;

    SequentialBlock block = new SequentialBlock()     // the user's own block
        .add(Blocks.batchFlattenBlock())
        .add(Linear.builder().setUnits(256).build()).add(Activation::relu)
        .add(Linear.builder().setUnits(4).build());
    TrainTestSplit data = DataSources.load("embedded");
    ValidationSplit<ImageDataset> split = data.train().splitValidation(0.1, 0);
    try (DjlModel model = DjlModel.create(block, new Shape(1, 1, 28, 28), Device.cpu(), 0);
        TrainingTask task = TrainingTask.builder()
            .setObjective(new RotationPrediction())
            .setTrainData(BatchSources.of(split.train()))
            .optValidationData(BatchSources.of(split.validation()))
            .optTestData(BatchSources.of(data.test()))
            .optSteps(steps).optBatchSize(64)
            .optOptimizer(OptimizerSpec.adam(1e-3))
            .build()) {
      ImpResult result = Imp.builder()
          .setSchedule(PruningSchedules.imp(0.5, 0.75))
          .optRunDirectory(runDirectory)
          .build()
          .run(model, task);
      for (Round r : result.rounds()) {
        System.out.printf(Locale.ROOT, "round %d: %.2f%% sparse, rotation accuracy %.2f%% (val),"
            + " %.2f%% (test)%n", r.index(), 100 * r.sparsity(),
            100 * r.metrics().get("val_rotation_accuracy"),
            100 * r.metrics().get("test_rotation_accuracy"));
      }
    }
  }
}
