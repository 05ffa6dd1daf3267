package io.github.lth.djl.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.dataset.Batch;
import io.github.lth.core.Metrics;
import io.github.lth.djl.DjlModel;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Supervised classification with softmax cross-entropy. The model maps the batch's data to
 * {@code [batch, classes]} logits; the labels are int64 class indices. Metrics: top-1
 * {@code accuracy}, {@code mean_class_accuracy} (the mean over the classes present in the data
 * of each class's accuracy) and {@code loss} (mean cross-entropy), accumulated on the device.
 *
 * <pre>{@code
 * TrainingTask task = TrainingTask.builder()
 *     .setObjective(new ClassificationObjective())
 *     .setTrainData(train).optTestData(test).build();
 * }</pre>
 */
public final class ClassificationObjective implements Objective {

  @Override
  public NDArray loss(DjlModel model, Batch batch) {
    NDArray logits = model.forward(batch.getData(), true).singletonOrThrow();
    return crossEntropy(logits, batch.getLabels().singletonOrThrow()).mean();
  }

  @Override
  public Metrics evaluate(DjlModel model, EvaluationData data) {
    NDArray[] perClass = new NDArray[2];   // hits and support per class
    NDArray lossSum = data.manager().zeros(new Shape(), DataType.FLOAT64);
    data.forEach(b -> {
      NDArray y = b.getLabels().singletonOrThrow();
      NDArray logits = model.forward(b.getData(), false).singletonOrThrow();
      int classes = (int) logits.getShape().get(1);
      if (perClass[0] == null) {
        perClass[0] = data.manager().zeros(new Shape(classes), DataType.INT64);
        perClass[1] = data.manager().zeros(new Shape(classes), DataType.INT64);
      }
      lossSum.addi(crossEntropy(logits, y).sum().toType(DataType.FLOAT64, false));
      NDArray hit = logits.argMax(1).eq(y).toType(DataType.INT64, false);
      NDArray oneHot = y.oneHot(classes, DataType.INT64);
      perClass[0].addi(oneHot.mul(hit.reshape(-1, 1)).sum(new int[] {0}));
      perClass[1].addi(oneHot.sum(new int[] {0}));
    });
    long[] correct = perClass[0].toLongArray();
    long[] support = perClass[1].toLongArray();
    long hits = 0;
    double classAccuracy = 0;
    int present = 0;
    for (int c = 0; c < correct.length; c++) {
      hits += correct[c];
      if (support[c] > 0) {
        classAccuracy += (double) correct[c] / support[c];
        present++;
      }
    }
    Map<String, Double> m = new LinkedHashMap<>();
    m.put("accuracy", (double) hits / data.size());
    m.put("mean_class_accuracy", classAccuracy / present);
    m.put("loss", lossSum.getDouble() / data.size());
    return Metrics.of(m);
  }

  @Override
  public Map<String, Object> settings() {
    return Map.of("objective", "classification");
  }

  /** Per-sample softmax cross-entropy of logits {@code [b, c]} and int64 labels {@code [b]}. */
  public static NDArray crossEntropy(NDArray logits, NDArray labels) {
    NDArray logp = logits.logSoftmax(1);
    return logp.gather(labels.reshape(-1, 1), 1).reshape(-1).neg();
  }
}
