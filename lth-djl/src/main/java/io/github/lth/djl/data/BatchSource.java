package io.github.lth.djl.data;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import ai.djl.training.dataset.Batch;

/** Placeholder of the interface another branch implements (replaced on merge). */
public interface BatchSource extends AutoCloseable {
  String name();

  int size();

  String fingerprint();

  Epoch epoch(NDManager scope, Device device, int[] order);

  /** One pass. */
  interface Epoch {
    Batch batch(NDManager batchScope, int from, int to);
  }

  @Override
  default void close() {}
}
