package io.github.lth.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.github.lth.core.report.RunReport;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Opens {@code lth report}'s page in Debian's Chromium, headless, and reads back what the
 * browser made of it over the DevTools protocol: every image must have decoded to a non-zero
 * natural size and be laid out, and the tables must hold the expected rows. A screenshot must
 * decode and not be blank.
 *
 * <p>Needs {@code /usr/bin/chromium} ({@code apt-get install chromium}; {@code .ci/run} installs
 * it). Without it the test fails, so a CI image that lost the browser is noticed; set
 * {@code LTH_SKIP_BROWSER=1} to skip it on a machine without one.
 */
class ReportBrowserTest {
  private static final Path CHROMIUM = Path.of("/usr/bin/chromium");

  /** What the page looks like to the browser, as JSON, once every image has decoded. */
  private static final String FACTS = """
      (async () => {
        await Promise.all(Array.from(document.images, i => i.decode().catch(() => null)));
        const table = id => document.getElementById(id);
        const rows = id => table(id) ? table(id).tBodies[0].rows.length : -1;
        const firstCells = id => table(id)
            ? Array.from(table(id).tBodies[0].rows, r => r.cells[0].textContent) : [];
        return JSON.stringify({
          url: location.href,
          title: document.title,
          images: Array.from(document.images, i => ({alt: i.alt, complete: i.complete,
              width: i.naturalWidth, height: i.naturalHeight,
              shownWidth: i.getBoundingClientRect().width})),
          rows: {results: rows('results'), controls: rows('controls'), layers: rows('layers'),
              iou: rows('iou'), kernels: rows('kernels')},
          resultRounds: firstCells('results'),
          controls: firstCells('controls'),
          settings: firstCells('settings'),
          fetched: performance.getEntriesByType('resource').map(e => e.name)
        });
      })()
      """;

  @TempDir
  Path tmp;

  @Test
  void reportRendersInHeadlessChromiumWithEveryImageAndRow() throws Exception {
    Assumptions.assumeFalse("1".equals(System.getenv("LTH_SKIP_BROWSER")),
        "LTH_SKIP_BROWSER=1: browser test skipped");
    assertThat(Files.isExecutable(CHROMIUM)).as("%s is missing: install Debian's chromium"
        + " (apt-get install chromium; .ci/run does) or set LTH_SKIP_BROWSER=1 to skip this"
        + " test", CHROMIUM).isTrue();
    Path run = RunFixture.write(tmp.resolve("run"));
    CliRun cli = CliRun.of("report", run.toString());
    assertThat(cli.exit()).as(cli.err()).isZero();
    Path report = run.resolve("report.html").toAbsolutePath();

    JsonObject facts;
    byte[] screenshot;
    try (HeadlessChromium browser = HeadlessChromium.start(CHROMIUM, tmp.resolve("profile"),
        Duration.ofSeconds(60))) {
      browser.open(report.toUri());
      facts = JsonParser.parseString(browser.evaluate(FACTS).getAsString()).getAsJsonObject();
      screenshot = browser.screenshot();
    }

    assertThat(facts.get("url").getAsString()).isEqualTo(report.toUri().toString());
    assertThat(facts.get("title").getAsString()).isEqualTo("lth4j report: " + run);
    // curve, layer sparsity, consecutive IoU and a kernel map per conv layer (conv1, conv2)
    JsonArray images = facts.getAsJsonArray("images");
    assertThat(images).hasSize(3 + Math.min(2, RunReport.MAX_KERNEL_MAPS));
    for (JsonElement e : images) {
      JsonObject image = e.getAsJsonObject();
      assertThat(image.get("complete").getAsBoolean()).as("%s complete", image).isTrue();
      assertThat(image.get("width").getAsInt()).as("%s natural width", image).isPositive();
      assertThat(image.get("height").getAsInt()).as("%s natural height", image).isPositive();
      assertThat(image.get("shownWidth").getAsDouble()).as("%s laid out", image).isPositive();
    }
    JsonObject rows = facts.getAsJsonObject("rows");
    assertThat(rows.get("results").getAsInt()).isEqualTo(RunFixture.ROUNDS);
    assertThat(strings(facts, "resultRounds")).containsExactly("0", "1", "2", "3");
    assertThat(rows.get("controls").getAsInt()).isEqualTo(2);
    assertThat(strings(facts, "controls")).containsExactly("perturbed-10", "reinit");
    assertThat(rows.get("layers").getAsInt()).isEqualTo(RunFixture.SHAPES.size());
    assertThat(rows.get("iou").getAsInt()).isEqualTo(RunFixture.ROUNDS - 1);
    assertThat(rows.get("kernels").getAsInt()).isEqualTo(2);
    assertThat(strings(facts, "settings")).containsExactlyElementsOf(RunFixture.SETTING_KEYS);
    assertThat(strings(facts, "fetched")).as("resources fetched by the page").isEmpty();

    Files.createDirectories(Path.of("target"));
    Files.write(Path.of("target", "report-screenshot.png"), screenshot);
    BufferedImage shot = ImageIO.read(new ByteArrayInputStream(screenshot));
    assertThat(shot).as("screenshot decodes").isNotNull();
    assertThat(shot.getWidth()).isPositive();
    assertThat(shot.getHeight()).isPositive();
    assertThat(colours(shot)).as("distinct colours in the screenshot (a blank page has 1)")
        .isGreaterThan(10);
  }

  private static List<String> strings(JsonObject o, String key) {
    List<String> out = new ArrayList<>();
    o.getAsJsonArray(key).forEach(e -> out.add(e.getAsString()));
    return out;
  }

  private static int colours(BufferedImage image) {
    Set<Integer> seen = new HashSet<>();
    for (int y = 0; y < image.getHeight(); y += 3) {
      for (int x = 0; x < image.getWidth(); x += 3) {
        seen.add(image.getRGB(x, y));
      }
    }
    return seen.size();
  }
}
