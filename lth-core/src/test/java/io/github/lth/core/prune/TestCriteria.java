package io.github.lth.core.prune;

import io.github.lth.core.Scores;
import io.github.lth.core.Subnetwork;
import io.github.lth.core.Weights;

/**
 * Criteria and providers for the by-name lookup tests of {@link PruningCriteria}. Only
 * {@link Registered} is listed in the test {@code META-INF/services} file; the others are found
 * (or refused) by class name.
 *
 * <pre>{@code
 * PruningCriterion c = PruningCriteria.byName("test-negated-magnitude", 0);
 * }</pre>
 */
public final class TestCriteria {
  private TestCriteria() {}

  /** −|w|: prunes the largest weights first, so its masks differ visibly from magnitude. */
  public static final class NegatedMagnitude implements PruningCriterion {
    @Override
    public Scores score(Subnetwork s) {
      Weights.Builder b = Weights.builder();
      for (String layer : s.mask().layers()) {
        float[] v = s.weights().values(layer);
        for (int i = 0; i < v.length; i++) {
          v[i] = -Math.abs(v[i]);
        }
        b.putOwned(layer, s.mask().shape(layer), v);
      }
      return Scores.of(b.build());
    }
  }

  /** Registered through the test service file under {@code test-negated-magnitude}. */
  public static final class Registered implements PruningCriterionProvider {
    @Override
    public String name() {
      return "test-negated-magnitude";
    }

    @Override
    public PruningCriterion create(long seed) {
      return new NegatedMagnitude();
    }
  }

  /** Not registered; found by class name, and hands the seed on so the test can see it. */
  public static final class SeededProvider implements PruningCriterionProvider {
    @Override
    public String name() {
      return "test-seeded";
    }

    @Override
    public PruningCriterion create(long seed) {
      return new Seeded(seed);
    }
  }

  /** The criterion {@link SeededProvider} makes; scores are constant, only the seed matters. */
  public record Seeded(long seed) implements PruningCriterion {
    @Override
    public Scores score(Subnetwork s) {
      return PruningCriteria.magnitude().score(s);
    }
  }

  /** Has no no-argument constructor. */
  public static final class NeedsArgument implements PruningCriterion {
    private final float scale;

    public NeedsArgument(float scale) {
      this.scale = scale;
    }

    @Override
    public Scores score(Subnetwork s) {
      throw new UnsupportedOperationException("never constructed by name: " + scale);
    }
  }

  /** A public class with a no-argument constructor that is no criterion. */
  public static final class NotACriterion {
    public NotACriterion() {}
  }

  /** Its constructor fails. */
  public static final class Throwing implements PruningCriterion {
    public Throwing() {
      throw new IllegalStateException("needs a GPU");
    }

    @Override
    public Scores score(Subnetwork s) {
      throw new AssertionError("the constructor always fails, so this never runs");
    }
  }
}
