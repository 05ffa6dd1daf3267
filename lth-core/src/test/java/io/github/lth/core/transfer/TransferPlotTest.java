package io.github.lth.core.transfer;

import static io.github.lth.core.transfer.VerdictsTest.group;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.lth.core.testing.Pixels;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TransferPlotTest {
  private static final String ACC = "test_accuracy";
  /** The first configuration's line colour (Tableau blue), as a literal. */
  private static final int FIRST_LINE = 0x1F77B4;
  private static final int SECOND_LINE = 0xD62728;
  private static final int REFERENCE = 0x7F7F7F;

  @TempDir
  Path dir;

  @Test
  void thePlotIsAPictureWithALinePerConfigurationAndTheReference() throws IOException {
    BufferedImage image = decode(TransferPlot.png(study(), "full", "Fine-tuning on CIFAR-10"));

    assertThat(image.getWidth()).isEqualTo(800);
    assertThat(image.getHeight()).isEqualTo(540);
    Set<Integer> colours = new HashSet<>();
    int nonWhite = 0;
    for (int y = 0; y < image.getHeight(); y++) {
      for (int x = 0; x < image.getWidth(); x++) {
        int rgb = image.getRGB(x, y) & 0xFFFFFF;
        colours.add(rgb);
        nonWhite += rgb == 0xFFFFFF ? 0 : 1;
      }
    }
    assertThat(nonWhite).isGreaterThan(800 * 540 / 20);
    assertThat(Pixels.count(image, FIRST_LINE)).isGreaterThan(100);
    assertThat(Pixels.count(image, SECOND_LINE)).isGreaterThan(100);
    assertThat(Pixels.count(image, REFERENCE)).isGreaterThan(50);
    // translucent bands blend their colour into the background: many shades, not a few flat ones
    assertThat(colours.size()).isGreaterThan(50);
    assertThat(countBlueTint(image)).isGreaterThan(2000);
  }

  @Test
  void writeStoresThePngAtomically() throws IOException {
    Path file = dir.resolve("linear.png");
    TransferPlot.write(study(), "linear", "Linear probe", file);

    assertThat(decode(Files.readAllBytes(file)).getWidth()).isEqualTo(800);
    try (Stream<Path> files = Files.list(dir)) {
      assertThat(files).containsExactly(file);
    }
    Path missing = dir.resolve("no-such-dir").resolve("x.png");
    assertThatThrownBy(() -> TransferPlot.write(study(), "full", "t", missing))
        .isInstanceOf(IOException.class)
        .hasMessageStartingWith("cannot write " + missing);
  }

  @Test
  void aMissingTargetIsAClearError() {
    assertThatThrownBy(() -> TransferPlot.png(study(), "ful", "t"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("no results for target ful; the targets are [full, linear]");
  }

  @Test
  void aFullyPrunedSubnetworkCannotBeDrawnOnTheLogAxis() {
    Verdicts v = Verdicts.builder().setMetric(ACC)
        .addAll(group("full", "dense", 0, 0, ACC, 0.89, 0.91))
        .addAll(group("full", "imp", 9, 1, ACC, 0.1, 0.1))
        .build();
    assertThatThrownBy(() -> TransferPlot.png(v, "full", "t"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("full imp round 9 has sparsity 1 (no weight remains), which the log axis of"
            + " weights remaining cannot show");
  }

  /** Two targets; on each, dense and two configurations over three rounds with spread. */
  private static Verdicts study() {
    Verdicts.Builder b = Verdicts.builder().setMetric(ACC);
    for (String target : new String[] {"full", "linear"}) {
      double base = target.equals("full") ? 0.9 : 0.8;
      b.addAll(group(target, "dense", 0, 0, ACC, base - 0.01, base, base + 0.01));
      double[] sparsities = {0.2, 0.488, 0.738};
      for (int r = 1; r <= 3; r++) {
        double s = sparsities[r - 1];
        b.addAll(group(target, "imp", r, s, ACC, base - 0.005 * r, base - 0.02 * r));
        b.addAll(group(target, "random", r, s, ACC, base - 0.04 * r, base - 0.06 * r,
            base - 0.05 * r));
      }
    }
    return b.build();
  }


  /** Pixels of a light blue: the first configuration's band over the white plot area. */
  private static int countBlueTint(BufferedImage image) {
    int n = 0;
    for (int y = 0; y < image.getHeight(); y++) {
      for (int x = 0; x < image.getWidth(); x++) {
        int rgb = image.getRGB(x, y);
        int r = (rgb >> 16) & 0xFF;
        int g = (rgb >> 8) & 0xFF;
        int bl = rgb & 0xFF;
        n += bl > 200 && r < bl - 20 && r > 150 && g > 180 ? 1 : 0;
      }
    }
    return n;
  }

  private static BufferedImage decode(byte[] png) throws IOException {
    BufferedImage image = ImageIO.read(new ByteArrayInputStream(png));
    assertThat(image).as("PNG decodes").isNotNull();
    return image;
  }
}
