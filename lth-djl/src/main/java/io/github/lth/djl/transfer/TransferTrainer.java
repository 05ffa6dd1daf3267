package io.github.lth.djl.transfer;

import static com.google.common.base.Preconditions.checkArgument;

import ai.djl.Device;
import ai.djl.ndarray.types.Shape;
import io.github.lth.core.Mask;
import io.github.lth.core.Metrics;
import io.github.lth.core.Weights;
import io.github.lth.djl.DjlModel;
import io.github.lth.djl.data.ImageDataset;
import io.github.lth.djl.data.TrainTestSplit;
import io.github.lth.djl.data.ValidationSplit;
import io.github.lth.djl.models.Models;
import io.github.lth.djl.train.ClassificationTask;
import io.github.lth.djl.train.OptimizerSpec;

/**
 * Trains subnetworks on one target, in either {@link TransferMode}: every call builds a fresh
 * model for the target's classes, moves the subnetwork's backbone onto it and trains it, so
 * calls are independent of each other and of their order.
 *
 * <pre>{@code
 * TransferTrainer trainer = new TransferTrainer("lenet300", target, task, 0.1, 0, 60, cpu);
 * Metrics m = trainer.train(TransferMode.LINEAR, thetaP, ticketMask, headSeed, seed);
 * }</pre>
 */
public final class TransferTrainer {
  /**
   * A linear classifier on cached features costs little per epoch and, from a fresh start,
   * needs many more updates than fine-tuning a trained network does (with the fine-tuning
   * epochs it stayed near chance).
   */
  static final int PROBE_EPOCHS = 20;

  static final double PROBE_LEARNING_RATE = 1e-2;

  private final String model;
  private final Shape input;
  private final int classes;
  private final ClassificationTask fineTuning;
  private final LinearProbe probe;
  private final Device device;

  /**
   * @param model a model name of {@link Models}
   * @param target the target's data, already cut ({@link TargetData})
   * @param fineTuning the training of full fine-tuning on {@code target}; the caller closes it
   * @param validation the fraction of {@code target}'s training images the probe holds out, as
   *     {@code fineTuning} does
   * @param splitSeed the seed of that hold-out, as {@code fineTuning}'s
   * @param batchSize the probe's batch size
   */
  public TransferTrainer(String model, TrainTestSplit target, ClassificationTask fineTuning,
      double validation, long splitSeed, int batchSize, Device device) {
    checkArgument(Models.names().contains(model), "model: unknown model '%s'", model);
    ImageDataset train = target.train();
    this.model = model;
    this.input = new Shape(1, train.channels(), train.height(), train.width());
    this.classes = target.classes();
    this.fineTuning = fineTuning;
    this.device = device;
    LinearProbe.Builder b = LinearProbe.builder().optTestData(target.test())
        .optEpochs(PROBE_EPOCHS).optBatchSize(batchSize)
        .optOptimizer(OptimizerSpec.adam(PROBE_LEARNING_RATE));
    if (validation > 0) {
      ValidationSplit<ImageDataset> split = train.splitValidation(validation, splitSeed);
      b.setTrainData(split.train()).optValidationData(split.validation());
    } else {
      b.setTrainData(train);
    }
    this.probe = b.build();
  }

  /** The target's number of classes: the width of every fresh head. */
  public int classes() {
    return classes;
  }

  /**
   * Trains one subnetwork on the target and evaluates it.
   *
   * @param start backbone weights (head entries are ignored)
   * @param mask over backbone parameters; {@link Mask#dense} for the dense reference
   * @param headSeed initializes the fresh head
   * @param seed the data order (and the probe's classifier initialization)
   */
  public Metrics train(TransferMode mode, Weights start, Mask mask, long headSeed, long seed) {
    try (DjlModel m = freshModel(headSeed)) {
      return mode == TransferMode.FULL ? Transfer.fineTune(m, start, mask, fineTuning, seed)
          : probe.run(m, start, mask, seed);
    }
  }

  /** A model for the target's classes initialized from {@code seed}; the caller closes it. */
  public DjlModel freshModel(long seed) {
    return DjlModel.create(Models.create(model, (int) input.get(1), (int) input.get(2),
        (int) input.get(3), classes), input, device, seed);
  }

  /** The weights of {@link #freshModel(long)}: a random initialization of the whole model. */
  public Weights freshWeights(long seed) {
    try (DjlModel m = freshModel(seed)) {
      return m.state();
    }
  }
}
