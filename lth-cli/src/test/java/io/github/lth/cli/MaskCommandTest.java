package io.github.lth.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.lth.core.Mask;
import io.github.lth.core.Weights;
import io.github.lth.core.io.MaskIO;
import io.github.lth.core.io.WeightsIO;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MaskCommandTest {

  @TempDir
  Path dir;

  Weights weights;
  Path w;
  Path out;

  @BeforeEach
  void writeWeights() throws IOException {
    weights = Fixtures.tiedWeights(7);
    w = dir.resolve("w.npz");
    WeightsIO.write(weights, w);
    out = dir.resolve("m.npz");
  }

  @Test
  void printsTheTableAndWritesTheMaskOfAHandCheckedCase() throws IOException {
    Weights small = Weights.builder()
        .put("a.weight", new long[] {2, 3}, new float[] {0.5f, -0.1f, 0.3f, -0.9f, 0.2f, 0.0f})
        .put("a.bias", new long[] {2}, new float[] {1, 1})
        .put("b.weight", new long[] {2, 2}, new float[] {0.05f, -0.4f, 0.6f, 0.1f})
        .build();
    Path file = dir.resolve("small.npz");
    WeightsIO.write(small, file);

    CliRun run = CliRun.of("mask", "--weights", file.toString(), "--sparsity", "0.6", "--out",
        out.toString());

    assertThat(run.err()).isEmpty();
    assertThat(run.exit()).isZero();
    assertThat(run.out()).isEqualTo("""
        layer     shape   kept  total  sparsity
        a.weight  (2, 3)     2      6    66.67%%
        b.weight  (2, 2)     2      4    50.00%%
        overall: 6 of 10 pruned (60.00%%)
        not pruned: a.bias
        criterion magnitude, global scope; wrote %s
        """.formatted(out));
    // |w| ascending: 0.0 a5, 0.05 b0, 0.1 a1 (lower layer wins the tie), 0.1 b3, 0.2 a4, 0.3 a2
    Mask mask = MaskIO.read(out);
    assertThat(mask.layers()).containsExactly("a.weight", "b.weight");
    assertThat(mask.toBooleans("a.weight")).containsExactly(true, false, false, true, false, false);
    assertThat(mask.toBooleans("b.weight")).containsExactly(false, true, true, false);
  }

  @Test
  void globalMagnitudeEqualsBruteForceSortWithTies() throws IOException {
    CliRun run = CliRun.of("mask", "--weights", w.toString(), "--sparsity", "0.8", "--out",
        out.toString());

    assertThat(run.exit()).as(run.err()).isZero();
    // 108 + 120 prunable weights; round(0.8 × 228) = 182 pruned
    assertThat(run.out()).contains("overall: 182 of 228 pruned (79.82%)\n");
    assertThat(run.out()).contains("not pruned: conv.bias, fc.bias\n");
    Mask expected = Fixtures.pruneLowest(Fixtures.dense(weights, "conv.weight", "fc.weight"),
        weights, Math::abs, 182);
    assertThat(MaskIO.read(out)).isEqualTo(expected);
  }

  @Test
  void layerScopePrunesEachLayerByItself() throws IOException {
    CliRun run = CliRun.of("mask", "--weights", w.toString(), "--sparsity", "0.8", "--scope",
        "layer", "--out", out.toString());

    assertThat(run.exit()).as(run.err()).isZero();
    Mask conv = Fixtures.pruneLowest(Fixtures.dense(weights, "conv.weight"), weights, Math::abs,
        86); // round(0.8 × 108)
    Mask fc = Fixtures.pruneLowest(Fixtures.dense(weights, "fc.weight"), weights, Math::abs,
        96); // round(0.8 × 120)
    Mask got = MaskIO.read(out);
    assertThat(Fixtures.only(got, "conv.weight")).isEqualTo(conv);
    assertThat(Fixtures.only(got, "fc.weight")).isEqualTo(fc);
    assertThat(run.out()).contains("overall: 182 of 228 pruned (79.82%)\n");
  }

  @Test
  void previousMaskKeepsItsPrunedWeightsPrunedAndDefinesTheLayers() throws IOException {
    Mask m0 = Fixtures.pruneLowest(Fixtures.dense(weights, "fc.weight"), weights,
        v -> -Math.abs(v), 30); // prune the 30 largest, so magnitude alone would differ
    Path m0File = dir.resolve("m0.npz");
    MaskIO.write(m0, m0File);

    CliRun run = CliRun.of("mask", "--weights", w.toString(), "--previous-mask",
        m0File.toString(), "--sparsity", "0.5", "--out", out.toString());

    assertThat(run.exit()).as(run.err()).isZero();
    // only fc.weight: 60 of 120 pruned in all, 30 of them already
    Mask expected = Fixtures.pruneLowest(m0, weights, Math::abs, 30);
    Mask got = MaskIO.read(out);
    assertThat(got).isEqualTo(expected);
    assertThat(got.andNot(m0).kept()).isZero();
    assertThat(run.out()).contains("overall: 60 of 120 pruned (50.00%)\n");
  }

  @Test
  void includeAndExcludeChooseTheLayersByWholeName() throws IOException {
    CliRun excl = CliRun.of("mask", "--weights", w.toString(), "--sparsity", "0.25",
        "--exclude", "fc\\..*", "--out", out.toString());
    assertThat(excl.exit()).as(excl.err()).isZero();
    assertThat(MaskIO.read(out)).isEqualTo(Fixtures.pruneLowest(
        Fixtures.dense(weights, "conv.weight"), weights, Math::abs, 27)); // 0.25 × 108

    Path biases = dir.resolve("biases.npz");
    CliRun incl = CliRun.of("mask", "--weights", w.toString(), "--sparsity", "0.5",
        "--include", ".*bias", "--out", biases.toString());
    assertThat(incl.exit()).as(incl.err()).isZero();
    assertThat(MaskIO.read(biases)).isEqualTo(Fixtures.pruneLowest(
        Fixtures.dense(weights, "conv.bias", "fc.bias"), weights, Math::abs, 7)); // 0.5 × 14
  }

  @Test
  void userCriterionByClassName() throws IOException {
    CliRun run = CliRun.of("mask", "--weights", w.toString(), "--sparsity", "0.3",
        "--criterion", LargestFirstCriterion.class.getName(), "--out", out.toString());

    assertThat(run.exit()).as(run.err()).isZero();
    Mask expected = Fixtures.pruneLowest(Fixtures.dense(weights, "conv.weight", "fc.weight"),
        weights, v -> -Math.abs(v), 68); // round(0.3 × 228) = round(68.4)
    assertThat(MaskIO.read(out)).isEqualTo(expected);
    assertThat(run.out()).contains("criterion io.github.lth.cli.LargestFirstCriterion");
  }

  @Test
  void magnitudeChangeScoresMovementFromTheReference() throws IOException {
    Weights w0 = Fixtures.tiedWeights(8);
    Path w0File = dir.resolve("w0.npz");
    WeightsIO.write(w0, w0File);

    CliRun run = CliRun.of("mask", "--weights", w.toString(), "--reference", w0File.toString(),
        "--criterion", "magnitude-change", "--sparsity", "0.5", "--out", out.toString());

    assertThat(run.exit()).as(run.err()).isZero();
    Weights.Builder moved = Weights.builder();
    for (String layer : weights.names()) {
      float[] a = weights.values(layer);
      float[] b = w0.values(layer);
      float[] d = new float[a.length];
      for (int i = 0; i < a.length; i++) {
        d[i] = Math.abs(a[i] - b[i]);
      }
      moved.put(layer, weights.shape(layer), d);
    }
    Mask expected = Fixtures.pruneLowest(Fixtures.dense(weights, "conv.weight", "fc.weight"),
        moved.build(), v -> v, 114);
    assertThat(MaskIO.read(out)).isEqualTo(expected);
  }

  @Test
  void randomCriterionIsSeededAndExact() throws IOException {
    Path a = dir.resolve("a.npz");
    Path b = dir.resolve("b.npz");
    Path c = dir.resolve("c.npz");
    assertThat(CliRun.of("mask", "--weights", w.toString(), "--sparsity", "0.5", "--criterion",
        "random", "--seed", "3", "--out", a.toString()).exit()).isZero();
    assertThat(CliRun.of("mask", "--weights", w.toString(), "--sparsity", "0.5", "--criterion",
        "random", "--seed", "3", "--out", b.toString()).exit()).isZero();
    assertThat(CliRun.of("mask", "--weights", w.toString(), "--sparsity", "0.5", "--criterion",
        "random", "--seed", "4", "--out", c.toString()).exit()).isZero();
    assertThat(MaskIO.read(a)).isEqualTo(MaskIO.read(b));
    assertThat(MaskIO.read(a)).isNotEqualTo(MaskIO.read(c));
    assertThat(MaskIO.read(a).pruned()).isEqualTo(114);
  }

  @Test
  void zeroSparsityKeepsEverything() throws IOException {
    CliRun run = CliRun.of("mask", "--weights", w.toString(), "--sparsity", "0", "--out",
        out.toString());
    assertThat(run.exit()).as(run.err()).isZero();
    assertThat(MaskIO.read(out)).isEqualTo(Fixtures.dense(weights, "conv.weight", "fc.weight"));
    assertThat(run.out()).contains("overall: 0 of 228 pruned (0.00%)\n");
  }

  // ---- bad input: exit 2, exactly one line on stderr, nothing written ----

  private void assertRejected(String expectedLine, String... args) {
    CliRun run = CliRun.of(args);
    assertThat(run.err()).isEqualTo(expectedLine + "\n");
    assertThat(run.exit()).isEqualTo(2);
    assertThat(run.out()).isEmpty();
    assertThat(out).doesNotExist();
  }

  private String[] maskArgs(String... extra) {
    String[] base = {"mask", "--weights", w.toString(), "--out", out.toString()};
    String[] all = Arrays.copyOf(base, base.length + extra.length);
    System.arraycopy(extra, 0, all, base.length, extra.length);
    return all;
  }

  @Test
  void sparsityOfOneIsRejected() {
    assertRejected("lth mask: --sparsity must be in [0, 1): 1.0", maskArgs("--sparsity", "1"));
  }

  @Test
  void negativeSparsityIsRejected() {
    assertRejected("lth mask: --sparsity must be in [0, 1): -0.1",
        maskArgs("--sparsity", "-0.1"));
  }

  @Test
  void nanSparsityIsRejected() {
    assertRejected("lth mask: --sparsity must be in [0, 1): NaN", maskArgs("--sparsity", "NaN"));
  }

  @Test
  void nonNumericSparsityIsAOneLineParseError() {
    assertRejected("lth mask: Invalid value for option '--sparsity': 'lots' is not a double"
        + " (see 'lth mask --help')", maskArgs("--sparsity", "lots"));
  }

  @Test
  void missingRequiredOptionIsAOneLineParseError() {
    assertRejected("lth mask: Missing required option: '--sparsity=S' (see 'lth mask --help')",
        maskArgs());
  }

  @Test
  void missingWeightsFileIsRejected() {
    Path none = dir.resolve("none.npz");
    assertRejected("lth mask: --weights: no such file: " + none, "mask", "--weights",
        none.toString(), "--sparsity", "0.5", "--out", out.toString());
  }

  @Test
  void truncatedNpzIsRejectedNamingTheFile() throws IOException {
    byte[] bytes = Files.readAllBytes(w);
    Path cut = dir.resolve("cut.npz");
    Files.write(cut, Arrays.copyOf(bytes, bytes.length / 2));

    CliRun run = CliRun.of("mask", "--weights", cut.toString(), "--sparsity", "0.5", "--out",
        out.toString());

    assertThat(run.exit()).isEqualTo(2);
    assertThat(run.err()).startsWith("lth mask: ").contains(cut.getFileName().toString())
        .endsWith("\n");
    assertThat(run.err().lines()).hasSize(1);
    assertThat(out).doesNotExist();
  }

  @Test
  void maskKeyNotInTheWeightsIsRejected() throws IOException {
    Path m0 = dir.resolve("m0.npz");
    MaskIO.write(Mask.dense(Map.of("ghost.weight", new long[] {3, 3})), m0);
    assertRejected("lth mask: --previous-mask " + m0 + ": layer ghost.weight is not in the"
        + " weights " + w, maskArgs("--sparsity", "0.5", "--previous-mask", m0.toString()));
  }

  @Test
  void maskShapeMismatchIsRejectedWithBothShapes() throws IOException {
    Path m0 = dir.resolve("m0.npz");
    MaskIO.write(Mask.dense(Map.of("fc.weight", new long[] {12, 10})), m0);
    assertRejected("lth mask: --previous-mask " + m0 + ": layer fc.weight has shape (12, 10) but"
        + " the weights " + w + " have (10, 12)",
        maskArgs("--sparsity", "0.5", "--previous-mask", m0.toString()));
  }

  @Test
  void previousMaskLayerLeftOutByIncludeIsRejected() throws IOException {
    Path m0 = dir.resolve("m0.npz");
    MaskIO.write(Fixtures.dense(weights, "conv.weight", "fc.weight"), m0);
    assertRejected("lth mask: --previous-mask " + m0 + ": layer fc.weight is not selected by"
        + " --include/--exclude", maskArgs("--sparsity", "0.5", "--previous-mask", m0.toString(),
        "--exclude", "fc.*"));
  }

  @Test
  void alreadySparserPreviousMaskIsRejected() throws IOException {
    Mask m0 = Fixtures.pruneLowest(Fixtures.dense(weights, "fc.weight"), weights, Math::abs, 90);
    Path m0File = dir.resolve("m0.npz");
    MaskIO.write(m0, m0File);
    assertRejected("lth mask: --previous-mask: previous mask is already 0.75 sparse, more than"
        + " the 0.5 asked for", maskArgs("--sparsity", "0.5", "--previous-mask", m0File.toString()));
  }

  @Test
  void nanWeightIsRejectedNamingTheLayer() throws IOException {
    float[] fc = weights.values("fc.weight");
    fc[5] = Float.NaN;
    Weights bad = Weights.builder()
        .put("conv.weight", weights.shape("conv.weight"), weights.values("conv.weight"))
        .put("fc.weight", weights.shape("fc.weight"), fc)
        .build();
    WeightsIO.write(bad, w);
    assertRejected("lth mask: --weights " + w + ": layer fc.weight holds a non-finite value (NaN"
        + " at flat index 5)", maskArgs("--sparsity", "0.5"));
  }

  @Test
  void unknownCriterionIsRejectedListingTheKnownOnes() {
    assertRejected("lth mask: --criterion: unknown criterion 'taylor' (known: magnitude,"
        + " magnitude-change, random, filter-l1, filter-l2; or a class name on the class path)",
        maskArgs("--sparsity", "0.5", "--criterion", "taylor"));
  }

  @Test
  void criterionClassNotOnTheClassPathIsRejected() {
    assertRejected("lth mask: --criterion: class 'com.example.Nope' is not on the class path"
        + " (known names: magnitude, magnitude-change, random, filter-l1, filter-l2)",
        maskArgs("--sparsity", "0.5", "--criterion", "com.example.Nope"));
  }

  @Test
  void magnitudeChangeWithoutReferenceIsRejected() {
    assertRejected("lth mask: --criterion magnitude-change needs reference weights: add"
        + " --reference w0.npz", maskArgs("--sparsity", "0.5", "--criterion", "magnitude-change"));
  }

  @Test
  void referenceWithAnotherShapeIsRejected() throws IOException {
    Path ref = dir.resolve("w0.npz");
    WeightsIO.write(Weights.builder()
        .put("conv.weight", new long[] {4, 27}, new float[108])
        .put("fc.weight", new long[] {10, 12}, new float[120])
        .build(), ref);
    assertRejected("lth mask: --reference " + ref + ": layer conv.weight has shape (4, 27) but the"
        + " weights have (4, 3, 3, 3)", maskArgs("--sparsity", "0.5", "--criterion",
        "magnitude-change", "--reference", ref.toString()));
  }

  @Test
  void outputInAMissingDirectoryIsRejectedNamingIt() {
    Path missing = dir.resolve("no-such-dir");
    Path target = missing.resolve("m.npz");
    CliRun run = CliRun.of("mask", "--weights", w.toString(), "--sparsity", "0.5", "--out",
        target.toString());
    assertThat(run.err()).isEqualTo("lth mask: --out: directory " + missing + " does not exist"
        + " (for " + target + ")\n");
    assertThat(run.exit()).isEqualTo(2);
    assertThat(missing).doesNotExist();
  }

  @Test
  void outputOverTheWeightsIsRejected() throws IOException {
    byte[] before = Files.readAllBytes(w);
    CliRun run = CliRun.of("mask", "--weights", w.toString(), "--sparsity", "0.5", "--out",
        w.toString());
    assertThat(run.err()).isEqualTo("lth mask: --out: " + w + " is the --weights file; choose"
        + " another name\n");
    assertThat(run.exit()).isEqualTo(2);
    assertThat(Files.readAllBytes(w)).isEqualTo(before);
  }

  @Test
  void outputMayReplaceThePreviousMask() throws IOException {
    Path m0 = dir.resolve("m0.npz");
    Mask dense = Fixtures.dense(weights, "conv.weight", "fc.weight");
    MaskIO.write(dense, m0);
    CliRun run = CliRun.of("mask", "--weights", w.toString(), "--previous-mask", m0.toString(),
        "--sparsity", "0.8", "--out", m0.toString());
    assertThat(run.exit()).as(run.err()).isZero();
    assertThat(MaskIO.read(m0)).isEqualTo(Fixtures.pruneLowest(dense, weights, Math::abs, 182));
  }

  @Test
  void noSelectedLayerIsRejected() {
    assertRejected("lth mask: no layer of " + w + " is selected for pruning (layers:"
        + " conv.weight, conv.bias, fc.weight, fc.bias; by default those of rank >= 2; see"
        + " --include/--exclude)", maskArgs("--sparsity", "0.5", "--include", "nothing"));
  }

  @Test
  void invalidRegexIsRejected() {
    CliRun run = CliRun.of(maskArgs("--sparsity", "0.5", "--exclude", "fc(["));
    assertThat(run.exit()).isEqualTo(2);
    assertThat(run.err()).startsWith("lth mask: --exclude: not a valid regular expression 'fc(['")
        .endsWith("\n");
    assertThat(run.err().lines()).hasSize(1);
    assertThat(out).doesNotExist();
  }

  @Test
  void badInputLeavesAnExistingOutputUntouched() throws IOException {
    Files.writeString(out, "previous result");
    CliRun run = CliRun.of(maskArgs("--sparsity", "0.5", "--criterion", "taylor"));
    assertThat(run.exit()).isEqualTo(2);
    assertThat(Files.readString(out)).isEqualTo("previous result");
  }

  @Test
  void aFailingUserCriterionIsAnUnexpectedFailureWithExitOne() {
    CliRun run = CliRun.of(maskArgs("--sparsity", "0.5", "--criterion",
        FailingCriterion.class.getName()));
    assertThat(run.err()).isEqualTo("lth mask: unexpected failure:"
        + " java.lang.IllegalStateException: scoring table not initialised\n");
    assertThat(run.exit()).isEqualTo(1);
    assertThat(out).doesNotExist();
  }
}
