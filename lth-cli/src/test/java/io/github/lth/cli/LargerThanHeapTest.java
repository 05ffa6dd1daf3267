package io.github.lth.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.lth.core.Mask;
import io.github.lth.core.Pruner;
import io.github.lth.core.Subnetwork;
import io.github.lth.core.Weights;
import io.github.lth.core.io.MaskIO;
import io.github.lth.core.io.WeightsIO;
import io.github.lth.core.prune.PruningCriteria;
import io.github.lth.core.prune.PruningScope;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code lth mask} on weights larger than the heap, in a real JVM: the target is a 2 GB
 * bfloat16 safetensors file at {@code -Xmx256m} (8:1); here a 256 MB one at {@code -Xmx32m},
 * the same 8:1 ratio, checked exactly against an independent count of its bfloat16 bit
 * patterns. Smaller float16/float32 {@code .npy} and bfloat16 files, the float32 one larger than
 * the heap, give byte for byte the mask the in-heap library path ({@link Pruner#pruneTo} +
 * {@link MaskIO#write}) gives.
 */
class LargerThanHeapTest {
  private static final String HEAP = "-Xmx32m";

  @TempDir
  Path dir;

  @Test
  void a256MbBfloat16FileIsPrunedExactlyIn32MbOfHeap() throws Exception {
    Path file = dir.resolve("big.safetensors");
    long[][] shapes = {{4096, 8192}, {8192, 4096}, {8192, 8192}, {8192}};
    String[] names = {"l0.weight", "l1.weight", "l2.weight", "l2.bias"};
    writeBf16(file, names, shapes, 7);
    assertThat(Files.size(file)).isGreaterThan(256L << 20);

    Result r = lth(HEAP, "mask", "--weights", file.toString(), "--sparsity", "0.8", "--out",
        dir.resolve("m.npz").toString());
    assertThat(r.exit()).as(r.err()).isZero();

    // independent: a count per 15-bit magnitude key of the three rank-2 tensors
    long total = 0;
    long[] histogram = new long[1 << 15];
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      long start = dataStart(ch);
      long offset = 0;
      for (int l = 0; l < 4; l++) {
        long n = Arrays.stream(shapes[l]).reduce(1, (a, b) -> a * b);
        if (l < 3) {
          MappedByteBuffer m = ch.map(FileChannel.MapMode.READ_ONLY, start + offset, 2 * n);
          m.order(ByteOrder.LITTLE_ENDIAN);
          for (long i = 0; i < n; i++) {
            histogram[m.getShort() & 0x7fff]++;
          }
          total += n;
        }
        offset += 2 * n;
      }
      long prune = Math.round(0.8 * total);
      int t = 0;
      long below = 0;
      while (below + histogram[t] < prune) {
        below += histogram[t++];
      }
      long ties = prune - below;
      Mask mask = MaskIO.read(dir.resolve("m.npz"));
      assertThat(mask.layers()).containsExactly("l0.weight", "l1.weight", "l2.weight");
      assertThat(mask.pruned()).isEqualTo(prune);
      offset = 0;
      for (int l = 0; l < 3; l++) {
        long n = Arrays.stream(shapes[l]).reduce(1, (a, b) -> a * b);
        MappedByteBuffer m = ch.map(FileChannel.MapMode.READ_ONLY, start + offset, 2 * n);
        m.order(ByteOrder.LITTLE_ENDIAN);
        long[] words = mask.words(names[l]);
        long expectedKept = 0;
        for (long i = 0; i < n; i++) {
          int key = m.getShort() & 0x7fff;
          boolean kept = key > t || (key == t && ties-- <= 0);
          boolean actual = (words[(int) (i >>> 6)] >>> i & 1) != 0;
          if (kept != actual) {
            throw new AssertionError(names[l] + " flat index " + i + ": kept " + actual);
          }
          expectedKept += kept ? 1 : 0;
        }
        assertThat(mask.kept(names[l])).isEqualTo(expectedKept);
        assertThat(r.out()).contains(names[l]);
        offset += 2 * n;
      }
    }
    assertThat(r.out()).contains("overall: " + Table.count(Math.round(0.8 * total)) + " of "
        + Table.count(total) + " pruned (80.00%)", "not pruned: l2.bias");
  }

  @Test
  void smallerFilesGiveTheInHeapMaskByteForByte() throws Exception {
    SplittableRandom random = new SplittableRandom(3);
    // float16 .npy, ties galore (few distinct magnitudes), layer scope with another sparsity
    Path f16 = dir.resolve("h.weight.npy");
    writeNpy(f16, "<f2", new long[] {300, 500}, 2, i -> (long) (random.nextInt(64) * 0x0101
        ^ (random.nextBoolean() ? 0x8000 : 0)) & 0xffff);
    checkSame(f16, "0.37", "layer");
    // float32 .npy of 64 MB, larger than the heap: sampled bracket
    Path f32 = dir.resolve("w.npy");
    writeNpy(f32, "<f4", new long[] {4096, 4096}, 4, i -> Float.floatToRawIntBits(
        (float) (random.nextGaussian() * (random.nextInt(10) == 0 ? 0 : 0.05))) & 0xffffffffL);
    checkSame(f32, "0.8", "global");
    // bfloat16 safetensors with a rank-1 tensor that stays dense
    Path bf = dir.resolve("s.safetensors");
    writeBf16(bf, new String[] {"a.weight", "a.bias", "b.weight"},
        new long[][] {{300, 200}, {300}, {100, 100}}, 11);
    checkSame(bf, "0.5", "global");
  }

  /** Runs {@code lth mask} streamed in a small heap and compares with the library in the heap. */
  private void checkSame(Path weightsFile, String sparsity, String scope) throws Exception {
    Path out = dir.resolve(weightsFile.getFileName() + ".mask.npz");
    Result r = lth(HEAP, "mask", "--weights", weightsFile.toString(), "--sparsity", sparsity,
        "--scope", scope, "--out", out.toString());
    assertThat(r.exit()).as(r.err()).isZero();
    Weights w = WeightsIO.read(weightsFile);
    Mask.Builder b = Mask.builder();
    for (String name : w.names()) {
      if (w.shape(name).length >= 2) {
        boolean[] all = new boolean[w.values(name).length];
        Arrays.fill(all, true);
        b.put(name, w.shape(name), all);
      }
    }
    Mask start = b.build();
    Mask expected = Pruner.pruneTo(start,
        PruningCriteria.magnitude().score(Subnetwork.of(start, w)),
        scope.equals("layer") ? PruningScope.LAYER : PruningScope.GLOBAL,
        Double.parseDouble(sparsity));
    Path reference = dir.resolve(weightsFile.getFileName() + ".expected.npz");
    MaskIO.write(expected, reference);
    assertThat(Files.readAllBytes(out)).as(weightsFile.toString())
        .isEqualTo(Files.readAllBytes(reference));
  }

  private record Result(int exit, String out, String err) {}

  private Result lth(String heap, String... args) throws Exception {
    List<String> command = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(), heap,
        "-Dai.djl.offline=true", "-cp", classPath(), Lth.class.getName()));
    command.addAll(List.of(args));
    Path out = dir.resolve("stdout.txt");
    Path err = dir.resolve("stderr.txt");
    ProcessBuilder pb = new ProcessBuilder(command).redirectOutput(out.toFile())
        .redirectError(err.toFile());
    pb.environment().remove("JAVA_TOOL_OPTIONS");
    pb.environment().remove("JDK_JAVA_OPTIONS");
    pb.environment().remove("_JAVA_OPTIONS");
    Process p = pb.start();
    if (!p.waitFor(120, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError("lth did not finish in 120 s");
    }
    return new Result(p.exitValue(), Files.readString(out), Files.readString(err));
  }

  private static String classPath() {
    String surefire = System.getProperty("surefire.test.class.path");
    return surefire != null && !surefire.isBlank() ? surefire
        : System.getProperty("java.class.path");
  }

  private static long dataStart(FileChannel ch) throws IOException {
    ByteBuffer b = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
    ch.read(b, 0);
    return 8 + b.flip().getLong();
  }

  /**
   * A bfloat16 safetensors file written in chunks (never whole in the heap): Gaussian weights'
   * upper halves, so magnitudes tie often.
   */
  private static void writeBf16(Path file, String[] names, long[][] shapes, long seed)
      throws IOException {
    StringBuilder json = new StringBuilder("{");
    long offset = 0;
    for (int l = 0; l < names.length; l++) {
      long n = Arrays.stream(shapes[l]).reduce(1, (a, b) -> a * b);
      json.append(l > 0 ? "," : "").append('"').append(names[l]).append("\":{\"dtype\":\"BF16\","
          + "\"shape\":").append(Arrays.toString(shapes[l]).replace(" ", ""))
          .append(",\"data_offsets\":[").append(offset).append(',').append(offset + 2 * n)
          .append("]}");
      offset += 2 * n;
    }
    byte[] header = json.append('}').toString().getBytes(StandardCharsets.UTF_8);
    SplittableRandom random = new SplittableRandom(seed);
    try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(file), 1 << 16)) {
      out.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(header.length)
          .array());
      out.write(header);
      ByteBuffer chunk = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);
      for (long left = offset / 2; left > 0; ) {
        chunk.clear();
        int k = (int) Math.min(chunk.capacity() / 2, left);
        for (int i = 0; i < k; i++) {
          float v = (float) (random.nextGaussian() * 0.02);
          chunk.putShort((short) (Float.floatToRawIntBits(v) >>> 16));
        }
        out.write(chunk.array(), 0, 2 * k);
        left -= k;
      }
    }
  }

  /** A C-order .npy of {@code descr}, element {@code i}'s bits from {@code bits}. */
  private static void writeNpy(Path file, String descr, long[] shape, int item,
      java.util.function.LongUnaryOperator bits) throws IOException {
    String dict = "{'descr': '" + descr + "', 'fortran_order': False, 'shape': (" + shape[0]
        + ", " + shape[1] + "), }";
    int total = (10 + dict.length() + 1 + 63) / 64 * 64;
    String padded = dict + " ".repeat(total - 10 - dict.length() - 1) + "\n";
    try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(file), 1 << 16)) {
      ByteBuffer pre = ByteBuffer.allocate(10).order(ByteOrder.LITTLE_ENDIAN);
      pre.put((byte) 0x93).put("NUMPY".getBytes(StandardCharsets.US_ASCII)).put((byte) 1)
          .put((byte) 0).putShort((short) padded.length());
      out.write(pre.array());
      out.write(padded.getBytes(StandardCharsets.US_ASCII));
      long n = shape[0] * shape[1];
      ByteBuffer b = ByteBuffer.allocate(item).order(ByteOrder.LITTLE_ENDIAN);
      for (long i = 0; i < n; i++) {
        b.clear();
        long v = bits.applyAsLong(i);
        if (item == 2) {
          b.putShort((short) v);
        } else {
          b.putInt((int) v);
        }
        out.write(b.array());
      }
    }
  }
}
