package io.github.lth.core.analysis;

import static com.google.common.base.Preconditions.checkArgument;

import io.github.lth.core.Mask;
import io.github.lth.core.Shapes;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.geom.AffineTransform;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import javax.imageio.ImageIO;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.CategorySeries;
import org.knowm.xchart.CategorySeries.CategorySeriesRenderStyle;
import org.knowm.xchart.internal.chartpart.Chart;
import org.knowm.xchart.style.Styler.LegendPosition;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * PNG pictures of mask analyses: IoU heat map, per-layer sparsity bars, sparsity and IoU across
 * the rounds of a run, and the kernel-level heat map of a convolution layer. Every method returns
 * the PNG bytes (drawn headless, so it works on a server); {@link #writePng} stores them
 * atomically.
 *
 * <p>Charts with axes are drawn by XChart; the two heat maps are drawn directly with Java2D, one
 * cell per matrix entry or kernel, so that even a 512×512-kernel layer is exact (one pixel per
 * kernel) and small grids are scaled up to a readable size.
 *
 * <pre>{@code
 * MaskComparison c = MaskComparison.of(List.of("seed 1", "seed 2"), List.of(m1, m2));
 * MaskPlots.writePng(MaskPlots.iouHeatMap(c), Path.of("iou.png"));
 * MaskPlots.writePng(MaskPlots.kernelHeatMap(m1, "conv2.weight"), Path.of("kernels.png"));
 * }</pre>
 */
public final class MaskPlots {

  /** Kernel heat-map colour of a fully pruned kernel (viridis dark end): {@code #440154}. */
  public static final Color PRUNED_COLOR = new Color(0x44, 0x01, 0x54);
  /** Kernel heat-map colour of a partly kept kernel (viridis middle): {@code #21918C}. */
  public static final Color PARTIAL_COLOR = new Color(0x21, 0x91, 0x8C);
  /** Kernel heat-map colour of a fully kept kernel (viridis light end): {@code #FDE725}. */
  public static final Color KEPT_COLOR = new Color(0xFD, 0xE7, 0x25);

  /** IoU colour scale: 0 is near white, 1 dark blue (ColorBrewer "Blues" ends). */
  private static final Color IOU_LOW = new Color(0xF7, 0xFB, 0xFF);
  private static final Color IOU_HIGH = new Color(0x08, 0x30, 0x6B);
  /** Heat maps print their values in the cells up to this many masks. */
  private static final int MAX_MASKS_WITH_VALUES = 8;
  private static final int MAX_LABEL_CHARS = 40;

  // Kernel heat-map layout. The grid's origin does not depend on font metrics, so the tests
  // (and a reader of the code) know where cell (out, in) is: see kernelGrid.
  private static final int KERNEL_LEFT = 80;
  private static final int KERNEL_TOP = 64;
  private static final int KERNEL_GRID_TARGET = 640;
  private static final int KERNEL_MAX_CELL = 40;

  private static final Font TITLE_FONT = new Font(Font.SANS_SERIF, Font.BOLD, 15);
  private static final Font TEXT_FONT = new Font(Font.SANS_SERIF, Font.PLAIN, 12);

  private MaskPlots() {}

  /**
   * The n×n IoU matrix over all layers as a heat map (0 light, 1 dark), rows labelled
   * {@code A: label}, columns by letter, with a colour bar; values are printed in the cells when
   * there are at most 8 masks.
   */
  public static byte[] iouHeatMap(MaskComparison c) {
    headless();
    double[][] iou = c.iou();
    int n = iou.length;
    List<String> rowLabels = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      rowLabels.add(MaskComparison.letter(i) + ": " + shorten(c.labels().get(i)));
    }
    int cell = clamp(560 / n, 6, 72);
    FontMetrics fm = metrics(TEXT_FONT);
    int labelWidth = 0;
    for (String s : rowLabels) {
      labelWidth = Math.max(labelWidth, fm.stringWidth(s));
    }
    // with small cells, label every k-th row and column so labels do not overlap
    int every = Math.max(1, (int) Math.ceil((fm.getHeight() + 2.0) / cell));
    int gridX = 16 + labelWidth + 8;
    int gridY = 40 + fm.getHeight() + 6;
    int grid = n * cell;
    int barX = gridX + grid + 24;
    int barWidth = 18;
    int barHeight = Math.max(grid, 160);
    int width = Math.max(barX + barWidth + 60, gridX + metrics(TITLE_FONT).stringWidth(
        "IoU of kept weights") + 16);
    int height = gridY + Math.max(grid, barHeight) + 30;

    BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = canvas(image);
    g.setFont(TITLE_FONT);
    g.drawString("IoU of kept weights", gridX, 26);
    g.setFont(TEXT_FONT);
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < n; j++) {
        Color fill = blend(IOU_LOW, IOU_HIGH, iou[i][j]);
        g.setColor(fill);
        g.fillRect(gridX + j * cell, gridY + i * cell, cell, cell);
        if (n <= MAX_MASKS_WITH_VALUES) {
          String v = String.format(Locale.ROOT, "%.3f", iou[i][j]);
          g.setColor(luminance(fill) < 0.5 ? Color.WHITE : Color.BLACK);
          g.drawString(v, gridX + j * cell + (cell - fm.stringWidth(v)) / 2,
              gridY + i * cell + (cell + fm.getAscent() - fm.getDescent()) / 2);
        }
      }
    }
    g.setColor(Color.BLACK);
    for (int i = 0; i < n; i += every) {
      String row = rowLabels.get(i);
      int baseline = gridY + i * cell + (cell + fm.getAscent() - fm.getDescent()) / 2;
      g.drawString(row, gridX - 8 - fm.stringWidth(row), baseline);
      String col = MaskComparison.letter(i);
      g.drawString(col, gridX + i * cell + (cell - fm.stringWidth(col)) / 2, gridY - 6);
    }
    // colour bar 0 (bottom) .. 1 (top)
    int barY = gridY;
    for (int y = 0; y < barHeight; y++) {
      g.setColor(blend(IOU_LOW, IOU_HIGH, 1 - (double) y / (barHeight - 1)));
      g.fillRect(barX, barY + y, barWidth, 1);
    }
    g.setColor(Color.GRAY);
    g.drawRect(barX, barY, barWidth - 1, barHeight - 1);
    g.setColor(Color.BLACK);
    for (int t = 0; t <= 4; t++) {
      double v = t / 4.0;
      int y = barY + (int) Math.round((1 - v) * (barHeight - 1));
      g.drawLine(barX + barWidth, y, barX + barWidth + 4, y);
      g.drawString(String.format(Locale.ROOT, "%.2f", v), barX + barWidth + 7,
          y + fm.getAscent() / 2 - 1);
    }
    g.dispose();
    return png(image);
  }

  /**
   * Sparsity of every layer (and of all layers together, the last group) for every mask, as
   * grouped bars: one group per layer, one bar per mask. With many layers the layer names are
   * turned upright and the picture grows wider.
   */
  public static byte[] layerSparsityBars(MaskComparison c) {
    headless();
    List<String> categories = new ArrayList<>(c.layers());
    String all = unique("all layers", categories);
    categories.add(all);
    int n = c.labels().size();
    int longest = categories.stream().mapToInt(String::length).max().orElse(0);
    boolean upright = categories.size() > 4 || longest > 14;
    int width = clamp(160 + categories.size() * (n * 12 + 18), 800, 4000);
    // the legend (one row per mask, below) and upright names take height from the plot itself
    int height = 420 + n * 24 + (upright ? Math.min(360, longest * 7) : 0);
    CategoryChart chart = new CategoryChartBuilder().width(width).height(height)
        .title("Sparsity per layer").xAxisTitle("layer").yAxisTitle("sparsity (%)").build();
    chart.getStyler().setLegendPosition(LegendPosition.OutsideS);
    chart.getStyler().setYAxisMin(0.0);
    chart.getStyler().setYAxisMax(100.0);
    chart.getStyler().setYAxisDecimalPattern("0.#");
    if (upright) {
      chart.getStyler().setXAxisLabelRotation(90);
    }
    for (int i = 0; i < n; i++) {
      List<Double> values = new ArrayList<>();
      for (String layer : c.layers()) {
        values.add(100 * c.sparsity(i, layer));
      }
      values.add(100 * c.sparsity(i));
      chart.addSeries(seriesName(c, i), categories, values);
    }
    return png(chart);
  }

  /**
   * Sparsity of each layer across the rounds of a run: one line per layer (and one for all layers
   * together), x = round index (position in {@code rounds}), y = sparsity in %.
   *
   * @throws IllegalArgumentException if {@code rounds} is empty or the masks differ in layers
   *     or shapes (the message names the rounds, counted from 0)
   */
  public static byte[] layerSparsityAcrossRounds(List<Mask> rounds) {
    headless();
    MaskComparison c = MaskComparison.of(roundLabels(rounds.size()), rounds);
    List<String> x = new ArrayList<>();
    for (int r = 0; r < rounds.size(); r++) {
      x.add(Integer.toString(r));
    }
    return sparsityLines(c, x, "Sparsity per layer across rounds", "round");
  }

  /**
   * As {@link #layerSparsityAcrossRounds}, for masks of a comparison in the order given, the x
   * axis naming them by {@link MaskComparison#letter letter}: for rounds that do not start at 0,
   * or masks of another sequence (seeds, sparsities).
   */
  public static byte[] layerSparsityAcrossMasks(MaskComparison c) {
    headless();
    List<String> x = new ArrayList<>();
    for (int i = 0; i < c.labels().size(); i++) {
      x.add(MaskComparison.letter(i));
    }
    return sparsityLines(c, x, "Sparsity per layer across masks", "mask (in the order given)");
  }

  /**
   * How much each round's mask overlaps the previous one: IoU(round r − 1, round r) for
   * r = 1 .. n − 1, over all layers (black) and per layer.
   *
   * @throws IllegalArgumentException if there are fewer than 2 rounds or the masks differ in
   *     layers or shapes
   */
  public static byte[] consecutiveIou(List<Mask> rounds) {
    headless();
    checkArgument(rounds.size() >= 2, "consecutive IoU needs at least 2 rounds, got %s",
        rounds.size());
    MaskComparison c = MaskComparison.of(roundLabels(rounds.size()), rounds);
    List<String> x = new ArrayList<>();
    for (int r = 1; r < rounds.size(); r++) {
      x.add(Integer.toString(r));
    }
    return consecutiveLines(c, x, "IoU of each round's mask with the previous round's",
        "round r", "IoU(r - 1, r)");
  }

  /**
   * As {@link #consecutiveIou(List)}, for the masks of a comparison in the order given: the IoU
   * of each mask with the one before it, the x axis naming the pairs by letter ({@code A-B},
   * {@code B-C}, ...).
   *
   * @throws IllegalArgumentException if the comparison has fewer than 2 masks
   */
  public static byte[] consecutiveIou(MaskComparison c) {
    headless();
    int n = c.labels().size();
    checkArgument(n >= 2, "consecutive IoU needs at least 2 masks, got %s", n);
    List<String> x = new ArrayList<>();
    for (int i = 1; i < n; i++) {
      x.add(MaskComparison.letter(i - 1) + "-" + MaskComparison.letter(i));
    }
    return consecutiveLines(c, x, "IoU of each mask with the one before it", "masks",
        "IoU");
  }

  private static byte[] sparsityLines(MaskComparison c, List<String> x, String title,
      String xTitle) {
    CategoryChart chart = lineChart(c.layers().size() + 1, title, xTitle, "sparsity (%)");
    chart.getStyler().setYAxisMin(0.0);
    chart.getStyler().setYAxisMax(100.0);
    chart.getStyler().setYAxisDecimalPattern("0.#");
    int n = c.labels().size();
    for (String layer : c.layers()) {
      List<Double> y = new ArrayList<>();
      for (int r = 0; r < n; r++) {
        y.add(100 * c.sparsity(r, layer));
      }
      addLine(chart, layer, x, y, false);
    }
    // drawn last, so the overall line stays visible on top of the layers'
    List<Double> overall = new ArrayList<>();
    for (int r = 0; r < n; r++) {
      overall.add(100 * c.sparsity(r));
    }
    addLine(chart, unique("all layers", c.layers()), x, overall, true);
    return png(chart);
  }

  private static byte[] consecutiveLines(MaskComparison c, List<String> x, String title,
      String xTitle, String yTitle) {
    CategoryChart chart = lineChart(c.layers().size() + 1, title, xTitle, yTitle);
    // no fixed range: consecutive rounds overlap by 0.7 to 1, and the differences matter
    chart.getStyler().setYAxisDecimalPattern("0.###");
    for (String layer : c.layers()) {
      addLine(chart, layer, x, consecutive(c.iou(layer)), false);
    }
    addLine(chart, unique("all layers", c.layers()), x, consecutive(c.iou()), true);
    return png(chart);
  }

  /**
   * The kernel-level picture of a convolution layer: one cell per kernel {@code [out, in, :, :]},
   * output channels as rows (top to bottom) and input channels as columns (left to right), in
   * {@link #PRUNED_COLOR} (fully pruned), {@link #PARTIAL_COLOR} (partly kept) or
   * {@link #KEPT_COLOR} (fully kept), with a legend giving the count and share of each. A cell
   * is as many pixels as fit a grid of about 640 pixels, between 1 (a 512×512 layer is drawn
   * one pixel per kernel) and 40.
   *
   * @throws IllegalArgumentException if the layer is missing or its rank is not 4
   */
  public static byte[] kernelHeatMap(Mask mask, String layer) {
    headless();
    KernelMap map = KernelMap.of(mask, layer);
    int rows = map.outChannels();
    int cols = map.inChannels();
    GridLayout grid = kernelGrid(rows, cols);
    FontMetrics fm = metrics(TEXT_FONT);
    FontMetrics titleFm = metrics(TITLE_FONT);
    long total = (long) rows * cols;
    String title = layer + " " + Shapes.format(mask.shape(layer));
    String subtitle = String.format(Locale.ROOT,
        "kernels [out, in, :, :]: %s sparse, %d of %d kernels fully pruned",
        percent(mask.sparsity(layer)), map.count(KernelMap.State.PRUNED), total);
    String[] legend = {
        legendText("fully pruned", map.count(KernelMap.State.PRUNED), total),
        legendText("partly kept", map.count(KernelMap.State.PARTIAL), total),
        legendText("fully kept", map.count(KernelMap.State.KEPT), total)};
    Color[] legendColors = {PRUNED_COLOR, PARTIAL_COLOR, KEPT_COLOR};

    int gridW = cols * grid.cell();
    int gridH = rows * grid.cell();
    int axisTitleY = grid.y() + gridH + fm.getHeight() + 4 + fm.getHeight();
    int legendY = axisTitleY + 14;
    int legendH = legend.length * (fm.getHeight() + 4);
    int legendW = 0;
    for (String s : legend) {
      legendW = Math.max(legendW, 20 + fm.stringWidth(s));
    }
    int width = Math.max(grid.x() + Math.max(gridW, legendW) + 20,
        Math.max(titleFm.stringWidth(title), fm.stringWidth(subtitle)) + 32);
    int height = legendY + legendH + 12;

    BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = canvas(image);
    g.setColor(Color.BLACK);
    g.setFont(TITLE_FONT);
    g.drawString(title, 16, 22);
    g.setFont(TEXT_FONT);
    g.drawString(subtitle, 16, 42);

    int[] rgb = {PRUNED_COLOR.getRGB(), PARTIAL_COLOR.getRGB(), KEPT_COLOR.getRGB()};
    int cell = grid.cell();
    for (int o = 0; o < rows; o++) {
      for (int i = 0; i < cols; i++) {
        int colour = rgb[map.state(o, i).ordinal()];
        if (cell == 1) {
          image.setRGB(grid.x() + i, grid.y() + o, colour);
        } else {
          g.setColor(new Color(colour));
          g.fillRect(grid.x() + i * cell, grid.y() + o * cell, cell, cell);
        }
      }
    }
    // thin separators make single kernels countable on small grids; cell centres keep their colour
    if (cell >= 8) {
      g.setColor(Color.WHITE);
      for (int o = 1; o < rows; o++) {
        g.drawLine(grid.x(), grid.y() + o * cell, grid.x() + gridW - 1, grid.y() + o * cell);
      }
      for (int i = 1; i < cols; i++) {
        g.drawLine(grid.x() + i * cell, grid.y(), grid.x() + i * cell, grid.y() + gridH - 1);
      }
    }
    g.setColor(Color.GRAY);
    g.drawRect(grid.x() - 1, grid.y() - 1, gridW + 1, gridH + 1);

    // axes: first and last channel index at each end, titles beside
    g.setColor(Color.BLACK);
    if (rows > 0) {
      drawRight(g, "0", grid.x() - 6, grid.y() + fm.getAscent());
      if (rows > 1) {
        drawRight(g, Integer.toString(rows - 1), grid.x() - 6, grid.y() + gridH);
      }
    }
    if (cols > 0) {
      int tickY = grid.y() + gridH + fm.getHeight() + 2;
      g.drawString("0", grid.x(), tickY);
      if (cols > 1) {
        drawRight(g, Integer.toString(cols - 1), grid.x() + gridW, tickY);
      }
    }
    g.drawString("input channel", grid.x() + Math.max(0, (gridW - fm.stringWidth(
        "input channel")) / 2), axisTitleY);
    AffineTransform saved = g.getTransform();
    g.rotate(-Math.PI / 2);
    String outTitle = "output channel";
    g.drawString(outTitle, -(grid.y() + (gridH + fm.stringWidth(outTitle)) / 2), 20);
    g.setTransform(saved);

    for (int k = 0; k < legend.length; k++) {
      int y = legendY + k * (fm.getHeight() + 4);
      g.setColor(legendColors[k]);
      g.fillRect(grid.x(), y, 14, 14);
      g.setColor(Color.GRAY);
      g.drawRect(grid.x(), y, 13, 13);
      g.setColor(Color.BLACK);
      g.drawString(legend[k], grid.x() + 20, y + 12);
    }
    g.dispose();
    return png(image);
  }

  /**
   * Writes PNG bytes to {@code file} atomically: a reader sees the old file or the whole new
   * one, never a part (temporary file in the same directory, then a rename).
   *
   * @throws IOException {@code cannot write FILE: ...} if the directory is missing or not
   *     writable; no temporary file is left behind
   */
  public static void writePng(byte[] png, Path file) throws IOException {
    Path target = file.toAbsolutePath();
    Path dir = target.getParent();
    if (dir == null || !Files.isDirectory(dir)) {
      throw new IOException("cannot write " + file + ": directory " + dir + " does not exist");
    }
    Path tmp = dir.resolve("." + target.getFileName() + "."
        + Long.toHexString(ThreadLocalRandom.current().nextLong()) + ".tmp");
    boolean moved = false;
    try {
      try (OutputStream out = Files.newOutputStream(tmp, StandardOpenOption.CREATE_NEW,
          StandardOpenOption.WRITE)) {
        out.write(png);
      }
      Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE,
          StandardCopyOption.REPLACE_EXISTING);
      moved = true;
    } catch (IOException e) {
      throw new IOException("cannot write " + file + ": " + e, e);
    } finally {
      if (!moved) {
        deleteQuietly(tmp);
      }
    }
  }

  private static void deleteQuietly(Path tmp) {
    try {
      Files.deleteIfExists(tmp);
    } catch (IOException e) {
      // the write already failed; that error is the one the caller needs to see
    }
  }

  /** Where the kernel heat map puts its grid: top-left corner and cell size in pixels. */
  record GridLayout(int x, int y, int cell) {}

  /** The grid of a kernel heat map of {@code rows × cols} kernels; fixed by the sizes alone. */
  static GridLayout kernelGrid(int rows, int cols) {
    int longest = Math.max(rows, cols);
    int cell = longest == 0 ? KERNEL_MAX_CELL
        : clamp(KERNEL_GRID_TARGET / longest, 1, KERNEL_MAX_CELL);
    return new GridLayout(KERNEL_LEFT, KERNEL_TOP, cell);
  }

  // ------------------------------------------------------------------ helpers

  private static void headless() {
    // a server has no display; a GUI application that already chose keeps its choice
    if (System.getProperty("java.awt.headless") == null) {
      System.setProperty("java.awt.headless", "true");
    }
  }

  private static CategoryChart lineChart(int series, String title, String xTitle,
      String yTitle) {
    // one legend row per series: the picture grows with the number of layers
    int height = Math.max(520, 120 + series * 18);
    CategoryChart chart = new CategoryChartBuilder().width(900).height(height).title(title)
        .xAxisTitle(xTitle).yAxisTitle(yTitle).build();
    chart.getStyler().setDefaultSeriesRenderStyle(CategorySeriesRenderStyle.Line);
    // not overlapped, a category chart shifts each series sideways as it does bars
    chart.getStyler().setOverlapped(true);
    chart.getStyler().setLegendPosition(LegendPosition.OutsideE);
    return chart;
  }

  private static void addLine(CategoryChart chart, String name, List<String> x, List<Double> y,
      boolean emphasised) {
    CategorySeries s = chart.addSeries(name, x, y);
    if (emphasised) {
      s.setLineColor(Color.BLACK);
      s.setMarkerColor(Color.BLACK);
      s.setLineWidth(3f);
      s.setMarker(SeriesMarkers.CIRCLE);
    }
  }

  private static List<Double> consecutive(double[][] iou) {
    List<Double> out = new ArrayList<>();
    for (int r = 1; r < iou.length; r++) {
      out.add(iou[r - 1][r]);
    }
    return out;
  }

  private static List<String> roundLabels(int n) {
    List<String> out = new ArrayList<>();
    for (int r = 0; r < n; r++) {
      out.add("round " + r);
    }
    return out;
  }

  /** XChart series names must be unique; labels need not be, so the letter comes first. */
  private static String seriesName(MaskComparison c, int i) {
    return MaskComparison.letter(i) + ": " + shorten(c.labels().get(i));
  }

  /** {@code base}, or {@code base (2)}, ... if a layer already has that name. */
  private static String unique(String base, Collection<String> taken) {
    Set<String> names = new HashSet<>(taken);
    String name = base;
    for (int k = 2; names.contains(name); k++) {
      name = base + " (" + k + ")";
    }
    return name;
  }

  /** Long labels (paths) keep their end, which is where they differ. */
  private static String shorten(String label) {
    return label.length() <= MAX_LABEL_CHARS ? label
        : "…" + label.substring(label.length() - (MAX_LABEL_CHARS - 1));
  }

  private static String legendText(String what, long count, long total) {
    return String.format(Locale.ROOT, "%s: %,d (%s)", what, count,
        percent(total == 0 ? 0 : (double) count / total));
  }

  private static String percent(double fraction) {
    return String.format(Locale.ROOT, "%.2f%%", 100 * fraction);
  }

  private static int clamp(int v, int min, int max) {
    return Math.max(min, Math.min(max, v));
  }

  private static Color blend(Color a, Color b, double t) {
    double u = Math.max(0, Math.min(1, t));
    return new Color(
        (int) Math.round(a.getRed() + u * (b.getRed() - a.getRed())),
        (int) Math.round(a.getGreen() + u * (b.getGreen() - a.getGreen())),
        (int) Math.round(a.getBlue() + u * (b.getBlue() - a.getBlue())));
  }

  private static double luminance(Color c) {
    return (0.299 * c.getRed() + 0.587 * c.getGreen() + 0.114 * c.getBlue()) / 255;
  }

  private static Graphics2D canvas(BufferedImage image) {
    Graphics2D g = image.createGraphics();
    g.setColor(Color.WHITE);
    g.fillRect(0, 0, image.getWidth(), image.getHeight());
    // text only: antialiased shapes would blend the edges of cells into their neighbours
    g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING,
        RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
    g.setStroke(new BasicStroke(1f));
    g.setColor(Color.BLACK);
    return g;
  }

  private static FontMetrics metrics(Font font) {
    BufferedImage scratch = new BufferedImage(1, 1, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = scratch.createGraphics();
    try {
      g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING,
          RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
      return g.getFontMetrics(font);
    } finally {
      g.dispose();
    }
  }

  private static void drawRight(Graphics2D g, String s, int right, int baseline) {
    g.drawString(s, right - g.getFontMetrics().stringWidth(s), baseline);
  }

  private static byte[] png(BufferedImage image) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try {
      ImageIO.write(image, "png", out);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot encode a PNG in memory", e);
    }
    return out.toByteArray();
  }

  private static byte[] png(Chart<?, ?> chart) {
    try {
      return BitmapEncoder.getBitmapBytes(chart, BitmapEncoder.BitmapFormat.PNG);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot encode a PNG in memory", e);
    }
  }
}
