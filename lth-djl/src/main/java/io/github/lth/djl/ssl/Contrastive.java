package io.github.lth.djl.ssl;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * SimCLR's contrastive loss and its top-1 retrieval metric on two views' embeddings. Row
 * {@code k} of {@code z1} and row {@code k} of {@code z2} are the two views of image {@code k}:
 * each is the other's positive, and the other {@code 2n − 2} rows of the batch are its negatives.
 * Both work on the whole batch at once on the embeddings' device: one {@code [2n, 2n]} cosine
 * similarity matrix, no loop over samples and no copy to the host.
 *
 * <p>Intermediate arrays live in a sub-manager closed before returning, so only the result is
 * attached to {@code z1}'s manager (the inputs stay where they were).
 *
 * <pre>{@code
 * NDArray z1 = projector.forward(encoder.forward(view1));   // [n, d]
 * NDArray z2 = projector.forward(encoder.forward(view2));
 * NDArray loss = Contrastive.ntXent(z1, z2, 0.5);          // scalar, differentiable
 * long hits = Contrastive.retrievalHits(z1, z2).getLong();  // accuracy: hits / (2 * n)
 * }</pre>
 */
public final class Contrastive {
  /** A norm below this is treated as this, so a zero row is divided by something non-zero. */
  private static final double NORM_FLOOR = 1e-12;

  private Contrastive() {}

  /**
   * SimCLR's NT-Xent (normalized temperature-scaled cross-entropy) loss. With the {@code 2n}
   * rows of {@code z1} and {@code z2} L2-normalized and {@code s(i, j)} their dot product (the
   * cosine similarity), each anchor {@code i} has the loss
   * {@code −log(exp(s(i, p(i)) / τ) / Σ_{j ≠ i} exp(s(i, j) / τ))}, where {@code p(i)} is the
   * other view of the same image ({@code k ↔ k + n}); the result is the mean over all
   * {@code 2n} anchors, so both directions count equally.
   *
   * <pre>{@code
   * try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
   *   NDArray loss = Contrastive.ntXent(z1, z2, 0.5);
   *   gc.backward(loss);
   * }
   * }</pre>
   *
   * @param z1 the first views' embeddings, floating point {@code [n, d]}, not necessarily
   *     normalized
   * @param z2 the second views' embeddings, the same shape as {@code z1}
   * @param temperature {@code τ}, positive and finite (SimCLR uses 0.1 to 1.0)
   * @return the mean loss, a scalar of {@code z1}'s data type on its device, attached to its
   *     manager and differentiable with respect to both inputs
   * @throws IllegalArgumentException if the inputs are not both {@code [n, d]} of one shape with
   *     {@code n ≥ 2}, or the temperature is not positive and finite
   */
  public static NDArray ntXent(NDArray z1, NDArray z2, double temperature) {
    checkPair(z1, z2);
    if (!Double.isFinite(temperature)) {
      throw new IllegalArgumentException("temperature must be finite: " + temperature);
    }
    if (temperature <= 0) {
      throw new IllegalArgumentException("temperature must be positive: " + temperature);
    }
    int twoN = 2 * (int) z1.getShape().get(0);
    NDManager owner = z1.getManager();
    try (NDManager scope = scopeOver(z1, z2)) {
      NDArray logits = similarities(z1, z2).div(temperature);
      // An anchor is not its own negative. −inf removes the diagonal exactly whatever τ (a finite
      // constant would have to outweigh 1/τ), and is safe: every row keeps 2n − 1 ≥ 3 finite
      // entries, the gathered positives are never the diagonal, and exp(−inf) = 0 gives the
      // masked entries zero probability and zero gradient rather than NaN.
      NDArray self = scope.eye(twoN, twoN, 0, DataType.BOOLEAN);
      // full size: DJL's where does not broadcast on PyTorch
      NDArray minusInf = scope.full(logits.getShape(), Float.NEGATIVE_INFINITY,
          logits.getDataType());
      NDArray masked = NDArrays.where(self, minusInf, logits);
      NDArray logProbability = masked.logSoftmax(1);
      NDArray positive = logProbability.gather(partners(scope, twoN).reshape(-1, 1), 1);
      NDArray loss = positive.mean().neg();
      loss.attach(owner);
      return loss;
    }
  }

  /**
   * The number of top-1 retrieval hits (Chen et al. 2021, appendix, eq. 2): sample {@code i} of
   * the {@code 2n} is a hit when, among the other {@code 2n − 1} samples, the cosine-nearest is
   * its positive {@code p(i)}. A tie is a miss: {@code i} is a hit only if
   * {@code s(i, p(i)) > s(i, j)} strictly for every {@code j ∉ {i, p(i)}}, so identical
   * embeddings (a collapsed encoder) score zero rather than a chance-like rate. Both directions
   * count, so the accuracy is {@code hits / 2n}; it is not symmetric per pair: {@code i} may
   * retrieve {@code p(i)} while {@code p(i)} retrieves something else.
   *
   * <pre>{@code
   * long hits = 0;
   * for (Batch b : batches) {   // two views per image
   *   hits += Contrastive.retrievalHits(z1Of(b), z2Of(b)).getLong();
   * }
   * double accuracy = (double) hits / (2 * images);
   * }</pre>
   *
   * @param z1 the first views' embeddings, floating point {@code [n, d]}
   * @param z2 the second views' embeddings, the same shape as {@code z1}
   * @return the hit count, an int64 scalar on the inputs' device attached to {@code z1}'s
   *     manager, without gradient
   * @throws IllegalArgumentException if the inputs are not both {@code [n, d]} of one shape with
   *     {@code n ≥ 2}
   */
  public static NDArray retrievalHits(NDArray z1, NDArray z2) {
    checkPair(z1, z2);
    int n = (int) z1.getShape().get(0);
    NDManager owner = z1.getManager();
    try (NDManager scope = scopeOver(z1, z2)) {
      // Detached first: a metric must not grow the autograd graph of a recorded training step.
      NDArray s = similarities(z1.stopGradient(), z2.stopGradient());
      NDArray partner = partners(scope, 2 * n);
      NDArray positive = s.gather(partner.reshape(-1, 1), 1).reshape(-1);
      // Row and column show the same image (i itself or p(i)) exactly when their indices agree
      // mod n; everything else is a negative the positive must beat.
      NDArray image = scope.arange(0, 2 * n, 1, DataType.INT64).mod(n);
      NDArray sameImage = image.reshape(-1, 1).eq(image.reshape(1, -1));
      NDArray minusInf = scope.full(s.getShape(), Float.NEGATIVE_INFINITY, s.getDataType());
      NDArray bestNegative = NDArrays.where(sameImage, minusInf, s).max(new int[] {1});
      NDArray hits = positive.gt(bestNegative).toType(DataType.INT64, false).sum();
      hits.attach(owner);
      return hits;
    }
  }

  /**
   * Each row divided by its L2 norm, or by {@code 1e-12} when the norm is smaller, so a zero
   * row stays zero instead of becoming NaN.
   *
   * <pre>{@code
   * NDArray unit = Contrastive.normalizeRows(manager.create(new float[][] {{3, 4}, {0, 0}}));
   * // [[0.6, 0.8], [0, 0]]
   * }</pre>
   *
   * @param z floating point {@code [n, d]}
   * @return the normalized rows, {@code [n, d]}, attached to {@code z}'s manager
   * @throws IllegalArgumentException if {@code z} is not 2-D
   */
  public static NDArray normalizeRows(NDArray z) {
    if (z.getShape().dimension() != 2) {
      throw new IllegalArgumentException(
          "normalizeRows needs a 2-D array [n, d], got " + z.getShape());
    }
    NDManager owner = z.getManager();
    NDManager scope = scopeOver(z, z);
    try {
      NDArray unit = unitRows(z);
      unit.attach(owner);
      return unit;
    } finally {
      scope.close();
    }
  }

  private static NDArray unitRows(NDArray z) {
    return z.div(z.norm(new int[] {1}, true).maximum(NORM_FLOOR));
  }

  /** Cosine similarities of the 2n rows of z1 stacked on z2: [2n, 2n]. */
  private static NDArray similarities(NDArray z1, NDArray z2) {
    NDArray z = unitRows(z1.concat(z2, 0));
    return z.matMul(z.transpose());
  }

  /** p(i) for the 2n stacked rows: n..2n−1 for the first views, then 0..n−1. */
  private static NDArray partners(NDManager scope, int twoN) {
    int n = twoN / 2;
    return scope.arange(n, twoN, 1, DataType.INT64)
        .concat(scope.arange(0, n, 1, DataType.INT64), 0);
  }

  /**
   * A sub-manager holding z1 and z2 until it is closed: operations on them attach their results
   * to it, so closing it frees every intermediate and hands the inputs back to their managers.
   */
  private static NDManager scopeOver(NDArray z1, NDArray z2) {
    NDManager scope = NDManager.subManagerOf(z1);
    // Attaching one array twice would record the scope itself as its home, and closing the
    // scope would then close the caller's array.
    if (z1 == z2) {
      scope.tempAttachAll(z1);
    } else {
      scope.tempAttachAll(z1, z2);
    }
    return scope;
  }

  private static void checkPair(NDArray z1, NDArray z2) {
    Shape s1 = z1.getShape();
    Shape s2 = z2.getShape();
    if (s1.dimension() != 2 || s2.dimension() != 2) {
      throw new IllegalArgumentException(
          "embeddings must be 2-D [n, d], got z1 " + s1 + " and z2 " + s2);
    }
    if (!s1.equals(s2)) {
      throw new IllegalArgumentException(
          "z1 and z2 must have the same shape, got " + s1 + " and " + s2);
    }
    if (s1.get(0) < 2) {
      throw new IllegalArgumentException(
          "SimCLR needs at least 2 images per batch, got " + s1.get(0));
    }
  }
}
