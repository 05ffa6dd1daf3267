package io.github.lth.core.scale;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.lth.core.Mask;
import io.github.lth.core.Pruner;
import io.github.lth.core.Shapes;
import io.github.lth.core.Subnetwork;
import io.github.lth.core.Weights;
import io.github.lth.core.io.MaskIO;
import io.github.lth.core.io.TensorFile;
import io.github.lth.core.io.WeightsIO;
import io.github.lth.core.prune.PruningCriteria;
import io.github.lth.core.prune.PruningScope;
import java.io.IOException;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The streamed mask is byte for byte the file {@code MaskIO.write(Pruner.pruneTo(...))} writes
 * for the same weights read into the heap, over random cases built to tie (few distinct
 * magnitudes, ±0, subnormals), every dtype and container, both scopes, previous masks, and
 * tunings that force each way pass 1 can end (exact histogram, bracket hit, bracket overflow,
 * refinement pass).
 */
class StreamingPrunerTest {
  @TempDir
  Path dir;

  private static final String[] DTYPES = {"F16", "BF16", "F32", "F64"};

  @Test
  void equalsTheInHeapPrunerByteForByteOnRandomCases() throws IOException {
    SplittableRandom random = new SplittableRandom(20261202);
    int[] passes = new int[4];
    for (int c = 0; c < 200; c++) {
      int layers = 1 + random.nextInt(4);
      List<TestFiles.Raw> tensors = new ArrayList<>();
      boolean mixed = random.nextBoolean();
      String common = DTYPES[random.nextInt(DTYPES.length)];
      for (int l = 0; l < layers; l++) {
        int rows = random.nextInt(4) == 0 ? 1 : 1 + random.nextInt(40);
        int cols = 1 + random.nextInt(60);
        long[] shape = random.nextInt(5) == 0 ? new long[] {rows * cols}
            : new long[] {rows, cols};
        String dtype = mixed ? DTYPES[random.nextInt(DTYPES.length)] : common;
        tensors.add(new TestFiles.Raw("layer" + l + ".w", shape, dtype,
            values(random, dtype, rows * cols)));
      }
      String container = switch (random.nextInt(4)) {
        case 0 -> "npz-stored";
        case 1 -> "npz-deflated";
        default -> "safetensors";
      };
      boolean halves = tensors.stream().anyMatch(t -> t.itemSize() == 2);
      if (container.startsWith("npz") && tensors.stream().anyMatch(
          t -> t.dtype().equals("BF16"))) {
        container = "safetensors"; // numpy has no bfloat16
      }
      Path file = dir.resolve("w" + c + (container.startsWith("npz") ? ".npz" : ".safetensors"));
      if (container.equals("safetensors")) {
        TestFiles.safetensors(file, tensors);
      } else {
        ByteOrder order = random.nextBoolean() ? ByteOrder.LITTLE_ENDIAN : ByteOrder.BIG_ENDIAN;
        TestFiles.npz(file, tensors, order, container.equals("npz-deflated"));
      }
      Weights weights = WeightsIO.read(file);
      List<String> prunable = new ArrayList<>();
      for (String n : weights.names()) {
        if (prunable.isEmpty() || random.nextInt(3) > 0) {
          prunable.add(n);
        }
      }
      PruningScope scope = random.nextBoolean() ? PruningScope.GLOBAL : PruningScope.LAYER;
      Mask previous = random.nextInt(3) == 0 ? randomMask(random, weights, prunable) : null;
      double sparsity = random.nextInt(10) == 0 ? 0 : random.nextDouble() * 0.99;
      if (previous != null) {
        sparsity = Math.max(sparsity, 0.6); // the previous mask prunes at most half
      }
      StreamingPruner.Options options = switch (random.nextInt(4)) {
        case 0 -> StreamingPruner.Options.defaults();
        case 1 -> new StreamingPruner.Options(64, 16, c); // tiny buffer: overflow, refinement
        case 2 -> new StreamingPruner.Options(4096, 200, c); // sampled bracket
        default -> new StreamingPruner.Options(256, 1000, c);
      };
      long window = random.nextBoolean() ? TensorFile.MAX_WINDOW : 8 * (1 + random.nextInt(40));

      Path expected = dir.resolve("expected" + c + ".npz");
      Mask current = starting(weights, previous, prunable);
      Mask reference = Pruner.pruneTo(current,
          PruningCriteria.magnitude().score(Subnetwork.of(current, weights)), scope, sparsity);
      MaskIO.write(reference, expected);

      Path actual = dir.resolve("actual" + c + ".npz");
      StreamingPruner.Result r;
      try (TensorFile f = TensorFile.open(file, window)) {
        r = StreamingPruner.pruneTo(f, prunable, previous, scope, sparsity, actual, options,
            StreamingPruner.Progress.NONE);
      }
      String what = "case " + c + " " + container + " " + tensors.stream().map(t -> t.dtype()
          + Shapes.format(t.shape())).toList() + " " + scope + " s=" + sparsity + " prev="
          + (previous != null) + " " + options;
      assertThat(Files.readAllBytes(actual)).as(what).isEqualTo(Files.readAllBytes(expected));
      assertThat(r.kept()).as(what).isEqualTo(reference.kept());
      for (StreamingPruner.LayerCount l : r.layers()) {
        assertThat(l.kept()).as(what + " " + l.name()).isEqualTo(reference.kept(l.name()));
      }
      passes[r.passes()]++;
      if (halves && tensors.stream().allMatch(t -> t.itemSize() == 2)) {
        assertThat(r.passes()).as(what + ": 16-bit weights take two passes").isEqualTo(2);
      }
    }
    // every way to end pass 1 came up: two passes (histogram or bracket), three (refinement)
    assertThat(passes[2]).isGreaterThan(50);
    assertThat(passes[3]).isGreaterThan(10);
  }

  @Test
  void aNonFiniteWeightAnywhereNamesItsLayerAndFlatIndexAndWritesNothing() throws IOException {
    long[] bits = new long[100];
    Arrays.fill(bits, 0x3f80); // bf16 1.0
    bits[57] = 0x7fc0; // NaN
    Path file = dir.resolve("nan.safetensors");
    TestFiles.safetensors(file, List.of(
        new TestFiles.Raw("a", new long[] {10, 10}, "BF16", new long[100]),
        new TestFiles.Raw("bias", new long[] {100}, "BF16", bits)));
    Path out = dir.resolve("m.npz");
    try (TensorFile f = TensorFile.open(file)) {
      assertThatThrownBy(() -> StreamingPruner.pruneTo(f, List.of("a"), null,
          PruningScope.GLOBAL, 0.5, out))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessage("layer bias holds a non-finite value (NaN at flat index 57)");
    }
    assertThat(out).doesNotExist();
    assertThat(Files.list(dir).filter(p -> p.getFileName().toString().endsWith(".tmp")))
        .isEmpty();
  }

  private static Mask starting(Weights weights, Mask previous, List<String> prunable) {
    Mask.Builder b = Mask.builder();
    for (String layer : prunable) {
      long[] shape = weights.shape(layer);
      if (previous != null && previous.contains(layer)) {
        b.putWords(layer, shape, previous.words(layer));
      } else {
        boolean[] all = new boolean[(int) Shapes.size(shape)];
        Arrays.fill(all, true);
        b.put(layer, shape, all);
      }
    }
    return b.build();
  }

  /** Prunes up to half of some prunable layers at random. */
  private static Mask randomMask(SplittableRandom random, Weights weights, List<String> layers) {
    Mask.Builder b = Mask.builder();
    for (String layer : layers) {
      if (random.nextBoolean()) {
        continue;
      }
      boolean[] kept = new boolean[(int) Shapes.size(weights.shape(layer))];
      for (int i = 0; i < kept.length; i++) {
        kept[i] = random.nextInt(4) > 0;
      }
      b.put(layer, weights.shape(layer), kept);
    }
    return b.build();
  }

  /** Bit patterns built to tie: a few magnitudes, both zeros, subnormals, both signs. */
  private static long[] values(SplittableRandom random, String dtype, int n) {
    long[] out = new long[n];
    int distinct = random.nextInt(3) == 0 ? 1 + random.nextInt(6) : 0;
    double[] pool = new double[Math.max(distinct, 1)];
    for (int i = 0; i < pool.length; i++) {
      pool[i] = random.nextGaussian();
    }
    for (int i = 0; i < n; i++) {
      double v = switch (random.nextInt(20)) {
        case 0 -> 0.0;
        case 1 -> -0.0;
        case 2 -> Float.MIN_VALUE * (1 + random.nextInt(5));
        default -> distinct > 0 ? pool[random.nextInt(distinct)] : random.nextGaussian()
            * Math.pow(10, random.nextInt(5) - 3);
      };
      if (random.nextBoolean()) {
        v = -v;
      }
      out[i] = switch (dtype) {
        case "F64" -> Double.doubleToRawLongBits(v);
        case "F32" -> Float.floatToRawIntBits((float) v) & 0xffffffffL;
        case "BF16" -> (Float.floatToRawIntBits((float) v) >>> 16) & 0xffff;
        default -> toHalf((float) v);
      };
    }
    return out;
  }

  /** float → float16 bits by truncation (the test only needs some float16 values, ties). */
  private static long toHalf(float f) {
    int bits = Float.floatToRawIntBits(f);
    int sign = (bits >>> 16) & 0x8000;
    float a = Math.abs(f);
    if (a < 0x1p-24f) {
      return sign;
    }
    if (a < 0x1p-14f) {
      return sign | (int) (a / 0x1p-24f); // subnormal
    }
    if (a >= 65504f) {
      return sign | 0x7bff;
    }
    int e = Math.getExponent(a);
    int mant = (Float.floatToRawIntBits(a) >>> 13) & 0x3ff;
    return sign | (e + 15) << 10 | mant;
  }
}
