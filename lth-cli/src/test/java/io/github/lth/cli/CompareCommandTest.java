package io.github.lth.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.lth.core.Mask;
import io.github.lth.core.io.MaskIO;
import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CompareCommandTest {
  private static final long[] CONV = {2, 1, 2, 2};
  private static final long[] FC = {2, 3};
  private static final boolean T = true;
  private static final boolean F = false;

  @TempDir
  Path dir;

  Path a;
  Path b;

  @BeforeEach
  void writeMasks() throws IOException {
    a = dir.resolve("a.npz");
    b = dir.resolve("b.npz");
    // conv: A prunes the whole first filter (kernel [0,0]); B has no empty kernel
    MaskIO.write(Mask.builder()
        .put("conv", CONV, new boolean[] {F, F, F, F, T, F, T, T})
        .put("fc", FC, new boolean[] {T, T, F, F, T, F})
        .build(), a);
    MaskIO.write(Mask.builder()
        .put("conv", CONV, new boolean[] {T, F, F, F, T, T, F, F})
        .put("fc", FC, new boolean[] {T, F, F, T, T, T})
        .build(), b);
  }

  @Test
  void printsSparsityIouAndKernelsOfAHandCheckedPair() {
    CliRun run = CliRun.of("compare", a.toString(), b.toString());

    assertThat(run.err()).isEmpty();
    assertThat(run.exit()).isZero();
    // conv: both {4}, either {0,4,5,6,7}; fc: both {0,4}, either {0,1,3,4,5}
    assertThat(run.out()).isEqualTo("""
        A: %s (57.14%% sparse)
        B: %s (50.00%% sparse)
        layer    shape         sparsity A  sparsity B  kept by both  kept by either     IoU
        conv     (2, 1, 2, 2)      62.50%%      62.50%%             1               5  0.2000
        fc       (2, 3)            50.00%%      33.33%%             2               5  0.4000
        overall                    57.14%%      50.00%%             3              10  0.3000

        fully pruned kernels [out, in, :, :] and filters [out, :, :, :]:
        layer  kernels   zero in A  zero in B  filters   zero in A  zero in B
        conv         2  1 (50.00%%)  0 (0.00%%)        2  1 (50.00%%)  0 (0.00%%)
        """.formatted(a, b));
  }

  @Test
  void layerOrderOfTheSecondMaskDoesNotMatter() throws IOException {
    Mask original = MaskIO.read(b);
    Path reversed = dir.resolve("reversed.npz");
    MaskIO.write(Mask.builder()
        .putWords("fc", FC, original.words("fc"))
        .putWords("conv", CONV, original.words("conv"))
        .build(), reversed);

    CliRun straight = CliRun.of("compare", a.toString(), b.toString());
    CliRun swapped = CliRun.of("compare", a.toString(), reversed.toString());

    assertThat(swapped.exit()).isZero();
    assertThat(swapped.out()).isEqualTo(straight.out().replace(b.toString(), reversed.toString()));
  }

  @Test
  void maskComparedWithItselfHasIouOne() {
    CliRun run = CliRun.of("compare", a.toString(), a.toString());
    assertThat(run.exit()).isZero();
    assertThat(run.out()).contains("overall                    57.14%      57.14%             6"
        + "               6  1.0000\n");
  }

  @Test
  void withoutRankFourLayersThereIsNoKernelTable() throws IOException {
    Path fcOnly = dir.resolve("fc.npz");
    MaskIO.write(Mask.builder().put("fc", FC, new boolean[] {T, T, T, F, F, F}).build(), fcOnly);
    CliRun run = CliRun.of("compare", fcOnly.toString(), fcOnly.toString());
    assertThat(run.exit()).isZero();
    assertThat(run.out()).doesNotContain("kernels");
  }

  @Test
  void layerMissingFromTheSecondMaskIsRejectedNamingIt() throws IOException {
    Path fcOnly = dir.resolve("fc.npz");
    MaskIO.write(Mask.builder().put("fc", FC, new boolean[6]).build(), fcOnly);
    CliRun run = CliRun.of("compare", a.toString(), fcOnly.toString());
    assertThat(run.err()).isEqualTo("lth compare: layer conv is in " + a + " but not in " + fcOnly
        + "\n");
    assertThat(run.exit()).isEqualTo(2);
    assertThat(run.out()).isEmpty();
  }

  @Test
  void extraLayerInTheSecondMaskIsRejectedNamingIt() throws IOException {
    Path more = dir.resolve("more.npz");
    Mask original = MaskIO.read(a);
    MaskIO.write(Mask.builder()
        .putWords("conv", CONV, original.words("conv"))
        .putWords("fc", FC, original.words("fc"))
        .put("head", new long[] {2}, new boolean[] {T, F})
        .build(), more);
    CliRun run = CliRun.of("compare", a.toString(), more.toString());
    assertThat(run.err()).isEqualTo("lth compare: layer head is in " + more + " but not in " + a
        + "\n");
    assertThat(run.exit()).isEqualTo(2);
  }

  @Test
  void shapeMismatchIsRejectedWithBothShapes() throws IOException {
    Path other = dir.resolve("other.npz");
    MaskIO.write(Mask.builder()
        .put("conv", CONV, new boolean[8])
        .put("fc", new long[] {3, 2}, new boolean[6])
        .build(), other);
    CliRun run = CliRun.of("compare", a.toString(), other.toString());
    assertThat(run.err()).isEqualTo("lth compare: layer fc has shape (2, 3) in " + a + " but"
        + " (3, 2) in " + other + "\n");
    assertThat(run.exit()).isEqualTo(2);
  }

  @Test
  void missingFileIsRejected() {
    Path none = dir.resolve("none.npz");
    CliRun run = CliRun.of("compare", a.toString(), none.toString());
    assertThat(run.err()).isEqualTo("lth compare: B: no such file: " + none + "\n");
    assertThat(run.exit()).isEqualTo(2);
  }

  @Test
  void oneFileIsAOneLineParseError() {
    CliRun run = CliRun.of("compare", a.toString());
    assertThat(run.err()).isEqualTo("lth compare: Missing required parameter: 'B'"
        + " (see 'lth compare --help')\n");
    assertThat(run.exit()).isEqualTo(2);
  }
}
