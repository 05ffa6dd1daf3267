package io.github.lth.core.branch;

import static com.google.common.base.Preconditions.checkArgument;

import java.util.Locale;

/**
 * A control of a lottery-ticket run: what a branch changes about a found ticket before training
 * it again, so the ticket can be judged against it. Every control trains exactly like the run's
 * round it comes from (same steps, learning rates, start step and, except for {@link Retrain},
 * data order); only the named difference is made.
 *
 * <pre>{@code
 * Control c = Control.parse("perturbed:10");   // flip 10 % of the kept weights
 * Control r = new Control.Reinit();             // Frankle & Carbin's random re-initialization
 * }</pre>
 */
public sealed interface Control {
  /**
   * The float32 machine epsilon (2⁻²³): the limited-supervision paper counts trained weights
   * below machine precision as naturally zero.
   */
  double MACHINE_EPSILON = Math.ulp(1.0f);

  /** The control as written on the command line and in the branch's settings. */
  String spec();

  /** The branch's directory name: the spec with ':' replaced by '-'. */
  default String directoryName() {
    return spec().replace(':', '-');
  }

  /** One sentence on what the control trains, for output and reports. */
  String description();

  /** The found mask, trained from a fresh random initialization. */
  record Reinit() implements Control {
    @Override
    public String spec() {
      return "reinit";
    }

    @Override
    public String description() {
      return "the ticket's mask trained from a fresh random initialization";
    }
  }

  /** A random mask with the found mask's kept count in every layer (layer-wise random pruning). */
  record RandomMask() implements Control {
    @Override
    public String spec() {
      return "random-mask";
    }

    @Override
    public String description() {
      return "a random mask keeping as many weights in each layer as the ticket, from the"
          + " ticket's starting weights";
    }
  }

  /** A random mask with the found mask's overall kept count, drawn over all prunable weights. */
  record RandomGlobal() implements Control {
    @Override
    public String spec() {
      return "random-global";
    }

    @Override
    public String description() {
      return "a random mask keeping as many weights overall as the ticket (drawn globally),"
          + " from the ticket's starting weights";
    }
  }

  /** The complement m^c: keeps exactly the prunable weights the ticket prunes. */
  record Complement() implements Control {
    @Override
    public String spec() {
      return "complement";
    }

    @Override
    public String description() {
      return "the complement mask (keeps exactly what the ticket prunes), from the ticket's"
          + " starting weights";
    }
  }

  /**
   * The perturbed mask m + Δm (Chen et al.): in each layer {@code percent} % of the kept weights
   * are pruned and as many pruned weights kept, so per-layer sparsity is unchanged.
   */
  record Perturbed(double percent) implements Control {
    public Perturbed {
      checkArgument(percent > 0 && percent <= 100,
          "perturbation must be a percentage in (0, 100]: %s", percent);
    }

    @Override
    public String spec() {
      return "perturbed:" + number(percent);
    }

    @Override
    public String description() {
      return "the ticket's mask with " + number(percent) + " % of its kept weights swapped for"
          + " pruned ones in every layer";
    }
  }

  /**
   * The random baseline adjusted for natural sparsity (Caron et al., limited supervision, §5):
   * weights whose magnitude after dense training (round 0) is at most {@code threshold} count
   * as already pruned; the rest of each layer's pruned count is drawn at random among the
   * others.
   */
  record NaturalRandom(double threshold) implements Control {
    public NaturalRandom {
      checkArgument(threshold >= 0 && Double.isFinite(threshold),
          "natural-random threshold must be a finite number >= 0: %s", threshold);
    }

    @Override
    public String spec() {
      return threshold == MACHINE_EPSILON ? "natural-random" : "natural-random:"
          + number(threshold);
    }

    @Override
    public String description() {
      return "a random mask that first prunes the weights already |w| <= "
          + String.format(Locale.ROOT, "%.3g", threshold) + " after dense training, the rest of"
          + " each layer's count at random";
    }
  }

  /** The found mask trained again from the same start with another data order. */
  record Retrain() implements Control {
    @Override
    public String spec() {
      return "retrain";
    }

    @Override
    public String description() {
      return "the ticket's mask trained again from its starting weights with another data order";
    }
  }

  /** The spec of every control, for help texts. */
  String NAMES = "reinit, random-mask, random-global, complement, perturbed:PERCENT,"
      + " natural-random[:THRESHOLD], retrain";

  /**
   * Parses a control: {@code reinit}, {@code random-mask}, {@code random-global},
   * {@code complement}, {@code perturbed:X} (X in (0, 100]), {@code natural-random} or
   * {@code natural-random:T}, {@code retrain}.
   *
   * @throws IllegalArgumentException naming the known controls
   */
  static Control parse(String spec) {
    String s = spec.trim().toLowerCase(Locale.ROOT);
    int colon = s.indexOf(':');
    String name = colon < 0 ? s : s.substring(0, colon);
    String arg = colon < 0 ? null : s.substring(colon + 1);
    checkArgument(arg == null || name.equals("perturbed") || name.equals("natural-random"),
        "control %s takes no argument (%s)", name, spec);
    switch (name) {
      case "reinit":
        return new Reinit();
      case "random-mask":
        return new RandomMask();
      case "random-global":
        return new RandomGlobal();
      case "complement":
        return new Complement();
      case "retrain":
        return new Retrain();
      case "perturbed":
        checkArgument(arg != null && !arg.isEmpty(),
            "perturbed needs a percentage, e.g. perturbed:10");
        return new Perturbed(parseNumber(arg, spec));
      case "natural-random":
        return new NaturalRandom(arg == null ? MACHINE_EPSILON : parseNumber(arg, spec));
      default:
        throw new IllegalArgumentException("unknown control '" + spec + "' (known: " + NAMES
            + ")");
    }
  }

  private static double parseNumber(String text, String spec) {
    try {
      return Double.parseDouble(text.endsWith("%") ? text.substring(0, text.length() - 1) : text);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("control " + spec + ": '" + text + "' is not a number");
    }
  }

  private static String number(double v) {
    return v == Math.rint(v) && Math.abs(v) < 1e15 ? Long.toString((long) v)
        : Double.toString(v);
  }
}
