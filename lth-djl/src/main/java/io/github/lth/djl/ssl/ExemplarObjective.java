package io.github.lth.djl.ssl;

import static com.google.common.base.Preconditions.checkArgument;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.training.dataset.Batch;
import io.github.lth.core.Metrics;
import io.github.lth.core.Seeds;
import io.github.lth.core.TrainingContext;
import io.github.lth.djl.DjlModel;
import io.github.lth.djl.train.ClassificationObjective;
import io.github.lth.djl.train.EvaluationData;
import io.github.lth.djl.train.Objective;
import java.util.Map;

/**
 * Exemplar (Dosovitskiy et al. 2014, trained as a classifier as in Doersch &amp; Zisserman 2017):
 * every training image is a class of its own, and a random {@link Views view} of it must be
 * classified as that image, over a head as wide as the training set. The training data must be
 * indexed ({@link io.github.lth.djl.data.ImageDataset#indexed()}): the label of an image is its
 * position. Held-out images have no class, so the metric is {@code retrieval_accuracy} of the
 * backbone's features (the representation that transfers) on two fixed views of each evaluation
 * image, ranked within groups of the training batch size.
 *
 * <pre>{@code
 * Objective exemplar = new ExemplarObjective(Views.defaults(), 60);
 * }</pre>
 */
public final class ExemplarObjective implements Objective {
  private final Views views;
  private final int group;
  private final ViewSeeds viewSeeds = new ViewSeeds();

  /** @param group the training batch size: evaluation ranks within groups of it */
  public ExemplarObjective(Views views, int group) {
    checkArgument(group >= 2, "exemplar: the batch size must be at least 2, got %s", group);
    this.views = views;
    this.group = group;
  }

  @Override
  public void beginTraining(DjlModel model, TrainingContext context) {
    viewSeeds.begin(context);
  }

  @Override
  public NDArray loss(DjlModel model, Batch batch) {
    NDArray images = batch.getData().singletonOrThrow();
    long seed = viewSeeds.next();
    NDArray view = views.apply(images, seed, 0, 0, images.getManager());
    NDArray logits = model.forward(new NDList(view), true).singletonOrThrow();
    return ClassificationObjective.crossEntropy(logits, batch.getLabels().singletonOrThrow())
        .mean();
  }

  @Override
  public Metrics evaluate(DjlModel model, EvaluationData data) {
    return ViewRetrieval.evaluate(model, data, views, group,
        (m, x) -> m.features(new NDList(x)).singletonOrThrow(), Double.NaN);
  }

  @Override
  public String primaryMetric() {
    return "retrieval_accuracy";
  }

  @Override
  public Map<String, Object> settings() {
    return Map.of("objective", "exemplar");
  }
}
