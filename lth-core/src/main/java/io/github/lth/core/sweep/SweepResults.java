package io.github.lth.core.sweep;

import static com.google.common.base.Preconditions.checkArgument;

import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableMap;
import com.google.common.collect.ImmutableSet;
import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.github.lth.core.Round;
import io.github.lth.core.io.AtomicWrite;
import io.github.lth.core.run.StoredBranch;
import io.github.lth.core.run.StoredRun;
import io.github.lth.core.transfer.SeedStatistics;
import io.github.lth.core.transfer.TransferResult;
import io.github.lth.core.transfer.Verdicts;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * Gathers the finished points of a sweep into one table, a summary over seeds, the matching
 * verdict per setting and a plot.
 *
 * <p>A <em>setting</em> is a point's {@linkplain CollectedPoint#label label}: its axis values
 * except {@code seed}. Its seeds are averaged in {@link #summaryCsv} and judged in
 * {@link #verdicts}: every setting is its own target, with round 0 (the dense network) as the
 * reference configuration {@code dense} and rounds 1 and later as the configuration named after
 * the command ({@code imp}, {@code train}, {@code branch}). A branch directory holds pruned rounds
 * only; its round 0 is that of the run it was trained from ({@code RUN/branches/NAME} →
 * {@code RUN}), when that run is there and is the one the branch records.
 *
 * <p>The matching verdict needs the standard deviation of the dense reference, hence at least 2
 * seeds with round 0. A setting with fewer is left out of the verdicts, and
 * {@link #leftOutOfVerdicts} says why; {@code verdicts.json} lists it under {@code left_out}.
 *
 * <pre>{@code
 * SweepResults r = SweepResults.collect("imp", List.of("rewind", "seed"), points);
 * r.missing().forEach(p -> System.out.println("not yet: " + p.id()));
 * // sweep.csv, summary.csv, verdicts.json, verdicts.csv, sweep.png
 * r.write(sweepDir, "accuracy");
 * }</pre>
 */
public final class SweepResults {
  /** The commands whose points leave a run or branch directory with rounds. */
  public static final ImmutableSet<String> COMMANDS = ImmutableSet.of("imp", "train", "branch");
  /** The axis whose values are averaged over rather than told apart. */
  public static final String SEED = "seed";
  /** The verdicts.csv header of {@link Verdicts#csv}, written alone when no setting is judged. */
  private static final String VERDICTS_HEADER =
      "target,configuration,round,sparsity,seeds,mean,std,matching,delta";
  private static final Gson GSON = new GsonBuilder().setPrettyPrinting().serializeNulls()
      .disableHtmlEscaping().create();

  private final String command;
  private final ImmutableList<String> axes;
  private final ImmutableList<CollectedPoint> missing;
  private final ImmutableList<Collected> collected;
  private final ImmutableList<String> metrics;
  private final ImmutableList<Setting> settings;

  /** A point whose rounds were read, with the position of its seed in the seed axis. */
  private record Collected(CollectedPoint point, int seedIndex, ImmutableList<Round> rounds) {
    Round round(int index) {
      return rounds.stream().filter(r -> r.index() == index).findFirst().orElse(null);
    }
  }

  /** The points of one label, in point order; {@code axisValues} without the seed. */
  private record Setting(String label, ImmutableMap<String, Object> axisValues,
      List<Collected> points) {
    TreeSet<Integer> rounds() {
      TreeSet<Integer> all = new TreeSet<>();
      points.forEach(p -> p.rounds().forEach(r -> all.add(r.index())));
      return all;
    }

    List<Round> round(int index) {
      List<Round> out = new ArrayList<>();
      for (Collected p : points) {
        Round r = p.round(index);
        if (r != null) {
          out.add(r);
        }
      }
      return out;
    }
  }

  private SweepResults(String command, List<String> axes, List<CollectedPoint> missing,
      List<Collected> collected, List<String> metrics, List<Setting> settings) {
    this.command = command;
    this.axes = ImmutableList.copyOf(axes);
    this.missing = ImmutableList.copyOf(missing);
    this.collected = ImmutableList.copyOf(collected);
    this.metrics = ImmutableList.copyOf(metrics);
    this.settings = ImmutableList.copyOf(settings);
  }

  /**
   * Reads every done point's directory. A point that is not done, or is done but whose directory
   * holds no complete round, is listed in {@link #missing()} and left out of the tables.
   *
   * @param command {@code imp}, {@code train} (a run directory per point) or {@code branch} (a
   *     branch directory per point)
   * @param axes the axis names in the sweep's order; may include {@code seed}
   * @param points every point of the sweep, done or not
   * @throws IllegalArgumentException for another command, a point whose axis values do not name
   *     exactly the axes, or two points with the same index
   * @throws IOException {@code cannot read FILE: ...} for a damaged file in a point's directory
   */
  public static SweepResults collect(String command, List<String> axes,
      List<CollectedPoint> points) throws IOException {
    checkArgument(COMMANDS.contains(command), "cannot collect a %s sweep: collect reads the run"
        + " or branch directories of %s sweeps", command, String.join(", ", COMMANDS));
    checkArgument(ImmutableSet.copyOf(axes).size() == axes.size(), "the axes %s name one twice",
        axes);
    List<CollectedPoint> ordered = new ArrayList<>(points);
    ordered.sort(Comparator.comparingInt(CollectedPoint::index));
    Set<Integer> indices = new LinkedHashSet<>();
    // the seed axis's values in sweep order: the first axis varies slowest, so first-seen order
    // over the points in index order is the axis's own order
    List<Object> seeds = new ArrayList<>();
    for (CollectedPoint p : ordered) {
      checkArgument(indices.add(p.index()), "two points have index %s", p.index());
      checkArgument(p.axisValues().keySet().equals(ImmutableSet.copyOf(axes)), "point %s (%s)"
          + " has values for %s; the axes are %s", p.index(), p.id(), p.axisValues().keySet(),
          axes);
      if (p.axisValues().containsKey(SEED) && !seeds.contains(p.axisValues().get(SEED))) {
        seeds.add(p.axisValues().get(SEED));
      }
    }

    List<CollectedPoint> missing = new ArrayList<>();
    List<Collected> collected = new ArrayList<>();
    Map<String, Setting> settings = new LinkedHashMap<>();
    Set<String> metrics = new LinkedHashSet<>();
    for (CollectedPoint p : ordered) {
      // settings in the order of their first point, done or not, so the tables keep their row
      // order as more points finish
      Setting setting = settings.computeIfAbsent(p.label(), l -> new Setting(l,
          withoutSeed(p.axisValues()), new ArrayList<>()));
      List<Round> rounds = p.done() ? read(command, p.directory()) : List.of();
      if (rounds.isEmpty()) {
        missing.add(p);
        continue;
      }
      int seedIndex = p.axisValues().containsKey(SEED)
          ? seeds.indexOf(p.axisValues().get(SEED)) : 0;
      Collected c = new Collected(p, seedIndex, ImmutableList.copyOf(rounds));
      collected.add(c);
      setting.points().add(c);
      rounds.forEach(r -> metrics.addAll(r.metrics().names()));
    }
    return new SweepResults(command, axes, missing, collected, new ArrayList<>(metrics),
        new ArrayList<>(settings.values()));
  }

  /** The complete rounds of a point's directory, empty when it has none (or is not there). */
  private static List<Round> read(String command, Path dir) throws IOException {
    if (!Files.isRegularFile(dir.resolve("config.json"))) {
      return List.of();
    }
    if (!command.equals("branch")) {
      return readRun(dir).map(StoredRun::rounds).orElse(ImmutableList.of());
    }
    StoredBranch branch = StoredBranch.read(dir);
    if (branch.rounds().isEmpty()) {
      return List.of();
    }
    List<Round> rounds = new ArrayList<>();
    Path parent = dir.toAbsolutePath().getParent();
    if (parent != null && parent.getFileName() != null
        && parent.getFileName().toString().equals("branches") && parent.getParent() != null) {
      Optional<StoredRun> run = readRun(parent.getParent());
      // only the run the branch was trained from is its dense reference
      if (run.isPresent() && branch.settings().has("run_settings_sha256")
          && branch.settings().get("run_settings_sha256").getAsString()
              .equals(run.get().settingsFingerprint())) {
        rounds.add(run.get().round(0));
      }
    }
    rounds.addAll(branch.rounds());
    return rounds;
  }

  /** The run in {@code dir}; empty when it is not a run directory or has no complete round. */
  private static Optional<StoredRun> readRun(Path dir) throws IOException {
    if (!Files.isRegularFile(dir.resolve("config.json"))) {
      return Optional.empty();
    }
    try {
      return Optional.of(StoredRun.open(dir));
    } catch (IllegalArgumentException noCompleteRound) {
      // config.json is there (checked above), so this is a run that has not finished round 0
      return Optional.empty();
    }
  }

  private static ImmutableMap<String, Object> withoutSeed(Map<String, Object> values) {
    ImmutableMap.Builder<String, Object> b = ImmutableMap.builder();
    values.forEach((k, v) -> {
      if (!k.equals(SEED)) {
        b.put(k, v);
      }
    });
    return b.build();
  }

  /** The command the sweep ran: {@code imp}, {@code train} or {@code branch}. */
  public String command() {
    return command;
  }

  /** The points left out: not done, or done but without a complete round; in index order. */
  public ImmutableList<CollectedPoint> missing() {
    return missing;
  }

  /** The metrics of the collected rounds, in the order the runs record them. */
  public ImmutableList<String> metrics() {
    return metrics;
  }

  /**
   * One row per collected point and round, header first:
   * {@code point,id,<axes in order>,round,sparsity,<metrics>}. Numbers as
   * {@link Double#toString}; a metric a round lacks is empty; lines end in {@code \n}.
   */
  public String sweepCsv() {
    List<String> header = new ArrayList<>(List.of("point", "id"));
    header.addAll(axes);
    header.addAll(List.of("round", "sparsity"));
    header.addAll(metrics);
    StringBuilder sb = row(new StringBuilder(), header);
    for (Collected c : collected) {
      for (Round r : c.rounds()) {
        List<String> row = new ArrayList<>();
        row.add(Integer.toString(c.point().index()));
        row.add(c.point().id());
        axes.forEach(a -> row.add(text(c.point().axisValues().get(a))));
        row.add(Integer.toString(r.index()));
        row.add(Double.toString(r.sparsity()));
        metrics.forEach(m -> row.add(r.metrics().has(m) ? Double.toString(r.metrics().get(m))
            : ""));
        row(sb, row);
      }
    }
    return sb.toString();
  }

  /**
   * One row per setting and round, header first:
   * {@code setting,<axes but seed>,round,sparsity,seeds,<metric>_mean,<metric>_std,...} for
   * every metric. {@code seeds} counts the points that have the round; mean and sample standard
   * deviation ({@code n - 1}) are over those that have the metric, std empty when fewer than 2.
   * The sparsity is the one the seeds share (their mean if they differ). Settings without a
   * collected point have no rows.
   */
  public String summaryCsv() {
    List<String> header = new ArrayList<>(List.of("setting"));
    axes.stream().filter(a -> !a.equals(SEED)).forEach(header::add);
    header.addAll(List.of("round", "sparsity", "seeds"));
    metrics.forEach(m -> {
      header.add(m + "_mean");
      header.add(m + "_std");
    });
    StringBuilder sb = row(new StringBuilder(), header);
    for (Setting s : settings) {
      for (int index : s.rounds()) {
        List<Round> group = s.round(index);
        List<String> row = new ArrayList<>();
        row.add(s.label());
        s.axisValues().values().forEach(v -> row.add(text(v)));
        row.add(Integer.toString(index));
        row.add(Double.toString(sparsity(group)));
        row.add(Integer.toString(group.size()));
        for (String m : metrics) {
          SeedStatistics stats = statistics(group, m);
          row.add(stats == null ? "" : Double.toString(stats.mean()));
          row.add(stats == null || stats.n() < 2 ? "" : Double.toString(stats.std()));
        }
        row(sb, row);
      }
    }
    return sb.toString();
  }

  /**
   * The settings left out of the verdicts on {@code metric}, each with the reason: the dense
   * reference (round 0) needs at least 2 seeds with the metric. In setting order.
   */
  public ImmutableMap<String, String> leftOutOfVerdicts(String metric) {
    checkMetric(metric);
    ImmutableMap.Builder<String, String> out = ImmutableMap.builder();
    for (Setting s : settings) {
      if (s.points().isEmpty()) {
        out.put(s.label(), "no point is collected yet");
        continue;
      }
      long dense = s.round(0).stream().filter(r -> r.metrics().has(metric)).count();
      if (dense == 0) {
        out.put(s.label(), "no dense round 0 with " + metric + " to judge against");
      } else if (dense < 2) {
        out.put(s.label(), "round 0 has " + dense + " seed with " + metric + "; the matching"
            + " verdict needs at least 2");
      }
    }
    return out.build();
  }

  /**
   * The matching verdicts on {@code metric}: target = the setting's label, configuration
   * {@code dense} for round 0 (the reference) and the command's name for rounds 1 and later,
   * seed index = the position of the point's seed among the seed axis's values (0 without a seed
   * axis). Settings in {@link #leftOutOfVerdicts} are not judged, and neither are rounds that
   * lack the metric.
   *
   * @throws IllegalArgumentException if no collected round has the metric, if no setting can be
   *     judged (naming why), or as {@link Verdicts.Builder#build} (a metric that is neither an
   *     accuracy, a loss nor an error)
   */
  public Verdicts verdicts(String metric) {
    Map<String, String> leftOut = leftOutOfVerdicts(metric);
    List<TransferResult> results = new ArrayList<>();
    for (Setting s : settings) {
      if (leftOut.containsKey(s.label())) {
        continue;
      }
      for (Collected c : s.points()) {
        for (Round r : c.rounds()) {
          if (r.metrics().has(metric)) {
            results.add(new TransferResult(s.label(), r.index() == 0 ? "dense" : command,
                r.index(), r.sparsity(), c.seedIndex(), r.metrics().asMap()));
          }
        }
      }
    }
    checkArgument(!results.isEmpty(), "no setting of the sweep can be judged on %s: %s", metric,
        reasons(leftOut));
    return Verdicts.builder().setMetric(metric).addAll(results).build();
  }

  /**
   * Writes {@code sweep.csv}, {@code summary.csv}, {@code verdicts.json}, {@code verdicts.csv}
   * and {@code sweep.png} (see {@link #png}) into {@code dir}, each atomically. verdicts.json is
   * {@link Verdicts#toJson} with a {@code left_out} object (setting → reason); when no setting
   * can be judged it holds only {@code metric}, an empty {@code verdicts} list and
   * {@code left_out}, and verdicts.csv only its header. Everything is computed before the first
   * file is written, so a bad metric writes nothing.
   *
   * @throws IllegalArgumentException if no collected round has {@code metric}, or as
   *     {@link #verdicts}
   * @throws IOException {@code cannot write FILE: ...}
   */
  public void write(Path dir, String metric) throws IOException {
    Map<String, String> leftOut = leftOutOfVerdicts(metric);
    boolean judged = leftOut.size() < settings.size();
    JsonObject json;
    String verdictsCsv;
    if (judged) {
      Verdicts v = verdicts(metric);
      json = JsonParser.parseString(v.toJson()).getAsJsonObject();
      verdictsCsv = v.csv();
    } else {
      json = new JsonObject();
      json.addProperty("metric", metric);
      json.add("verdicts", new JsonArray());
      verdictsCsv = VERDICTS_HEADER + "\n";
    }
    JsonObject left = new JsonObject();
    leftOut.forEach(left::addProperty);
    json.add("left_out", left);
    String sweep = sweepCsv();
    String summary = summaryCsv();
    byte[] png = png(metric);
    AtomicWrite.text(dir.resolve("sweep.csv"), sweep);
    AtomicWrite.text(dir.resolve("summary.csv"), summary);
    AtomicWrite.text(dir.resolve("verdicts.json"), GSON.toJson(json) + "\n");
    AtomicWrite.text(dir.resolve("verdicts.csv"), verdictsCsv);
    AtomicWrite.bytes(dir.resolve("sweep.png"), png);
  }

  /**
   * The plot of {@code metric} against the share of weights remaining (log axis labelled in
   * percent), one line per setting through the means over its seeds, in a band of ± one sample
   * standard deviation; legend below; 800 × 540 pixels. Rounds with no weight remaining (which
   * a log axis cannot show) are left out.
   *
   * @throws IllegalArgumentException if no collected round has the metric
   */
  public byte[] png(String metric) {
    checkMetric(metric);
    List<SweepPlot.Line> lines = new ArrayList<>();
    for (Setting s : settings) {
      List<double[]> line = new ArrayList<>();
      for (int index : s.rounds()) {
        List<Round> group = s.round(index);
        SeedStatistics stats = statistics(group, metric);
        double sparsity = sparsity(group);
        if (stats != null && sparsity < 1) {
          line.add(new double[] {sparsity, stats.mean(), stats.std()});
        }
      }
      if (!line.isEmpty()) {
        lines.add(new SweepPlot.Line(s.label(), line));
      }
    }
    return SweepPlot.png(command + " sweep: " + metric + " vs. weights remaining", metric, lines);
  }

  private void checkMetric(String metric) {
    checkArgument(!collected.isEmpty(), "no point of the sweep has a complete round yet (%s"
        + " missing)", missing.size());
    checkArgument(metrics.contains(metric), "metric %s is not in the sweep's results; they have"
        + " %s", metric, metrics);
  }

  private static String reasons(Map<String, String> leftOut) {
    List<String> parts = new ArrayList<>();
    leftOut.forEach((label, why) -> parts.add(label + ": " + why));
    return String.join("; ", parts);
  }

  /** The metric over the rounds that have it; null when none does. */
  private static SeedStatistics statistics(List<Round> group, String metric) {
    double[] values = group.stream().filter(r -> r.metrics().has(metric))
        .mapToDouble(r -> r.metrics().get(metric)).toArray();
    return values.length == 0 ? null : SeedStatistics.of(values);
  }

  /** The sparsity the seeds of a round share; their mean should they differ. */
  private static double sparsity(List<Round> group) {
    double first = group.get(0).sparsity();
    if (group.stream().allMatch(r -> r.sparsity() == first)) {
      return first;
    }
    return group.stream().mapToDouble(Round::sparsity).average().orElseThrow();
  }

  private static String text(Object value) {
    return value == null ? "" : value.toString();
  }

  private static StringBuilder row(StringBuilder sb, List<String> fields) {
    for (int i = 0; i < fields.size(); i++) {
      sb.append(i == 0 ? "" : ",").append(csvField(fields.get(i)));
    }
    return sb.append('\n');
  }

  private static String csvField(String s) {
    if (s.indexOf(',') < 0 && s.indexOf('"') < 0 && s.indexOf('\n') < 0 && s.indexOf('\r') < 0) {
      return s;
    }
    return '"' + s.replace("\"", "\"\"") + '"';
  }
}
