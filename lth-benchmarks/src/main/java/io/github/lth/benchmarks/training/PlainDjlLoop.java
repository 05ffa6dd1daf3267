package io.github.lth.benchmarks.training;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.training.dataset.Batch;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.GradientCollector;
import ai.djl.training.Trainer;
import ai.djl.training.loss.Loss;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import io.github.lth.djl.data.BatchSource;
import io.github.lth.djl.data.ImageBatches;
import io.github.lth.djl.data.Shuffle;
import io.github.lth.djl.models.Models;
import java.util.SplittableRandom;

/**
 * The "plain DJL loop" peer of DESIGN.md §5: LeNet-300-100 trained by DJL's own {@link Trainer}
 * with {@code Optimizer.adam()} (or {@code Optimizer.sgd()} with momentum) and softmax
 * cross-entropy, the data already on the device, batches gathered by index, no masks and no
 * listeners. It is what a DJL user writes by hand.
 *
 * <pre>{@code
 * try (PlainDjlLoop loop = new PlainDjlLoop(images, 10, 60, Optimizer.adam().build())) {
 *   long steps = loop.runEpochs(1, 42);
 * }
 * }</pre>
 */
final class PlainDjlLoop implements Contender {
  private final ImageBatches data;
  private final int batchSize;
  private final Model model;
  private final Trainer trainer;

  PlainDjlLoop(ImageBatches data, int classes, int batchSize, Optimizer optimizer) {
    this.data = data;
    this.batchSize = batchSize;
    this.model = Model.newInstance("plain-lenet300", Device.cpu());
    model.setBlock(Models.lenet300(classes));
    DefaultTrainingConfig config = new DefaultTrainingConfig(Loss.softmaxCrossEntropyLoss())
        .optOptimizer(optimizer)
        .optDevices(new Device[] {Device.cpu()});
    this.trainer = model.newTrainer(config);
    trainer.initialize(new Shape(1, 1, 28, 28));
  }

  /** Adam with a fixed learning rate. */
  static Optimizer adam(float learningRate) {
    return Optimizer.adam().optLearningRateTracker(Tracker.fixed(learningRate)).build();
  }

  /** SGD with heavy-ball momentum and a fixed learning rate. */
  static Optimizer sgd(float learningRate, float momentum) {
    return Optimizer.sgd().setLearningRateTracker(Tracker.fixed(learningRate))
        .optMomentum(momentum).build();
  }

  /** Trains on: the optimizer state carries over from earlier calls. */
  @Override
  public long runEpochs(int epochs, long seed) {
    SplittableRandom rng = new SplittableRandom(seed);
    int n = data.size();
    long steps = 0;
    for (int epoch = 0; epoch < epochs; epoch++) {
      try (NDManager epochScope = trainer.getManager().newSubManager()) {
        BatchSource.Epoch order = data.epoch(epochScope, epochScope.getDevice(), Shuffle.order(n, rng));
        for (int from = 0; from < n; from += batchSize) {
          step(order, from, epochScope);
          steps++;
        }
      }
    }
    return steps;
  }

  @Override
  public void runSteps(BatchSource.Epoch order, int from, int count) {
    for (int i = 0; i < count; i++) {
      step(order, from + i * batchSize, trainer.getManager());
    }
  }

  private void step(BatchSource.Epoch order, int from, NDManager parent) {
    try (NDManager batch = parent.newSubManager()) {
      Batch b = order.batch(batch, from, Math.min(data.size(), from + batchSize));
      NDArray x = b.getData().singletonOrThrow();
      NDArray y = b.getLabels().singletonOrThrow();
      try (GradientCollector collector = trainer.newGradientCollector()) {
        NDList predictions = trainer.forward(new NDList(x));
        NDArray loss = trainer.getLoss().evaluate(new NDList(y), predictions);
        collector.backward(loss);
      }
      trainer.step();
    }
  }

  @Override
  public void close() {
    trainer.close();
    model.close();
  }
}
