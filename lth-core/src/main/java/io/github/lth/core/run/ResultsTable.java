package io.github.lth.core.run;

import io.github.lth.core.Round;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Formats rounds as results.csv: one row per round, the metrics of every round as columns.
 *
 * <pre>{@code
 * String csv = ResultsTable.csv(result.rounds());
 * }</pre>
 */
public final class ResultsTable {
  private ResultsTable() {}

  /** The CSV text, header first. */
  public static String csv(List<Round> rounds) {
    Set<String> metricNames = new LinkedHashSet<>();
    rounds.forEach(r -> metricNames.addAll(r.metrics().names()));
    List<String> header = new ArrayList<>(List.of("round", "sparsity", "sparsity_percent", "kept",
        "prunable"));
    header.addAll(metricNames);
    header.addAll(List.of("start_step", "steps_trained", "epochs", "train_loss"));
    StringBuilder sb = new StringBuilder(String.join(",", header)).append('\n');
    for (Round r : rounds) {
      List<String> row = new ArrayList<>();
      row.add(Integer.toString(r.index()));
      row.add(Double.toString(r.sparsity()));
      row.add(String.format(Locale.ROOT, "%.2f", 100 * r.sparsity()));
      row.add(Long.toString(r.kept()));
      row.add(Long.toString(r.mask().size()));
      for (String m : metricNames) {
        row.add(r.metrics().has(m) ? Double.toString(r.metrics().get(m)) : "");
      }
      row.add(Long.toString(r.training().startStep()));
      row.add(Long.toString(r.training().steps()));
      row.add(Integer.toString(r.training().epochs()));
      row.add(Double.toString(r.training().finalLoss()));
      sb.append(String.join(",", row)).append('\n');
    }
    return sb.toString();
  }
}
