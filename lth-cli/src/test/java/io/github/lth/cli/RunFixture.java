package io.github.lth.cli;

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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * A small run directory written through {@link RunStore} without training, for the report: a
 * tiny CNN (conv1 [4,1,3,3], conv2 [8,4,3,3], fc [10,32]) pruned by 40% per round with nested
 * random masks, {@code val_accuracy} and {@code test_accuracy} per round, and controls under
 * {@code branches/} holding some of the rounds.
 */
final class RunFixture {
  static final Map<String, long[]> SHAPES = shapes();
  /** Rounds 0..ROUNDS-1 are written. */
  static final int ROUNDS = 4;
  /** Setting keys of {@link #settings()}, nested ones dotted. */
  static final List<String> SETTING_KEYS = List.of("schedule", "rounds", "rewind", "seed",
      "primary_metric", "task.lr", "task.batch_size", "model", "data");

  private RunFixture() {}

  private static Map<String, long[]> shapes() {
    Map<String, long[]> s = new LinkedHashMap<>();
    s.put("conv1", new long[] {4, 1, 3, 3});
    s.put("conv2", new long[] {8, 4, 3, 3});
    s.put("fc", new long[] {10, 32});
    return s;
  }

  static JsonObject settings() {
    return JsonParser.parseString("{\"schedule\":\"imp(0.4)\",\"rounds\":" + (ROUNDS - 1)
        + ",\"rewind\":\"init\",\"seed\":1,\"primary_metric\":\"val_accuracy\","
        + "\"task\":{\"lr\":0.05,\"batch_size\":32},\"model\":\"tiny-cnn\","
        + "\"data\":\"synthetic\"}").getAsJsonObject();
  }

  /**
   * Writes the run with a summary, plus the controls {@code reinit} (rounds 1 to 3) and
   * {@code perturbed-10} (round 2 only).
   */
  static Path write(Path dir) throws IOException {
    List<Mask> masks = masks();
    List<Round> rounds = new ArrayList<>();
    try (RunStore store = RunStore.open(dir, settings(), Map.of("device", "cpu"), false)) {
      for (int r = 0; r < ROUNDS; r++) {
        Round round = round(r, masks.get(r), 0.9 - 0.01 * r * r, 0.88 - 0.01 * r * r);
        store.writeRound(round, weights());
        rounds.add(round);
      }
      writeBranch(dir, "reinit", "reinit", masks, List.of(1, 2, 3));
      writeBranch(dir, "perturbed-10", "perturbed:10", masks, List.of(2));
      store.writeSummary(rounds, "val_accuracy");
    }
    return dir;
  }

  private static void writeBranch(Path runDir, String name, String control, List<Mask> masks,
      List<Integer> indices) throws IOException {
    JsonObject s = new JsonObject();
    s.addProperty("control", control);
    s.addProperty("seed", 0);
    try (RunStore store = RunStore.open(runDir.resolve(RunStore.BRANCHES).resolve(name), s,
        Map.of(), false)) {
      for (int r : indices) {
        store.writeRound(round(r, masks.get(r), 0.8 - 0.02 * r, 0.79 - 0.02 * r), weights());
      }
    }
  }

  private static Round round(int index, Mask mask, double val, double test) {
    return new Round(index, mask, Metrics.of(Map.of("val_accuracy", val, "test_accuracy", test)),
        new TrainingSummary(50, 1, 0.4, 0, mask));
  }

  /** Round r keeps 0.6^r of every layer; each round's kept weights are within the last's. */
  private static List<Mask> masks() {
    Random rng = new Random(3);
    Map<String, double[]> scores = new LinkedHashMap<>();
    SHAPES.forEach((name, shape) -> {
      double[] s = new double[size(shape)];
      for (int i = 0; i < s.length; i++) {
        s[i] = rng.nextDouble();
      }
      scores.put(name, s);
    });
    List<Mask> out = new ArrayList<>();
    for (int r = 0; r < ROUNDS; r++) {
      double pruned = 1 - Math.pow(0.6, r);
      Mask.Builder b = Mask.builder();
      SHAPES.forEach((name, shape) -> {
        double[] s = scores.get(name);
        boolean[] kept = new boolean[s.length];
        for (int i = 0; i < s.length; i++) {
          kept[i] = s[i] >= pruned;
        }
        b.put(name, shape, kept);
      });
      out.add(b.build());
    }
    return out;
  }

  private static Weights weights() {
    Weights.Builder b = Weights.builder();
    SHAPES.forEach((name, shape) -> b.put(name, shape, new float[size(shape)]));
    return b.build();
  }

  private static int size(long[] shape) {
    int n = 1;
    for (long d : shape) {
      n *= (int) d;
    }
    return n;
  }
}
