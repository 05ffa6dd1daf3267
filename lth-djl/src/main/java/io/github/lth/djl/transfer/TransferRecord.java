package io.github.lth.djl.transfer;

import io.github.lth.core.Metrics;

/**
 * One trained transfer: a configuration (mask and starting weights) at one sparsity, one seed
 * and one mode, with its metrics on the target.
 *
 * <pre>{@code
 * double top1 = record.metrics().get("test_accuracy");
 * }</pre>
 *
 * @param mode how it was trained on the target
 * @param configuration e.g. {@code mP,θp}, {@code mT,θ0}, {@code random-mask}, {@code dense}
 * @param round the IMP round the mask comes from (0 for the dense network)
 * @param sparsity the mask's sparsity over the prunable backbone weights
 * @param seed the transfer's seed (head initialization and data order)
 */
public record TransferRecord(TransferMode mode, String configuration, int round, double sparsity,
    long seed, Metrics metrics) {}
