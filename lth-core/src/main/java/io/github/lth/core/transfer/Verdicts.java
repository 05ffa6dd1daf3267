package io.github.lth.core.transfer;

import static com.google.common.base.Preconditions.checkArgument;

import com.google.common.collect.ImmutableList;
import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.TreeMap;

/**
 * The verdicts of a transfer study: for every target, configuration and round, the statistics
 * of one metric over the seeds and a verdict against the reference configuration (default
 * {@code "dense"}) on the same target.
 *
 * <ul>
 *   <li><b>Matching</b> (Chen et al. 2021, footnote 7): a subnetwork is matching if its mean is
 *       within one standard deviation of the dense model's, or better. For a metric whose name
 *       contains {@code accuracy} (higher is better) that is {@code mean >= refMean - refStd};
 *       for one containing {@code loss} or {@code error} (lower is better) it is
 *       {@code mean <= refMean + refStd}. The comparison allows 1e-12, so that a mean exactly on
 *       the boundary matches whatever the rounding of the reference's statistics.
 *   <li><b>δ</b> (Iofinova et al. 2022, relative increase in error): for accuracy,
 *       {@code (err - refErr) / refErr} with {@code err = 1 - mean}; for a loss or error metric,
 *       {@code (mean - refMean) / refMean}. It is NaN (null in JSON, empty in CSV) when the
 *       reference's error or loss is 0.
 * </ul>
 *
 * <p>Standard deviations are sample ones ({@code n - 1}); the reference needs at least 2 seeds on
 * every target, while other groups may have any number (their {@code n} is reported). Each
 * target needs exactly one reference group (any round, normally 0); the reference's own verdict
 * is listed with matching true and δ 0. Accuracies are fractions in [0, 1].
 *
 * <pre>{@code
 * Verdicts v = Verdicts.builder().setMetric("test_accuracy").optReference("dense")
 *     .addAll(results).build();
 * v.sparsestMatching("linear", "imp");   // e.g. OptionalDouble[0.832]
 * v.universal("imp", 4);                 // matching on every target at round 4?
 * Files.writeString(Path.of("verdicts.json"), v.toJson());
 * }</pre>
 */
public final class Verdicts {
  /** Slack of the matching comparison: far below any metric's meaningful digits. */
  private static final double TOLERANCE = 1e-12;
  private static final String HEADER =
      "target,configuration,round,sparsity,seeds,mean,std,matching,delta";
  private static final Gson GSON = new GsonBuilder().setPrettyPrinting().serializeNulls()
      .disableHtmlEscaping().create();

  private final String metric;
  private final String reference;
  private final boolean higherIsBetter;
  private final ImmutableList<String> targets;
  private final ImmutableList<String> configurations;
  private final ImmutableList<Verdict> all;
  private final Map<Key, Verdict> byKey;

  private record Key(String target, String configuration, int round) {}

  private Verdicts(String metric, String reference, boolean higherIsBetter, List<String> targets,
      List<String> configurations, List<Verdict> all) {
    this.metric = metric;
    this.reference = reference;
    this.higherIsBetter = higherIsBetter;
    this.targets = ImmutableList.copyOf(targets);
    this.configurations = ImmutableList.copyOf(configurations);
    this.all = ImmutableList.copyOf(all);
    Map<Key, Verdict> keyed = new LinkedHashMap<>();
    for (Verdict v : all) {
      keyed.put(new Key(v.target(), v.configuration(), v.round()), v);
    }
    this.byKey = keyed;
  }

  public static Builder builder() {
    return new Builder();
  }

  /** The metric the verdicts are about, e.g. {@code test_accuracy}. */
  public String metric() {
    return metric;
  }

  /** The reference configuration, e.g. {@code dense}. */
  public String reference() {
    return reference;
  }

  /** Whether a higher value of the metric is better (an accuracy) or a lower one (loss, error). */
  public boolean higherIsBetter() {
    return higherIsBetter;
  }

  /** Every verdict: targets and configurations in first-seen order, rounds ascending. */
  public List<Verdict> all() {
    return all;
  }

  /** The verdict of one group, if the study has it. */
  public Optional<Verdict> get(String target, String configuration, int round) {
    return Optional.ofNullable(byKey.get(new Key(target, configuration, round)));
  }

  /** The targets, in the order their first result was added. */
  public List<String> targets() {
    return targets;
  }

  /** The configurations (the reference among them), in the order their first result was added. */
  public List<String> configurations() {
    return configurations;
  }

  /**
   * The highest sparsity at which {@code configuration} is matching on {@code target}; empty if
   * it matches at no round there (or the target does not have it).
   *
   * @throws IllegalArgumentException if the target or the configuration is not in the study
   */
  public OptionalDouble sparsestMatching(String target, String configuration) {
    checkTarget(target);
    checkConfiguration(configuration);
    OptionalDouble best = OptionalDouble.empty();
    for (Verdict v : all) {
      if (v.target().equals(target) && v.configuration().equals(configuration) && v.matching()
          && (best.isEmpty() || v.sparsity() > best.getAsDouble())) {
        best = OptionalDouble.of(v.sparsity());
      }
    }
    return best;
  }

  /**
   * Whether {@code configuration} at {@code round} is matching on every target; false if some
   * target does not have that configuration and round.
   *
   * @throws IllegalArgumentException if the configuration is not in the study
   */
  public boolean universal(String configuration, int round) {
    checkConfiguration(configuration);
    for (String t : targets) {
      Verdict v = byKey.get(new Key(t, configuration, round));
      if (v == null || !v.matching()) {
        return false;
      }
    }
    return true;
  }

  /**
   * The highest sparsity at which {@code configuration} is universal (see {@link #universal});
   * empty if it is at no round.
   *
   * @throws IllegalArgumentException if the configuration is not in the study
   */
  public OptionalDouble sparsestUniversal(String configuration) {
    OptionalDouble best = OptionalDouble.empty();
    for (double s : universalSparsities(configuration)) {
      if (best.isEmpty() || s > best.getAsDouble()) {
        best = OptionalDouble.of(s);
      }
    }
    return best;
  }

  /**
   * The verdicts as pretty-printed JSON: the metric, the reference, how std and matching are
   * defined, the targets, one object per group ({@code target, configuration, round, sparsity,
   * seeds, mean, std, matching, delta}; delta null when undefined), the sparsest matching
   * sparsity of each configuration on each target (null if none) and, per configuration, the
   * sparsities at which it is universal.
   */
  public String toJson() {
    JsonObject root = new JsonObject();
    root.addProperty("metric", metric);
    root.addProperty("reference", reference);
    root.addProperty("std", "sample (n-1)");
    root.addProperty("matching", higherIsBetter
        ? "mean >= " + reference + " mean - " + reference + " std"
        : "mean <= " + reference + " mean + " + reference + " std");
    JsonArray targetArray = new JsonArray();
    targets.forEach(targetArray::add);
    root.add("targets", targetArray);
    JsonArray verdicts = new JsonArray();
    for (Verdict v : all) {
      JsonObject o = new JsonObject();
      o.addProperty("target", v.target());
      o.addProperty("configuration", v.configuration());
      o.addProperty("round", v.round());
      o.addProperty("sparsity", v.sparsity());
      o.addProperty("seeds", v.stats().n());
      o.addProperty("mean", v.stats().mean());
      o.addProperty("std", v.stats().std());
      o.addProperty("matching", v.matching());
      // JSON has no NaN; null says "undefined" to every reader
      if (Double.isNaN(v.delta())) {
        o.add("delta", JsonNull.INSTANCE);
      } else {
        o.addProperty("delta", v.delta());
      }
      verdicts.add(o);
    }
    root.add("verdicts", verdicts);
    JsonObject sparsest = new JsonObject();
    for (String t : targets) {
      JsonObject perConfiguration = new JsonObject();
      for (String c : configurations) {
        if (has(t, c)) {
          OptionalDouble s = sparsestMatching(t, c);
          if (s.isPresent()) {
            perConfiguration.addProperty(c, s.getAsDouble());
          } else {
            perConfiguration.add(c, JsonNull.INSTANCE);
          }
        }
      }
      sparsest.add(t, perConfiguration);
    }
    root.add("sparsest_matching", sparsest);
    JsonObject universal = new JsonObject();
    for (String c : configurations) {
      JsonArray sparsities = new JsonArray();
      universalSparsities(c).forEach(sparsities::add);
      universal.add(c, sparsities);
    }
    root.add("universal", universal);
    return GSON.toJson(root);
  }

  /**
   * The verdicts as CSV: the header {@code target,configuration,round,sparsity,seeds,mean,std,
   * matching,delta} and one row per group in the order of {@link #all()}; numbers as
   * {@link Double#toString}, delta empty when undefined, lines ending in {@code \n}.
   */
  public String csv() {
    StringBuilder sb = new StringBuilder(HEADER).append('\n');
    for (Verdict v : all) {
      sb.append(csvField(v.target())).append(',')
          .append(csvField(v.configuration())).append(',')
          .append(v.round()).append(',')
          .append(Double.toString(v.sparsity())).append(',')
          .append(v.stats().n()).append(',')
          .append(Double.toString(v.stats().mean())).append(',')
          .append(Double.toString(v.stats().std())).append(',')
          .append(v.matching()).append(',')
          .append(Double.isNaN(v.delta()) ? "" : Double.toString(v.delta())).append('\n');
    }
    return sb.toString();
  }

  /** The sparsities of the rounds at which {@code configuration} is universal, by round. */
  private List<Double> universalSparsities(String configuration) {
    checkConfiguration(configuration);
    TreeMap<Integer, Double> rounds = new TreeMap<>();
    for (Verdict v : all) {
      if (v.configuration().equals(configuration) && universal(configuration, v.round())) {
        // the same mask on every target has one sparsity; should the targets' records differ,
        // the smallest is the one that holds on all of them
        rounds.merge(v.round(), v.sparsity(), Math::min);
      }
    }
    return new ArrayList<>(rounds.values());
  }

  private boolean has(String target, String configuration) {
    return all.stream().anyMatch(v -> v.target().equals(target)
        && v.configuration().equals(configuration));
  }

  private void checkTarget(String target) {
    checkArgument(targets.contains(target), "no results for target %s; the targets are %s",
        target, targets);
  }

  private void checkConfiguration(String configuration) {
    checkArgument(configurations.contains(configuration), "no results for configuration %s; the"
        + " configurations are %s", configuration, configurations);
  }

  private static String csvField(String s) {
    if (s.indexOf(',') < 0 && s.indexOf('"') < 0 && s.indexOf('\n') < 0 && s.indexOf('\r') < 0) {
      return s;
    }
    return '"' + s.replace("\"", "\"\"") + '"';
  }

  /**
   * Whether higher is better for {@code metric}, from its name.
   *
   * @throws IllegalArgumentException if the name says neither (no accuracy, loss or error)
   */
  static boolean higherIsBetter(String metric) {
    String m = metric.toLowerCase(Locale.ROOT);
    if (m.contains("accuracy")) {
      return true;
    }
    if (m.contains("loss") || m.contains("error")) {
      return false;
    }
    throw new IllegalArgumentException("cannot tell whether higher or lower is better for metric "
        + metric + ": choose an accuracy, loss or error metric (a name containing \"accuracy\","
        + " \"loss\" or \"error\")");
  }

  /** Collects the results of a study; the metric is required. */
  public static final class Builder {
    private String metric;
    private String reference = "dense";
    private final List<TransferResult> results = new ArrayList<>();

    private Builder() {}

    /** The metric to judge by, e.g. {@code test_accuracy} or {@code test_loss}. */
    public Builder setMetric(String metric) {
      this.metric = metric;
      return this;
    }

    /** The configuration every other one is judged against on its target; default "dense". */
    public Builder optReference(String reference) {
      this.reference = reference;
      return this;
    }

    public Builder add(TransferResult result) {
      checkArgument(result != null, "a transfer result must not be null");
      results.add(result);
      return this;
    }

    public Builder addAll(Collection<TransferResult> results) {
      checkArgument(results != null, "the transfer results must not be null");
      results.forEach(this::add);
      return this;
    }

    /**
     * Groups the results by target, configuration and round and judges every group.
     *
     * @throws IllegalArgumentException if the metric is missing or of unknown direction, a
     *     result lacks it (or an accuracy is outside [0, 1]), a seed is given twice, the seeds of
     *     a group disagree on its sparsity, or a target has no reference group, more than one,
     *     or one with fewer than 2 seeds
     */
    public Verdicts build() {
      checkArgument(metric != null && !metric.isEmpty(), "a metric is required (setMetric), e.g."
          + " test_accuracy");
      checkArgument(reference != null && !reference.isEmpty(), "the reference configuration"
          + " must not be empty (optReference; default dense)");
      checkArgument(!results.isEmpty(), "no transfer results (add, addAll)");
      boolean higher = higherIsBetter(metric);

      // target -> configuration -> round -> results, targets and configurations in first-seen
      // order so the tables read in the order the study was run
      Map<String, Map<String, TreeMap<Integer, List<TransferResult>>>> groups =
          new LinkedHashMap<>();
      LinkedHashSet<String> configurations = new LinkedHashSet<>();
      for (TransferResult r : results) {
        Double value = r.metrics().get(metric);
        checkArgument(value != null, "%s %s round %s seed %s has no metric %s (it has %s)",
            r.target(), r.configuration(), r.round(), r.seedIndex(), metric,
            r.metrics().keySet());
        checkArgument(Double.isFinite(value), "%s of %s %s round %s seed %s is %s; a verdict"
            + " needs finite values", metric, r.target(), r.configuration(), r.round(),
            r.seedIndex(), value);
        // δ takes 1 - accuracy as the error: an accuracy in percent would make it meaningless
        checkArgument(!higher || (value >= 0 && value <= 1), "%s of %s %s round %s seed %s is %s;"
            + " accuracies must be fractions in [0, 1]", metric, r.target(), r.configuration(),
            r.round(), r.seedIndex(), value);
        configurations.add(r.configuration());
        groups.computeIfAbsent(r.target(), t -> new LinkedHashMap<>())
            .computeIfAbsent(r.configuration(), c -> new TreeMap<>())
            .computeIfAbsent(r.round(), k -> new ArrayList<>()).add(r);
      }

      List<Verdict> verdicts = new ArrayList<>();
      for (Map.Entry<String, Map<String, TreeMap<Integer, List<TransferResult>>>> t
          : groups.entrySet()) {
        String target = t.getKey();
        TreeMap<Integer, List<TransferResult>> refRounds = t.getValue().get(reference);
        checkArgument(refRounds != null, "target %s has no %s result: every target needs its"
            + " reference (optReference chooses another configuration)", target, reference);
        checkArgument(refRounds.size() == 1, "target %s has %s %s groups (rounds %s); a verdict"
            + " needs exactly one reference per target", target, refRounds.size(), reference,
            refRounds.keySet());
        List<TransferResult> refResults = refRounds.firstEntry().getValue();
        checkArgument(refResults.size() >= 2, "a verdict needs at least 2 seeds; %s %s has %s",
            target, reference, refResults.size());
        SeedStatistics ref = statistics(refResults);

        for (String configuration : configurations) {
          TreeMap<Integer, List<TransferResult>> rounds = t.getValue().get(configuration);
          if (rounds == null) {
            continue;
          }
          for (Map.Entry<Integer, List<TransferResult>> g : rounds.entrySet()) {
            double sparsity = sparsity(g.getValue());
            SeedStatistics stats = statistics(g.getValue());
            // the reference matches itself by the definition (std >= 0); its δ is 0 even when
            // its error is 0, where the formula would give 0 / 0
            boolean matching = matching(higher, stats, ref);
            double delta = configuration.equals(reference) ? 0 : delta(higher, stats, ref);
            verdicts.add(new Verdict(target, configuration, g.getKey(), sparsity, stats, matching,
                delta));
          }
        }
      }
      return new Verdicts(metric, reference, higher, new ArrayList<>(groups.keySet()),
          new ArrayList<>(configurations), verdicts);
    }

    private SeedStatistics statistics(List<TransferResult> group) {
      LinkedHashSet<Integer> seeds = new LinkedHashSet<>();
      double[] values = new double[group.size()];
      for (int i = 0; i < values.length; i++) {
        TransferResult r = group.get(i);
        checkArgument(seeds.add(r.seedIndex()), "%s %s round %s has seed %s twice", r.target(),
            r.configuration(), r.round(), r.seedIndex());
        values[i] = r.metrics().get(metric);
      }
      return SeedStatistics.of(values);
    }

    /** The group's sparsity: every seed trained the same mask, so they must agree. */
    private static double sparsity(List<TransferResult> group) {
      TransferResult first = group.get(0);
      for (TransferResult r : group) {
        checkArgument(Math.abs(r.sparsity() - first.sparsity()) <= 1e-9, "%s %s round %s has"
            + " sparsity %s for seed %s but %s for seed %s; the seeds of a round must share its"
            + " mask", r.target(), r.configuration(), r.round(), first.sparsity(),
            first.seedIndex(), r.sparsity(), r.seedIndex());
      }
      return first.sparsity();
    }
  }

  private static boolean matching(boolean higher, SeedStatistics s, SeedStatistics ref) {
    return higher
        ? s.mean() >= ref.mean() - ref.std() - TOLERANCE
        : s.mean() <= ref.mean() + ref.std() + TOLERANCE;
  }

  private static double delta(boolean higher, SeedStatistics s, SeedStatistics ref) {
    double sparse = higher ? 1 - s.mean() : s.mean();
    double dense = higher ? 1 - ref.mean() : ref.mean();
    return dense == 0 ? Double.NaN : (sparse - dense) / dense;
  }
}
