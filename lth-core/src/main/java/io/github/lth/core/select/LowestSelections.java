package io.github.lth.core.select;

/**
 * The available {@link LowestSelection} kernels.
 *
 * <pre>{@code
 * LowestSelection fast = LowestSelections.exact();
 * LowestSelection slow = LowestSelections.sorting();   // reference for tests
 * }</pre>
 */
public final class LowestSelections {
  private LowestSelections() {}

  /**
   * The fastest exact kernel on the CPU: a sampled bracket around the wanted rank and one
   * marking pass over the scores' bit patterns (a radix select when the bracket misses), on
   * every core. Layers marked {@linkplain ScoredLayer#absolute() absolute} are read as |w|
   * straight from the weights. Gives exactly what {@link #sorting()} gives, ties and threshold
   * included.
   */
  public static LowestSelection exact() {
    return new RadixSelection(Runtime.getRuntime().availableProcessors());
  }

  /** The sort-based reference: simple, slow, used to check the others. */
  public static LowestSelection sorting() {
    return new SortingSelection();
  }
}
