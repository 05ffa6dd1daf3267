package io.github.lth.cli;

import static com.google.common.base.Preconditions.checkArgument;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.github.lth.core.io.AtomicWrite;
import io.github.lth.core.sweep.CollectedPoint;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code lth collect} of a transfer sweep: each point is a whole transfer study with its own
 * seeds and verdicts (lth transfer's outputs), so the sweep's tables stack them, each row led by
 * its point's axis values: sweep.csv from the points' results.csv (one row per training),
 * summary.csv from their verdicts.csv (mean ± std over the transfer's seeds, matching, δ), and
 * verdicts.json listing each point's verdicts. The plots stay each point's own
 * (points/ID/transfer-MODE.png).
 *
 * <pre>{@code
 * TransferSweepTables t = TransferSweepTables.collect(List.of("classes"), points);
 * t.write(sweepDir);
 * }</pre>
 */
final class TransferSweepTables {
  private final List<String> axes;
  private final List<CollectedPoint> collected;
  private final List<CollectedPoint> missing;
  private final String sweepCsv;
  private final String summaryCsv;

  private TransferSweepTables(List<String> axes, List<CollectedPoint> collected,
      List<CollectedPoint> missing) throws IOException {
    this.axes = axes;
    this.collected = collected;
    this.missing = missing;
    this.sweepCsv = stack("results.csv", true);
    this.summaryCsv = stack("verdicts.csv", false);
  }

  /** Reads the done points' outputs; a point without them is listed in {@link #missing()}. */
  static TransferSweepTables collect(List<String> axes, List<CollectedPoint> points)
      throws IOException {
    List<CollectedPoint> collected = new ArrayList<>();
    List<CollectedPoint> missing = new ArrayList<>();
    for (CollectedPoint p : points) {
      boolean complete = p.done() && Files.isRegularFile(p.directory().resolve("results.csv"))
          && Files.isRegularFile(p.directory().resolve("verdicts.csv"))
          && Files.isRegularFile(p.directory().resolve("verdicts.json"));
      (complete ? collected : missing).add(p);
    }
    return new TransferSweepTables(axes, collected, missing);
  }

  List<CollectedPoint> missing() {
    return missing;
  }

  /** The stacked verdict table, for the terminal too. */
  String summaryCsv() {
    return summaryCsv;
  }

  void write(Path dir) throws IOException {
    JsonArray all = new JsonArray();
    for (CollectedPoint p : collected) {
      JsonObject o = new JsonObject();
      o.addProperty("point", p.index());
      o.addProperty("id", p.id());
      JsonObject values = new JsonObject();
      p.axisValues().forEach((k, v) -> values.addProperty(k, String.valueOf(v)));
      o.add("axes", values);
      Path verdicts = p.directory().resolve("verdicts.json");
      try {
        o.add("verdicts", JsonParser.parseString(Files.readString(verdicts)));
      } catch (RuntimeException e) {
        throw new IOException("cannot read " + verdicts + ": not valid JSON", e);
      }
      all.add(o);
    }
    JsonObject json = new JsonObject();
    json.add("points", all);
    AtomicWrite.text(dir.resolve("sweep.csv"), sweepCsv);
    AtomicWrite.text(dir.resolve("summary.csv"), summaryCsv);
    AtomicWrite.text(dir.resolve("verdicts.json"),
        new GsonBuilder().setPrettyPrinting().create().toJson(json) + "\n");
  }

  /**
   * Every collected point's {@code file} under one header, each row led by the point's axis
   * values (and, for {@code withPoint}, its index and id).
   */
  private String stack(String file, boolean withPoint) throws IOException {
    StringBuilder out = new StringBuilder();
    String header = null;
    for (CollectedPoint p : collected) {
      Path f = p.directory().resolve(file);
      List<String> lines = Files.readAllLines(f);
      checkArgument(!lines.isEmpty(), "%s is empty", f);
      if (header == null) {
        header = lines.get(0);
        out.append(withPoint ? "point,id," : "").append(String.join(",", axes)).append(',')
            .append(header).append('\n');
      }
      checkArgument(lines.get(0).equals(header), "%s has the columns %s, other points %s: collect"
          + " stacks transfers of the same modes and controls", f, lines.get(0), header);
      StringBuilder lead = new StringBuilder();
      if (withPoint) {
        lead.append(p.index()).append(',').append(p.id()).append(',');
      }
      for (String axis : axes) {
        lead.append(csv(String.valueOf(p.axisValues().get(axis)))).append(',');
      }
      for (String line : lines.subList(1, lines.size())) {
        out.append(lead).append(line).append('\n');
      }
    }
    return out.toString();
  }

  private static String csv(String value) {
    return value.contains(",") || value.contains("\"")
        ? "\"" + value.replace("\"", "\"\"") + "\"" : value;
  }
}
