package io.github.lth.djl.ssl;

import static com.google.common.base.Preconditions.checkArgument;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.dataset.Batch;
import io.github.lth.core.Metrics;
import io.github.lth.core.Seeds;
import io.github.lth.core.TrainingContext;
import io.github.lth.djl.DjlModel;
import io.github.lth.djl.internal.Temporaries;
import io.github.lth.djl.train.ClassificationObjective;
import io.github.lth.djl.train.EvaluationData;
import io.github.lth.djl.train.Objective;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;

/**
 * NPID, instance discrimination with a non-parametric softmax (Wu et al. 2018): the model's
 * active head embeds a random {@link Views view} of each image, L2-normalized, and the
 * probability that it is image {@code i} is {@code exp(v_i·f/τ) / Σ_j exp(v_j·f/τ)} over a
 * memory bank {@code v} holding one normalized embedding per training image. The softmax is the
 * exact one over the whole bank (Wu et al. approximate it with NCE for a million images; a few
 * tens of thousands fit a matrix product). After each step the bank rows of the batch become
 * {@code normalize(m·v_i + (1 − m)·f_i)}. The bank lives on the model's device, starts from
 * random unit vectors drawn from the run's seed at the start of every training run, and is
 * freed when the objective is closed. The training data must be indexed
 * ({@link io.github.lth.djl.data.ImageDataset#indexed()}). Metric: {@code retrieval_accuracy} of
 * the normalized embeddings on two fixed views of each evaluation image.
 *
 * <pre>{@code
 * Objective npid = new NpidObjective(Views.defaults(), 0.07, 0.5, 128, train.size(), 60);
 * }</pre>
 */
public final class NpidObjective implements Objective, AutoCloseable {
  private final Views views;
  private final double temperature;
  private final double momentum;
  private final int dimension;
  private final int images;
  private final int group;
  private final ViewSeeds viewSeeds = new ViewSeeds();
  private NDManager state;
  private NDArray bank;
  // the last step's bank update, applied before the next step reads the bank: autograd still
  // holds the bank for the backward pass of the step that computed it
  private NDArray pendingPositions;
  private NDArray pendingRows;

  /**
   * @param dimension the embedding head's output size
   * @param images the number of training images (bank rows)
   * @param group the training batch size: evaluation ranks within groups of it
   */
  public NpidObjective(Views views, double temperature, double momentum, int dimension,
      int images, int group) {
    checkArgument(temperature > 0 && Double.isFinite(temperature),
        "temperature must be positive: %s", temperature);
    checkArgument(momentum >= 0 && momentum < 1, "memory-bank momentum must be in [0, 1): %s",
        momentum);
    checkArgument(dimension > 0, "embedding dimension must be positive: %s", dimension);
    checkArgument(images > 0, "npid: the memory bank needs at least one image: %s", images);
    checkArgument(group >= 2, "batch size: npid's retrieval metric needs groups of at least 2"
        + " images, got %s", group);
    this.views = views;
    this.temperature = temperature;
    this.momentum = momentum;
    this.dimension = dimension;
    this.images = images;
    this.group = group;
  }

  @Override
  public void beginTraining(DjlModel model, TrainingContext context) {
    close();
    viewSeeds.begin(context);
    state = model.manager().newSubManager();
    bank = state.create(randomUnitRows(Seeds.derive(context.seed(), "memory-bank", 0)),
        new Shape(images, dimension));
  }

  /**
   * A copy of the memory bank, {@code [images, dimension]}, attached to {@code owner}; empty
   * before the first training run.
   *
   * <pre>{@code
   * float[] rows = npid.memoryBank(manager).orElseThrow().toFloatArray();
   * }</pre>
   */
  public Optional<NDArray> memoryBank(NDManager owner) {
    applyPending();
    if (bank == null) {
      return Optional.empty();
    }
    NDArray copy = bank.duplicate();
    copy.attach(owner);
    return Optional.of(copy);
  }

  @Override
  public NDArray loss(DjlModel model, Batch batch) {
    checkArgument(bank != null, "npid: beginTraining was not called");
    applyPending();
    NDArray input = batch.getData().singletonOrThrow();
    NDArray positions = batch.getLabels().singletonOrThrow();
    long seed = viewSeeds.next();
    NDArray view = views.apply(input, seed, 0, 0, input.getManager());
    NDArray f = Contrastive.normalizeRows(model.forward(new NDList(view), true)
        .singletonOrThrow());
    NDManager step = input.getManager();
    // results attach to their first operand's manager: the bank's would outlive the step
    NDArray logits = f.matMul(Temporaries.in(step, bank.transpose())).div(temperature);
    NDArray loss = ClassificationObjective.crossEntropy(logits, positions).mean();
    NDArray index = positions.reshape(-1, 1).broadcast(f.getShape());
    NDArray rows = Contrastive.normalizeRows(Temporaries.in(step, bank.gather(index, 0))
        .mul(momentum).add(f.stopGradient().mul(1 - momentum)));
    pendingPositions = positions.duplicate();
    pendingPositions.attach(state);
    rows.attach(state);
    pendingRows = rows;
    return loss;
  }

  private void applyPending() {
    if (pendingRows != null) {
      bank.set(new NDIndex("{}", pendingPositions), pendingRows);
      pendingRows.close();
      pendingPositions.close();
      pendingRows = null;
      pendingPositions = null;
    }
  }

  @Override
  public Metrics evaluate(DjlModel model, EvaluationData data) {
    return ViewRetrieval.evaluate(model, data, views, group,
        (m, x) -> m.forward(new NDList(x), false).singletonOrThrow(), Double.NaN);
  }

  @Override
  public String primaryMetric() {
    return "retrieval_accuracy";
  }

  @Override
  public Map<String, Object> settings() {
    return Map.of("objective", "npid");
  }

  @Override
  public void close() {
    if (state != null) {
      state.close();
      state = null;
      bank = null;
      pendingRows = null;
      pendingPositions = null;
    }
  }

  private float[] randomUnitRows(long seed) {
    SplittableRandom random = new SplittableRandom(seed);
    float[] v = new float[Math.multiplyExact(images, dimension)];
    for (int i = 0; i < images; i++) {
      double norm = 0;
      for (int j = 0; j < dimension; j++) {
        double g = gaussian(random);
        v[i * dimension + j] = (float) g;
        norm += g * g;
      }
      float scale = (float) (1 / Math.sqrt(Math.max(norm, 1e-24)));
      for (int j = 0; j < dimension; j++) {
        v[i * dimension + j] *= scale;
      }
    }
    return v;
  }

  // Box–Muller: SplittableRandom has no nextGaussian in Java 17
  private static double gaussian(SplittableRandom random) {
    double u = 1 - random.nextDouble();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random.nextDouble());
  }
}
