/**
 * Verdicts of a ticket-transfer study: {@link io.github.lth.core.transfer.TransferResult} is one
 * trained transfer (a subnetwork fine-tuned or linearly probed on a target),
 * {@link io.github.lth.core.transfer.Verdicts} summarises the seeds of each subnetwork and judges
 * it against the dense reference on the same target (matching within one dense standard
 * deviation, after Chen et al. 2021; relative increase in error δ, after Iofinova et al. 2022),
 * and {@link io.github.lth.core.transfer.TransferPlot} draws one target with ± std bands.
 *
 * <pre>{@code
 * Verdicts v = Verdicts.builder().setMetric("test_accuracy").addAll(results).build();
 * OptionalDouble s = v.sparsestUniversal("imp");
 * TransferPlot.write(v, "full", "CIFAR-10, full fine-tuning", Path.of("full.png"));
 * }</pre>
 */
package io.github.lth.core.transfer;
