package io.github.lth.core.report;

import static com.google.common.base.Preconditions.checkArgument;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import io.github.lth.core.KernelStats;
import io.github.lth.core.Mask;
import io.github.lth.core.Round;
import io.github.lth.core.Shapes;
import io.github.lth.core.analysis.MaskPlots;
import io.github.lth.core.run.CurvePlot;
import io.github.lth.core.run.StoredBranch;
import io.github.lth.core.run.StoredRun;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * A run directory as one self-contained HTML page: the lottery-ticket curve with its controls,
 * the results per round, the controls against the ticket, per-layer sparsity across rounds, the
 * IoU of consecutive rounds, kernel heat-maps of the last round's convolution layers, the
 * settings and the provenance. Plots are PNGs inside the page (data URIs), the style sheet is
 * inline and there is no script, so the file can be mailed, archived or opened offline; a
 * Content-Security-Policy forbids the page any network access.
 *
 * <p>Tables carry ids ({@code results}, {@code controls}, {@code layers}, {@code iou},
 * {@code kernels}, {@code settings}, {@code provenance}) and one {@code tbody} row per item, so
 * scripts can read them back.
 *
 * <pre>{@code
 * StoredRun run = StoredRun.open(Path.of("runs/lenet"));
 * Files.writeString(Path.of("runs/lenet/report.html"), RunReport.html(run));
 * }</pre>
 */
public final class RunReport {
  /**
   * At most this many kernel heat-maps: a ResNet has dozens of convolution layers and a page
   * with all of them is slow to open; the kernel table still lists every one.
   */
  public static final int MAX_KERNEL_MAPS = 8;

  private static final String STYLE = """
      body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:2em auto;
      max-width:1100px;padding:0 1em;color:#222;line-height:1.4}
      h1{font-size:1.6em;margin-bottom:.2em}h2{margin-top:2em;border-bottom:1px solid #ccc}
      .sub{color:#555;margin-top:0}nav a{margin-right:1em}
      .scroll{overflow-x:auto;margin:1em 0}
      table{border-collapse:collapse;font-size:.9em}
      th,td{border:1px solid #ddd;padding:.25em .6em;text-align:left;white-space:nowrap}
      th{background:#f3f3f3}td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
      tbody tr:nth-child(even){background:#fafafa}
      img{max-width:100%;height:auto;display:block;margin:1em 0}
      figure{margin:1em 0}figcaption{color:#555;font-size:.9em}
      code{background:#f3f3f3;padding:0 .2em}
      """;

  private final StoredRun run;
  private final List<Round> rounds;
  private final List<StoredBranch> branches;
  private final String metric;
  private final Optional<String> testMetric;

  private RunReport(StoredRun run, List<StoredBranch> branches) {
    this.run = run;
    this.rounds = run.rounds();
    this.branches = branches;
    // StoredRun.primaryMetric() assumes the key; a hand-made config.json may lack it
    checkArgument(run.settings().has("primary_metric"), "run directory %s: its settings name no"
        + " primary_metric, so there is no curve to draw", run.directory());
    this.metric = run.primaryMetric();
    this.testMetric = testMetricOf(metric, rounds);
  }

  /**
   * The report page of a run and its branches.
   *
   * @throws IOException if a branch's files cannot be read
   * @throws IllegalArgumentException if the settings name no primary metric
   */
  public static String html(StoredRun run) throws IOException {
    return new RunReport(run, run.branches()).render();
  }

  private String render() throws IOException {
    String title = "lth4j report: " + run.directory();
    StringBuilder sb = new StringBuilder(1 << 16);
    sb.append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
        // the page must work offline and must not leak that it was opened: no fetch at all
        .append("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none';"
            + " img-src data:; style-src 'unsafe-inline'\">\n")
        .append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
        .append("<title>").append(Html.escape(title)).append("</title>\n")
        .append("<style>\n").append(STYLE).append("</style>\n</head>\n<body>\n");
    header(sb, title);
    curve(sb);
    results(sb);
    controls(sb);
    layers(sb);
    consecutiveIou(sb);
    kernels(sb);
    settings(sb);
    provenance(sb);
    return sb.append("</body>\n</html>\n").toString();
  }

  private void header(StringBuilder sb, String title) {
    sb.append("<h1>").append(Html.escape(title)).append("</h1>\n");
    JsonObject s = run.settings();
    List<String> what = new ArrayList<>();
    for (String key : List.of("model", "data")) {
      if (s.has(key)) {
        what.add(key + " " + FlatJson.text(s.get(key)));
      }
    }
    what.add("primary metric " + metric);
    if (s.has("rewind")) {
      what.add("rewind " + FlatJson.text(s.get("rewind")));
    }
    sb.append("<p class=\"sub\">").append(Html.escape(String.join(" · ", what))).append("</p>\n");
    Round last = rounds.get(rounds.size() - 1);
    String progress = run.isFinished()
        ? "Finished: " + rounds.size() + " rounds (0 is the dense network)"
        : "Not finished (stopped or still running): " + rounds.size() + " of "
            + (s.get("rounds").getAsInt() + 1) + " rounds complete";
    sb.append(Html.paragraph(progress + "; the last, round " + last.index() + ", keeps "
        + count(last.kept()) + " of " + count(last.mask().size()) + " prunable weights ("
        + percent(last.sparsity()) + " sparse). " + branches.size()
        + (branches.size() == 1 ? " control." : " controls.")));
    sb.append("<nav>");
    for (String[] link : new String[][] {{"curve", "curve"}, {"results-section", "results"},
        {"controls-section", "controls"}, {"layers-section", "layers"},
        {"iou-section", "IoU"}, {"kernels-section", "kernels"},
        {"settings-section", "settings"}, {"provenance-section", "provenance"}}) {
      sb.append("<a href=\"#").append(link[0]).append("\">").append(link[1]).append("</a>");
    }
    sb.append("</nav>\n");
  }

  private void curve(StringBuilder sb) throws IOException {
    sb.append("<h2 id=\"curve\">Curve</h2>\n");
    Map<String, List<Round>> lines = new LinkedHashMap<>();
    for (StoredBranch b : branches) {
      if (!b.rounds().isEmpty()) {
        lines.put(b.name(), b.rounds());
      }
    }
    figure(sb, CurvePlot.png(rounds, metric, lines), metric + " against weights remaining",
        metric + " of each round against the share of weights remaining (log axis); the dense"
            + " network as a horizontal line" + (lines.isEmpty() ? "." : ", a line per control."));
  }

  private void results(StringBuilder sb) {
    sb.append("<h2 id=\"results-section\">Results per round</h2>\n");
    List<String> header = new ArrayList<>(List.of("round", "sparsity", "kept", metric));
    testMetric.ifPresent(header::add);
    Map<String, Map<Integer, Round>> byBranch = new LinkedHashMap<>();
    for (StoredBranch b : branches) {
      Map<Integer, Round> byIndex = new HashMap<>();
      b.rounds().forEach(r -> byIndex.put(r.index(), r));
      byBranch.put(b.name(), byIndex);
      header.add(b.name() + " " + metric);
    }
    HtmlTable table = new HtmlTable("results", header).numericFrom(0);
    for (Round r : rounds) {
      List<String> row = new ArrayList<>(List.of(Integer.toString(r.index()),
          percent(r.sparsity()), count(r.kept()), value(r, metric)));
      testMetric.ifPresent(m -> row.add(value(r, m)));
      byBranch.values().forEach(m -> row.add(value(m.get(r.index()), metric)));
      table.row(row);
    }
    sb.append(table.toHtml());
    if (!branches.isEmpty()) {
      sb.append(Html.paragraph("A control's column holds its " + metric + " on the round whose"
          + " mask it was derived from; empty where it has not trained that round."));
    }
  }

  private void controls(StringBuilder sb) {
    sb.append("<h2 id=\"controls-section\">Controls</h2>\n");
    if (branches.isEmpty()) {
      sb.append(Html.paragraph("This run has no controls (no branch under "
          + run.directory().resolve("branches") + ")."));
      return;
    }
    HtmlTable table = new HtmlTable("controls", "branch", "control", "seed", "rounds",
        "shared rounds", "mean difference to the ticket").numericFrom(4);
    for (StoredBranch b : branches) {
      ControlSummary c = ControlSummary.of(b, rounds, metric);
      table.row(c.name(), c.control(), c.seed(), c.roundRanges(), Integer.toString(c.compared()),
          c.meanDifference().isPresent() ? signed(c.meanDifference().getAsDouble()) : "");
    }
    sb.append(table.toHtml());
    sb.append(Html.paragraph("Mean difference: the control's " + metric + " minus the ticket's,"
        + " averaged over the rounds both have; negative means the control does worse."));
  }

  private List<Mask> masks() {
    return rounds.stream().map(Round::mask).toList();
  }

  private void layers(StringBuilder sb) {
    sb.append("<h2 id=\"layers-section\">Per-layer sparsity across rounds</h2>\n");
    figure(sb, MaskPlots.layerSparsityAcrossRounds(masks()), "sparsity of each layer by round",
        "Sparsity of each prunable layer, and of all together, after each round.");
    List<String> header = new ArrayList<>(List.of("layer", "shape", "weights"));
    rounds.forEach(r -> header.add("round " + r.index()));
    HtmlTable table = new HtmlTable("layers", header).numericFrom(2);
    Mask first = rounds.get(0).mask();
    for (String layer : first.layers()) {
      List<String> row = new ArrayList<>(List.of(layer, Shapes.format(first.shape(layer)),
          count(first.size(layer))));
      rounds.forEach(r -> row.add(percent(r.mask().sparsity(layer))));
      table.row(row);
    }
    sb.append(table.toHtml());
  }

  private void consecutiveIou(StringBuilder sb) {
    sb.append("<h2 id=\"iou-section\">IoU of consecutive rounds</h2>\n");
    if (rounds.size() < 2) {
      sb.append(Html.paragraph("Needs two rounds; this run has one."));
      return;
    }
    List<String> layers = rounds.get(0).mask().layers();
    List<String> header = new ArrayList<>(List.of("rounds", "overall"));
    header.addAll(layers);
    figure(sb, MaskPlots.consecutiveIou(masks()), "IoU of consecutive rounds",
        "IoU of each round's mask with the previous round's, over all layers and per layer.");
    HtmlTable table = new HtmlTable("iou", header).numericFrom(1);
    for (int i = 1; i < rounds.size(); i++) {
      Mask before = rounds.get(i - 1).mask();
      Mask after = rounds.get(i).mask();
      List<String> row = new ArrayList<>(List.of(rounds.get(i - 1).index() + " → "
          + rounds.get(i).index(), ratio(before.iou(after))));
      layers.forEach(l -> row.add(ratio(before.iou(after, l))));
      table.row(row);
    }
    sb.append(table.toHtml());
    sb.append(Html.paragraph("IoU = |kept in both| / |kept in either|. IMP only removes weights,"
        + " so each value is the share of the earlier round's weights the later one keeps."));
  }

  private void kernels(StringBuilder sb) {
    sb.append("<h2 id=\"kernels-section\">Kernels of the last round</h2>\n");
    Round last = rounds.get(rounds.size() - 1);
    Mask mask = last.mask();
    List<String> conv = mask.layers().stream().filter(l -> mask.shape(l).length == 4).toList();
    if (conv.isEmpty()) {
      sb.append(Html.paragraph("No rank-4 (convolution) layers, so no kernels to show."));
      return;
    }
    HtmlTable table = new HtmlTable("kernels", "layer", "shape", "kernels", "pruned kernels",
        "filters", "pruned filters").numericFrom(2);
    for (String layer : conv) {
      KernelStats k = mask.kernels(layer);
      table.row(layer, Shapes.format(mask.shape(layer)), count(k.kernels()),
          count(k.zeroKernels()) + " (" + percent(k.zeroKernelShare()) + ")",
          count(k.filters()), count(k.zeroFilters()) + " (" + percent(k.zeroFilterShare()) + ")");
    }
    sb.append(Html.paragraph("Round " + last.index() + ": kernels [out, in, :, :] and filters"
        + " [out, :, :, :] with every weight pruned."));
    sb.append(table.toHtml());
    List<String> shown = conv.subList(0, Math.min(conv.size(), MAX_KERNEL_MAPS));
    if (shown.size() < conv.size()) {
      sb.append(Html.paragraph("Heat-maps of the first " + shown.size() + " of " + conv.size()
          + " convolution layers (the table above lists all of them)."));
    }
    for (String layer : shown) {
      figure(sb, MaskPlots.kernelHeatMap(mask, layer), "kernels of " + layer,
          layer + " " + Shapes.format(mask.shape(layer)) + ": one cell per kernel, output"
              + " channels as rows, input channels as columns; fully pruned, partly kept or"
              + " fully kept.");
    }
  }

  private void settings(StringBuilder sb) {
    sb.append("<h2 id=\"settings-section\">Settings</h2>\n");
    sb.append(Html.paragraph("config.json's settings: everything that decides the run's"
        + " outcome (a resumed run must match them). Nested settings show as dotted keys."));
    HtmlTable table = new HtmlTable("settings", "setting", "value");
    FlatJson.flatten(run.settings()).forEach(table::row);
    sb.append(table.toHtml());
  }

  private void provenance(StringBuilder sb) {
    sb.append("<h2 id=\"provenance-section\">Provenance</h2>\n");
    HtmlTable table = new HtmlTable("provenance", "item", "value");
    JsonObject config = run.config();
    for (String key : List.of("format", "settings_sha256")) {
      JsonElement v = config.get(key);
      if (v != null) {
        table.row(key, FlatJson.text(v));
      }
    }
    FlatJson.flatten(run.provenance()).forEach(table::row);
    String version = RunReport.class.getPackage().getImplementationVersion();
    table.row("report made by", "lth4j " + (version != null ? version : "development"));
    sb.append(table.toHtml());
  }

  private static void figure(StringBuilder sb, byte[] png, String alt, String caption) {
    sb.append("<figure>").append(Html.image(png, alt)).append("<figcaption>")
        .append(Html.escape(caption)).append("</figcaption></figure>\n");
  }

  /** {@code test_accuracy} for {@code val_accuracy}, when the rounds record it. */
  private static Optional<String> testMetricOf(String metric, List<Round> rounds) {
    if (!metric.startsWith("val_")) {
      return Optional.empty();
    }
    String test = "test_" + metric.substring("val_".length());
    return rounds.stream().anyMatch(r -> r.metrics().has(test)) ? Optional.of(test)
        : Optional.empty();
  }

  private static String value(Round r, String m) {
    return r != null && r.metrics().has(m)
        ? String.format(Locale.ROOT, "%.4f", r.metrics().get(m)) : "";
  }

  private static String percent(double fraction) {
    return String.format(Locale.ROOT, "%.2f%%", 100 * fraction);
  }

  private static String ratio(double v) {
    return String.format(Locale.ROOT, "%.4f", v);
  }

  private static String signed(double v) {
    return String.format(Locale.ROOT, "%+.4f", v);
  }

  private static String count(long n) {
    return String.format(Locale.ROOT, "%,d", n);
  }
}
