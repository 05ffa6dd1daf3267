package io.github.lth.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.github.lth.core.Mask;
import io.github.lth.core.Weights;
import io.github.lth.core.io.MaskIO;
import io.github.lth.core.io.WeightsIO;
import io.github.lth.core.structured.FilterLayout;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code --criterion filter-l1|filter-l2} on the command line: {@code lth imp} prunes whole
 * filters of Conv-2 with their biases (exact filter counts, resumable, checked like any run), and
 * {@code lth mask} gives exactly the mask a numpy brute force gives.
 */
class StructuredPruningCommandTest {

  @TempDir
  Path tmp;

  @Test
  void impPrunesWholeFiltersOfConv2WithTheirBiasesAndResumesLikeAnyRun() throws IOException {
    Path out = tmp.resolve("run");
    String data = idxDirectory(tmp.resolve("data"), 40, 8);
    String[] args = {"imp", "--model", "conv2", "--criterion", "filter-l1", "--data", data,
        "--steps", "2", "--batch-size", "8", "--target-sparsity", "0.36", "--out",
        out.toString(), "--device", "cpu"};
    CliRun run = CliRun.of(args);
    assertThat(run.exit()).as(run.err()).isZero();
    assertThat(run.out()).contains(", 2 rounds to 36.00% of the filters pruned, 2 steps per"
        + " round on cpu()\n");

    // conv1, conv2: 64 filters each, fc1, fc2: 256 neurons each; 640 -> 512 -> 410 kept
    int[] expectedKept = {640, 512, 410};
    Mask previous = null;
    for (int r = 0; r < 3; r++) {
      Path round = out.resolve(String.format(Locale.ROOT, "round-%02d", r));
      Mask mask = MaskIO.read(round.resolve("mask.npz"));
      assertThat(mask.layers()).containsExactly("conv1_weight", "conv1_bias", "conv2_weight",
          "conv2_bias", "fc1_weight", "fc1_bias", "fc2_weight", "fc2_bias");
      Weights trained = WeightsIO.read(round.resolve("weights.npz"));
      FilterLayout layout = FilterLayout.of(mask);
      int kept = 0;
      for (FilterLayout.Group g : layout.groups()) {
        assertThat(g.companions()).hasSize(1);
        String bias = g.companions().get(0);
        float[] w = trained.values(g.layer());
        float[] b = trained.values(bias);
        boolean[] filters = layout.keptFilters(mask, g.layer());
        for (int f = 0; f < g.filters(); f++) {
          kept += filters[f] ? 1 : 0;
          assertThat(mask.isKept(bias, f)).isEqualTo(filters[f]);
          for (long i = f * g.filterSize(); i < (f + 1) * g.filterSize(); i++) {
            assertThat(mask.isKept(g.layer(), i)).as("%s row %s", g.layer(), f)
                .isEqualTo(filters[f]);
            if (!filters[f]) {
              assertThat(w[(int) i]).as("%s pruned weight %s", g.layer(), i).isZero();
            }
          }
          if (!filters[f]) {
            assertThat(b[f]).as("%s pruned entry %s", bias, f).isZero();
          }
        }
      }
      assertThat(kept).as("round %s", r).isEqualTo(expectedKept[r]);
      if (previous != null) {
        assertThat(mask.andNot(previous).kept()).as("round %s revives nothing", r).isZero();
      }
      previous = mask;
    }
    JsonObject settings = JsonParser.parseString(Files.readString(out.resolve("config.json")))
        .getAsJsonObject().getAsJsonObject("settings");
    assertThat(settings.get("criterion").getAsString()).isEqualTo("filter-l1");

    // the finished run resumes without training; another criterion is refused
    List<String> resume = new ArrayList<>(List.of(args));
    resume.add("--resume");
    CliRun resumed = CliRun.of(resume.toArray(String[]::new));
    assertThat(resumed.exit()).as(resumed.err()).isZero();
    assertThat(resumed.out()).contains("resuming after round 2\n");
    List<String> other = new ArrayList<>(resume);
    other.set(other.indexOf("filter-l1"), "filter-l2");
    CliRun refused = CliRun.of(other.toArray(String[]::new));
    assertThat(refused.exit()).isEqualTo(2);
    assertThat(refused.err()).contains("other settings (criterion: \"filter-l1\" ->"
        + " \"filter-l2\")");
    assertThat(refused.err().lines().count()).isEqualTo(1);
  }

  @Test
  void impRefusesAnIncludeWhoseRankOneLayerFollowsNoFilterLayerBeforeTraining() {
    Path out = tmp.resolve("bad");
    CliRun run = CliRun.of("imp", "--model", "lenet300", "--criterion", "filter-l2",
        "--include", "fc1_bias|fc2_weight", "--steps", "2", "--target-sparsity", "0.2",
        "--out", out.toString(), "--device", "cpu");
    assertThat(run.exit()).isEqualTo(2);
    assertThat(run.err()).isEqualTo("lth imp: --criterion: filter-l2 prunes whole filters: layer"
        + " fc1_bias of shape (300,) follows no layer of rank >= 2: a rank-1 layer can only be"
        + " pruned with the filters of the layer before it\n");
    assertThat(out).doesNotExist();
  }

  @Test
  void helpSaysFilterCriteriaCountFiltersAndListsTheStructuredPresets() {
    CliRun imp = CliRun.of("imp", "--help");
    assertThat(imp.exit()).isZero();
    String text = imp.out().replaceAll("\\s+", " ");
    assertThat(text).contains("--rate and --target-sparsity then count filters",
        "What each --model prunes with --criterion filter-l1|filter-l2 (structured):",
        "resnet20: filters of each residual block's first convolution with its bn1 gamma and"
            + " beta (the residual sum's channels stay)");
    CliRun mask = CliRun.of("mask", "--help");
    assertThat(mask.out().replaceAll("\\s+", " "))
        .contains("--sparsity counts filters: S of the filters of the selected layers go");
  }

  /** Writes the weights: conv + bias + BatchNorm, conv + bias, linear + bias; ties on purpose. */
  private static final String WRITE = """
      import sys, numpy as np
      rng = np.random.default_rng(int(sys.argv[2]))
      def grid(shape):
          # quarters of small integers: every sum of squares is exact, so equal norms tie exactly
          return (rng.integers(-8, 9, shape) / 4).astype(np.float32)
      w = {}
      w["conv1.weight"] = grid((8, 3, 3, 3))
      w["conv1.weight"][5] = w["conv1.weight"][2][::-1]   # same norms, other order
      w["conv1.weight"][6] = -w["conv1.weight"][2]
      w["conv1.bias"] = grid((8,))
      w["bn1.weight"] = grid((8,))
      w["bn1.bias"] = grid((8,))
      w["conv2.weight"] = grid((6, 8, 3, 3))
      w["conv2.weight"][0] = 0
      w["conv2.weight"][4] = -0.0
      w["conv2.bias"] = grid((6,))
      w["fc.weight"] = grid((5, 24))
      w["fc.weight"][3] = w["fc.weight"][1]
      w["fc.bias"] = grid((5,))
      np.savez(sys.argv[1], **w)
      """;

  /**
   * The numpy brute force: argv = [weights, sparsity, then lth's mask, scope, norm for each
   * mask]. Sorts the filters by (norm over its layer's root mean square, layer, filter), prunes the first ones with their
   * companions, and compares.
   */
  private static final String CHECK = """
      import math, sys, numpy as np
      w = np.load(sys.argv[1]); s = float(sys.argv[2])
      groups = [("conv1.weight", ["conv1.bias", "bn1.weight", "bn1.bias"]),
                ("conv2.weight", ["conv2.bias"]), ("fc.weight", ["fc.bias"])]
      def norms(name, p):
          rows = w[name].reshape(w[name].shape[0], -1).astype(np.float64)
          raw = np.abs(rows).sum(1) if p == 1 else np.sqrt((rows ** 2).sum(1))
          # over the layer's root mean square, summed left to right as lth4j does
          rms = math.sqrt(sum(float(x) * float(x) for x in raw) / raw.size)
          return raw / rms if rms > 0 else raw
      def prune(members, p, want):
          score = np.concatenate([norms(groups[g][0], p) for g in members])
          layer = np.concatenate([np.full(w[groups[g][0]].shape[0], g) for g in members])
          index = np.concatenate([np.arange(w[groups[g][0]].shape[0]) for g in members])
          order = np.lexsort((index, layer, score))
          n = round(s * score.size)
          for i in order[:n]:
              name, companions = groups[layer[i]]
              want[name][index[i]] = False
              for c in companions:
                  want[c][index[i]] = False
      bad = []
      for at in range(3, len(sys.argv), 3):
          got, scope, p = np.load(sys.argv[at]), sys.argv[at + 1], int(sys.argv[at + 2])
          want = {k: np.ones(w[k].shape, bool) for k in w.files}
          if scope == "global":
              prune(range(len(groups)), p, want)
          else:
              for g in range(len(groups)):
                  prune([g], p, want)
          assert sorted(got.files) == sorted(want.keys()), (got.files, list(want.keys()))
          bad += [sys.argv[at] + ":" + k for k in want
                  if got[k].dtype != np.bool_ or not np.array_equal(got[k], want[k])]
      print("mismatch in", bad if bad else "nothing")
      sys.exit(1 if bad else 0)
      """;

  @Test
  void maskPrunesTheSameFiltersAsANumpyBruteForce() throws Exception {
    assumeTrue(Python.run("-c", "import numpy").exit() == 0, "python3 with numpy not found");
    Path weights = tmp.resolve("w.npz");
    Python.Result written = Python.run("-c", WRITE, weights.toString(), "15");
    assertThat(written.exit()).as(written.output()).isZero();
    List<String> check = new ArrayList<>(List.of("-c", CHECK, weights.toString(), "0.5"));
    for (String scope : List.of("global", "layer")) {
      for (String criterion : List.of("filter-l1", "filter-l2")) {
        Path mask = tmp.resolve(scope + "-" + criterion + ".npz");
        CliRun run = CliRun.of("mask", "--weights", weights.toString(), "--criterion",
            criterion, "--sparsity", "0.5", "--scope", scope, "--include", ".*", "--out",
            mask.toString());
        assertThat(run.exit()).as(run.err()).isZero();
        // 19 filters: global keeps 19 - round(9.5) = 9; layer keeps 4, 3 and 5 - round(2.5)
        Mask m = MaskIO.read(mask);
        FilterLayout layout = FilterLayout.of(m);
        int[] kept = layout.groups().stream()
            .mapToInt(g -> layout.keptFilterCount(m, g.layer())).toArray();
        if (scope.equals("global")) {
          assertThat(kept[0] + kept[1] + kept[2]).isEqualTo(9);
        } else {
          assertThat(kept).containsExactly(4, 3, 3);
          assertThat(run.out()).contains("filters kept").containsPattern("conv2\\.weight .* 3/6");
        }
        check.addAll(List.of(mask.toString(), scope, criterion.equals("filter-l1") ? "1" : "2"));
      }
    }
    Python.Result checked = Python.run(check.toArray(String[]::new));
    assertThat(checked.exit()).as(checked.output()).isZero();
    assertThat(checked.output()).isEqualTo("mismatch in nothing\n");
  }

  @Test
  void maskNamesTheLayerThatIsNoCompanionAndWritesNothing() throws Exception {
    Path weights = tmp.resolve("w.npz");
    WeightsIO.write(Weights.builder()
        .put("conv1.weight", new long[] {2, 1, 1, 1}, new float[] {1, 2})
        .put("conv1.bias", new long[] {2}, new float[] {0, 0})
        .put("bn1.weight", new long[] {3}, new float[] {1, 1, 1})
        .build(), weights);
    Path out = tmp.resolve("m.npz");
    CliRun run = CliRun.of("mask", "--weights", weights.toString(), "--criterion", "filter-l1",
        "--sparsity", "0.5", "--include", ".*", "--out", out.toString());
    assertThat(run.exit()).isEqualTo(2);
    assertThat(run.err()).isEqualTo("lth mask: --criterion filter-l1: layer bn1.weight of shape"
        + " (3,) does not match the 2 filters of conv1.weight, the layer of rank >= 2 before it"
        + " (see --include/--exclude)\n");
    assertThat(out).doesNotExist();
    // the default selection (rank >= 2 only) prunes filters without companions
    CliRun plain = CliRun.of("mask", "--weights", weights.toString(), "--criterion", "filter-l1",
        "--sparsity", "0.5", "--out", out.toString());
    assertThat(plain.exit()).as(plain.err()).isZero();
    assertThat(MaskIO.read(out).toBooleans("conv1.weight")).containsExactly(false, true);
  }

  /** A tiny IDX data set of random {@code side}×{@code side} images, so Conv-2 runs in seconds. */
  static String idxDirectory(Path dir, int n, int side) throws IOException {
    Files.createDirectories(dir);
    Random rng = new Random(3);
    byte[] images = new byte[n * side * side];
    rng.nextBytes(images);
    byte[] labels = new byte[n];
    for (int i = 0; i < n; i++) {
      labels[i] = (byte) (i % 2);
    }
    int half = n / 2;
    writeIdx(dir.resolve("train-images-idx3-ubyte"), new int[] {n, side, side}, images);
    writeIdx(dir.resolve("train-labels-idx1-ubyte"), new int[] {n}, labels);
    writeIdx(dir.resolve("t10k-images-idx3-ubyte"), new int[] {half, side, side},
        Arrays.copyOf(images, half * side * side));
    writeIdx(dir.resolve("t10k-labels-idx1-ubyte"), new int[] {half}, Arrays.copyOf(labels, half));
    return dir.toString();
  }

  /** An IDX file of unsigned bytes: zero, zero, type 0x08, rank, big-endian sizes, data. */
  private static void writeIdx(Path file, int[] dims, byte[] data) throws IOException {
    try (DataOutputStream out = new DataOutputStream(Files.newOutputStream(file))) {
      out.writeByte(0);
      out.writeByte(0);
      out.writeByte(0x08);
      out.writeByte(dims.length);
      for (int dim : dims) {
        out.writeInt(dim);
      }
      out.write(data);
    }
  }
}
