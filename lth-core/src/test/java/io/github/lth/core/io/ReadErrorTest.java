package io.github.lth.core.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.lth.core.Weights;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every bad input gives an IOException with one line naming the file and the key. */
class ReadErrorTest {
  @TempDir Path dir;

  private static void assertError(ThrowingCallable call, String message) {
    assertThatThrownBy(call).isInstanceOf(IOException.class).hasMessage(message)
        .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n", "\r", "\tat "));
  }

  private static String p(String fixture) {
    return Fixtures.path(fixture).toString();
  }

  @Test
  void missingFile() {
    Path missing = dir.resolve("nope.npz");
    assertError(() -> MaskIO.read(missing), "cannot read " + missing + ": no such file");
    Path missingSt = dir.resolve("nope.safetensors");
    assertError(() -> WeightsIO.read(missingSt), "cannot read " + missingSt + ": no such file");
  }

  @Test
  void directoryInsteadOfFile() throws IOException {
    Path sub = Files.createDirectory(dir.resolve("d.npz"));
    assertError(() -> MaskIO.read(sub), "cannot read " + sub + ": it is a directory");
  }

  @Test
  void unknownExtension() {
    Path f = dir.resolve("mask.bin");
    assertError(() -> MaskIO.read(f),
        "cannot read " + f + ": unknown file extension (use .npz, .safetensors or .npy)");
    assertError(() -> WeightsIO.write(Weights.builder().build(), f),
        "cannot write " + f + ": unknown file extension (use .npz or .safetensors)");
  }

  @Test
  void notAZip() {
    assertError(() -> MaskIO.read(Fixtures.path("not_a_zip.npz")),
        "cannot read " + p("not_a_zip.npz") + ": not an .npz file (not a zip archive)");
  }

  @Test
  void firstHalfOfAValidArchive() {
    assertThatThrownBy(() -> WeightsIO.read(Fixtures.path("truncated_zip.npz")))
        .isInstanceOf(IOException.class)
        .hasMessageStartingWith("cannot read " + p("truncated_zip.npz")
            + ": truncated or corrupt zip archive (")
        .hasMessageNotContaining("\n");
  }

  @Test
  void npyDataShorterThanItsHeader() {
    assertError(() -> WeightsIO.read(Fixtures.path("truncated_npy.npz")),
        "cannot read " + p("truncated_npy.npz") + ": key 'w' is truncated: its header promises "
            + "4000 bytes of data, the entry holds 100");
  }

  @Test
  void absurdElementCountIsRejectedBeforeAllocating() throws IOException {
    Path f = dir.resolve("huge.npz");
    writeZip(f, "w.npy", NpyHeader.encode(Dtype.FLOAT32, new long[] {50_000, 40_000}));
    assertError(() -> WeightsIO.read(f), "cannot read " + f
        + ": key 'w' is truncated: its header promises 8000000000 bytes of data, the entry holds 0");
    writeZip(f, "w.npy", NpyHeader.encode(Dtype.FLOAT32, new long[] {1L << 32, 1L << 32}));
    assertError(() -> WeightsIO.read(f), "cannot read " + f
        + ": key 'w' has an unsupported shape (4294967296, 4294967296) (more than 2^31 elements)");
  }

  @Test
  void badMagic() {
    assertError(() -> WeightsIO.read(Fixtures.path("bad_magic.npz")),
        "cannot read " + p("bad_magic.npz") + ": key 'w' is not a .npy array (bad magic bytes)");
  }

  @Test
  void unsupportedDtypesAreNamed() {
    assertError(() -> WeightsIO.read(Fixtures.path("complex.npz")),
        "cannot read " + p("complex.npz") + ": key 'z' has unsupported dtype '<c8' (complex); "
            + "weights must be float16, bfloat16, float32 or float64");
    assertError(() -> MaskIO.read(Fixtures.path("complex.npz")),
        "cannot read " + p("complex.npz") + ": key 'z' has unsupported dtype '<c8' (complex); "
            + "a mask needs bool, integer or float 0/1 values");
    assertError(() -> WeightsIO.read(Fixtures.path("mask_savez.npz")),
        "cannot read " + p("mask_savez.npz") + ": key 'conv1.weight' has unsupported dtype "
            + "'|b1'; weights must be float16, bfloat16, float32 or float64");
    assertError(() -> WeightsIO.read(Fixtures.path("structured.npz")),
        "cannot read " + p("structured.npz") + ": key 's' has unsupported dtype "
            + "[['x', '<f4'], ['y', '<i4']] (structured arrays are not supported)");
    assertError(() -> MaskIO.read(Fixtures.path("float16.safetensors")),
        "cannot read " + p("float16.safetensors") + ": key 'h' has unsupported dtype '<f2'; "
            + "a mask needs bool, integer or float 0/1 values");
  }

  @Test
  void objectArrays() {
    assertError(() -> MaskIO.read(Fixtures.path("object.npz")),
        "cannot read " + p("object.npz") + ": key 'o' is an object array (dtype '|O'), which "
            + "cannot be read without unpickling; save a numeric array instead");
  }

  @Test
  void duplicateKeys() {
    assertError(() -> WeightsIO.read(Fixtures.path("duplicate.npz")),
        "cannot read " + p("duplicate.npz") + ": key 'w' appears twice");
  }

  @Test
  void entryThatIsNotAnArray() {
    assertError(() -> WeightsIO.read(Fixtures.path("not_npy_entry.npz")),
        "cannot read " + p("not_npy_entry.npz") + ": entry 'readme.txt' is not a .npy array");
  }

  @Test
  void maskValuesOtherThanZeroAndOne() {
    assertError(() -> MaskIO.read(Fixtures.path("mask_bad_values.npz")),
        "cannot read " + p("mask_bad_values.npz")
            + ": key 'bad' holds 2 at flat index 5; a mask may hold only 0 and 1");
  }

  @Test
  void truncatedSafetensors() {
    assertError(() -> WeightsIO.read(Fixtures.path("truncated.safetensors")),
        "cannot read " + p("truncated.safetensors")
            + ": truncated safetensors file: the header promises 148 bytes of data, "
            + "the file holds 138");
  }

  @Test
  void safetensorsDuplicateKeysAndGaps() throws IOException {
    Path dup = dir.resolve("dup.safetensors");
    writeSafetensors(dup, "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
        + "\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8);
    assertError(() -> WeightsIO.read(dup), "cannot read " + dup + ": key 'a' appears twice");

    Path gap = dir.resolve("gap.safetensors");
    writeSafetensors(gap, "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
        + "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,12]}}", 12);
    assertError(() -> WeightsIO.read(gap), "cannot read " + gap + ": key 'b' starts at data "
        + "byte 8, expected 4 (tensors must cover the data without gaps)");

    Path size = dir.resolve("size.safetensors");
    writeSafetensors(size, "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,4]}}", 4);
    assertError(() -> WeightsIO.read(size), "cannot read " + size + ": key 'a' has "
        + "data_offsets [0, 4] but its shape [2] of F32 needs 8 bytes");

    Path json = dir.resolve("json.safetensors");
    writeSafetensors(json, "{\"a\":", 0);
    assertThatThrownBy(() -> WeightsIO.read(json)).isInstanceOf(IOException.class)
        .hasMessageStartingWith("cannot read " + json + ": bad safetensors header: ")
        .hasMessageNotContaining("\n");
  }

  @Test
  void notASafetensorsFile() throws IOException {
    Path f = dir.resolve("x.safetensors");
    Files.writeString(f, "hello");
    assertError(() -> MaskIO.read(f),
        "cannot read " + f + ": not a safetensors file (shorter than its 8-byte header length)");
    Files.writeString(f, "hello world, this is text");
    assertThatThrownBy(() -> MaskIO.read(f)).isInstanceOf(IOException.class)
        .hasMessageStartingWith("cannot read " + f + ": not a safetensors file (header length ");
  }

  @Test
  void dataLongerThanTheHeaderSays() throws IOException {
    Path f = dir.resolve("long.npz");
    byte[] npy = concat(NpyHeader.encode(Dtype.FLOAT32, new long[] {2}), new byte[12]);
    writeZip(f, "w.npy", npy);
    assertError(() -> WeightsIO.read(f), "cannot read " + f
        + ": key 'w' has 4 bytes after the 8 bytes of data its header promises (corrupt?)");
  }

  @Test
  void corruptedBytesFailTheCrcCheck() throws IOException {
    Path f = dir.resolve("w.npz");
    WeightsIO.write(Weights.builder().put("w", new long[] {4}, new float[] {1, 2, 3, 4}).build(),
        f);
    byte[] bytes = Files.readAllBytes(f);
    int npy = indexOf(bytes, "NUMPY".getBytes(StandardCharsets.US_ASCII)) - 1;
    bytes[npy + NpyHeader.encode(Dtype.FLOAT32, new long[] {4}).length + 5] ^= 0x10;
    Files.write(f, bytes);
    assertError(() -> WeightsIO.read(f),
        "cannot read " + f + ": key 'w' is corrupt (its zip CRC does not match its bytes)");
  }

  @Test
  void badHeaderDicts() throws IOException {
    Path f = dir.resolve("h.npz");
    writeZip(f, "w.npy", npy("{'descr': '<f4', 'fortran_order': False}"));
    assertError(() -> WeightsIO.read(f), "cannot read " + f + ": key 'w' has a bad .npy header:"
        + " keys [descr, fortran_order], expected descr, fortran_order and shape");
    writeZip(f, "w.npy", npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2, -1), }"));
    assertError(() -> WeightsIO.read(f), "cannot read " + f + ": key 'w' has a bad .npy header:"
        + " shape [2, -1] is not a tuple of non-negative integers");
    writeZip(f, "w.npy", npy("{'descr': '<f4', 'fortran_order': 0, 'shape': (2,), }"));
    assertError(() -> WeightsIO.read(f), "cannot read " + f + ": key 'w' has a bad .npy header:"
        + " fortran_order is not True or False");
    writeZip(f, "w.npy", npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2,)"));
    assertError(() -> WeightsIO.read(f), "cannot read " + f + ": key 'w' has a bad .npy header:"
        + " header ends early at character 54");
    writeZip(f, "w.npy", npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), } x"));
    assertError(() -> WeightsIO.read(f), "cannot read " + f + ": key 'w' has a bad .npy header:"
        + " unexpected text after the header dict at character 58");
    writeZip(f, "w.npy", new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, 10});
    assertError(() -> WeightsIO.read(f),
        "cannot read " + f + ": key 'w' is truncated: it ends inside the .npy header length");
    writeZip(f, "w.npy", new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 4, 0, 10, 0, 0, 0});
    assertError(() -> WeightsIO.read(f),
        "cannot read " + f + ": key 'w' has unsupported .npy format version 4.0");
  }

  /** A v1.0 .npy preamble around the given header text (no data). */
  private static byte[] npy(String header) {
    byte[] h = header.getBytes(StandardCharsets.ISO_8859_1);
    byte[] out = new byte[10 + h.length];
    byte[] magic = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, (byte) h.length,
        (byte) (h.length >>> 8)};
    System.arraycopy(magic, 0, out, 0, 10);
    System.arraycopy(h, 0, out, 10, h.length);
    return out;
  }

  private static void writeZip(Path f, String name, byte[] content) throws IOException {
    try (OutputStream out = Files.newOutputStream(f); ZipOutputStream z = new ZipOutputStream(out)) {
      z.putNextEntry(new ZipEntry(name));
      z.write(content);
      z.closeEntry();
    }
  }

  private static void writeSafetensors(Path f, String json, int dataBytes) throws IOException {
    byte[] h = json.getBytes(StandardCharsets.UTF_8);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (int i = 0; i < 8; i++) {
      out.write((int) ((long) h.length >>> (8 * i)));
    }
    out.write(h);
    out.write(new byte[dataBytes]);
    Files.write(f, out.toByteArray());
  }

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] out = new byte[a.length + b.length];
    System.arraycopy(a, 0, out, 0, a.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }

  private static int indexOf(byte[] hay, byte[] needle) {
    outer:
    for (int i = 0; i + needle.length <= hay.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (hay[i + j] != needle[j]) {
          continue outer;
        }
      }
      return i;
    }
    throw new AssertionError("not found");
  }
}
