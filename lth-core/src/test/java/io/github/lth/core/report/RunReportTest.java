package io.github.lth.core.report;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.gson.JsonObject;
import io.github.lth.core.run.StoredRun;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RunReportTest {
  private static final String ODD = "a<b>&\"c";

  @TempDir
  Path tmp;

  private static Map<String, long[]> shapes() {
    Map<String, long[]> s = new LinkedHashMap<>();
    s.put("conv1", new long[] {4, 1, 3, 3});
    s.put(ODD, new long[] {8, 4, 3, 3});
    s.put("fc", new long[] {10, 32});
    return s;
  }

  private static Map<String, Double> metrics(double val, double test) {
    return Map.of("val_accuracy", val, "test_accuracy", test);
  }

  /** Four rounds (0-3), controls reinit (rounds 1-3, 0.05 below) and perturbed-10 (round 2). */
  private Path runWithControls() throws IOException {
    Path dir = tmp.resolve("run");
    TestRuns runs = new TestRuns(shapes());
    runs.writeRun(dir, TestRuns.settings(3, "val_accuracy"), List.of(metrics(0.90, 0.89),
        metrics(0.91, 0.90), metrics(0.92, 0.90), metrics(0.88, 0.87)));
    runs.writeBranch(dir, "reinit", "reinit", new TreeMap<>(Map.of(1, 0.86, 2, 0.87, 3, 0.83)),
        "val_accuracy");
    runs.writeBranch(dir, "perturbed-10", "perturbed:10", Map.of(2, 0.95), "val_accuracy");
    return dir;
  }

  @Test
  void escapesNamesAndSettingsFromTheRunsFiles() throws IOException {
    String page = RunReport.html(StoredRun.open(runWithControls()));
    assertAbsent(page, ODD);
    assertAbsent(page, "<script");
    assertThat(page.contains("a&lt;b&gt;&amp;&quot;c")).isTrue();
    assertThat(page.contains("&lt;script&gt;alert(1)&lt;/script&gt;")).isTrue();
    assertThat(rows(page, "layers")).extracting(r -> r.get(0))
        .containsExactly("conv1", "a&lt;b&gt;&amp;&quot;c", "fc");
  }

  @Test
  void pageIsSelfContained() throws IOException {
    String page = RunReport.html(StoredRun.open(runWithControls()));
    // base64 may hold "//"; everything else must not name another place
    String text = page.replaceAll("data:image/png;base64,[A-Za-z0-9+/=]*", "data:");
    for (String reference : List.of("http://", "https://", "//", "<link", "<script", "url(",
        "<iframe", "<object", "<embed")) {
      assertAbsent(text.toLowerCase(Locale.ROOT), reference);
    }
    Matcher src = Pattern.compile("\\b(?:src|href)=\"([^\"]*)\"").matcher(page);
    List<String> references = new ArrayList<>();
    while (src.find()) {
      references.add(src.group(1));
    }
    assertThat(references).isNotEmpty()
        .allSatisfy(r -> assertThat(r).matches("data:image/png;base64,.*|#[a-z-]+"));
  }

  @Test
  void everyImageIsADecodablePng() throws IOException {
    String page = RunReport.html(StoredRun.open(runWithControls()));
    List<String> images = images(page);
    assertThat(images).hasSize(expectedImages(4, 2));
    for (String src : images) {
      assertThat(src).startsWith("data:image/png;base64,");
      byte[] png = Base64.getDecoder().decode(src.substring("data:image/png;base64,".length()));
      BufferedImage image = ImageIO.read(new ByteArrayInputStream(png));
      assertThat(image).isNotNull();
      assertThat(image.getWidth()).isPositive();
      assertThat(image.getHeight()).isPositive();
    }
  }

  @Test
  void tablesHaveARowPerRoundBranchLayerAndSetting() throws IOException {
    String page = RunReport.html(StoredRun.open(runWithControls()));
    List<List<String>> results = rows(page, "results");
    assertThat(results).hasSize(4);
    // round, sparsity, kept, val, test, then perturbed-10 and reinit (branches sorted by name)
    assertThat(results.get(0)).containsExactly("0", "0.00%", "644", "0.9000", "0.8900", "", "");
    assertThat(results.get(2)).containsExactly("2", "63.98%", "232", "0.9200", "0.9000",
        "0.9500", "0.8700");
    assertThat(rows(page, "controls")).containsExactly(
        List.of("perturbed-10", "perturbed:10", "5", "2", "1", "+0.0300"),
        List.of("reinit", "reinit", "5", "1-3", "3", "-0.0500"));
    assertThat(rows(page, "layers")).hasSize(3);
    assertThat(rows(page, "iou")).hasSize(3);
    assertThat(rows(page, "kernels")).extracting(r -> r.get(0))
        .containsExactly("conv1", "a&lt;b&gt;&amp;&quot;c");
    Map<String, String> settings = new LinkedHashMap<>();
    rows(page, "settings").forEach(r -> settings.put(r.get(0), r.get(1)));
    assertThat(settings).containsEntry("rounds", "3").containsEntry("task.lr", "0.1")
        .containsEntry("task.optimizer.name", "sgd").containsEntry("task.optimizer.momentum",
            "0.9").containsEntry("model", "tiny-cnn").hasSize(10);
    assertThat(rows(page, "provenance")).extracting(r -> r.get(0))
        .contains("format", "settings_sha256", "device", "java", "report made by");
  }

  @Test
  void iouOfConsecutiveRoundsIsTheShareOfWeightsKept() throws IOException {
    String page = RunReport.html(StoredRun.open(runWithControls()));
    List<List<String>> iou = rows(page, "iou");
    // nested masks keeping 0.6 of the weights per round: IoU = kept(after) / kept(before)
    assertThat(iou.get(0)).startsWith("0 → 1", ratio(387 / 644.0), ratio(22 / 36.0));
    assertThat(iou.get(1).get(3)).isEqualTo(ratio(104 / 173.0));
  }

  @Test
  void runWithoutControlsOrTestMetricSaysSo() throws IOException {
    Path dir = tmp.resolve("plain");
    TestRuns runs = new TestRuns(Map.of("fc", new long[] {10, 32}));
    runs.writeRun(dir, TestRuns.settings(1, "accuracy"), List.of(Map.of("accuracy", 0.8)));
    String page = RunReport.html(StoredRun.open(dir));
    assertThat(page).doesNotContain("id=\"controls\"").doesNotContain("id=\"iou\"")
        .doesNotContain("id=\"kernels\"").contains("This run has no controls")
        .contains("Not finished");
    assertThat(rows(page, "results")).containsExactly(List.of("0", "0.00%", "320", "0.8000"));
    assertThat(images(page)).hasSize(expectedImages(1, 0));
  }

  @Test
  void settingsWithoutRewindStillReportButWithoutAPrimaryMetricAreRefused() throws IOException {
    TestRuns runs = new TestRuns(Map.of("fc", new long[] {10, 32}));
    JsonObject settings = TestRuns.settings(1, "accuracy");
    settings.remove("rewind");
    Path plain = tmp.resolve("no-rewind");
    runs.writeRun(plain, settings, List.of(Map.of("accuracy", 0.8)));
    assertThat(rows(RunReport.html(StoredRun.open(plain)), "results")).hasSize(1);

    settings.remove("primary_metric");
    Path bare = tmp.resolve("no-metric");
    runs.writeRun(bare, settings, List.of(Map.of("accuracy", 0.8)));
    StoredRun run = StoredRun.open(bare);
    assertThatThrownBy(() -> RunReport.html(run)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("no-metric").hasMessageContaining("no primary_metric");
  }

  @Test
  void kernelHeatMapsStopAtTheCapAndSaySo() throws IOException {
    Map<String, long[]> shapes = new LinkedHashMap<>();
    for (int i = 1; i <= RunReport.MAX_KERNEL_MAPS + 2; i++) {
      shapes.put("conv" + i, new long[] {4, 2, 3, 3});
    }
    Path dir = tmp.resolve("deep");
    new TestRuns(shapes).writeRun(dir, TestRuns.settings(1, "val_accuracy"),
        List.of(Map.of("val_accuracy", 0.5), Map.of("val_accuracy", 0.6)));
    String page = RunReport.html(StoredRun.open(dir));
    assertThat(rows(page, "kernels")).hasSize(RunReport.MAX_KERNEL_MAPS + 2);
    assertThat(images(page)).hasSize(3 + RunReport.MAX_KERNEL_MAPS);
    assertThat(page.contains("Heat-maps of the first 8 of 10 convolution layers")).isTrue();
    assertThat(page.contains("alt=\"kernels of conv8\"")).isTrue();
    assertThat(page.contains("alt=\"kernels of conv9\"")).isFalse();
  }

  /** The curve, layer sparsity, consecutive IoU (from two rounds on), a map per conv layer. */
  private static int expectedImages(int rounds, int convLayers) {
    return 2 + (rounds >= 2 ? 1 : 0) + Math.min(convLayers, RunReport.MAX_KERNEL_MAPS);
  }

  /** Fails naming where {@code needle} occurs, without printing the whole page. */
  private static void assertAbsent(String page, String needle) {
    int at = page.indexOf(needle);
    assertThat(at).as("%s found in: ...%s...", needle,
        page.substring(Math.max(0, at - 80), Math.min(page.length(), at + 80))).isEqualTo(-1);
  }

  private static String ratio(double v) {
    return String.format(Locale.ROOT, "%.4f", v);
  }

  static List<String> images(String page) {
    Matcher m = Pattern.compile("<img src=\"([^\"]*)\"").matcher(page);
    List<String> out = new ArrayList<>();
    while (m.find()) {
      out.add(m.group(1));
    }
    return out;
  }

  /** The cells of each body row of the table with this id, as they stand in the HTML. */
  static List<List<String>> rows(String page, String id) {
    Matcher table = Pattern.compile("<table id=\"" + id + "\">.*?<tbody>(.*?)</tbody>",
        Pattern.DOTALL).matcher(page);
    assertThat(table.find()).as("table %s", id).isTrue();
    Matcher row = Pattern.compile("<tr>(.*?)</tr>", Pattern.DOTALL).matcher(table.group(1));
    List<List<String>> out = new ArrayList<>();
    while (row.find()) {
      Matcher cell = Pattern.compile("<td[^>]*>(.*?)</td>", Pattern.DOTALL).matcher(row.group(1));
      List<String> cells = new ArrayList<>();
      while (cell.find()) {
        cells.add(cell.group(1));
      }
      out.add(cells);
    }
    return out;
  }
}
