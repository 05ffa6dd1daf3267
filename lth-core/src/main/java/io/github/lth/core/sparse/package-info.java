/**
 * Sparse training methods and their shared pieces.
 *
 * <pre>{@code
 * Map<String, Long> kept = SparsityDistributions.erk().keptCounts(shapes, 0.9);
 * }</pre>
 */
package io.github.lth.core.sparse;
