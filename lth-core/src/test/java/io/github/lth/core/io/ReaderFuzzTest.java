package io.github.lth.core.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.lth.core.Mask;
import io.github.lth.core.Weights;
import io.github.lth.core.testing.ReaderFuzzer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every file reader of lth-core against thousands of damaged variants of small valid files: it
 * reads them or rejects them with a one-line {@link IOException} naming the file, in bounded
 * time and memory (see {@link ReaderFuzzer}). Each reader also gets representative bad files
 * whose exact messages are checked.
 *
 * <p>There is no stand-alone .npy reader: .npy headers and data ({@link NpyHeader},
 * {@link PyLiteral}, {@link ArrayData}) are fuzzed inside .npz files, most directly in the stored
 * ones, where the mutations land on the .npy bytes themselves (the entry CRC is checked only after
 * the array has been parsed).
 */
class ReaderFuzzTest {
  @TempDir Path dir;

  // ---- .npz ----

  @Test
  void npzMaskDeflatedAsMaskIoWritesIt() throws IOException {
    byte[] valid = written("m.npz", f -> MaskIO.write(mask(), f));
    fuzz("npz-mask-deflated", MaskIO::read, valid, "mask.npz");
  }

  @Test
  void npzMaskStoredWithIntegerAndFloatDtypes() throws IOException {
    Map<String, byte[]> arrays = new LinkedHashMap<>();
    arrays.put("bool", npy(Dtype.BOOL, new long[] {2, 3}, new byte[] {1, 0, 1, 1, 0, 0}));
    arrays.put("u1", npy(dtype("|u1"), new long[] {4}, new byte[] {0, 1, 1, 0}));
    arrays.put("i8", npy(dtype("<i8"), new long[] {2}, le(8, 1, 0)));
    arrays.put("i2be", npy(dtype(">i2"), new long[] {3}, new byte[] {0, 1, 0, 0, 0, 1}));
    arrays.put("f4", npy(Dtype.FLOAT32, new long[] {2}, le(4, Float.floatToIntBits(1), 0)));
    arrays.put("scalar", npy(Dtype.BOOL, new long[0], new byte[] {1}));
    arrays.put("empty", npy(Dtype.BOOL, new long[] {0, 4}, new byte[0]));
    byte[] valid = zip(arrays, false);
    fuzz("npz-mask-stored", MaskIO::read, valid, "mask.npz");
  }

  @Test
  void npzWeightsStoredAsWeightsIoWritesIt() throws IOException {
    byte[] valid = written("w.npz", f -> WeightsIO.write(weights(), f));
    fuzz("npz-weights-stored", WeightsIO::read, valid, "weights.npz");
  }

  @Test
  void npzWeightsDeflatedWithFloat64BigEndianAndFortranOrder() throws IOException {
    Map<String, byte[]> arrays = new LinkedHashMap<>();
    arrays.put("f8", npy(dtype("<f8"), new long[] {3},
        le(8, Double.doubleToLongBits(0.5), Double.doubleToLongBits(-2), 0)));
    ByteBuffer be = ByteBuffer.allocate(16).order(ByteOrder.BIG_ENDIAN);
    for (int i = 0; i < 4; i++) {
      be.putFloat(i - 1.5f);
    }
    arrays.put("f4be", npy(dtype(">f4"), new long[] {2, 2}, be.array()));
    byte[] fortran = concat(npyHeader("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3), }"),
        le(4, 1, 2, 3, 4, 5, 6));
    arrays.put("fortran", fortran);
    arrays.put("scalar", npy(Dtype.FLOAT32, new long[0], le(4, Float.floatToIntBits(7))));
    arrays.put("empty", npy(dtype("<f8"), new long[] {3, 0}, new byte[0]));
    byte[] valid = zip(arrays, true);
    fuzz("npz-weights-deflated", WeightsIO::read, valid, "weights.npz");
  }

  @Test
  void npzRepresentativeMessages() throws IOException {
    Path f = dir.resolve("cut.npz");
    byte[] valid = written("w.npz", g -> WeightsIO.write(weights(), g));
    Files.write(f, Arrays.copyOf(valid, valid.length - 30));
    assertThatThrownBy(() -> WeightsIO.read(f)).isInstanceOf(IOException.class)
        .hasMessageStartingWith("cannot read " + f + ": truncated or corrupt zip archive (");
    Files.write(f, zip(Map.of("w", npyHeader("{'descr': '<f4', 'fortran_order': False, 'shape':"
        + " (2,), 'shape': (3,), }")), false));
    assertError(() -> WeightsIO.read(f), "cannot read " + f + ": key 'w' has a bad .npy header:"
        + " header key 'shape' appears twice at character 69");
  }

  /** Found by review: the size in the zip's central directory was trusted for allocation. */
  @Test
  void npzEntrySizeMustFitItsCompressedBytes() throws IOException {
    byte[] npy = npy(Dtype.FLOAT32, new long[] {50_000_000}, new byte[4000]);
    byte[] b = zip(Map.of("w", npy), true);
    int cen = indexOf(b, new byte[] {'P', 'K', 1, 2});
    ByteBuffer.wrap(b, cen + 24, 4).order(ByteOrder.LITTLE_ENDIAN).putInt(0x7fff0000);
    Path f = dir.resolve("w.npz");
    Files.write(f, b);
    assertThatThrownBy(() -> WeightsIO.read(f)).isInstanceOf(IOException.class)
        .hasMessageMatching("cannot read \\Q" + f + "\\E: key 'w' is corrupt: the zip directory"
            + " gives it 2147418112 bytes from [0-9]+ compressed bytes");
  }

  /** Found by review: a header of nested brackets overflowed the parser's stack. */
  @Test
  void npyHeaderNestingIsBounded() throws IOException {
    Path f = dir.resolve("deep.npz");
    String deep = "{'descr': '<f4', 'fortran_order': False, 'shape': " + "(".repeat(100_000) + "}";
    Files.write(f, zip(Map.of("w", npyHeader(deep)), true));
    assertError(() -> WeightsIO.read(f), "cannot read " + f + ": key 'w' has a bad .npy header:"
        + " more than 32 nested brackets at character 81");
  }

  // ---- .safetensors ----

  @Test
  void safetensorsWeightsAsWeightsIoWritesThem() throws IOException {
    byte[] valid = written("w.safetensors", f -> WeightsIO.write(weights(), f));
    fuzz("safetensors-weights", WeightsIO::read, valid, "weights.safetensors");
  }

  @Test
  void safetensorsMaskWithIntegerDtypes() throws IOException {
    String json = "{\"__metadata__\":{\"format\":\"pt\"},"
        + "\"b\":{\"dtype\":\"BOOL\",\"shape\":[2,2],\"data_offsets\":[0,4]},"
        + "\"u8\":{\"dtype\":\"U8\",\"shape\":[3],\"data_offsets\":[4,7]},"
        + "\"i64\":{\"dtype\":\"I64\",\"shape\":[2],\"data_offsets\":[7,23]},"
        + "\"f64\":{\"dtype\":\"F64\",\"shape\":[],\"data_offsets\":[23,31]},"
        + "\"empty\":{\"dtype\":\"I32\",\"shape\":[0,2],\"data_offsets\":[31,31]}}";
    byte[] data = concat(new byte[] {1, 0, 0, 1, 1, 1, 0}, le(8, 1, 0),
        le(8, Double.doubleToLongBits(1)));
    byte[] valid = safetensors(json, data);
    fuzz("safetensors-mask", MaskIO::read, valid, "mask.safetensors");
  }

  @Test
  void safetensorsRepresentativeMessages() throws IOException {
    Path f = dir.resolve("w.safetensors");
    byte[] valid = written("v.safetensors", g -> WeightsIO.write(weights(), g));
    Files.write(f, Arrays.copyOf(valid, valid.length - 4));
    assertThatThrownBy(() -> WeightsIO.read(f)).isInstanceOf(IOException.class)
        .hasMessageMatching("cannot read \\Q" + f + "\\E: truncated safetensors file: the header"
            + " promises [0-9]+ bytes of data, the file holds [0-9]+");
    Files.write(f, safetensors("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],"
        + "\"data_offsets\":[0,4.5]}}", new byte[4]));
    assertError(() -> WeightsIO.read(f), "cannot read " + f + ": bad safetensors header: Expected"
        + " a long but was 4.5 at line 1 column 54 path $.a.data_offsets[1]");
    Files.write(f, safetensors("{\"a\":{\"dtype\":\"F32\",\"shape\":[2,-1],"
        + "\"data_offsets\":[0,4]}}", new byte[4]));
    assertError(() -> WeightsIO.read(f), "cannot read " + f + ": key 'a' has a negative dimension"
        + " in its shape [2, -1]");
    Files.write(f, safetensors("{\"\":{\"dtype\":\"F32\",\"shape\":[1],"
        + "\"data_offsets\":[0,4]}}", new byte[4]));
    assertError(() -> WeightsIO.read(f), "cannot read " + f + ": a tensor has an empty name");
  }

  /** Found by the fuzz (safetensors-weights, variant 644): a key with a line break in it. */
  @Test
  void namesFromTheFileAreEscapedAndCut() throws IOException {
    Path f = dir.resolve("w.safetensors");
    Files.write(f, safetensors("{\"a\\nb\":{\"dtype\":\"F8_E4M3\",\"shape\":[1],"
        + "\"data_offsets\":[0,1]}}", new byte[1]));
    assertError(() -> WeightsIO.read(f), "cannot read " + f + ": key 'a\\u000ab' has unsupported"
        + " safetensors dtype F8_E4M3");
    String longName = "x".repeat(1000);
    Path npz = dir.resolve("w.npz");
    Files.write(npz, zip(Map.of(longName, npyHeader("{'descr': '<c8', 'fortran_order': False,"
        + " 'shape': (0,), }")), false));
    assertError(() -> WeightsIO.read(npz), "cannot read " + npz + ": key '" + "x".repeat(80)
        + "...' has unsupported dtype '<c8' (complex); weights must be float16, bfloat16,"
        + " float32 or float64");
    Files.write(npz, zip(Map.of("w", npyHeader("{'descr': '<f4', 'fortran_order': False,"
        + " 'shape': (" + "1, ".repeat(20) + "-1), }")), false));
    assertError(() -> WeightsIO.read(npz), "cannot read " + npz + ": key 'w' has a bad .npy"
        + " header: shape [1, 1, 1, 1, 1, 1, 1, 1, ... (21 in all)] is not a tuple of"
        + " non-negative integers");
  }

  // ---- .lthc ----

  @Test
  void lthc() throws IOException {
    Weights w = CompactWeightsTest.weights(1);
    Mask m = CompactWeightsTest.mask(w, 2);
    byte[] valid = written("c.lthc", f -> CompactWeights.write(w, m, f));
    fuzz("lthc", CompactWeights::read, valid, "model.lthc");
  }

  @Test
  void lthcRepresentativeMessages() throws IOException {
    Weights w = CompactWeightsTest.weights(1);
    Mask m = CompactWeightsTest.mask(w, 2);
    byte[] valid = written("c.lthc", f -> CompactWeights.write(w, m, f));
    Path f = dir.resolve("model.lthc");
    Files.write(f, Arrays.copyOf(valid, valid.length - 1));
    assertError(() -> CompactWeights.read(f), "cannot read " + f + ": tensor 'bn.running_var'"
        + " is truncated: it needs 32 more bytes, the file holds 31");
  }

  // ---- key mapping ----

  @Test
  void keyMappingText() throws IOException {
    byte[] valid = ("# PyTorch names onto DJL names\n"
        + "features.1.weight 02Linear_weight\n"
        + "features.1.bias   -> 02Linear_bias\n\n"
        + "features.3.weight=04Linear_weight\r\n"
        + "\t# indented comment\n"
        + "features.3.bias = 04Linear_bias\n").getBytes(StandardCharsets.UTF_8);
    fuzz("keymap-text", ReaderFuzzTest::readKeyMapping, valid, "map.txt");
  }

  @Test
  void keyMappingJson() throws IOException {
    byte[] valid = ("{\"features.1.weight\": \"02Linear_weight\","
        + " \"features.1.bias\": \"02Linear_bias\"}").getBytes(StandardCharsets.UTF_8);
    fuzz("keymap-json", ReaderFuzzTest::readKeyMapping, valid, "map.json");
  }

  @Test
  void keyMappingRepresentativeMessages() throws IOException {
    Path f = dir.resolve("map.txt");
    Files.write(f, "a b\nc\u2028 d e\n".getBytes(StandardCharsets.UTF_8));
    assertThatThrownBy(() -> KeyMapping.read(f)).isInstanceOf(IllegalArgumentException.class)
        .hasMessage("key mapping " + f + ", line 2: expected 'file_key model_parameter' (or -> or"
            + " = between them), got 'c\\u2028 d e'");
    Files.write(f, new byte[] {'a', ' ', (byte) 0xff, '\n'});
    assertError(() -> KeyMapping.read(f), "cannot read " + f + ": not UTF-8 text");
  }

  /**
   * {@link KeyMapping#read} reports a mapping that does not parse as an IllegalArgumentException
   * (a mapping is written by hand, like a flag value, and every KeyMapping problem is one); the
   * fuzz holds that message to the same contract as an IOException's: one line naming the file.
   * Any other IllegalArgumentException, or one without the "key mapping FILE" prefix, still
   * fails the fuzz.
   */
  private static void readKeyMapping(Path f) throws IOException {
    try {
      KeyMapping.read(f);
    } catch (IllegalArgumentException e) {
      if (e.getClass() == IllegalArgumentException.class && e.getMessage() != null
          && e.getMessage().startsWith("key mapping " + f)) {
        throw new IOException(e.getMessage(), e);
      }
      throw e;
    }
  }

  // ---- helpers ----

  private void fuzz(String name, ReaderFuzzer.Reader reader, byte[] valid, String fileName)
      throws IOException {
    ReaderFuzzer.Report r = ReaderFuzzer.forReader(name, reader).run(valid, dir.resolve(fileName));
    assertThat(r.rejected()).as(name + " rejections").isPositive();
  }

  private static void assertError(ThrowingCallable call, String message) {
    assertThatThrownBy(call).isInstanceOf(IOException.class).hasMessage(message);
  }

  @FunctionalInterface
  private interface Writer {
    void write(Path f) throws IOException;
  }

  private byte[] written(String name, Writer w) throws IOException {
    Path f = dir.resolve("valid-" + name);
    w.write(f);
    return Files.readAllBytes(f);
  }

  /** conv [2,3,2] (a pruned mask), fc [3,4], bias [3], scalar [], empty [0,2]. */
  private static Mask mask() {
    boolean[] conv = new boolean[12];
    boolean[] fc = new boolean[12];
    for (int i = 0; i < 12; i++) {
      conv[i] = i % 3 != 0;
      fc[i] = i % 2 == 0;
    }
    return Mask.builder().put("conv.weight", new long[] {2, 3, 2}, conv)
        .put("fc.weight", new long[] {3, 4}, fc)
        .put("scalar", new long[0], new boolean[] {true})
        .put("empty", new long[] {0, 2}, new boolean[0]).build();
  }

  private static Weights weights() {
    float[] fc = new float[12];
    for (int i = 0; i < fc.length; i++) {
      fc[i] = (i - 6) / 7f;
    }
    return Weights.builder().put("fc.weight", new long[] {3, 4}, fc)
        .put("fc.bias", new long[] {3}, new float[] {0.1f, -0.0f, Float.NaN})
        .put("scale", new long[0], new float[] {2})
        .put("empty", new long[] {2, 0}, new float[0]).build();
  }

  private static Dtype dtype(String descr) throws IOException {
    return Dtype.parse(descr);
  }

  private static byte[] npy(Dtype dtype, long[] shape, byte[] data) {
    return concat(NpyHeader.encode(dtype, shape), data);
  }

  /**
   * A .npy preamble around a header dict, padded with spaces and a newline to 64 bytes: version
   * 1.0, or 2.0 when the header is too long for 1.0's 16-bit length.
   */
  private static byte[] npyHeader(String dict) {
    int preamble = dict.length() < 0xff00 ? 10 : 12;
    int total = (preamble + dict.length() + 1 + 63) / 64 * 64;
    ByteBuffer out = ByteBuffer.allocate(total).order(ByteOrder.LITTLE_ENDIAN);
    out.put(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', (byte) (preamble == 10 ? 1 : 2), 0});
    if (preamble == 10) {
      out.putShort((short) (total - preamble));
    } else {
      out.putInt(total - preamble);
    }
    out.put(dict.getBytes(StandardCharsets.ISO_8859_1));
    while (out.position() < total - 1) {
      out.put((byte) ' ');
    }
    return out.put((byte) '\n').array();
  }

  /** Little-endian integers of {@code width} bytes each. */
  private static byte[] le(int width, long... values) {
    ByteBuffer b = ByteBuffer.allocate(width * values.length).order(ByteOrder.LITTLE_ENDIAN);
    for (long v : values) {
      if (width == 4) {
        b.putInt((int) v);
      } else {
        b.putLong(v);
      }
    }
    return b.array();
  }

  private static int indexOf(byte[] b, byte[] part) {
    for (int i = 0; i + part.length <= b.length; i++) {
      if (Arrays.equals(b, i, i + part.length, part, 0, part.length)) {
        return i;
      }
    }
    throw new AssertionError("not found");
  }

  private static byte[] concat(byte[]... parts) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte[] p : parts) {
      out.writeBytes(p);
    }
    return out.toByteArray();
  }

  /** An .npz of the given .npy arrays, each stored (with its CRC up front) or deflated. */
  private static byte[] zip(Map<String, byte[]> arrays, boolean deflate) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (ZipOutputStream z = new ZipOutputStream(bytes)) {
      for (Map.Entry<String, byte[]> a : arrays.entrySet()) {
        ZipEntry e = new ZipEntry(a.getKey() + ".npy");
        byte[] content = a.getValue();
        if (!deflate) {
          CRC32 crc = new CRC32();
          crc.update(content);
          e.setMethod(ZipEntry.STORED);
          e.setSize(content.length);
          e.setCompressedSize(content.length);
          e.setCrc(crc.getValue());
        }
        z.putNextEntry(e);
        z.write(content);
        z.closeEntry();
      }
    }
    return bytes.toByteArray();
  }

  private static byte[] safetensors(String json, byte[] data) {
    byte[] h = json.getBytes(StandardCharsets.UTF_8);
    return concat(le(8, h.length), h, data);
  }
}
