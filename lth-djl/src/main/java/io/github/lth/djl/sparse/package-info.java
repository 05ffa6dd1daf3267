/**
 * Sparse training on DJL whose mask comes from training itself rather than from pruning rounds:
 * {@link io.github.lth.djl.sparse.SoftThresholdReparametrization} (STR, Kusupati et al. 2020)
 * learns a threshold per layer, trains through the soft-thresholded weights and then fine-tunes
 * the mask they define. Controllers here plug into the same {@code TrainingLoop} as IMP's fixed
 * masks.
 *
 * <pre>{@code
 * try (SoftThresholdReparametrization str = SoftThresholdReparametrization.builder()
 *     .optTargetSparsity(0.9).build()) {
 *   TrainingSummary s = loop.run(model, str, new TrainingContext(0, 42, TrainingListener.NONE));
 *   Mask ticket = s.finalMask();
 * }
 * }</pre>
 */
package io.github.lth.djl.sparse;
