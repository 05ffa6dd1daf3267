/**
 * Physical removal of pruned channels: a model whose structured mask zeroed whole filters
 * (a convolution's output channels, a linear layer's output neurons) is rebuilt by {@link
 * io.github.lth.djl.structured.ChannelRemoval} as a smaller dense DJL model, with the next
 * layer's inputs cut to match, that computes the same outputs. {@link
 * io.github.lth.djl.structured.RemovalPlan} reports what the rebuild removes, layer by layer.
 *
 * <pre>{@code
 * model.applyMask(structuredMask);
 * System.out.println(ChannelRemoval.plan(model));
 * try (DjlModel small = ChannelRemoval.shrink(model)) {
 *   NDArray logits = small.forward(new NDList(images), false).singletonOrThrow();
 * }
 * }</pre>
 */
package io.github.lth.djl.structured;
