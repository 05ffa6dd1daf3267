package io.github.lth.core.report;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.github.lth.core.Mask;
import io.github.lth.core.Metrics;
import io.github.lth.core.Round;
import io.github.lth.core.TrainingSummary;
import io.github.lth.core.Weights;
import io.github.lth.core.run.RunStore;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Run directories written through {@link RunStore} without training: nested masks that prune
 * 40% more of each layer per round, metrics chosen by the test.
 */
final class TestRuns {
  private final Map<String, long[]> shapes;
  private final Map<String, List<Integer>> order = new LinkedHashMap<>();

  TestRuns(Map<String, long[]> shapes) {
    this.shapes = shapes;
    Random rng = new Random(7);
    shapes.forEach((name, shape) -> {
      List<Integer> idx = new ArrayList<>();
      for (int i = 0; i < size(shape); i++) {
        idx.add(i);
      }
      Collections.shuffle(idx, rng);
      order.put(name, idx);
    });
  }

  /** The masks of round {@code r}: each layer keeps 0.6^r of its weights, nested across rounds. */
  Mask mask(int round) {
    Mask.Builder b = Mask.builder();
    shapes.forEach((name, shape) -> {
      int n = size(shape);
      int keep = (int) Math.round(n * Math.pow(0.6, round));
      boolean[] kept = new boolean[n];
      order.get(name).subList(0, keep).forEach(i -> kept[i] = true);
      b.put(name, shape, kept);
    });
    return b.build();
  }

  Round round(int index, Map<String, Double> metrics) {
    Mask m = mask(index);
    return new Round(index, m, Metrics.of(metrics), new TrainingSummary(100, 2, 0.5, 0, m));
  }

  Weights weights() {
    Weights.Builder b = Weights.builder();
    shapes.forEach((name, shape) -> b.put(name, shape, new float[size(shape)]));
    return b.build();
  }

  /** The settings of a small run, with a nested task object like the CLI writes. */
  static JsonObject settings(int rounds, String primaryMetric) {
    return JsonParser.parseString("{\"schedule\":\"imp(0.4)\",\"rounds\":" + rounds
        + ",\"rewind\":\"init\",\"seed\":3,\"primary_metric\":\"" + primaryMetric + "\","
        + "\"task\":{\"lr\":0.1,\"optimizer\":{\"name\":\"sgd\",\"momentum\":0.9}},"
        + "\"model\":\"tiny-cnn\",\"data\":\"<script>alert(1)</script>\"}").getAsJsonObject();
  }

  /** Writes rounds 0..count-1 of a run with the given metric values and its summary. */
  List<Round> writeRun(Path dir, JsonObject settings, List<Map<String, Double>> metrics)
      throws IOException {
    List<Round> rounds = new ArrayList<>();
    try (RunStore store = RunStore.open(dir, settings, Map.of("device", "cpu"), false)) {
      for (int r = 0; r < metrics.size(); r++) {
        Round round = round(r, metrics.get(r));
        store.writeRound(round, weights());
        rounds.add(round);
      }
    }
    return rounds;
  }

  /** Writes a branch under {@code runDir/branches/name} holding the given rounds' metrics. */
  void writeBranch(Path runDir, String name, String control, Map<Integer, Double> metricByRound,
      String metric) throws IOException {
    JsonObject s = new JsonObject();
    s.addProperty("control", control);
    s.addProperty("seed", 5);
    try (RunStore store = RunStore.open(runDir.resolve(RunStore.BRANCHES).resolve(name), s,
        Map.of(), false)) {
      for (Map.Entry<Integer, Double> e : metricByRound.entrySet()) {
        store.writeRound(round(e.getKey(), Map.of(metric, e.getValue())), weights());
      }
    }
  }

  private static int size(long[] shape) {
    long n = 1;
    for (long d : shape) {
      n *= d;
    }
    return (int) n;
  }
}
