package io.github.lth.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.lth.core.Mask;
import io.github.lth.core.Weights;
import io.github.lth.core.io.MaskIO;
import io.github.lth.core.io.WeightsIO;
import io.github.lth.core.structured.FilterLayout;
import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code lth export --shrink}: a Conv-2 run pruned by {@code --criterion filter-l1} becomes a
 * smaller dense model whose tensors are exactly the kept rows and columns of the round's masked
 * weights.
 */
class ExportShrinkTest {

  @TempDir
  static Path tmp;

  private static Path run;

  @BeforeAll
  static void filterPrunedRun() throws IOException {
    run = tmp.resolve("run");
    String data = StructuredPruningCommandTest.idxDirectory(tmp.resolve("data"), 40, 8);
    CliRun imp = CliRun.of("imp", "--model", "conv2", "--criterion", "filter-l1", "--data",
        data, "--steps", "2", "--batch-size", "8", "--target-sparsity", "0.36", "--out",
        run.toString(), "--device", "cpu");
    assertThat(imp.exit()).as(imp.err()).isZero();
  }

  /**
   * By default every width is rounded up to a multiple of 16 with the lowest-index pruned
   * channels kept back (zeros); the tensors are exactly those rows and columns.
   */
  @Test
  void shrunkTensorsAreTheKeptRowsAndColumnsOfTheMaskedWeights() throws IOException {
    Path out = tmp.resolve("small.npz");
    CliRun export = CliRun.of("export", run.toString(), "--shrink", "--out", out.toString());
    assertThat(export.exit()).as(export.err()).isZero();
    Mask mask = MaskIO.read(run.resolve("round-02/mask.npz"));
    Weights trained = WeightsIO.read(run.resolve("round-02/weights.npz")).masked(mask);
    FilterLayout layout = FilterLayout.of(mask);
    assertThat(layout.totalFilters() - pruned(layout, mask)).isEqualTo(410);
    boolean[] conv1 = keptBack(layout.keptFilters(mask, "conv1_weight"), 16);
    boolean[] conv2 = keptBack(layout.keptFilters(mask, "conv2_weight"), 16);
    boolean[] fc1 = keptBack(layout.keptFilters(mask, "fc1_weight"), 16);
    boolean[] fc2 = keptBack(layout.keptFilters(mask, "fc2_weight"), 16);
    Weights small = WeightsIO.read(out);
    assertThat(small.names()).containsExactlyElementsOf(trained.names());
    // conv2 on 8x8 images: two 3x3 convolutions (padding 1), one 2x2 pooling -> 4x4 per channel
    assertThat(small.values("conv1_weight"))
        .containsExactly(cut(trained, "conv1_weight", conv1, all(1), 9));
    assertThat(small.values("conv1_bias")).containsExactly(cut(trained, "conv1_bias", conv1,
        all(1), 1));
    assertThat(small.values("conv2_weight"))
        .containsExactly(cut(trained, "conv2_weight", conv2, conv1, 9));
    assertThat(small.values("fc1_weight"))
        .containsExactly(cut(trained, "fc1_weight", fc1, expand(conv2, 16), 1));
    assertThat(small.values("fc2_weight")).containsExactly(cut(trained, "fc2_weight", fc2, fc1,
        1));
    int classes = (int) trained.shape("fc3_weight")[0];
    assertThat(small.values("fc3_weight"))
        .containsExactly(cut(trained, "fc3_weight", all(classes), fc2, 1));
    assertThat(small.shape("fc3_weight")).containsExactly(classes, count(fc2));
    int kept = count(conv1) + count(conv2) + count(fc1) + count(fc2);
    assertThat(kept % 16).isZero();
    assertThat(export.out()).contains("with its removable channels removed\n")
        .contains(String.format("fc3    Linear  in   256 -> %-5d  out %5d -> %-5d  (outputs"
            + " fixed)", count(fc2), classes, classes))
        .contains((640 - kept) + " channels removed");
  }

  /**
   * Multiple 1 removes every pruned channel; on an engine that miscomputes the resulting
   * convolution widths (PyTorch 2.7.1 on AVX-512 CPUs) the probe check refuses instead.
   */
  @Test
  void multipleOneRemovesEveryPrunedChannelOrRefusesWithTheAdvice() throws IOException {
    Path out = tmp.resolve("minimal.safetensors");
    CliRun export = CliRun.of("export", run.toString(), "--shrink", "--channel-multiple", "1",
        "--out", out.toString());
    Mask mask = MaskIO.read(run.resolve("round-02/mask.npz"));
    FilterLayout layout = FilterLayout.of(mask);
    assertThat(export.exit()).as(export.err()).isIn(0, 2);
    if (export.exit() == 0) {
      Weights small = WeightsIO.read(out);
      for (String layer : new String[] {"conv1_weight", "conv2_weight", "fc1_weight",
          "fc2_weight"}) {
        assertThat(small.shape(layer)[0]).as(layer)
            .isEqualTo(layout.keptFilterCount(mask, layer));
      }
    } else {
      assertThat(export.exit()).isEqualTo(2);
      assertThat(export.err()).startsWith("lth export: --shrink: channel removal: the rebuilt"
          + " model's output differs from the masked model's").endsWith(" (now 1)"
          + " (--channel-multiple 16)\n");
      assertThat(out).doesNotExist();
    }
  }

  @Test
  void badCombinationsAreOneLineErrorsAndWriteNothing() {
    Path out = tmp.resolve("never.lthc");
    CliRun compact = CliRun.of("export", run.toString(), "--shrink", "--out", out.toString());
    assertThat(compact.exit()).isEqualTo(2);
    assertThat(compact.err()).isEqualTo("lth export: --format: --shrink writes a dense model;"
        + " use npz or safetensors\n");
    CliRun multiple = CliRun.of("export", run.toString(), "--channel-multiple", "16", "--out",
        tmp.resolve("x.npz").toString());
    assertThat(multiple.exit()).isEqualTo(2);
    assertThat(multiple.err()).isEqualTo("lth export: --channel-multiple: applies with --shrink"
        + " only\n");
    assertThat(out).doesNotExist();
    assertThat(tmp.resolve("x.npz")).doesNotExist();
  }

  /** The rows {@code rows} and, within each, the column blocks {@code cols} of a tensor. */
  private static float[] cut(Weights w, String name, boolean[] rows, boolean[] cols, int per) {
    float[] v = w.values(name);
    int rowLength = cols.length * per;
    float[] out = new float[count(rows) * count(cols) * per];
    int k = 0;
    for (int r = 0; r < rows.length; r++) {
      for (int c = 0; rows[r] && c < cols.length; c++) {
        if (cols[c]) {
          System.arraycopy(v, r * rowLength + c * per, out, k, per);
          k += per;
        }
      }
    }
    return out;
  }

  /** {@code kept} with the lowest-index pruned channels added until a multiple of {@code m}. */
  private static boolean[] keptBack(boolean[] kept, int m) {
    boolean[] out = kept.clone();
    int wanted = Math.min(kept.length, Math.max(1, (count(kept) + m - 1) / m * m));
    for (int i = 0; i < out.length && count(out) < wanted; i++) {
      out[i] = true;
    }
    return out;
  }

  private static long pruned(FilterLayout layout, Mask mask) {
    long pruned = 0;
    for (FilterLayout.Group g : layout.groups()) {
      pruned += g.filters() - layout.keptFilterCount(mask, g.layer());
    }
    return pruned;
  }

  private static boolean[] all(int n) {
    boolean[] b = new boolean[n];
    java.util.Arrays.fill(b, true);
    return b;
  }

  private static boolean[] expand(boolean[] channels, int per) {
    boolean[] b = new boolean[channels.length * per];
    for (int i = 0; i < b.length; i++) {
      b[i] = channels[i / per];
    }
    return b;
  }

  private static int count(boolean[] b) {
    int n = 0;
    for (boolean x : b) {
      n += x ? 1 : 0;
    }
    return n;
  }
}
