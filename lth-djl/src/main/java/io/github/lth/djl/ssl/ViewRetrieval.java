package io.github.lth.djl.ssl;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.github.lth.core.Metrics;
import io.github.lth.djl.DjlModel;
import io.github.lth.djl.train.EvaluationData;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The evaluation the contrastive tasks share: two views of every evaluation image, embedded by
 * the model, and Chen et al.'s top-1 retrieval accuracy within groups of the training batch size
 * (chance {@code 1/(2n − 1)} for groups of n). The views are drawn from a fixed seed, so every
 * round of a run (and every run) is measured on the same views.
 */
final class ViewRetrieval {
  // fixed, so that the metric of two models compares like with like
  static final long SEED = 0x5EED_0F_7E57L;

  /** What is compared: the model's embedding of a batch of images, {@code [n, d]}. */
  interface Embedding {
    NDArray embed(DjlModel model, NDArray images);
  }

  private ViewRetrieval() {}

  /**
   * {@code retrieval_accuracy} and, when {@code temperature} is finite, {@code nt_xent_loss} (the
   * mean over groups, weighted by their size).
   *
   * @param group images per group; evaluation batches should be a multiple of it, a last
   *     smaller group counts as it is and a group of one image is skipped
   */
  static Metrics evaluate(DjlModel model, EvaluationData data, Views views, int group,
      Embedding embedding, double temperature) {
    Engine.getInstance().setRandomSeed(Long.hashCode(SEED));
    NDArray hits = data.manager().zeros(new Shape(), DataType.INT64);
    NDArray lossSum = data.manager().zeros(new Shape(), DataType.FLOAT64);
    long[] counted = new long[2];   // anchors ranked, position in the evaluation pass
    data.forEach(b -> {
      NDArray images = b.getData().singletonOrThrow();
      int n = Math.toIntExact(images.getShape().get(0));
      NDManager owner = images.getManager();
      for (int from = 0; from < n; from += group) {
        int to = Math.min(n, from + group);
        long first = counted[1] + from;
        if (to - from < 2) {
          continue;
        }
        NDArray part = images.get(new NDIndex(from + ":" + to));
        NDArray z1 = flat(embedding.embed(model, views.apply(part, SEED, first, 0, owner)));
        NDArray z2 = flat(embedding.embed(model, views.apply(part, SEED, first, 1, owner)));
        hits.addi(Contrastive.retrievalHits(z1, z2));
        counted[0] += 2L * (to - from);
        if (Double.isFinite(temperature)) {
          lossSum.addi(Contrastive.ntXent(z1, z2, temperature).mul(2 * (to - from))
              .toType(DataType.FLOAT64, false));
        }
      }
      counted[1] += n;
    });
    Map<String, Double> m = new LinkedHashMap<>();
    m.put("retrieval_accuracy", counted[0] == 0 ? Double.NaN : (double) hits.getLong()
        / counted[0]);
    if (Double.isFinite(temperature)) {
      m.put("nt_xent_loss", counted[0] == 0 ? Double.NaN : lossSum.getDouble() / counted[0]);
    }
    return Metrics.of(m);
  }

  private static NDArray flat(NDArray z) {
    return z.reshape(z.getShape().get(0), -1);
  }

  /** The size of evaluation batches: the largest multiple of {@code group} up to 1000. */
  static int evaluationBatchSize(int group) {
    return Math.max(group, 1000 / group * group);
  }
}
