/**
 * Mask analysis across several masks: IoU and Hamming matrices, per-layer sparsity, fully pruned
 * kernels and filters ({@link io.github.lth.core.analysis.MaskComparison}), the kernel-level map
 * of a convolution ({@link io.github.lth.core.analysis.KernelMap}) and PNG pictures of them all
 * ({@link io.github.lth.core.analysis.MaskPlots}).
 *
 * <pre>{@code
 * MaskComparison c = MaskComparison.of(List.of("seed 1", "seed 2"), List.of(m1, m2));
 * double iou = c.iou()[0][1];
 * MaskPlots.writePng(MaskPlots.iouHeatMap(c), Path.of("iou.png"));
 * }</pre>
 */
package io.github.lth.core.analysis;
