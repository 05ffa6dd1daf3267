package io.github.lth.core.report;

import com.google.gson.JsonObject;
import io.github.lth.core.Round;
import io.github.lth.core.run.StoredBranch;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * One branch (control) set against the ticket it was derived from: its specification and seed,
 * the rounds it has, and how far its primary metric is from the ticket's on the rounds both have
 * (control minus ticket, so a control that does worse than the ticket shows a negative mean).
 *
 * @param name the branch directory name
 * @param control the control's specification, e.g. {@code perturbed:10}
 * @param seed the branch's seed as recorded
 * @param rounds the branch's round indices, ascending
 * @param meanDifference mean of (control − ticket) over the {@code compared} shared rounds
 * @param compared how many rounds both have with the metric
 */
record ControlSummary(String name, String control, String seed, List<Integer> rounds,
    OptionalDouble meanDifference, int compared) {

  /** What a branch's config.json lacks shows as this rather than failing the whole report. */
  static final String NOT_RECORDED = "(not recorded)";

  static ControlSummary of(StoredBranch branch, List<Round> ticket, String metric) {
    JsonObject s = branch.settings();
    Map<Integer, Round> byIndex = ticket.stream()
        .collect(Collectors.toMap(Round::index, Function.identity()));
    List<Double> differences = new ArrayList<>();
    for (Round r : branch.rounds()) {
      Round t = byIndex.get(r.index());
      if (t != null && t.metrics().has(metric) && r.metrics().has(metric)) {
        differences.add(r.metrics().get(metric) - t.metrics().get(metric));
      }
    }
    return new ControlSummary(branch.name(), setting(s, "control"), setting(s, "seed"),
        branch.roundIndices(),
        differences.stream().mapToDouble(Double::doubleValue).average(), differences.size());
  }

  private static String setting(JsonObject s, String key) {
    return s.has(key) && !s.get(key).isJsonNull() ? FlatJson.text(s.get(key)) : NOT_RECORDED;
  }

  /** The round indices compactly: {@code 1-4, 6}. */
  String roundRanges() {
    if (rounds.isEmpty()) {
      return "none yet";
    }
    StringBuilder sb = new StringBuilder();
    int start = rounds.get(0);
    int prev = start;
    for (int i = 1; i <= rounds.size(); i++) {
      if (i < rounds.size() && rounds.get(i) == prev + 1) {
        prev = rounds.get(i);
        continue;
      }
      if (sb.length() > 0) {
        sb.append(", ");
      }
      sb.append(start == prev ? Integer.toString(start) : start + "-" + prev);
      if (i < rounds.size()) {
        start = rounds.get(i);
        prev = start;
      }
    }
    return sb.toString();
  }
}
