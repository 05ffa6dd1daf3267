package io.github.lth.core.analysis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.lth.core.Mask;
import io.github.lth.core.analysis.KernelMap.State;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MaskPlotsTest {
  private static final boolean T = true;
  private static final boolean F = false;
  /** The documented colours, as literals: a changed colour must show up here. */
  private static final int PRUNED = 0x440154;
  private static final int PARTIAL = 0x21918C;
  private static final int KEPT = 0xFDE725;

  @TempDir
  Path dir;

  @Test
  void everyPictureDecodesToANonEmptyImage() throws IOException {
    List<Mask> rounds = rounds(4);
    List<String> labels = List.of("round-00", "round-01", "round-02", "round-03");
    MaskComparison c = MaskComparison.of(labels, rounds);

    for (byte[] png : List.of(
        MaskPlots.iouHeatMap(c),
        MaskPlots.iouHeatMap(MaskComparison.of(List.of("one"), rounds.subList(0, 1))),
        MaskPlots.layerSparsityBars(c),
        MaskPlots.layerSparsityAcrossRounds(rounds),
        MaskPlots.layerSparsityAcrossRounds(rounds.subList(0, 1)),
        MaskPlots.consecutiveIou(rounds),
        MaskPlots.consecutiveIou(rounds.subList(0, 2)),
        MaskPlots.layerSparsityAcrossMasks(c),
        MaskPlots.consecutiveIou(c),
        MaskPlots.kernelHeatMap(rounds.get(3), "conv1.weight"),
        MaskPlots.kernelHeatMap(rounds.get(3), "pointwise.weight"),
        // no output channels, and no channels at all: a picture with an empty grid
        MaskPlots.kernelHeatMap(Mask.builder().put("e", new long[] {0, 3, 3, 3},
            new boolean[0]).build(), "e"),
        MaskPlots.kernelHeatMap(Mask.builder().put("e", new long[] {0, 0, 1, 1},
            new boolean[0]).build(), "e"))) {
      BufferedImage image = decode(png);
      assertThat(image.getWidth()).isPositive();
      assertThat(image.getHeight()).isPositive();
    }
  }

  @Test
  void manyMasksAndLongRepeatedLabelsStillPlot() throws IOException {
    // 12 masks: no values in cells; equal labels must not clash as chart series
    List<Mask> rounds = rounds(12);
    List<String> labels = new ArrayList<>();
    for (int i = 0; i < rounds.size(); i++) {
      labels.add("runs/a/very/long/directory/name/that/goes/on/and/on/mask.npz");
    }
    MaskComparison c = MaskComparison.of(labels, rounds);
    assertThat(decode(MaskPlots.iouHeatMap(c)).getWidth()).isPositive();
    assertThat(decode(MaskPlots.layerSparsityBars(c)).getWidth()).isPositive();
    assertThat(decode(MaskPlots.consecutiveIou(rounds)).getWidth()).isPositive();
    assertThat(decode(MaskPlots.consecutiveIou(c)).getWidth()).isPositive();
    assertThat(decode(MaskPlots.layerSparsityAcrossMasks(c)).getWidth()).isPositive();
  }

  @Test
  void aLayerCalledAllLayersDoesNotClashWithTheOverallSeries() throws IOException {
    Mask a = Mask.builder().put("all layers", new long[] {4}, new boolean[] {T, F, T, T})
        .put("fc", new long[] {2}, new boolean[] {T, T}).build();
    Mask b = Mask.builder().put("all layers", new long[] {4}, new boolean[] {T, F, F, T})
        .put("fc", new long[] {2}, new boolean[] {F, T}).build();
    assertThat(decode(MaskPlots.layerSparsityAcrossRounds(List.of(a, b))).getWidth())
        .isPositive();
    assertThat(decode(MaskPlots.consecutiveIou(List.of(a, b))).getWidth()).isPositive();
    assertThat(decode(MaskPlots.layerSparsityBars(
        MaskComparison.of(List.of("a", "b"), List.of(a, b)))).getWidth()).isPositive();
  }

  @Test
  void kernelHeatMapColoursEachCellByItsState() throws IOException {
    // 2 out x 3 in kernels of 2 weights:
    //   [0,0] pruned  [0,1] partial  [0,2] kept
    //   [1,0] kept    [1,1] pruned   [1,2] partial
    Mask mask = Mask.builder().put("conv", new long[] {2, 3, 1, 2},
        new boolean[] {F, F, T, F, T, T, T, T, F, F, F, T}).build();
    int[][] expected = {{PRUNED, PARTIAL, KEPT}, {KEPT, PRUNED, PARTIAL}};

    BufferedImage image = decode(MaskPlots.kernelHeatMap(mask, "conv"));

    MaskPlots.GridLayout grid = MaskPlots.kernelGrid(2, 3);
    assertThat(grid.cell()).isGreaterThanOrEqualTo(8);   // scaled up, not 1 pixel per kernel
    for (int o = 0; o < 2; o++) {
      for (int i = 0; i < 3; i++) {
        int x = grid.x() + i * grid.cell() + grid.cell() / 2;
        int y = grid.y() + o * grid.cell() + grid.cell() / 2;
        assertThat(image.getRGB(x, y) & 0xFFFFFF).as("[%s, %s]", o, i)
            .isEqualTo(expected[o][i]);
      }
    }
  }

  @Test
  void aLargeLayerIsDrawnOnePixelPerKernel() throws IOException {
    int out = 700;
    int in = 650;
    boolean[] bits = new boolean[out * in * 2];
    SplittableRandom rng = new SplittableRandom(9);
    for (int i = 0; i < bits.length; i++) {
      bits[i] = rng.nextInt(3) == 0;
    }
    Mask mask = Mask.builder().put("big", new long[] {out, in, 2, 1}, bits).build();

    BufferedImage image = decode(MaskPlots.kernelHeatMap(mask, "big"));

    MaskPlots.GridLayout grid = MaskPlots.kernelGrid(out, in);
    assertThat(grid.cell()).isEqualTo(1);
    assertThat(image.getWidth()).isGreaterThanOrEqualTo(grid.x() + in);
    assertThat(image.getHeight()).isGreaterThan(grid.y() + out);
    int[] colour = {PRUNED, PARTIAL, KEPT};
    for (int o = 0; o < out; o++) {
      for (int i = 0; i < in; i++) {
        int k = (o * in + i) * 2;
        int kept = (bits[k] ? 1 : 0) + (bits[k + 1] ? 1 : 0);
        assertThat(image.getRGB(grid.x() + i, grid.y() + o) & 0xFFFFFF)
            .as("[%s, %s]", o, i).isEqualTo(colour[kept]);
      }
    }
  }

  @Test
  void kernelColoursAreTheDocumentedOnes() {
    assertThat(MaskPlots.PRUNED_COLOR.getRGB() & 0xFFFFFF).isEqualTo(PRUNED);
    assertThat(MaskPlots.PARTIAL_COLOR.getRGB() & 0xFFFFFF).isEqualTo(PARTIAL);
    assertThat(MaskPlots.KEPT_COLOR.getRGB() & 0xFFFFFF).isEqualTo(KEPT);
    assertThat(State.values()).containsExactly(State.PRUNED, State.PARTIAL, State.KEPT);
  }

  @Test
  void kernelHeatMapOfANonConvolutionLayerIsRefused() {
    Mask mask = Mask.builder().put("fc", new long[] {2, 3}, new boolean[6]).build();
    assertThatThrownBy(() -> MaskPlots.kernelHeatMap(mask, "fc"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("layer fc has shape (2, 3): a kernel map needs a rank-4");
  }

  @Test
  void roundPlotsRefuseTooFewOrMismatchedRounds() {
    List<Mask> rounds = rounds(2);
    assertThatThrownBy(() -> MaskPlots.consecutiveIou(rounds.subList(0, 1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("consecutive IoU needs at least 2 rounds, got 1");
    assertThatThrownBy(() -> MaskPlots.consecutiveIou(
        MaskComparison.of(List.of("only"), rounds.subList(0, 1))))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("consecutive IoU needs at least 2 masks, got 1");
    Mask other = Mask.builder().put("fc.weight", new long[] {5}, new boolean[5]).build();
    assertThatThrownBy(() -> MaskPlots.layerSparsityAcrossRounds(List.of(rounds.get(0), other)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("layer conv1.weight is in round 0 but not in round 1");
    assertThatThrownBy(() -> MaskPlots.layerSparsityAcrossRounds(List.of()))
        .isInstanceOf(IllegalArgumentException.class).hasMessage("no masks to compare");
  }

  @Test
  void writePngReplacesTheFileAndLeavesNoTemporaryFile() throws IOException {
    Path file = dir.resolve("iou.png");
    Files.writeString(file, "old");
    byte[] png = MaskPlots.kernelHeatMap(
        Mask.builder().put("c", new long[] {1, 1, 1, 1}, new boolean[] {T}).build(), "c");

    MaskPlots.writePng(png, file);

    assertThat(Files.readAllBytes(file)).isEqualTo(png);
    try (Stream<Path> files = Files.list(dir)) {
      assertThat(files).containsExactly(file);
    }
  }

  @Test
  void writePngIntoAMissingDirectoryFailsAndCreatesNothing() {
    Path missing = dir.resolve("no-such-dir");
    assertThatThrownBy(() -> MaskPlots.writePng(new byte[] {1}, missing.resolve("iou.png")))
        .isInstanceOf(IOException.class)
        .hasMessage("cannot write " + missing.resolve("iou.png") + ": directory "
            + missing.toAbsolutePath() + " does not exist");
    assertThat(missing).doesNotExist();
  }

  /** Masks of {@link RandomMasks#shapes()} growing sparser, as IMP rounds do. */
  private static List<Mask> rounds(int n) {
    Map<String, long[]> shapes = RandomMasks.shapes();
    List<Mask> out = new ArrayList<>();
    for (int r = 0; r < n; r++) {
      out.add(RandomMasks.mask(shapes, RandomMasks.bits(shapes, 1.0 - 0.08 * r, r)));
    }
    return out;
  }

  private static BufferedImage decode(byte[] png) throws IOException {
    BufferedImage image = ImageIO.read(new ByteArrayInputStream(png));
    assertThat(image).as("decodes as an image").isNotNull();
    return image;
  }
}
