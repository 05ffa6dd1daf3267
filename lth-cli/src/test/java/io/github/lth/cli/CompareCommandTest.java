package io.github.lth.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.github.lth.core.Mask;
import io.github.lth.core.analysis.MaskComparison;
import io.github.lth.core.io.MaskIO;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
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
  /** The complement of a. */
  Path c;

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
    c = dir.resolve("c.npz");
    MaskIO.write(MaskIO.read(a).not(), c);
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

        IoU of kept weights over all layers (|a and b| / |a or b|):
                A       B
        A  1.0000  0.3000
        B  0.3000  1.0000

        Hamming distance: weights kept by one mask and pruned by the other (of 14):
           A  B
        A  0  7
        B  7  0
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

  // ------------------------------------------------------------------ more than two masks

  @Test
  void threeMasksGetASparsityTableKernelsAndBothMatrices() {
    CliRun run = CliRun.of("compare", a.toString(), b.toString(), c.toString());

    assertThat(run.err()).isEmpty();
    assertThat(run.exit()).isZero();
    // c = not a: conv keeps {0,1,2,3,5}, fc {2,3,5}. b and c: conv both {0,5} of either
    // {0,1,2,3,4,5}, fc both {3,5} of either {0,2,3,4,5}: IoU 4/11; differ 7 + 8 - 2 * 4 = 7.
    assertThat(run.out()).isEqualTo("""
        A: %s (57.14%% sparse)
        B: %s (50.00%% sparse)
        C: %s (42.86%% sparse)
        layer    shape         sparsity A  sparsity B  sparsity C
        conv     (2, 1, 2, 2)      62.50%%      62.50%%      37.50%%
        fc       (2, 3)            50.00%%      33.33%%      50.00%%
        overall                    57.14%%      50.00%%      42.86%%

        fully pruned kernels [out, in, :, :] and filters [out, :, :, :]:
        layer  kernels   zero in A  zero in B  zero in C  filters   zero in A  zero in B  zero in C
        conv         2  1 (50.00%%)  0 (0.00%%)  0 (0.00%%)        2  1 (50.00%%)  0 (0.00%%)  0 (0.00%%)

        IoU of kept weights over all layers (|a and b| / |a or b|):
                A       B       C
        A  1.0000  0.3000  0.0000
        B  0.3000  1.0000  0.3636
        C  0.0000  0.3636  1.0000

        Hamming distance: weights kept by one mask and pruned by the other (of 14):
            A  B   C
        A   0  7  14
        B   7  0   7
        C  14  7   0
        """.formatted(a, b, c));
  }

  @Test
  void jsonIsTheComparisonAndNothingElse() throws IOException {
    CliRun run = CliRun.of("compare", a.toString(), b.toString(), c.toString(), "--json");

    assertThat(run.err()).isEmpty();
    assertThat(run.exit()).isZero();
    // parseString refuses trailing text: the whole output is one JSON document
    JsonObject json = JsonParser.parseString(run.out()).getAsJsonObject();
    assertThat(json.get("labels").toString())
        .isEqualTo("[\"" + a + "\",\"" + b + "\",\"" + c + "\"]");
    assertThat(json.get("iou").toString())
        .isEqualTo("[[1.0,0.3,0.0],[0.3,1.0,0.36363636363636365],[0.0,0.36363636363636365,1.0]]");
    assertThat(json.get("hamming").toString()).isEqualTo("[[0,7,14],[7,0,7],[14,7,0]]");
    JsonObject conv = json.getAsJsonArray("layers").get(0).getAsJsonObject();
    assertThat(conv.get("name").getAsString()).isEqualTo("conv");
    assertThat(conv.get("kernels").toString())
        .isEqualTo("{\"count\":2,\"zero\":[1,0,0],\"share\":[0.5,0.0,0.0]}");
    assertThat(json).isEqualTo(MaskComparison.of(
        List.of(a.toString(), b.toString(), c.toString()),
        List.of(MaskIO.read(a), MaskIO.read(b), MaskIO.read(c))).toJson());
  }

  @Test
  void plotsAreWrittenAsDecodablePngsAndListed() throws IOException {
    Path plots = dir.resolve("plots");
    CliRun run = CliRun.of("compare", a.toString(), b.toString(), c.toString(), "--plots",
        plots.toString());

    assertThat(run.err()).isEmpty();
    assertThat(run.exit()).isZero();
    List<String> names = List.of("iou.png", "layer-sparsity.png", "sparsity-across.png",
        "iou-consecutive.png", "kernels-conv-A.png", "kernels-conv-B.png", "kernels-conv-C.png");
    try (Stream<Path> files = Files.list(plots)) {
      assertThat(files.map(p -> p.getFileName().toString()))
          .containsExactlyInAnyOrderElementsOf(names);
    }
    for (String name : names) {
      BufferedImage image = ImageIO.read(plots.resolve(name).toFile());
      assertThat(image).as(name).isNotNull();
      assertThat(image.getWidth()).as(name).isPositive();
      assertThat(run.out()).contains("\n  " + plots.resolve(name) + "\n");
    }
    assertThat(run.out()).contains("\nplots:\n");
  }

  @Test
  void twoMasksGetNoSequencePlots() throws IOException {
    Path plots = dir.resolve("two");
    CliRun run = CliRun.of("compare", a.toString(), b.toString(), "--plots", plots.toString(),
        "--json");
    assertThat(run.exit()).isZero();
    try (Stream<Path> files = Files.list(plots)) {
      assertThat(files.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder(
          "iou.png", "layer-sparsity.png", "kernels-conv-A.png", "kernels-conv-B.png");
    }
    // --json: only the JSON on standard output, no list of plots
    assertThat(JsonParser.parseString(run.out()).isJsonObject()).isTrue();
  }

  @Test
  void layerNamesBecomeSafeDistinctFileNames() throws IOException {
    Path x = dir.resolve("x.npz");
    MaskIO.write(Mask.builder()
        .put("block/conv", CONV, new boolean[] {T, F, T, F, T, F, T, F})
        .put("block_conv", CONV, new boolean[8])
        .put("features.0.weight", CONV, new boolean[8])
        .build(), x);
    Path plots = dir.resolve("plots");

    CliRun run = CliRun.of("compare", x.toString(), x.toString(), "--plots", plots.toString());

    assertThat(run.exit()).isZero();
    try (Stream<Path> files = Files.list(plots)) {
      assertThat(files.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder(
          "iou.png", "layer-sparsity.png",
          "kernels-block_conv-A.png", "kernels-block_conv-B.png",
          "kernels-block_conv~2-A.png", "kernels-block_conv~2-B.png",
          "kernels-features.0.weight-A.png", "kernels-features.0.weight-B.png");
    }
  }

  @Test
  void roundsOfARunAreNamedByRunAtRoundOrByTheirDirectory() throws IOException {
    Path runDir = writeRun("run", a, b, c);
    String run = runDir.toString();

    CliRun all = CliRun.of("compare", run + "@all");
    CliRun range = CliRun.of("compare", run + "@1..2", runDir.resolve("round-00").toString());
    CliRun single = CliRun.of("compare", run + "@0", a.toString());

    assertThat(all.err()).isEmpty();
    assertThat(all.exit()).isZero();
    assertThat(all.out()).startsWith("A: " + run + "@0 (57.14% sparse)\n"
        + "B: " + run + "@1 (50.00% sparse)\n"
        + "C: " + run + "@2 (42.86% sparse)\n");
    assertThat(all.out()).isEqualTo(CliRun.of("compare", a.toString(), b.toString(),
        c.toString()).out().replace(a.toString(), run + "@0").replace(b.toString(), run + "@1")
        .replace(c.toString(), run + "@2"));
    assertThat(range.exit()).isZero();
    assertThat(range.out()).startsWith("A: " + run + "@1 (50.00% sparse)\n"
        + "B: " + run + "@2 (42.86% sparse)\n"
        + "C: " + runDir.resolve("round-00") + " (57.14% sparse)\n");
    assertThat(single.exit()).isZero();
    assertThat(single.out()).contains("overall                    57.14%      57.14%"
        + "             6               6  1.0000\n");
  }

  @Test
  void aSingleArgumentNamingSeveralRoundsIsEnough() throws IOException {
    Path runDir = writeRun("run", a, b);
    CliRun both = CliRun.of("compare", runDir + "@all");
    assertThat(both.err()).isEmpty();
    assertThat(both.exit()).isZero();
    assertThat(both.out()).startsWith("A: " + runDir + "@0 (57.14% sparse)\n"
        + "B: " + runDir + "@1 (50.00% sparse)\n");

    CliRun one = CliRun.of("compare", runDir + "@1");
    assertThat(one.err()).isEqualTo("lth compare: Missing required parameter: 'B' (" + runDir
        + "@1 names one mask) (see 'lth compare --help')\n");
    assertThat(one.exit()).isEqualTo(2);
  }

  // ------------------------------------------------------------------ bad input

  @Test
  void shapeMismatchInTheThirdMaskWritesNoPlots() throws IOException {
    Path other = dir.resolve("other.npz");
    MaskIO.write(Mask.builder()
        .put("conv", CONV, new boolean[8])
        .put("fc", new long[] {3, 2}, new boolean[6])
        .build(), other);
    Path plots = dir.resolve("plots");

    CliRun run = CliRun.of("compare", a.toString(), b.toString(), other.toString(), "--plots",
        plots.toString());

    assertThat(run.err()).isEqualTo("lth compare: layer fc has shape (2, 3) in " + a
        + " but (3, 2) in " + other + "\n");
    assertThat(run.exit()).isEqualTo(2);
    assertThat(run.out()).isEmpty();
    assertThat(plots).doesNotExist();
  }

  @Test
  void missingThirdFileIsNamedByItsPosition() {
    Path none = dir.resolve("none.npz");
    Path plots = dir.resolve("plots");
    CliRun run = CliRun.of("compare", a.toString(), b.toString(), none.toString(), "--plots",
        plots.toString());
    assertThat(run.err()).isEqualTo("lth compare: C: no such file: " + none + "\n");
    assertThat(run.exit()).isEqualTo(2);
    assertThat(plots).doesNotExist();
  }

  @Test
  void aFileThatIsNotAMaskIsOneLineAndWritesNothing() throws IOException {
    Path garbage = dir.resolve("garbage.npz");
    Files.writeString(garbage, "not a zip file\nat all\n");
    Path plots = dir.resolve("plots");

    CliRun run = CliRun.of("compare", a.toString(), garbage.toString(), "--plots",
        plots.toString());

    assertThat(run.exit()).isEqualTo(2);
    assertThat(run.err()).startsWith("lth compare: cannot read " + garbage + ": ");
    assertThat(run.err().lines()).hasSize(1);
    assertThat(run.out()).isEmpty();
    assertThat(plots).doesNotExist();
  }

  @Test
  void badRunReferencesSayWhatExists() throws IOException {
    Path runDir = writeRun("run", a, b, c);
    String run = runDir.toString();

    assertThat(CliRun.of("compare", a.toString(), run + "@7").err())
        .isEqualTo("lth compare: B: " + run + " has no round 7 (complete rounds: 0..2)\n");
    assertThat(CliRun.of("compare", a.toString(), run + "@2..1").err())
        .isEqualTo("lth compare: B: " + run + "@2..1 counts rounds backwards; write " + run
            + "@1..2\n");
    assertThat(CliRun.of("compare", run, a.toString()).err())
        .isEqualTo("lth compare: A: " + run + " is a run directory; name its rounds as " + run
            + "@N, " + run + "@N..M or " + run + "@all\n");
    Path noRun = dir.resolve("nothing");
    CliRun missing = CliRun.of("compare", a.toString(), noRun + "@3");
    assertThat(missing.err()).isEqualTo("lth compare: B: no such run directory: " + noRun
        + " (in " + noRun + "@3)\n");
    assertThat(missing.exit()).isEqualTo(2);
    Files.createDirectories(dir.resolve("empty"));
    assertThat(CliRun.of("compare", a.toString(), dir.resolve("empty").toString()).err())
        .isEqualTo("lth compare: B: " + dir.resolve("empty") + " is a directory without"
            + " mask.npz (give a mask file, a round directory or RUN@N)\n");
  }

  @Test
  void plotsDirectoryMustBeADirectoryWithAnExistingParent() throws IOException {
    Path file = dir.resolve("file.png");
    Files.writeString(file, "x");
    CliRun onFile = CliRun.of("compare", a.toString(), b.toString(), "--plots", file.toString());
    assertThat(onFile.err()).isEqualTo("lth compare: --plots: " + file
        + " is a file, not a directory\n");
    assertThat(onFile.exit()).isEqualTo(2);
    assertThat(Files.readString(file)).isEqualTo("x");

    Path deep = dir.resolve("no/such/plots");
    CliRun noParent = CliRun.of("compare", a.toString(), b.toString(), "--plots",
        deep.toString());
    assertThat(noParent.err()).isEqualTo("lth compare: --plots: directory "
        + deep.toAbsolutePath().getParent() + " does not exist (for " + deep + ")\n");
    assertThat(noParent.exit()).isEqualTo(2);
    assertThat(dir.resolve("no")).doesNotExist();
  }

  @Test
  void safeKeepsOrdinaryLayerNamesAndReplacesTheRest() {
    assertThat(CompareCommand.safe("features.0.weight")).isEqualTo("features.0.weight");
    assertThat(CompareCommand.safe("layer1/0:conv 1~x")).isEqualTo("layer1_0_conv_1_x");
    assertThat(CompareCommand.safe("..")).isEqualTo("..");
    assertThat(CompareCommand.safe("x".repeat(400))).hasSize(150);
  }

  /** A run directory whose round r holds {@code masks[r]} as mask.npz. */
  private Path writeRun(String name, Path... masks) throws IOException {
    Path run = dir.resolve(name);
    for (int r = 0; r < masks.length; r++) {
      Path round = run.resolve(String.format("round-%02d", r));
      Files.createDirectories(round);
      Files.copy(masks[r], round.resolve("mask.npz"));
    }
    return run;
  }
}
