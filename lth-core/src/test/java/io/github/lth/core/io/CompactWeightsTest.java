package io.github.lth.core.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.github.lth.core.Mask;
import io.github.lth.core.Weights;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.zip.CRC32;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CompactWeightsTest {
  @TempDir Path dir;

  /** Float bits that compare unequal or equal wrongly under ==: signed zeros and NaN payloads. */
  static final float[] SPECIAL = {-0.0f, 0.0f, Float.intBitsToFloat(0x7fc00123),
      Float.intBitsToFloat(0xff800001), Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY,
      Float.MIN_VALUE, -Float.MAX_VALUE};

  /**
   * conv [4,3,3,3] masked; conv.bias [4] not masked; fc [10,13] masked (130 bits: not a whole
   * byte or word); scalar [] masked; empty [0,5] masked; bn.running_var [7] not masked.
   */
  static Weights weights(long seed) {
    Random rng = new Random(seed);
    Weights.Builder b = Weights.builder();
    b.put("conv", new long[] {4, 3, 3, 3}, values(108, rng));
    b.put("conv.bias", new long[] {4}, values(4, rng));
    b.put("fc", new long[] {10, 13}, values(130, rng));
    b.put("scalar", new long[0], new float[] {-0.0f});
    b.put("empty", new long[] {0, 5}, new float[0]);
    b.put("bn.running_var", new long[] {7}, values(7, rng));
    return b.build();
  }

  private static float[] values(int n, Random rng) {
    float[] v = new float[n];
    for (int i = 0; i < n; i++) {
      v[i] = i % 5 == 0 ? SPECIAL[rng.nextInt(SPECIAL.length)] : (float) rng.nextGaussian();
    }
    return v;
  }

  static Mask mask(Weights w, long seed) {
    Random rng = new Random(seed);
    Mask.Builder b = Mask.builder();
    for (String layer : List.of("conv", "fc", "scalar", "empty")) {
      boolean[] kept = new boolean[w.values(layer).length];
      for (int i = 0; i < kept.length; i++) {
        kept[i] = rng.nextInt(3) == 0;
      }
      b.put(layer, w.shape(layer), kept);
    }
    return b.build();
  }

  /** Equality of names, shapes and raw float bits (Weights.equals folds NaN payloads). */
  static void assertSameBits(Weights actual, Weights expected) {
    assertThat(actual.names()).isEqualTo(expected.names());
    for (String n : expected.names()) {
      assertThat(actual.shape(n)).as(n).isEqualTo(expected.shape(n));
      assertThat(rawBits(actual.values(n))).as(n).isEqualTo(rawBits(expected.values(n)));
    }
  }

  static int[] rawBits(float[] v) {
    int[] out = new int[v.length];
    for (int i = 0; i < v.length; i++) {
      out[i] = Float.floatToRawIntBits(v[i]);
    }
    return out;
  }

  @Test
  void readRestoresTheMaskedWeightsBitForBitAndTheMask() throws IOException {
    Weights w = weights(1);
    Mask m = mask(w, 2);
    Path f = dir.resolve("model.lthc");
    CompactWeights.write(w, m, f);

    CompactWeights.Contents c = CompactWeights.read(f);

    assertSameBits(c.weights(), w.masked(m));
    assertThat(c.mask()).isEqualTo(m);
    // pruned entries are +0.0 whatever they held (-0.0, NaN); unmasked tensors are untouched
    float[] conv = c.weights().values("conv");
    float[] original = w.values("conv");
    for (int i = 0; i < conv.length; i++) {
      int expected = m.isKept("conv", i) ? Float.floatToRawIntBits(original[i]) : 0;
      assertThat(Float.floatToRawIntBits(conv[i])).as("conv[%s]", i).isEqualTo(expected);
    }
    assertThat(rawBits(c.weights().values("bn.running_var")))
        .isEqualTo(rawBits(w.values("bn.running_var")));
  }

  @Test
  void aMaskInAnotherOrderComesBackInTheWeightsOrder() throws IOException {
    Weights w = weights(3);
    Mask m = mask(w, 4);
    Mask.Builder reversed = Mask.builder();
    List<String> layers = new java.util.ArrayList<>(m.layers());
    java.util.Collections.reverse(layers);
    for (String l : layers) {
      reversed.putWords(l, m.shape(l), m.words(l));
    }
    Path f = dir.resolve("model.lthc");
    CompactWeights.write(w, reversed.build(), f);

    CompactWeights.Contents c = CompactWeights.read(f);

    assertThat(c.mask()).isEqualTo(m);
    assertSameBits(c.weights(), w.masked(m));
  }

  /** The record sizes the class Javadoc gives, computed here from that layout alone. */
  static long expectedBytes(Weights w, Mask m) {
    long total = 4 + 4 + 4;
    for (String n : w.names()) {
      long size = w.values(n).length;
      long head = 2 + n.getBytes(StandardCharsets.UTF_8).length + 1 + 1 + 8L * w.shape(n).length;
      if (m.contains(n)) {
        total += head + 8 + (size + 7) / 8 + 4 * m.kept(n) + 4;
      } else {
        total += head + 4 * size + 4;
      }
    }
    return total;
  }

  @Test
  void fileSizeIsExactlyTheLayoutsForSeveralSparsities() throws IOException {
    Weights w = Weights.builder()
        .put("features.0.weight", new long[] {16, 3, 3, 3}, values(432, new Random(5)))
        .put("classifier.weight", new long[] {10, 101}, values(1010, new Random(6)))
        .put("classifier.bias", new long[] {10}, values(10, new Random(7)))
        .build();
    Mask dense = Mask.dense(w.select(List.of("features.0.weight", "classifier.weight"))
        .shapes());
    for (double s : new double[] {0, 0.2, 0.5, 0.8, 0.9, 0.99, 1}) {
      Mask m = exactSparsity(dense, s, 11);
      Path f = dir.resolve("s" + s + ".lthc");
      CompactWeights.write(w, m, f);
      long expected = expectedBytes(w, m);
      assertThat(Files.size(f)).as("sparsity %s", s).isEqualTo(expected);
      assertThat(CompactWeights.size(w, m)).as("sparsity %s", s).isEqualTo(expected);
    }
    // the same arithmetic spelled out once, for s = 0.5
    Mask half = exactSparsity(dense, 0.5, 11);
    long features = 2 + 17 + 1 + 1 + 4 * 8 + 8 + 54 + 4 * 216 + 4;
    long classifier = 2 + 17 + 1 + 1 + 2 * 8 + 8 + 127 + 4 * 505 + 4;
    long bias = 2 + 15 + 1 + 1 + 8 + 4 * 10 + 4;
    assertThat(CompactWeights.size(w, half)).isEqualTo(12 + features + classifier + bias);
  }

  /** Keeps exactly round((1 - s) * size) weights of every layer, chosen at random. */
  static Mask exactSparsity(Mask dense, double sparsity, long seed) {
    Random rng = new Random(seed);
    Mask.Builder b = Mask.builder();
    for (String l : dense.layers()) {
      int n = (int) dense.size(l);
      int keep = (int) Math.round((1 - sparsity) * n);
      int[] order = new int[n];
      for (int i = 0; i < n; i++) {
        order[i] = i;
      }
      boolean[] kept = new boolean[n];
      for (int i = 0; i < keep; i++) {
        int j = i + rng.nextInt(n - i);
        int t = order[i];
        order[i] = order[j];
        order[j] = t;
        kept[order[i]] = true;
      }
      b.put(l, dense.shape(l), kept);
    }
    return b.build();
  }

  @Test
  void aLargeLayerTakesOneBitPlusThirtyTwoPerKeptWeight() throws IOException {
    int n = 1000 * 1000;
    float[] v = new float[n];
    Random rng = new Random(8);
    for (int i = 0; i < n; i++) {
      v[i] = (float) rng.nextGaussian();
    }
    Weights w = Weights.builder().put("fc1.weight", new long[] {1000, 1000}, v).build();
    Mask dense = Mask.dense(w.shapes());
    for (double s : new double[] {0.5, 0.9, 0.99}) {
      Mask m = exactSparsity(dense, s, 9);
      Path f = dir.resolve("big.lthc");
      CompactWeights.write(w, m, f);
      double bits = 8.0 * Files.size(f) / n;
      double ideal = (1 - s) * 32 + 1;
      // the only overhead: file header and the record's name, shape, kept count and CRC
      double overhead = 8.0 * (12 + 2 + 10 + 2 + 16 + 8 + 4) / n;
      assertThat(bits).as("sparsity %s", s).isCloseTo(ideal + overhead, within(1e-9));
      assertThat(bits - ideal).isLessThan(0.001);
      if (s == 0.9) {
        ExportSizes sizes = ExportSizes.of(w, m);
        assertThat(sizes.compactBytes()).isEqualTo(Files.size(f));
        assertThat(sizes.compactBitsPerMaskedWeight()).isCloseTo(bits - 8.0 * 12 / n,
            within(1e-9));
        assertThat(sizes.idealBitsPerMaskedWeight()).isCloseTo(ideal, within(1e-12));
        assertThat(CompactWeights.read(f).weights()).isEqualTo(w.masked(m));
      }
    }
  }

  @Test
  void exportSizesMeasureTheNpzAndItsGzipAsWritten() throws IOException {
    Weights w = weights(12);
    Mask m = mask(w, 13);
    Path npz = dir.resolve("dense.npz");
    WeightsIO.write(w.masked(m), npz);
    byte[] bytes = Files.readAllBytes(npz);
    java.io.ByteArrayOutputStream gz = new java.io.ByteArrayOutputStream();
    try (java.util.zip.GZIPOutputStream g = new java.util.zip.GZIPOutputStream(gz)) {
      g.write(bytes);
    }

    ExportSizes s = ExportSizes.of(w, m);

    assertThat(s.denseBytes()).isEqualTo(bytes.length);
    assertThat(s.gzipBytes()).isEqualTo(gz.size());
    assertThat(s.compactBytes()).isEqualTo(expectedBytes(w, m));
    assertThat(s.maskedWeights()).isEqualTo(108 + 130 + 1);
    assertThat(s.keptWeights()).isEqualTo(m.kept());
    assertThat(s.sparsity()).isEqualTo(m.sparsity());
    long maskedRecords = expectedBytes(w.select(m.layers()), m) - 12;
    assertThat(s.compactBitsPerMaskedWeight()).isEqualTo(8.0 * maskedRecords / 239);
  }

  @Test
  void maskLayersMustBeWeightsOfTheSameShape() {
    Weights w = weights(1);
    Mask stranger = Mask.dense(java.util.Map.of("nope", new long[] {3}));
    Path f = dir.resolve("x.lthc");
    assertThatThrownBy(() -> CompactWeights.write(w, stranger, f))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("mask layer 'nope' is not among the weights");
    Mask wrongShape = Mask.dense(java.util.Map.of("fc", new long[] {13, 10}));
    assertThatThrownBy(() -> CompactWeights.write(w, wrongShape, f))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("layer fc: the mask has shape (13, 10), the weights (10, 13)");
    assertThat(f).doesNotExist();
  }

  @Test
  void aFailedWriteLeavesTheOldFileAndNoTemporaryFile() throws IOException {
    Path f = dir.resolve("model.lthc");
    Files.writeString(f, "old");
    Mask wrongShape = Mask.dense(java.util.Map.of("fc", new long[] {13, 10}));
    assertThatThrownBy(() -> CompactWeights.write(weights(1), wrongShape, f))
        .isInstanceOf(IllegalArgumentException.class);
    assertThat(Files.readString(f)).isEqualTo("old");
    Path missing = dir.resolve("no/such/model.lthc");
    assertError(() -> CompactWeights.write(weights(1), mask(weights(1), 2), missing),
        "cannot write " + missing + ": directory " + missing.getParent() + " does not exist");
    try (var files = Files.list(dir)) {
      assertThat(files.map(p -> p.getFileName().toString())).containsExactly("model.lthc");
    }
  }

  @Test
  void theNumpyReaderDecodesWhatJavaWritesAndRefusesACorruptFile() throws Exception {
    Assumptions.assumeTrue(Python.run("-c", "import numpy").exitCode() == 0,
        "python3 with numpy not found");
    Weights w = weights(21);
    Mask m = mask(w, 22);
    Path f = dir.resolve("model.lthc");
    CompactWeights.write(w, m, f);
    Path weightsOut = dir.resolve("py-weights.npz");
    Path maskOut = dir.resolve("py-mask.npz");

    Python.Result r = Python.run(Python.script("lthc.py").toString(), f.toString(),
        weightsOut.toString(), maskOut.toString());

    assertThat(r.exitCode()).as(r.output()).isZero();
    assertSameBits(WeightsIO.read(weightsOut), w.masked(m));
    assertThat(MaskIO.read(maskOut)).isEqualTo(m);

    byte[] bad = Files.readAllBytes(f);
    bad[bad.length - 9] ^= 1;
    Path corrupt = withBytes("corrupt.lthc", bad);
    Python.Result refused = Python.run(Python.script("lthc.py").toString(), corrupt.toString(),
        dir.resolve("never.npz").toString());
    assertThat(refused.exitCode()).as(refused.output()).isEqualTo(1);
    assertThat(refused.output()).contains("tensor 'bn.running_var' is corrupt (CRC-32 mismatch)");
    assertThat(dir.resolve("never.npz")).doesNotExist();
  }

  private static void assertError(ThrowingCallable call, String message) {
    assertThatThrownBy(call).isInstanceOf(IOException.class).hasMessage(message);
  }

  private Path written() throws IOException {
    Path f = dir.resolve("good.lthc");
    Weights w = weights(1);
    CompactWeights.write(w, mask(w, 2), f);
    return f;
  }

  private Path withBytes(String name, byte[] bytes) throws IOException {
    Path f = dir.resolve(name);
    Files.write(f, bytes);
    return f;
  }

  @Test
  void missingDirectoryAndForeignFiles() throws IOException {
    Path missing = dir.resolve("nope.lthc");
    assertError(() -> CompactWeights.read(missing), "cannot read " + missing + ": no such file");
    assertError(() -> CompactWeights.read(dir), "cannot read " + dir + ": it is a directory");
    Path shortFile = withBytes("short.lthc", new byte[] {'L', 'T', 'H', 'C', 1});
    assertError(() -> CompactWeights.read(shortFile),
        "cannot read " + shortFile + ": not an .lthc file (shorter than its 12-byte header)");
    Path npz = dir.resolve("w.npz");
    WeightsIO.write(weights(1), npz);
    Path renamed = withBytes("w.lthc", Files.readAllBytes(npz));
    assertError(() -> CompactWeights.read(renamed),
        "cannot read " + renamed + ": not an .lthc file (it does not start with \"LTHC\")");
    byte[] v2 = Files.readAllBytes(written());
    v2[4] = 2;
    Path newer = withBytes("v2.lthc", v2);
    assertError(() -> CompactWeights.read(newer), "cannot read " + newer
        + ": written in .lthc version 2; this version of lth4j reads version 1");
  }

  @Test
  void everyTruncationIsAnIoExceptionNamingTheFile() throws IOException {
    byte[] good = Files.readAllBytes(written());
    for (int length = 0; length < good.length; length++) {
      Path f = withBytes("cut.lthc", Arrays.copyOf(good, length));
      assertThatThrownBy(() -> CompactWeights.read(f)).as("cut at %s", length)
          .isInstanceOf(IOException.class).hasMessageStartingWith("cannot read " + f + ": ");
    }
    // cut inside fc's values: conv and conv.bias come first
    Path f = withBytes("cut.lthc", Arrays.copyOf(good, good.length - 40));
    assertThatThrownBy(() -> CompactWeights.read(f)).hasMessageMatching(
        "cannot read .*: tensor '(fc|bn\\.running_var|empty|scalar)' is truncated.*");
    // whole records missing
    int last = good.length - (2 + 14 + 2 + 8 + 28 + 4);
    Path g = withBytes("cut.lthc", Arrays.copyOf(good, last));
    assertError(() -> CompactWeights.read(g), "cannot read " + g
        + ": truncated: the header announces 6 tensors, the file ends after 5");
  }

  @Test
  void everyFlippedByteIsAnIoExceptionNamingTheFile() throws IOException {
    byte[] good = Files.readAllBytes(written());
    for (int i = 0; i < good.length; i++) {
      byte[] bad = good.clone();
      bad[i] ^= 0x10;
      Path f = withBytes("flip.lthc", bad);
      assertThatThrownBy(() -> CompactWeights.read(f)).as("byte %s", i)
          .isInstanceOf(IOException.class).hasMessageStartingWith("cannot read " + f + ": ");
    }
  }

  @Test
  void aCorruptValueIsCaughtByTheCrcOfItsTensor() throws IOException {
    Weights w = Weights.builder().put("a", new long[] {2}, new float[] {1, 2})
        .put("b", new long[] {3}, new float[] {3, 4, 5}).build();
    Path f = dir.resolve("m.lthc");
    CompactWeights.write(w, Mask.dense(java.util.Map.of("a", new long[] {2})), f);
    byte[] bytes = Files.readAllBytes(f);
    bytes[bytes.length - 8] ^= 1; // inside b's last value
    Path bad = withBytes("bad.lthc", bytes);
    assertError(() -> CompactWeights.read(bad),
        "cannot read " + bad + ": tensor 'b' is corrupt (its CRC-32 does not match its bytes)");
  }

  @Test
  void trailingBytesAreRefused() throws IOException {
    byte[] good = Files.readAllBytes(written());
    Path f = withBytes("long.lthc", Arrays.copyOf(good, good.length + 3));
    assertError(() -> CompactWeights.read(f),
        "cannot read " + f + ": corrupt .lthc file: 3 bytes after the last of its 6 tensors");
  }

  /** Builds a file record by record with correct CRCs, to reach the checks behind the CRC. */
  private static final class Forger {
    private final ByteBuffer out = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);

    Forger(int count) {
      out.put(new byte[] {'L', 'T', 'H', 'C'}).putInt(1).putInt(count);
    }

    Forger record(String name, int kind, long[] shape, long kept, byte[] bits, float[] values) {
      int start = out.position();
      byte[] n = name.getBytes(StandardCharsets.UTF_8);
      out.putShort((short) n.length).put(n).put((byte) kind).put((byte) shape.length);
      for (long d : shape) {
        out.putLong(d);
      }
      if (kind == 1) {
        out.putLong(kept).put(bits);
      }
      for (float v : values) {
        out.putFloat(v);
      }
      CRC32 crc = new CRC32();
      crc.update(out.array(), start, out.position() - start);
      out.putInt((int) crc.getValue());
      return this;
    }

    byte[] bytes() {
      return Arrays.copyOf(out.array(), out.position());
    }
  }

  @Test
  void contentBehindAValidCrcIsStillChecked() throws IOException {
    Path twice = withBytes("twice.lthc", new Forger(2)
        .record("w", 0, new long[] {1}, 0, null, new float[] {1})
        .record("w", 0, new long[] {1}, 0, null, new float[] {2}).bytes());
    assertError(() -> CompactWeights.read(twice),
        "cannot read " + twice + ": tensor 'w' appears twice");

    Path kind = withBytes("kind.lthc", new Forger(1)
        .record("w", 7, new long[] {1}, 0, null, new float[] {1}).bytes());
    assertError(() -> CompactWeights.read(kind),
        "cannot read " + kind + ": tensor 'w' has unknown kind 7 (0 dense, 1 masked)");

    Path miscount = withBytes("miscount.lthc", new Forger(1)
        .record("m", 1, new long[] {3}, 2, new byte[] {0b001}, new float[] {1, 2}).bytes());
    assertError(() -> CompactWeights.read(miscount), "cannot read " + miscount
        + ": tensor 'm' is corrupt: its mask bits do not match its kept count 2");

    Path padding = withBytes("padding.lthc", new Forger(1)
        .record("m", 1, new long[] {3}, 2, new byte[] {0b1001}, new float[] {1, 2}).bytes());
    assertError(() -> CompactWeights.read(padding), "cannot read " + padding
        + ": tensor 'm' is corrupt: its mask bits do not match its kept count 2");

    Path tooMany = withBytes("toomany.lthc", new Forger(1)
        .record("m", 1, new long[] {3}, 4, new byte[] {0b111}, new float[] {1, 2, 3}).bytes());
    assertError(() -> CompactWeights.read(tooMany),
        "cannot read " + tooMany + ": tensor 'm' is corrupt: it keeps 4 of 3 weights");

    Path empty = withBytes("noname.lthc", new Forger(1)
        .record("", 0, new long[] {1}, 0, null, new float[] {1}).bytes());
    assertError(() -> CompactWeights.read(empty),
        "cannot read " + empty + ": tensor #1 has an empty name");
  }

  @Test
  void hugeSizesInTheFileAllocateNothing() throws IOException {
    // a shape of 2^31 - 9 weights (the largest a Java array holds) in a file of a few bytes
    Path promised = withBytes("promise.lthc", new Forger(1)
        .record("w", 0, new long[] {Integer.MAX_VALUE - 8}, 0, null, new float[0]).bytes());
    assertError(() -> CompactWeights.read(promised), "cannot read " + promised
        + ": tensor 'w' is truncated: it needs " + (4L * (Integer.MAX_VALUE - 8) + 4)
        + " more bytes, the file holds 4");
    Path masked = withBytes("promise-masked.lthc", new Forger(1)
        .record("w", 1, new long[] {1 << 30}, 1 << 30, new byte[0], new float[0]).bytes());
    assertError(() -> CompactWeights.read(masked), "cannot read " + masked
        + ": tensor 'w' is truncated: it needs 4429185028 more bytes, the file holds 4");
    Path overflow = withBytes("overflow.lthc", new Forger(1)
        .record("w", 0, new long[] {1L << 20, 1L << 20, 3}, 0, null, new float[0]).bytes());
    assertError(() -> CompactWeights.read(overflow), "cannot read " + overflow
        + ": tensor 'w' is corrupt: its shape [1048576, 1048576, ...] is too large");
    Path negative = withBytes("negative.lthc", new Forger(1)
        .record("w", 0, new long[] {-1, 2}, 0, null, new float[0]).bytes());
    assertError(() -> CompactWeights.read(negative), "cannot read " + negative
        + ": tensor 'w' is corrupt: its shape [18446744073709551615, ...] is too large");
  }
}
