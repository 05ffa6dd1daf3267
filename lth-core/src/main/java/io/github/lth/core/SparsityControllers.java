package io.github.lth.core;

import static com.google.common.base.Preconditions.checkArgument;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Factories for {@link SparsityController}.
 *
 * <pre>{@code
 * task.train(model, SparsityControllers.fixed(mask), context);   // what IMP does each round
 * }</pre>
 */
public final class SparsityControllers {
  private SparsityControllers() {}

  /** The same mask from the first to the last step (IMP's rounds, transfer with a fixed mask). */
  public static SparsityController fixed(Mask mask) {
    checkArgument(mask != null, "the fixed mask must not be null");
    return new Fixed(mask);
  }

  /** Keeps whatever mask the run starts with. */
  public static SparsityController unchanged() {
    return new SparsityController() {
      @Override
      public Mask start(TrainingState state) {
        return state.mask();
      }

      @Override
      public Map<String, Object> settings() {
        return Map.of("controller", "unchanged");
      }
    };
  }

  /** The controller of {@link #fixed}. */
  public static final class Fixed implements SparsityController {
    private final Mask mask;

    private Fixed(Mask mask) {
      this.mask = mask;
    }

    public Mask mask() {
      return mask;
    }

    @Override
    public Mask start(TrainingState state) {
      return mask;
    }

    @Override
    public Map<String, Object> settings() {
      Map<String, Object> s = new LinkedHashMap<>();
      s.put("controller", "fixed");
      s.put("sparsity", mask.sparsity());
      return s;
    }

    @Override
    public String toString() {
      return "fixed(" + mask + ")";
    }
  }
}
