package io.github.lth.cli;

import static com.google.common.base.Preconditions.checkArgument;

import io.github.lth.core.SparsityController;
import io.github.lth.core.prune.PruningScope;
import io.github.lth.core.sparse.AcDc;
import io.github.lth.core.sparse.GradualMagnitudePruning;
import io.github.lth.core.sparse.Rigl;
import io.github.lth.core.sparse.SparsityDistribution;
import io.github.lth.core.sparse.WoodFisherPruning;
import io.github.lth.djl.sparse.SoftThresholdReparametrization;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The sparse training methods of {@code lth train --method NAME}, each built from the target
 * sparsity, the scope, the seed and the method's own {@code --method-options key=value,...}.
 *
 * <pre>{@code
 * Supplier<SparsityController> gmp = SparseMethods.parse("gmp", 0.9, PruningScope.GLOBAL,
 *     SparsityDistributions.erk(), "start=0.2,steps=10", seed);
 * }</pre>
 */
final class SparseMethods {
  static final List<String> NAMES = List.of("gmp", "acdc", "rigl", "str", "woodfisher");

  /** Options each method reads, in the order help lists them. */
  static final Map<String, List<String>> OPTIONS = Map.of(
      "gmp", List.of("initial", "start", "end", "steps"),
      "acdc", List.of("warmup", "sparse", "dense", "final"),
      "rigl", List.of("every", "alpha", "end"),
      "str", List.of("init", "lr", "decay", "rho", "freeze"),
      "woodfisher", List.of("start", "end", "steps", "block", "dampening", "samples"));

  private SparseMethods() {}

  /**
   * A fresh controller of the method per call.
   *
   * @throws IllegalArgumentException naming the flag or option of a bad value
   */
  static Supplier<SparsityController> parse(String name, double target, PruningScope scope,
      SparsityDistribution distribution, String optionText, long seed) {
    String method = name.trim().toLowerCase(Locale.ROOT);
    checkArgument(NAMES.contains(method), "--method: unknown method '%s' (known: %s)", name,
        String.join(", ", NAMES));
    Options o = Options.parse(method, optionText);
    try {
      return build(method, o, target, scope, distribution, seed);
    } catch (IllegalArgumentException e) {
      // the builders name the setting in their words; on the command line it is an option
      String m = e.getMessage();
      throw m.startsWith("--") ? e
          : new IllegalArgumentException("--method-options (" + method + "): " + m, e);
    }
  }

  private static Supplier<SparsityController> build(String method, Options o, double target,
      PruningScope scope, SparsityDistribution distribution, long seed) {
    Supplier<SparsityController> built = switch (method) {
      case "gmp" -> {
        GradualMagnitudePruning.Builder b = GradualMagnitudePruning.builder(target).optScope(scope)
            .optInitialSparsity(o.number("initial", 0))
            .optSpan(o.number("start", 0.1), o.number("end", 0.75))
            .optPruningSteps(o.whole("steps", 20));
        yield b::build;
      }
      case "acdc" -> {
        AcDc.Builder b = AcDc.builder(target).optScope(scope).optPhases(o.number("warmup", 0.1),
            o.number("sparse", 0.05), o.number("dense", 0.05), o.number("final", 0.1));
        yield b::build;
      }
      case "rigl" -> {
        Rigl.Builder b = Rigl.builder(target)
            .optDistribution(distribution)
            .optUpdateEvery(o.whole("every", 100)).optDropFraction(o.number("alpha", 0.3))
            .optEndFraction(o.number("end", 0.75)).optSeed(seed);
        yield b::build;
      }
      case "str" -> {
        SoftThresholdReparametrization.Builder b = SoftThresholdReparametrization.builder()
            .optTargetSparsity(target).optScope(scope)
            .optThresholdInit(o.number("init", SoftThresholdReparametrization.DEFAULT_S_INIT))
            .optThresholdLearningRate(o.number("lr",
                SoftThresholdReparametrization.DEFAULT_THRESHOLD_LEARNING_RATE))
            .optThresholdDecay(o.number("decay", SoftThresholdReparametrization.DEFAULT_THRESHOLD_DECAY))
            .optRho(o.number("rho", SoftThresholdReparametrization.DEFAULT_RHO))
            .optFreezeFraction(o.number("freeze",
                SoftThresholdReparametrization.DEFAULT_FREEZE_FRACTION));
        yield b::build;
      }
      case "woodfisher" -> {
        WoodFisherPruning.Builder b = WoodFisherPruning.builder(target).optScope(scope)
            .optSpan(o.number("start", 0.1), o.number("end", 0.75))
            .optPruningSteps(o.whole("steps", 10)).optBlockSize(o.whole("block", 128))
            .optDampening(o.number("dampening", 1e-5))
            .optFisherSamples(o.whole("samples", 16));
        yield b::build;
      }
      default -> throw new IllegalStateException(method);
    };
    o.checkAllUsed();
    // build one now: bad values fail here, before any data is read
    built.get();
    return built;
  }

  /** {@code key=value} pairs of --method-options, with the keys the method has read. */
  private static final class Options {
    private final String method;
    private final Map<String, String> values;
    private final List<String> read = new ArrayList<>();

    private Options(String method, Map<String, String> values) {
      this.method = method;
      this.values = values;
    }

    static Options parse(String method, String text) {
      Map<String, String> values = new LinkedHashMap<>();
      if (text != null && !text.isBlank()) {
        for (String part : text.split(",")) {
          int eq = part.indexOf('=');
          checkArgument(eq > 0 && eq < part.length() - 1, "--method-options: '%s' is not"
              + " key=value", part.trim());
          String key = part.substring(0, eq).trim().toLowerCase(Locale.ROOT);
          checkArgument(OPTIONS.get(method).contains(key), "--method-options: %s has no option"
              + " '%s' (it has: %s)", method, key, String.join(", ", OPTIONS.get(method)));
          checkArgument(values.put(key, part.substring(eq + 1).trim()) == null,
              "--method-options: %s is given twice", key);
        }
      }
      return new Options(method, values);
    }

    double number(String key, double fallback) {
      read.add(key);
      String v = values.get(key);
      if (v == null) {
        return fallback;
      }
      try {
        return Double.parseDouble(v);
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException(String.format("--method-options: %s=%s is not a"
            + " number", key, v), e);
      }
    }

    int whole(String key, int fallback) {
      double v = number(key, fallback);
      checkArgument(v == Math.rint(v) && Math.abs(v) <= Integer.MAX_VALUE,
          "--method-options: %s=%s is not a whole number of at most %s digits", key,
          values.get(key), String.valueOf(Integer.MAX_VALUE).length());
      return (int) v;
    }

    void checkAllUsed() {
      for (String key : values.keySet()) {
        checkArgument(read.contains(key), "--method-options: %s does not use '%s'", method, key);
      }
    }
  }
}
