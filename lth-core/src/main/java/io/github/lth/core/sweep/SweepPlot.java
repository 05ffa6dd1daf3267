package io.github.lth.core.sweep;

import java.awt.Color;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.XYSeries.XYSeriesRenderStyle;
import org.knowm.xchart.style.Styler.LegendLayout;
import org.knowm.xchart.style.Styler.LegendPosition;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * Draws a sweep's settings: per setting, the mean of a metric over the seeds against the share of
 * weights remaining (log axis labelled in percent, as the run curve), with a translucent band of
 * ± one standard deviation drawn under every line. Used by {@link SweepResults#png}.
 */
final class SweepPlot {
  /** Tableau 10, as the run curve and the transfer plot use. */
  private static final Color[] PALETTE = {
      new Color(0x1F77B4), new Color(0xD62728), new Color(0x2CA02C), new Color(0xFF7F0E),
      new Color(0x9467BD), new Color(0x8C564B), new Color(0xE377C2), new Color(0x17BECF),
      new Color(0xBCBD22), new Color(0x7F7F7F)};
  /** Opacity of the bands: light enough that overlapping bands stay readable. */
  private static final int BAND_ALPHA = 56;
  private static final Color INVISIBLE = new Color(0, 0, 0, 0);
  static final int WIDTH = 800;
  static final int HEIGHT = 540;

  /**
   * One setting's line.
   *
   * @param label the legend entry
   * @param points {sparsity (below 1), mean, std} per round
   */
  record Line(String label, List<double[]> points) {}

  private SweepPlot() {}

  static byte[] png(String title, String metric, List<Line> lines) {
    // a server has no display; a GUI application that already chose keeps its choice
    if (System.getProperty("java.awt.headless") == null) {
      System.setProperty("java.awt.headless", "true");
    }
    XYChart chart = new XYChartBuilder().width(WIDTH).height(HEIGHT).title(title)
        .xAxisTitle("weights remaining (%)").yAxisTitle(metric).build();
    // x is log10 of the percentage remaining, labelled in percent: XChart's own log axis labels
    // only powers of ten, which leaves a 100 %-to-10 % curve with a single label
    chart.setCustomXAxisTickLabelsFormatter(x -> percent(Math.pow(10, x)));
    chart.getStyler().setLegendPosition(LegendPosition.OutsideS);
    chart.getStyler().setLegendLayout(LegendLayout.Horizontal);

    List<List<double[]>> sorted = new ArrayList<>();
    for (Line line : lines) {
      List<double[]> points = new ArrayList<>(line.points());
      points.sort(Comparator.comparingDouble(p -> p[0]));
      sorted.add(points);
    }
    // bands first, so that every line is drawn over every band
    for (int i = 0; i < lines.size(); i++) {
      List<double[]> points = sorted.get(i);
      int n = points.size();
      double[] x = new double[2 * n];
      double[] y = new double[2 * n];
      // the polygon runs along the upper edge and back along the lower one
      for (int k = 0; k < n; k++) {
        double[] forward = points.get(k);
        double[] backward = points.get(n - 1 - k);
        x[k] = remaining(forward[0]);
        y[k] = forward[1] + forward[2];
        x[n + k] = remaining(backward[0]);
        y[n + k] = backward[1] - backward[2];
      }
      XYSeries band = chart.addSeries(lines.get(i).label() + " ± std", x, y);
      band.setXYSeriesRenderStyle(XYSeriesRenderStyle.PolygonArea);
      Color c = color(i);
      band.setFillColor(new Color(c.getRed(), c.getGreen(), c.getBlue(), BAND_ALPHA));
      band.setLineColor(INVISIBLE);
      band.setMarker(SeriesMarkers.NONE);
      band.setShowInLegend(false);
    }
    for (int i = 0; i < lines.size(); i++) {
      List<double[]> points = sorted.get(i);
      double[] x = new double[points.size()];
      double[] y = new double[points.size()];
      for (int k = 0; k < points.size(); k++) {
        x[k] = remaining(points.get(k)[0]);
        y[k] = points.get(k)[1];
      }
      XYSeries s = chart.addSeries(lines.get(i).label(), x, y);
      s.setXYSeriesRenderStyle(XYSeriesRenderStyle.Line);
      s.setMarker(SeriesMarkers.CIRCLE);
      s.setLineColor(color(i));
      s.setMarkerColor(color(i));
    }
    try {
      return BitmapEncoder.getBitmapBytes(chart, BitmapEncoder.BitmapFormat.PNG);
    } catch (IOException e) {
      // encoding to memory has no file to fail on; an error here is ImageIO's own
      throw new UncheckedIOException("cannot encode the sweep plot as PNG", e);
    }
  }

  private static Color color(int i) {
    return PALETTE[i % PALETTE.length];
  }

  /** log10 of the percentage of weights remaining. */
  private static double remaining(double sparsity) {
    return Math.log10(100 * (1 - sparsity));
  }

  private static String percent(double p) {
    return p >= 10 ? String.format(Locale.ROOT, "%.0f", p)
        : p >= 1 ? String.format(Locale.ROOT, "%.1f", p)
        : String.format(Locale.ROOT, "%.2g", p);
  }
}
