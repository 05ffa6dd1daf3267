package io.github.lth.core.prune;

/**
 * Makes a {@link PruningCriterion} available by name ({@code --criterion NAME}); implementations
 * are listed in {@code META-INF/services/io.github.lth.core.prune.PruningCriterionProvider}.
 *
 * <pre>{@code
 * public final class TaylorProvider implements PruningCriterionProvider {
 *   public String name() { return "taylor"; }
 *   public PruningCriterion create(long seed) { return new TaylorCriterion(); }
 * }
 * }</pre>
 */
public interface PruningCriterionProvider {

  /** The name users type, e.g. {@code magnitude}; lower case with dashes. */
  String name();

  /** One line for {@code --help} listings. */
  default String description() {
    return name();
  }

  /** A criterion instance; {@code seed} is the run's seed for criteria that draw randomness. */
  PruningCriterion create(long seed);
}
