package io.github.lth.core.prune;

/**
 * Where the pruning threshold is drawn.
 *
 * <pre>{@code
 * Imp.builder().optScope(PruningScope.LAYER)
 * }</pre>
 */
public enum PruningScope {
  /** One threshold over all prunable parameters together; layers end up with different sparsity. */
  GLOBAL,
  /** Each parameter is pruned separately by the same rate; every layer has the same sparsity. */
  LAYER
}
