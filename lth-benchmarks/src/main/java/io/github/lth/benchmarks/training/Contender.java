package io.github.lth.benchmarks.training;

import ai.djl.ndarray.NDArray;

/**
 * A timed training loop: whole epochs, or a few steps at a time on batches the caller picks,
 * so that several loops can take turns on the same batches.
 *
 * <pre>{@code
 * Contender loop = ...;
 * long steps = loop.runEpochs(1, 42);
 * loop.runSteps(order, 0, 50);   // steps on samples order[0..3000) with batch size 60
 * }</pre>
 */
interface Contender extends AutoCloseable {

  /** Trains {@code epochs} epochs in a fresh random order from {@code seed}; returns the steps. */
  long runEpochs(int epochs, long seed);

  /**
   * Runs {@code count} steps on the batches of {@code order} (int64 sample indices) from
   * position {@code from}, continuing the state of the previous call.
   */
  void runSteps(NDArray order, long from, int count);

  @Override
  default void close() {}
}
