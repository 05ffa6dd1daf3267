package io.github.lth.benchmarks.training;

import io.github.lth.djl.data.BatchSource;

/**
 * A timed training loop: whole epochs, or a few steps at a time on batches the caller picks,
 * so that several loops can take turns on the same batches.
 *
 * <pre>{@code
 * Contender loop = ...;
 * long steps = loop.runEpochs(1, 42);
 * loop.runSteps(epoch, 0, 50);   // steps on positions [0, 3000) of the epoch, batch size 60
 * }</pre>
 */
interface Contender extends AutoCloseable {

  /** Trains {@code epochs} epochs in a fresh random order from {@code seed}; returns the steps. */
  long runEpochs(int epochs, long seed);

  /**
   * Runs {@code count} steps on the batches of {@code epoch} from position {@code from},
   * continuing the state of the previous call.
   */
  void runSteps(BatchSource.Epoch epoch, int from, int count);

  @Override
  default void close() {}
}
