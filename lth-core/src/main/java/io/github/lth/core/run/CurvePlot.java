package io.github.lth.core.run;

import io.github.lth.core.Round;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * Draws the lottery-ticket curve: the primary metric of each round against the share of weights
 * remaining, on a log axis, with the dense network's value as a horizontal line and one line per
 * branch (control), each point at the sparsity of the mask the branch trained.
 *
 * <pre>{@code
 * CurvePlot.write(result.rounds(), "accuracy", Path.of("curve.png"));
 * }</pre>
 */
public final class CurvePlot {
  /** Ten distinguishable colours (Tableau 10), the ticket first and the dense line last. */
  private static final java.awt.Color[] PALETTE = {
      new java.awt.Color(0x1F77B4), new java.awt.Color(0xD62728), new java.awt.Color(0x2CA02C),
      new java.awt.Color(0xFF7F0E), new java.awt.Color(0x9467BD), new java.awt.Color(0x8C564B),
      new java.awt.Color(0xE377C2), new java.awt.Color(0x17BECF), new java.awt.Color(0xBCBD22),
      new java.awt.Color(0x7F7F7F)};

  private CurvePlot() {}

  /** Writes a PNG to {@code file} (the name may end in anything; PNG bytes are written). */
  public static void write(List<Round> rounds, String metric, Path file) throws IOException {
    write(rounds, metric, Map.of(), file);
  }

  /** Writes the curve with a line per branch, in the map's order. */
  public static void write(List<Round> rounds, String metric, Map<String, List<Round>> branches,
      Path file) throws IOException {
    Files.write(file, png(rounds, metric, branches));
  }

  /** The curve as PNG bytes. */
  public static byte[] png(List<Round> rounds, String metric, Map<String, List<Round>> branches)
      throws IOException {
    System.setProperty("java.awt.headless", "true");
    XYChart chart = new XYChartBuilder().width(800).height(540)
        .title((branches.isEmpty() ? "IMP: " : "IMP and controls: ") + metric
            + " vs. weights remaining")
        .xAxisTitle("weights remaining (%)").yAxisTitle(metric).build();
    // x is log10 of the share remaining, labelled in percent: XChart's own log axis labels
    // only powers of ten, which leaves a 100 %-to-10 % curve with a single label
    chart.setCustomXAxisTickLabelsFormatter(x -> percent(Math.pow(10, x)));
    chart.getStyler().setLegendPosition(org.knowm.xchart.style.Styler.LegendPosition.OutsideS);
    chart.getStyler().setLegendLayout(org.knowm.xchart.style.Styler.LegendLayout.Horizontal);
    // XChart's default palette repeats a yellow among the first seven series; a run with all
    // seven controls has nine
    chart.getStyler().setSeriesColors(PALETTE);
    double min = 100;
    double[][] ticket = series(rounds, metric);
    XYSeries tickets = chart.addSeries("IMP subnetworks", ticket[0], ticket[1]);
    tickets.setMarker(SeriesMarkers.CIRCLE);
    for (double x : ticket[0]) {
      min = Math.min(min, Math.pow(10, x));
    }
    for (Map.Entry<String, List<Round>> b : branches.entrySet()) {
      double[][] line = series(b.getValue().stream().filter(r -> r.metrics().has(metric))
          .toList(), metric);
      if (line[0].length > 0) {
        chart.addSeries(b.getKey(), line[0], line[1]).setMarker(SeriesMarkers.DIAMOND);
        for (double x : line[0]) {
          min = Math.min(min, Math.pow(10, x));
        }
      }
    }
    // a branch's own curve has no round 0, hence no dense line
    if (rounds.get(0).index() == 0 && rounds.get(0).sparsity() == 0) {
      double denseValue = rounds.get(0).metrics().get(metric);
      XYSeries dense = chart.addSeries("dense", new double[] {Math.log10(min * 0.9), 2},
          new double[] {denseValue, denseValue});
      dense.setMarker(SeriesMarkers.NONE);
    }
    return BitmapEncoder.getBitmapBytes(chart, BitmapEncoder.BitmapFormat.PNG);
  }

  private static String percent(double p) {
    return p >= 10 ? String.format(java.util.Locale.ROOT, "%.0f", p)
        : p >= 1 ? String.format(java.util.Locale.ROOT, "%.1f", p)
        : String.format(java.util.Locale.ROOT, "%.2g", p);
  }

  /** log10 of the remaining weights (%) and the metric values of some rounds. */
  private static double[][] series(List<Round> rounds, String metric) {
    double[] remaining = new double[rounds.size()];
    double[] values = new double[rounds.size()];
    for (int i = 0; i < rounds.size(); i++) {
      remaining[i] = Math.log10(100 * (1 - rounds.get(i).sparsity()));
      values[i] = rounds.get(i).metrics().get(metric);
    }
    return new double[][] {remaining, values};
  }
}
