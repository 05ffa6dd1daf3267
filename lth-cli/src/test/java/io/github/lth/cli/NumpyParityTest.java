package io.github.lth.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The "done when" of the foundation issue: {@code lth mask} on a numpy-written file of about two
 * million weights gives exactly the mask that a numpy brute force gives (a stable sort of
 * (|w|, layer index, flat index), lowest first). The weights sit on coarse grids, so many values
 * tie exactly across and within layers, and rounding leaves plenty of 0.0 and -0.0.
 *
 * <p>Runs only where python3 with numpy is installed.
 */
class NumpyParityTest {

  /** Writes the weights file: argv = [out path, seed]. Layer order is the file order. */
  private static final String WRITE = """
      import sys, numpy as np
      path, seed = sys.argv[1], int(sys.argv[2])
      rng = np.random.default_rng(seed)
      def grid(shape, scale, step):
          # rounding to a grid makes exact ties; small negatives round to -0.0
          return (np.round(rng.normal(0.0, scale, shape) / step) * step).astype(np.float32)
      def zeros_of_both_signs(a):
          flat = a.reshape(-1)
          pick = rng.choice(flat.size, size=flat.size // 20, replace=False)
          flat[pick[: pick.size // 2]] = np.float32(0.0)
          flat[pick[pick.size // 2 :]] = np.float32(-0.0)
          return a
      w = {}
      w["conv1.weight"] = zeros_of_both_signs(grid((32, 3, 5, 5), 0.2, 0.01))
      w["conv1.bias"] = grid((32,), 0.1, 0.01)
      w["bn1.weight"] = np.ones(32, np.float32)
      w["bn1.bias"] = np.zeros(32, np.float32)
      w["conv2.weight"] = zeros_of_both_signs(grid((64, 32, 3, 3), 0.1, 0.005))
      w["conv2.bias"] = grid((64,), 0.1, 0.01)
      w["conv1d.weight"] = grid((16, 8, 5), 0.05, 0.01)
      w["fc1.weight"] = zeros_of_both_signs(grid((2000, 990), 0.05, 0.001))
      w["fc1.bias"] = grid((2000,), 0.1, 0.01)
      # continuous values with a block of exact duplicates of fc1's grid values
      fc2 = (rng.standard_normal((10, 2000)) * 0.03).astype(np.float32)
      fc2.reshape(-1)[:5000] = w["fc1.weight"].reshape(-1)[:5000]
      w["fc2.weight"] = zeros_of_both_signs(fc2)
      w["fc2.bias"] = grid((10,), 0.1, 0.01)
      w["temperature"] = np.array(1.5, np.float32)
      np.savez(path, **w)
      """;

  /**
   * Recomputes the mask by brute force and compares: argv = [weights, mask, scope, sparsity,
   * exclude regex or ""]. Prints one line per prunable layer: name dtype shape expected-kept
   * got-kept mismatches, then the names of any layer the mask has but should not.
   */
  private static final String CHECK = """
      import re, sys, numpy as np
      wpath, mpath, scope, sparsity, exclude = sys.argv[1:6]
      sparsity = float(sparsity)
      with np.load(wpath) as z:
          names = list(z.files)
          w = {k: z[k] for k in names}
      prunable = [k for k in names if w[k].ndim >= 2
                  and not (exclude and re.fullmatch(exclude, k))]
      def lowest_first(absw, layer, flat):
          return np.lexsort((flat, layer, absw))
      expected = {}
      if scope == "global":
          a = np.concatenate([np.abs(w[k]).reshape(-1) for k in prunable])
          layer = np.concatenate([np.full(w[k].size, i) for i, k in enumerate(prunable)])
          flat = np.concatenate([np.arange(w[k].size) for k in prunable])
          keep = np.ones(a.size, bool)
          keep[lowest_first(a, layer, flat)[: int(np.rint(sparsity * a.size))]] = False
          start = 0
          for k in prunable:
              expected[k] = keep[start : start + w[k].size].reshape(w[k].shape)
              start += w[k].size
      else:
          for k in prunable:
              a = np.abs(w[k]).reshape(-1)
              keep = np.ones(a.size, bool)
              order = lowest_first(a, np.zeros(a.size, np.int64), np.arange(a.size))
              keep[order[: int(np.rint(sparsity * a.size))]] = False
              expected[k] = keep.reshape(w[k].shape)
      with np.load(mpath) as z:
          got = {k: z[k] for k in z.files}
      for k in prunable:
          e = expected[k]
          g = got.get(k)
          if g is None:
              print(k, "missing")
              continue
          same_shape = g.shape == e.shape
          mismatches = int(np.count_nonzero(g != e)) if same_shape else -1
          print(k, g.dtype, "x".join(map(str, g.shape)), int(e.sum()), int(g.sum()), mismatches)
      for k in got:
          if k not in expected:
              print(k, "unexpected")
      """;

  @TempDir
  static Path dir;

  static Path weights;

  @BeforeAll
  static void writeWeightsWithNumpy() throws Exception {
    assumeTrue(Python.run("-c", "import numpy").exit() == 0, "python3 with numpy not found");
    weights = dir.resolve("w.npz");
    Python.Result r = Python.run("-c", WRITE, weights.toString(), "20240611");
    assertThat(r.exit()).as(r.output()).isZero();
  }

  @Test
  void globalMagnitudeMaskEqualsNumpyBruteForce() throws Exception {
    Path mask = dir.resolve("global.npz");
    CliRun run = CliRun.of("mask", "--weights", weights.toString(), "--sparsity", "0.8",
        "--out", mask.toString());
    assertThat(run.err()).isEmpty();
    assertThat(run.exit()).isZero();

    List<Row> rows = check(mask, "global", "0.8", "");
    assertThat(rows).extracting(Row::name).containsExactly("conv1.weight", "conv2.weight",
        "conv1d.weight", "fc1.weight", "fc2.weight");
    assertThat(rows).extracting(Row::shape).containsExactly("32x3x5x5", "64x32x3x3", "16x8x5",
        "2000x990", "10x2000");
    long total = 2400 + 18432 + 640 + 1_980_000 + 20_000;
    long kept = total - (long) Math.rint(0.8 * total);
    assertThat(rows.stream().mapToLong(Row::gotKept).sum()).isEqualTo(kept);
    assertThat(run.out()).contains(String.format(Locale.ROOT, "overall: %,d of %,d pruned",
        total - kept, total));
  }

  @Test
  void layerScopeMaskWithAnExcludedClassifierEqualsNumpyBruteForce() throws Exception {
    Path mask = dir.resolve("layer.npz");
    CliRun run = CliRun.of("mask", "--weights", weights.toString(), "--sparsity", "0.65",
        "--scope", "layer", "--exclude", "fc2\\..*", "--out", mask.toString());
    assertThat(run.err()).isEmpty();
    assertThat(run.exit()).isZero();

    List<Row> rows = check(mask, "layer", "0.65", "fc2\\..*");
    assertThat(rows).extracting(Row::name).containsExactly("conv1.weight", "conv2.weight",
        "conv1d.weight", "fc1.weight");
    long[] sizes = {2400, 18432, 640, 1_980_000};
    for (int i = 0; i < sizes.length; i++) {
      assertThat(rows.get(i).gotKept()).as(rows.get(i).name())
          .isEqualTo(sizes[i] - (long) Math.rint(0.65 * sizes[i]));
    }
  }

  /** Runs the numpy check and asserts every layer matches exactly; returns the rows. */
  private static List<Row> check(Path mask, String scope, String sparsity, String exclude)
      throws Exception {
    Python.Result r = Python.run("-c", CHECK, weights.toString(), mask.toString(), scope, sparsity,
        exclude);
    assertThat(r.exit()).as(r.output()).isZero();
    List<Row> rows = new ArrayList<>();
    for (String line : r.output().strip().split("\n")) {
      String[] f = line.split(" ");
      assertThat(f).as("numpy says: %s", r.output()).hasSize(6);
      rows.add(new Row(f[0], f[1], f[2], Long.parseLong(f[3]), Long.parseLong(f[4]),
          Long.parseLong(f[5])));
    }
    for (Row row : rows) {
      assertThat(row.dtype()).as(row.name()).isEqualTo("bool");
      assertThat(row.mismatches()).as("mismatching bits in %s; numpy says:%n%s", row.name(),
          r.output()).isZero();
      assertThat(row.gotKept()).as(row.name()).isEqualTo(row.expectedKept());
    }
    return rows;
  }

  private record Row(String name, String dtype, String shape, long expectedKept, long gotKept,
      long mismatches) {}
}
