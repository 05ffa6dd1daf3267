package io.github.lth.djl.ssl;

import static com.google.common.base.Preconditions.checkArgument;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.training.dataset.Batch;
import io.github.lth.core.Metrics;
import io.github.lth.core.Seeds;
import io.github.lth.core.TrainingContext;
import io.github.lth.djl.DjlModel;
import io.github.lth.djl.train.EvaluationData;
import io.github.lth.djl.train.Objective;
import java.util.Map;

/**
 * SimCLR (Chen et al. 2020): two {@link Views} of every image of a batch go through the backbone
 * and the projection head (the model's active head) in one pass, and {@link Contrastive#ntXent}
 * with temperature τ pulls each image's two projections together against the other
 * {@code 2n − 2}. The views of step {@code k} are drawn from the run's seed and {@code k}, so a
 * late-rewound run sees the views a run from step 0 sees from there on (the noise part excepted,
 * which comes from the engine's generator). Labels are not used. Metrics: {@code
 * retrieval_accuracy} (Chen et al. 2021, appendix eq. 2) and {@code nt_xent_loss} on two fixed
 * views of the evaluation images, ranked within groups of the training batch size.
 *
 * <pre>{@code
 * Objective simclr = new SimclrObjective(Views.defaults(), 0.5, 256);
 * }</pre>
 */
public final class SimclrObjective implements Objective {
  private final Views views;
  private final double temperature;
  private final int group;
  private final ViewSeeds viewSeeds = new ViewSeeds();

  /**
   * @param group the training batch size: evaluation ranks within groups of it
   * @throws IllegalArgumentException if τ is not positive or the group is smaller than 2
   */
  public SimclrObjective(Views views, double temperature, int group) {
    checkArgument(temperature > 0 && Double.isFinite(temperature),
        "temperature must be positive: %s", temperature);
    checkArgument(group >= 2, "SimCLR needs at least 2 images per batch, got %s", group);
    this.views = views;
    this.temperature = temperature;
    this.group = group;
  }

  @Override
  public void beginTraining(DjlModel model, TrainingContext context) {
    viewSeeds.begin(context);
  }

  @Override
  public NDArray loss(DjlModel model, Batch batch) {
    NDArray images = batch.getData().singletonOrThrow();
    long n = images.getShape().get(0);
    checkArgument(n >= 2, "SimCLR needs at least 2 images per batch, got %s", n);
    long seed = viewSeeds.next();
    NDArray both = NDArrays.concat(new NDList(
        views.apply(images, seed, 0, 0, images.getManager()),
        views.apply(images, seed, 0, 1, images.getManager())));
    NDArray z = model.forward(new NDList(both), true).singletonOrThrow();
    return Contrastive.ntXent(z.get(new NDIndex("0:" + n)), z.get(new NDIndex(n + ":")),
        temperature);
  }

  @Override
  public Metrics evaluate(DjlModel model, EvaluationData data) {
    return ViewRetrieval.evaluate(model, data, views, group,
        (m, x) -> m.forward(new NDList(x), false).singletonOrThrow(), temperature);
  }

  @Override
  public String primaryMetric() {
    return "retrieval_accuracy";
  }

  @Override
  public Map<String, Object> settings() {
    return Map.of("objective", "simclr");
  }
}
