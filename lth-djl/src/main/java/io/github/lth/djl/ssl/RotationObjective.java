package io.github.lth.djl.ssl;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.dataset.Batch;
import io.github.lth.core.Metrics;
import io.github.lth.djl.DjlModel;
import io.github.lth.djl.train.ClassificationObjective;
import io.github.lth.djl.train.EvaluationData;
import io.github.lth.djl.train.Objective;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * RotNet (Gidaris et al. 2018): every image of a batch in its four rotations (0°, 90°, 180°,
 * 270°), the model's active head a 4-way classifier of the rotation, softmax cross-entropy. The
 * labels of the data are not used. Metrics over every image of the evaluation data in all four
 * rotations: {@code rotation_accuracy} (chance 0.25) and {@code rotation_loss}.
 *
 * <pre>{@code
 * TrainingTask task = TrainingTask.builder().setObjective(new RotationObjective())
 *     .setTrainData(train).optTestData(test).build();
 * }</pre>
 */
public final class RotationObjective implements Objective {

  @Override
  public NDArray loss(DjlModel model, Batch batch) {
    NDArray images = batch.getData().singletonOrThrow();
    int n = Math.toIntExact(images.getShape().get(0));
    NDArray logits = model.forward(new NDList(Rotations.allRotations(images)), true)
        .singletonOrThrow();
    return ClassificationObjective.crossEntropy(logits,
        Rotations.rotationLabels(n, images.getManager())).mean();
  }

  @Override
  public Metrics evaluate(DjlModel model, EvaluationData data) {
    NDArray hits = data.manager().zeros(new Shape(), DataType.INT64);
    NDArray lossSum = data.manager().zeros(new Shape(), DataType.FLOAT64);
    data.forEach(b -> {
      NDArray images = b.getData().singletonOrThrow();
      int n = Math.toIntExact(images.getShape().get(0));
      NDArray y = Rotations.rotationLabels(n, images.getManager());
      NDArray logits = model.forward(new NDList(Rotations.allRotations(images)), false)
          .singletonOrThrow();
      hits.addi(logits.argMax(1).eq(y).toType(DataType.INT64, false).sum());
      lossSum.addi(ClassificationObjective.crossEntropy(logits, y).sum()
          .toType(DataType.FLOAT64, false));
    });
    double rotated = 4.0 * data.size();
    Map<String, Double> m = new LinkedHashMap<>();
    m.put("rotation_accuracy", hits.getLong() / rotated);
    m.put("rotation_loss", lossSum.getDouble() / rotated);
    return Metrics.of(m);
  }

  @Override
  public String primaryMetric() {
    return "rotation_accuracy";
  }

  @Override
  public Map<String, Object> settings() {
    return Map.of("objective", "rotnet");
  }
}
