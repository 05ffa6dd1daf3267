package io.github.lth.cli;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.github.lth.core.io.AtomicWrite;
import io.github.lth.core.transfer.TransferPlot;
import io.github.lth.core.transfer.TransferResult;
import io.github.lth.core.transfer.Verdict;
import io.github.lth.core.transfer.Verdicts;
import io.github.lth.djl.transfer.TransferRecord;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * What {@code lth transfer} and {@code lth reproduce} write: one row per training
 * (results.csv), the verdicts per transfer mode on top-1 and mean per-class test accuracy
 * (verdicts.json, verdicts.csv), a plot per mode and the settings.
 *
 * <pre>{@code
 * TransferOutputs.write(dir, records, settings, "transfer of lenet to kmnist", stdout);
 * }</pre>
 */
final class TransferOutputs {
  /** The metric of the printed table, the plots and verdicts.csv. */
  static final String METRIC = "test_accuracy";

  /** Every metric verdicts.json judges. */
  static final List<String> VERDICT_METRICS = List.of("test_accuracy",
      "test_mean_class_accuracy");

  private TransferOutputs() {}

  /** The verdicts of {@code metric}, one target per transfer mode. */
  static Verdicts verdicts(List<TransferRecord> records, String metric) {
    List<TransferResult> results = new ArrayList<>();
    for (TransferRecord r : records) {
      results.add(new TransferResult(r.mode().label(), r.configuration(), r.round(),
          r.sparsity(), Math.toIntExact(r.seed()), r.metrics().asMap()));
    }
    return Verdicts.builder().setMetric(metric).optReference("dense").addAll(results).build();
  }

  /**
   * Writes results.csv, verdicts.json, verdicts.csv, transfer-MODE.png and settings.json into
   * {@code dir} (each atomically) and prints the verdict table.
   */
  static void write(Path dir, List<TransferRecord> records, Map<String, Object> settings,
      String title, PrintWriter out) throws IOException {
    Verdicts top1 = verdicts(records, METRIC);
    JsonObject json = new JsonObject();
    for (String metric : VERDICT_METRICS) {
      Verdicts v = metric.equals(METRIC) ? top1 : verdicts(records, metric);
      json.add(metric, JsonParser.parseString(v.toJson()));
    }
    Gson gson = new GsonBuilder().setPrettyPrinting().disableHtmlEscaping().create();
    AtomicWrite.text(dir.resolve("results.csv"), csv(records));
    AtomicWrite.text(dir.resolve("verdicts.json"), gson.toJson(json) + "\n");
    AtomicWrite.text(dir.resolve("verdicts.csv"), top1.csv());
    List<String> plots = new ArrayList<>();
    for (String target : top1.targets()) {
      String file = "transfer-" + target + ".png";
      TransferPlot.write(top1, target, title + " (" + target + ")", dir.resolve(file));
      plots.add(file);
    }
    AtomicWrite.text(dir.resolve("settings.json"), gson.toJson(settings) + "\n");
    print(out, top1);
    out.printf("written: %s/{results.csv, verdicts.json, verdicts.csv, %s, settings.json}%n",
        dir, String.join(", ", plots));
    out.flush();
  }

  /** Per mode: configuration, round, sparsity, mean ± std over seeds, matching and δ. */
  static void print(PrintWriter out, Verdicts verdicts) {
    for (String target : verdicts.targets()) {
      out.println();
      out.printf("%s (%s over seeds; matching: within one std of dense)%n", target,
          verdicts.metric());
      Table t = new Table("configuration", "round", "sparsity", "seeds", "mean", "std",
          "matching", "δ").rightAlignFrom(1);
      for (Verdict v : verdicts.all()) {
        if (!v.target().equals(target)) {
          continue;
        }
        t.row(v.configuration(), Integer.toString(v.round()), Table.percent(v.sparsity()),
            Integer.toString(v.stats().n()), Table.percent(v.stats().mean()),
            String.format(Locale.ROOT, "%.2f", 100 * v.stats().std()),
            v.matching() ? "yes" : "no",
            Double.isNaN(v.delta()) ? "" : String.format(Locale.ROOT, "%+.3f", v.delta()));
      }
      t.print(out);
      for (String c : verdicts.configurations()) {
        if (!c.equals(verdicts.reference())) {
          var s = verdicts.sparsestMatching(target, c);
          out.printf(Locale.ROOT, "  %s: %s%n", c, s.isPresent()
              ? "matching up to " + Table.percent(s.getAsDouble()) + " sparsity"
              : "matching at no sparsity tried");
        }
      }
    }
    out.flush();
  }

  /** One row per transfer: mode, configuration, round, sparsity, seed, then every metric. */
  static String csv(List<TransferRecord> records) {
    Set<String> metrics = new LinkedHashSet<>();
    records.forEach(r -> metrics.addAll(r.metrics().names()));
    List<String> header = new ArrayList<>(List.of("mode", "configuration", "round", "sparsity",
        "seed"));
    header.addAll(metrics);
    StringBuilder sb = new StringBuilder(String.join(",", header)).append('\n');
    for (TransferRecord r : records) {
      List<String> row = new ArrayList<>(List.of(r.mode().label(), csvField(r.configuration()),
          Integer.toString(r.round()), Double.toString(r.sparsity()), Long.toString(r.seed())));
      for (String m : metrics) {
        row.add(r.metrics().has(m) ? Double.toString(r.metrics().get(m)) : "");
      }
      sb.append(String.join(",", row)).append('\n');
    }
    return sb.toString();
  }

  /** RFC 4180 quoting: configuration names such as {@code mP,θp} hold commas. */
  static String csvField(String value) {
    return value.contains(",") || value.contains("\"") || value.contains("\n")
        ? "\"" + value.replace("\"", "\"\"") + "\"" : value;
  }
}
