/**
 * Pruning weights that do not fit in the heap: {@link io.github.lth.core.scale.StreamingPruner}
 * reads them memory-mapped ({@link io.github.lth.core.io.TensorFile}), selects exactly by the
 * same rule as {@link io.github.lth.core.Pruner} in two passes over the data, and writes the mask
 * as it is decided.
 */
package io.github.lth.core.scale;
