package io.github.lth.benchmarks.training;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.training.dataset.Batch;
import io.github.lth.core.Mask;
import io.github.lth.djl.DjlModel;
import io.github.lth.djl.data.BatchSource;
import io.github.lth.djl.data.ImageBatches;
import io.github.lth.djl.data.Shuffle;
import io.github.lth.djl.train.LrSchedules;
import io.github.lth.djl.train.MaskedTrainer;
import io.github.lth.djl.train.OptimizerSpec;
import java.util.SplittableRandom;

/**
 * lth4j's {@link MaskedTrainer} driven by the same loop as {@link PlainDjlLoop}: data on the
 * device, batches gathered by index, softmax cross-entropy, constant learning rate. The loops
 * differ only in the trainer, so their ratio is the cost of lth4j's step. Without a mask
 * ({@code null}) the model never gets one and the trainer runs its unmasked path. Each
 * {@link #runEpochs} call trains with a fresh optimizer, as a task's {@code train} does;
 * {@link #runSteps} keeps one trainer across calls.
 *
 * <pre>{@code
 * try (TrainerLoop loop = new TrainerLoop(model, mask, OptimizerSpec.adam(1.2e-3), images, 60)) {
 *   long steps = loop.runEpochs(1, 7);
 * }
 * }</pre>
 */
final class TrainerLoop implements Contender {
  private final DjlModel model;
  private final Mask mask;
  private final OptimizerSpec spec;
  private final ImageBatches data;
  private final int batchSize;
  private MaskedTrainer resident;

  TrainerLoop(DjlModel model, Mask mask, OptimizerSpec spec, ImageBatches data, int batchSize) {
    this.model = model;
    this.mask = mask;
    this.spec = spec;
    this.data = data;
    this.batchSize = batchSize;
  }

  @Override
  public long runEpochs(int epochs, long seed) {
    if (mask != null) {
      model.applyMask(mask);
    }
    SplittableRandom rng = new SplittableRandom(seed);
    int n = data.size();
    long perEpoch = (n + batchSize - 1) / batchSize;
    try (MaskedTrainer trainer = new MaskedTrainer(model, spec, LrSchedules.constant(),
        epochs * perEpoch, 0)) {
      for (int epoch = 0; epoch < epochs; epoch++) {
        try (NDManager epochScope = model.manager().newSubManager()) {
          BatchSource.Epoch order = data.epoch(epochScope, epochScope.getDevice(), Shuffle.order(n, rng));
          for (int from = 0; from < n; from += batchSize) {
            step(trainer, order, from, epochScope);
          }
        }
      }
      return trainer.steps();
    }
  }

  @Override
  public void runSteps(BatchSource.Epoch order, int from, int count) {
    if (resident == null) {
      if (mask != null) {
        model.applyMask(mask);
      }
      resident = new MaskedTrainer(model, spec, LrSchedules.constant(), Long.MAX_VALUE / 2, 0);
    }
    for (int i = 0; i < count; i++) {
      step(resident, order, from + i * batchSize, model.manager());
    }
  }

  private void step(MaskedTrainer trainer, BatchSource.Epoch order, int from, NDManager parent) {
    try (NDManager batch = parent.newSubManager()) {
      Batch b = order.batch(batch, from, Math.min(data.size(), from + batchSize));
      NDArray x = b.getData().singletonOrThrow();
      NDArray y = b.getLabels().singletonOrThrow();
      trainer.step(batch, () -> {
        NDArray logits = model.forward(new NDList(x), true).singletonOrThrow();
        return logits.logSoftmax(1).gather(y.reshape(-1, 1), 1).neg().mean();
      });
    }
  }

  @Override
  public void close() {
    if (resident != null) {
      resident.close();
      resident = null;
    }
  }
}
