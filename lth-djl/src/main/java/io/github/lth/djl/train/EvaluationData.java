package io.github.lth.djl.train;

import ai.djl.ndarray.NDManager;
import ai.djl.training.dataset.Batch;
import java.util.function.Consumer;

/**
 * Evaluation data as an {@link Objective} sees it: batches in a fixed order on the model's
 * device, each closed after the action returns, and a manager for accumulators that outlive the
 * batches.
 *
 * <pre>{@code
 * NDArray hits = data.manager().zeros(new Shape(), DataType.INT64);
 * data.forEach(b -> hits.addi(predict(b).eq(b.getLabels().head()).sum()));
 * }</pre>
 */
public interface EvaluationData {

  /** Number of samples. */
  int size();

  /** A manager on the model's device that lives until the evaluation ends. */
  NDManager manager();

  /** Runs {@code action} on every batch, in order; a batch is closed after its action. */
  void forEach(Consumer<Batch> action);
}
