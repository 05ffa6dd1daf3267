package io.github.lth.core.transfer;

import static com.google.common.base.Preconditions.checkArgument;

import io.github.lth.core.analysis.MaskPlots;
import java.awt.Color;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.XYSeries.XYSeriesRenderStyle;
import org.knowm.xchart.style.Styler.LegendLayout;
import org.knowm.xchart.style.Styler.LegendPosition;
import org.knowm.xchart.style.lines.SeriesLines;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * Draws one target of a transfer study: the metric (accuracies in percent) against the share of
 * weights remaining on a log axis labelled in percent, as the run curve does; one line with
 * markers per configuration through its rounds, each in a translucent band of ± one sample
 * standard deviation over the seeds; the reference as a dashed horizontal line at its mean with
 * its own band across the plot, which is the matching region's edge. Legend below.
 *
 * <pre>{@code
 * TransferPlot.write(verdicts, "linear", "Linear probe on CIFAR-10", Path.of("linear.png"));
 * }</pre>
 */
public final class TransferPlot {
  /** Tableau 10, as the run curve uses; the grey (last) is kept for the reference. */
  private static final Color[] PALETTE = {
      new Color(0x1F77B4), new Color(0xD62728), new Color(0x2CA02C), new Color(0xFF7F0E),
      new Color(0x9467BD), new Color(0x8C564B), new Color(0xE377C2), new Color(0x17BECF),
      new Color(0xBCBD22)};
  private static final Color REFERENCE_COLOR = new Color(0x7F7F7F);
  /** Opacity of the ± std bands: light enough that overlapping bands stay readable. */
  private static final int BAND_ALPHA = 56;
  private static final Color INVISIBLE = new Color(0, 0, 0, 0);

  private TransferPlot() {}

  /**
   * The plot of {@code target} as PNG bytes, 800 × 540 pixels.
   *
   * @throws IllegalArgumentException if the study has no such target, or a subnetwork has
   *     sparsity 1 (no weight remains, which a log axis cannot show)
   */
  public static byte[] png(Verdicts verdicts, String target, String title) {
    Objects.requireNonNull(verdicts, "verdicts");
    Objects.requireNonNull(title, "title");
    checkArgument(verdicts.targets().contains(target), "no results for target %s; the targets"
        + " are %s", target, verdicts.targets());
    headless();
    boolean percent = verdicts.higherIsBetter();
    String metric = verdicts.metric();
    XYChart chart = new XYChartBuilder().width(800).height(540).title(title)
        .xAxisTitle("weights remaining (%)").yAxisTitle(percent ? metric + " (%)" : metric)
        .build();
    // as in the run curve: x is log10 of the share remaining, labelled in percent, because
    // XChart's own log axis labels only powers of ten
    chart.setCustomXAxisTickLabelsFormatter(x -> percentLabel(Math.pow(10, x)));
    chart.getStyler().setLegendPosition(LegendPosition.OutsideS);
    chart.getStyler().setLegendLayout(LegendLayout.Horizontal);
    double scale = percent ? 100 : 1;

    List<List<Verdict>> lines = new ArrayList<>();
    Verdict reference = null;
    double minRemaining = 100;
    for (String configuration : verdicts.configurations()) {
      List<Verdict> line = new ArrayList<>();
      for (Verdict v : verdicts.all()) {
        if (v.target().equals(target) && v.configuration().equals(configuration)) {
          checkArgument(v.sparsity() < 1, "%s %s round %s has sparsity 1 (no weight remains),"
              + " which the log axis of weights remaining cannot show", target, configuration,
              v.round());
          line.add(v);
          minRemaining = Math.min(minRemaining, remaining(v));
        }
      }
      if (configuration.equals(verdicts.reference())) {
        reference = line.get(0);
      } else if (!line.isEmpty()) {
        line.sort(Comparator.comparingDouble(Verdict::sparsity));
        lines.add(line);
      }
    }

    // bands first, so that every line is drawn over every band
    double left = Math.log10(minRemaining * 0.9);
    double right = 2;
    double refLow = scale * (reference.stats().mean() - reference.stats().std());
    double refHigh = scale * (reference.stats().mean() + reference.stats().std());
    band(chart, verdicts.reference(), new double[] {left, right, right, left},
        new double[] {refHigh, refHigh, refLow, refLow}, REFERENCE_COLOR);
    for (int i = 0; i < lines.size(); i++) {
      List<Verdict> line = lines.get(i);
      int n = line.size();
      double[] x = new double[2 * n];
      double[] y = new double[2 * n];
      // the polygon goes along the upper edge and back along the lower one
      for (int k = 0; k < n; k++) {
        Verdict forward = line.get(k);
        Verdict backward = line.get(n - 1 - k);
        x[k] = Math.log10(remaining(forward));
        y[k] = scale * (forward.stats().mean() + forward.stats().std());
        x[n + k] = Math.log10(remaining(backward));
        y[n + k] = scale * (backward.stats().mean() - backward.stats().std());
      }
      band(chart, line.get(0).configuration(), x, y, color(i));
    }

    for (int i = 0; i < lines.size(); i++) {
      List<Verdict> line = lines.get(i);
      double[] x = new double[line.size()];
      double[] y = new double[line.size()];
      for (int k = 0; k < line.size(); k++) {
        x[k] = Math.log10(remaining(line.get(k)));
        y[k] = scale * line.get(k).stats().mean();
      }
      XYSeries s = chart.addSeries(line.get(0).configuration(), x, y);
      s.setXYSeriesRenderStyle(XYSeriesRenderStyle.Line);
      s.setMarker(SeriesMarkers.CIRCLE);
      s.setLineColor(color(i));
      s.setMarkerColor(color(i));
    }
    double refMean = scale * reference.stats().mean();
    XYSeries ref = chart.addSeries(verdicts.reference() + " (mean ± std)",
        new double[] {left, right}, new double[] {refMean, refMean});
    ref.setXYSeriesRenderStyle(XYSeriesRenderStyle.Line);
    ref.setMarker(SeriesMarkers.NONE);
    ref.setLineStyle(SeriesLines.DASH_DASH);
    ref.setLineColor(REFERENCE_COLOR);
    try {
      return BitmapEncoder.getBitmapBytes(chart, BitmapEncoder.BitmapFormat.PNG);
    } catch (IOException e) {
      // encoding to memory has no file to fail on; an error here is ImageIO's own
      throw new UncheckedIOException("cannot encode the plot of " + target + " as PNG", e);
    }
  }

  /**
   * Writes the plot of {@code target} to {@code file} as PNG, atomically (a reader sees the old
   * file or the whole new one).
   *
   * @throws IllegalArgumentException as {@link #png}
   * @throws IOException {@code cannot write FILE: ...} if the file cannot be written
   */
  public static void write(Verdicts verdicts, String target, String title, Path file)
      throws IOException {
    MaskPlots.writePng(png(verdicts, target, title), file);
  }

  /** A translucent ± std polygon in the colour of its line, left out of the legend. */
  private static void band(XYChart chart, String name, double[] x, double[] y, Color color) {
    XYSeries s = chart.addSeries(name + " ± std", x, y);
    s.setXYSeriesRenderStyle(XYSeriesRenderStyle.PolygonArea);
    s.setFillColor(new Color(color.getRed(), color.getGreen(), color.getBlue(), BAND_ALPHA));
    s.setLineColor(INVISIBLE);
    s.setMarker(SeriesMarkers.NONE);
    s.setShowInLegend(false);
  }

  private static Color color(int i) {
    return PALETTE[i % PALETTE.length];
  }

  private static double remaining(Verdict v) {
    return 100 * (1 - v.sparsity());
  }

  private static String percentLabel(double p) {
    return p >= 10 ? String.format(Locale.ROOT, "%.0f", p)
        : p >= 1 ? String.format(Locale.ROOT, "%.1f", p)
        : String.format(Locale.ROOT, "%.2g", p);
  }

  private static void headless() {
    // a server has no display; a GUI application that already chose keeps its choice
    if (System.getProperty("java.awt.headless") == null) {
      System.setProperty("java.awt.headless", "true");
    }
  }
}
