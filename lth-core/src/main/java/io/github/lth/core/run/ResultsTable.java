package io.github.lth.core.run;

import io.github.lth.core.Round;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Formats rounds as results.csv: one row per round, the metrics of every round as columns, then
 * a column group per branch ({@code reinit.sparsity}, {@code reinit.val_accuracy}, ...) holding
 * the branch's round trained from that run round, empty where the branch has none.
 *
 * <pre>{@code
 * String csv = ResultsTable.csv(result.rounds());
 * }</pre>
 */
public final class ResultsTable {
  private ResultsTable() {}

  /** The CSV text, header first. */
  public static String csv(List<Round> rounds) {
    return csv(rounds, Map.of());
  }

  /** The CSV text with a column group per branch, in the map's order. */
  public static String csv(List<Round> rounds, Map<String, List<Round>> branches) {
    Set<String> metricNames = new LinkedHashSet<>();
    rounds.forEach(r -> metricNames.addAll(r.metrics().names()));
    Map<String, Set<String>> branchMetrics = new LinkedHashMap<>();
    Map<String, Map<Integer, Round>> branchRounds = new LinkedHashMap<>();
    branches.forEach((name, list) -> {
      Set<String> names = new LinkedHashSet<>();
      Map<Integer, Round> byIndex = new HashMap<>();
      list.forEach(r -> {
        names.addAll(r.metrics().names());
        byIndex.put(r.index(), r);
      });
      branchMetrics.put(name, names);
      branchRounds.put(name, byIndex);
    });
    List<String> header = new ArrayList<>(List.of("round", "sparsity", "sparsity_percent", "kept",
        "prunable"));
    header.addAll(metricNames);
    header.addAll(List.of("start_step", "steps_trained", "epochs", "train_loss"));
    branchMetrics.forEach((name, names) -> {
      header.add(name + ".sparsity");
      names.forEach(m -> header.add(name + "." + m));
    });
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
      branchMetrics.forEach((name, names) -> {
        Round b = branchRounds.get(name).get(r.index());
        row.add(b == null ? "" : Double.toString(b.sparsity()));
        names.forEach(m -> row.add(b != null && b.metrics().has(m)
            ? Double.toString(b.metrics().get(m)) : ""));
      });
      sb.append(String.join(",", row)).append('\n');
    }
    return sb.toString();
  }
}
