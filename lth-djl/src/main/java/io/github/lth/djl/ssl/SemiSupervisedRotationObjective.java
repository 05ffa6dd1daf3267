package io.github.lth.djl.ssl;

import static com.google.common.base.Preconditions.checkArgument;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.dataset.Batch;
import io.github.lth.core.Metrics;
import io.github.lth.core.TrainingContext;
import io.github.lth.djl.DjlModel;
import io.github.lth.djl.internal.Temporaries;
import io.github.lth.djl.train.ClassificationObjective;
import io.github.lth.djl.train.EvaluationData;
import io.github.lth.djl.train.Objective;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * S4L-Rotation (Zhai et al. 2019), the semi-supervised task Caron et al. prune with: the
 * classifier's cross-entropy on the labelled images of a batch plus RotNet's rotation loss on
 * all its images, one backbone pass over the four rotations feeding both heads. The training
 * data must be indexed ({@link io.github.lth.djl.data.ImageDataset#indexed()}): its labels are
 * image positions, looked up in the table of training labels given here (−1 for an unlabelled
 * image). Evaluation is on labelled data: {@code accuracy}, {@code mean_class_accuracy} and
 * {@code loss} of the classifier, and {@code rotation_accuracy}.
 *
 * <pre>{@code
 * int[] labels = ...;   // the training labels, −1 where an image counts as unlabelled
 * Objective s4l = new SemiSupervisedRotationObjective(labels);
 * }</pre>
 */
public final class SemiSupervisedRotationObjective implements Objective, AutoCloseable {
  private final int[] labels;
  private String classifier;
  private final ClassificationObjective supervised = new ClassificationObjective();
  private final RotationObjective rotation = new RotationObjective();
  private NDManager state;
  private NDArray labelTable;

  /**
   * @param labels the training label of each position of the indexed training data, −1 where
   *     the image counts as unlabelled; at least one labelled. The classifier is the model's
   *     active head, the rotation head is {@link Pretext#ROTATION_HEAD}.
   */
  public SemiSupervisedRotationObjective(int[] labels) {
    boolean any = false;
    for (int l : labels) {
      any |= l >= 0;
    }
    checkArgument(any, "s4l: no training image is labelled");
    this.labels = labels.clone();
  }

  /**
   * Uploads the label table once per run, to the model's device, and takes the model's active
   * head as the classifier.
   */
  @Override
  public void beginTraining(DjlModel model, TrainingContext context) {
    close();
    classifier = model.activeHead().orElseThrow(() -> new IllegalArgumentException(
        "s4l needs a model whose active head is its classifier"));
    checkArgument(model.heads().contains(Pretext.ROTATION_HEAD), "s4l needs a model with a"
        + " '%s' head beside its classifier (Pretext.attachHead); it has %s",
        Pretext.ROTATION_HEAD, model.heads());
    state = model.manager().newSubManager();
    labelTable = state.create(Arrays.stream(labels).asLongStream().toArray());
  }

  @Override
  public NDArray loss(DjlModel model, Batch batch) {
    NDArray images = batch.getData().singletonOrThrow();
    NDArray positions = batch.getLabels().singletonOrThrow();
    int n = Math.toIntExact(images.getShape().get(0));
    NDManager m = images.getManager();
    NDList features = HeadOutputs.features(model, Rotations.allRotations(images), true);
    NDArray rotationLogits = HeadOutputs.head(model, Pretext.ROTATION_HEAD, features, true);
    NDArray rotationLoss = ClassificationObjective.crossEntropy(rotationLogits,
        Rotations.rotationLabels(n, m)).mean();
    // the unrotated copies lead the rotations: the classifier sees each image once
    NDList upright = new NDList(features.singletonOrThrow().get(new NDIndex("0:" + n)));
    NDArray logits = HeadOutputs.head(model, classifier, upright, true);
    // attached to the batch: the table's manager lives as long as the run
    NDArray y = Temporaries.in(m, labelTable.gather(positions, 0));
    NDArray labelled = y.gte(0).toType(DataType.FLOAT32, false);
    NDArray perImage = ClassificationObjective.crossEntropy(logits, y.maximum(0));
    NDArray labelLoss = perImage.mul(labelled).sum().div(labelled.sum().maximum(1f));
    return labelLoss.add(rotationLoss);
  }

  @Override
  public Metrics evaluate(DjlModel model, EvaluationData data) {
    Map<String, Double> m = new LinkedHashMap<>(supervised.evaluate(model, data).asMap());
    String active = model.activeHead().orElseThrow();
    model.useHead(Pretext.ROTATION_HEAD);
    try {
      m.put("rotation_accuracy", rotation.evaluate(model, data).get("rotation_accuracy"));
    } finally {
      model.useHead(active);
    }
    return Metrics.of(m);
  }

  @Override
  public Map<String, Object> settings() {
    return Map.of("objective", "s4l");
  }

  @Override
  public void close() {
    if (state != null) {
      state.close();
      state = null;
      labelTable = null;
    }
  }
}
