package io.github.lth.core.prune;

import static com.google.common.base.Preconditions.checkArgument;

import io.github.lth.core.Scores;
import io.github.lth.core.Subnetwork;
import io.github.lth.core.Weights;
import io.github.lth.core.structured.FilterCriteria;
import java.lang.reflect.InvocationTargetException;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.ServiceLoader;
import java.util.SplittableRandom;

/**
 * The built-in pruning criteria and the lookup of criteria by name.
 *
 * <pre>{@code
 * PruningCriterion c = PruningCriteria.magnitude();
 * PruningCriterion mine = PruningCriteria.byName("com.example.MyCriterion", 42);
 * PruningCriterion filters = PruningCriteria.byName("filter-l1", 0);   // whole filters
 * }</pre>
 */
public final class PruningCriteria {
  private PruningCriteria() {}

  /** |θ|: the classic lottery-ticket criterion. */
  public static PruningCriterion magnitude() {
    return Magnitude.INSTANCE;
  }

  /** |θ − θ₀|: how far each weight moved from the reference weights of the subnetwork. */
  public static PruningCriterion magnitudeChange() {
    return MagnitudeChange.INSTANCE;
  }

  /** Uniform random scores from {@code seed}: random pruning, the usual baseline. */
  public static PruningCriterion random(long seed) {
    return new RandomScores(seed);
  }

  /** Scores each weight by a function of its trained value and its reference value. */
  public static Scores map(Subnetwork s, FloatBinaryOperator f) {
    Weights ref = s.reference().orElseThrow(() -> new IllegalArgumentException(
        "this criterion needs reference weights (θ₀), but the subnetwork has none"));
    Weights.Builder b = Weights.builder();
    for (String layer : s.mask().layers()) {
      // the copy of the trained values becomes the scores; the reference is read in place
      float[] out = s.weights().values(layer);
      FloatBuffer w0 = ref.view(layer);
      for (int i = 0; i < out.length; i++) {
        out[i] = f.apply(out[i], w0.get(i));
      }
      b.putOwned(layer, s.mask().shape(layer), out);
    }
    return Scores.of(b.build());
  }

  /** A function of two floats, for {@link #map}. */
  @FunctionalInterface
  public interface FloatBinaryOperator {
    float apply(float value, float reference);
  }

  /**
   * Finds a criterion by registered name (see {@link PruningCriterionProvider}) or by the fully
   * qualified name of a public {@link PruningCriterion} or {@link PruningCriterionProvider} class
   * with a no-argument constructor.
   *
   * @throws IllegalArgumentException starting {@code criterion:}, naming the criterion and the
   *     known names, if none fits
   */
  public static PruningCriterion byName(String name, long seed) {
    checkArgument(name != null && !name.isBlank(), "criterion: empty name '%s'", name);
    for (PruningCriterionProvider p : providers()) {
      if (p.name().equals(name)) {
        return p.create(seed);
      }
    }
    if (name.contains(".")) {
      return fromClass(name, seed);
    }
    throw new IllegalArgumentException("criterion: unknown criterion '" + name + "' (known: "
        + String.join(", ", names()) + "; or a class name on the class path)");
  }

  /** The registered criterion names. */
  public static List<String> names() {
    List<String> out = new ArrayList<>();
    for (PruningCriterionProvider p : providers()) {
      out.add(p.name());
    }
    return out;
  }

  /** The registered providers, built-ins first. */
  public static List<PruningCriterionProvider> providers() {
    // built-ins first and never shadowed by a provider of the same name further up the path
    List<PruningCriterionProvider> out = new ArrayList<>(List.of(
        new MagnitudeProvider(), new MagnitudeChangeProvider(), new RandomProvider(),
        new FilterL1Provider(), new FilterL2Provider()));
    for (PruningCriterionProvider p : ServiceLoader.load(PruningCriterionProvider.class,
        classLoader())) {
      if (p.getClass().getEnclosingClass() != PruningCriteria.class) {
        out.add(p);
      }
    }
    return out;
  }

  private static PruningCriterion fromClass(String className, long seed) {
    Class<?> c;
    try {
      c = Class.forName(className, true, classLoader());
    } catch (ClassNotFoundException | LinkageError e) {
      throw new IllegalArgumentException("criterion: class '" + className
          + "' is not on the class path (known names: " + String.join(", ", names()) + ")");
    }
    Object o;
    try {
      o = c.getConstructor().newInstance();
    } catch (NoSuchMethodException | InstantiationException | IllegalAccessException e) {
      throw new IllegalArgumentException("criterion: class '" + className
          + "' needs a public no-argument constructor");
    } catch (InvocationTargetException e) {
      throw new IllegalArgumentException("criterion: constructing '" + className + "' failed: "
          + e.getCause());
    }
    if (o instanceof PruningCriterion criterion) {
      return criterion;
    }
    if (o instanceof PruningCriterionProvider provider) {
      return provider.create(seed);
    }
    throw new IllegalArgumentException("criterion: class '" + className
        + "' implements neither PruningCriterion nor PruningCriterionProvider");
  }

  private static ClassLoader classLoader() {
    ClassLoader cl = Thread.currentThread().getContextClassLoader();
    return cl != null ? cl : PruningCriteria.class.getClassLoader();
  }

  /** |θ|. Device-backed models recognise this class and score without leaving the device. */
  public static final class Magnitude implements PruningCriterion {
    static final Magnitude INSTANCE = new Magnitude();

    private Magnitude() {}

    /** The magnitudes of the weights, without a copy: the pruner reads |w| on the fly. */
    @Override
    public Scores score(Subnetwork s) {
      return Scores.magnitudes(s);
    }

    @Override
    public String toString() {
      return "magnitude";
    }
  }

  /** |θ − θ₀|. Device-backed models recognise this class and score on the device. */
  public static final class MagnitudeChange implements PruningCriterion {
    static final MagnitudeChange INSTANCE = new MagnitudeChange();

    private MagnitudeChange() {}

    @Override
    public Scores score(Subnetwork s) {
      return map(s, (w, w0) -> Math.abs(w - w0));
    }

    @Override
    public String toString() {
      return "magnitude-change";
    }
  }

  /** Uniform random scores; the same seed and layer order give the same scores. */
  public static final class RandomScores implements PruningCriterion {
    private final long seed;

    private RandomScores(long seed) {
      this.seed = seed;
    }

    public long seed() {
      return seed;
    }

    @Override
    public Scores score(Subnetwork s) {
      SplittableRandom rng = new SplittableRandom(seed);
      Weights.Builder b = Weights.builder();
      for (String layer : s.mask().layers()) {
        float[] out = new float[Math.toIntExact(s.mask().size(layer))];
        for (int i = 0; i < out.length; i++) {
          out[i] = (float) rng.nextDouble();
        }
        b.putOwned(layer, s.mask().shape(layer), out);
      }
      return Scores.of(b.build());
    }

    @Override
    public String toString() {
      return "random(" + seed + ")";
    }
  }

  /** Registers {@code magnitude}. */
  public static final class MagnitudeProvider implements PruningCriterionProvider {
    @Override
    public String name() {
      return "magnitude";
    }

    @Override
    public String description() {
      return "|w|, the lottery-ticket default";
    }

    @Override
    public PruningCriterion create(long seed) {
      return magnitude();
    }
  }

  /** Registers {@code magnitude-change}. */
  public static final class MagnitudeChangeProvider implements PruningCriterionProvider {
    @Override
    public String name() {
      return "magnitude-change";
    }

    @Override
    public String description() {
      return "|w - w0|, movement from the reference weights";
    }

    @Override
    public PruningCriterion create(long seed) {
      return magnitudeChange();
    }
  }

  /** Registers {@code random}. */
  public static final class RandomProvider implements PruningCriterionProvider {
    @Override
    public String name() {
      return "random";
    }

    @Override
    public String description() {
      return "uniform random scores from the seed";
    }

    @Override
    public PruningCriterion create(long seed) {
      return random(seed);
    }
  }

  /** Registers {@code filter-l1}: {@link FilterCriteria#l1()}. */
  public static final class FilterL1Provider implements PruningCriterionProvider {
    @Override
    public String name() {
      return "filter-l1";
    }

    @Override
    public String description() {
      return "L1 norm of each output filter, normalized per layer; prunes whole filters"
          + " with their bias and BatchNorm (rates count filters)";
    }

    @Override
    public PruningCriterion create(long seed) {
      return FilterCriteria.l1();
    }
  }

  /** Registers {@code filter-l2}: {@link FilterCriteria#l2()}. */
  public static final class FilterL2Provider implements PruningCriterionProvider {
    @Override
    public String name() {
      return "filter-l2";
    }

    @Override
    public String description() {
      return "L2 norm of each output filter, normalized per layer; prunes whole filters"
          + " with their bias and BatchNorm (rates count filters)";
    }

    @Override
    public PruningCriterion create(long seed) {
      return FilterCriteria.l2();
    }
  }
}
