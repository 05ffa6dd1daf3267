package io.github.lth.core.rewind;

import static com.google.common.base.Preconditions.checkArgument;

import io.github.lth.core.Imp;
import io.github.lth.core.Weights;

/**
 * Where the surviving weights go back to after each pruning round. Create instances with
 * {@link Rewinds}; {@link Imp} captures the rewind point during the dense round 0 (or before it)
 * and restores it at the start of every later round. With a late rewind point θ_k (by step, epoch
 * or fraction of training), every later round trains steps {@code k … T−1} from θ_k, the
 * learning-rate schedule and data order continuing from step {@code k} (Frankle et al. 2019).
 *
 * <pre>{@code
 * Rewind late = Rewinds.toStep(500);     // late resetting
 * Rewind spec = Rewinds.parse("epoch:1");
 * }</pre>
 */
public sealed interface Rewind {

  /** The {@code --rewind} spelling of this rewind, parseable by {@link Rewinds#parse}. */
  String spec();

  /** Back to the weights at initialization, θ₀. */
  record ToInit() implements Rewind {
    @Override
    public String spec() {
      return "init";
    }
  }

  /** Back to the weights after {@code step} optimizer steps of round 0 (late resetting). */
  record ToStep(long step) implements Rewind {
    public ToStep {
      checkArgument(step > 0, "rewind step must be positive (0 is init): %s", step);
    }

    @Override
    public String spec() {
      return "step:" + step;
    }
  }

  /** Back to the weights after {@code epoch} epochs of round 0 (late resetting). */
  record ToEpoch(int epoch) implements Rewind {
    public ToEpoch {
      checkArgument(epoch > 0, "rewind epoch must be positive (0 is init): %s", epoch);
    }

    @Override
    public String spec() {
      return "epoch:" + epoch;
    }
  }

  /**
   * Back to the weights after the given fraction of round 0's steps, {@code round(f × T)}
   * (Chen et al.'s θ at 5 % is {@code fraction:0.05}).
   */
  record ToFraction(double fraction) implements Rewind {
    public ToFraction {
      checkArgument(fraction > 0 && fraction < 1,
          "rewind fraction must be in (0, 1) (0 is init): %s", fraction);
    }

    @Override
    public String spec() {
      return "fraction:" + fraction;
    }
  }

  /**
   * Start from pre-trained weights θp and rewind to them. {@code source} names where they came
   * from (recorded in the run's config).
   */
  record ToPretrained(String source, Weights weights) implements Rewind {
    @Override
    public String spec() {
      return "pretrained:" + source;
    }
  }

  /** A fresh random initialization every round (the random re-initialization control). */
  record Reinit() implements Rewind {
    @Override
    public String spec() {
      return "reinit";
    }
  }

  /** No rewind: keep training the pruned network from where it is (fine-tuning). */
  record None() implements Rewind {
    @Override
    public String spec() {
      return "none";
    }
  }
}
