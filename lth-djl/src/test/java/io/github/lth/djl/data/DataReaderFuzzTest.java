package io.github.lth.djl.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.lth.core.testing.ReaderFuzzer;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.zip.CRC32;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The data-set readers (IDX, CIFAR binary, image folders) against the shared reader fuzzer: every
 * damaged file is read or refused with a one-line {@link IOException} naming it, in bounded time
 * and heap. Each run prints its figures for the reliability catalogue.
 */
class DataReaderFuzzTest {
  private static final String SAMPLE = "fashion-mnist-sample/";

  @TempDir Path dir;

  private static ReaderFuzzer.Report fuzz(String name, ReaderFuzzer.Reader reader, byte[] valid,
      Path target) throws IOException {
    ReaderFuzzer.Report r = ReaderFuzzer.forReader(name, reader).run(valid, target);
    assertThat(r.rejected()).isPositive();
    return r;
  }

  // ---- IDX ----

  /** The first {@code n} items of an embedded sample file, as an uncompressed IDX file. */
  private static byte[] sampleHead(String file, int n) throws IOException {
    try (InputStream in = new GZIPInputStream(
        DataReaderFuzzTest.class.getResourceAsStream(SAMPLE + file))) {
      byte[] magic = in.readNBytes(4);
      int rank = magic[3];
      ByteBuffer dims = ByteBuffer.wrap(in.readNBytes(4 * rank));
      int per = 1;
      for (int d = 1; d < rank; d++) {
        per *= dims.getInt(4 * d);
      }
      dims.putInt(0, n);
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      out.write(magic);
      out.write(dims.array());
      out.write(in.readNBytes(n * per));
      return out.toByteArray();
    }
  }

  private static byte[] gzip(byte[] plain) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
      gz.write(plain);
    }
    return out.toByteArray();
  }

  private static byte[] idx(int[] dims, byte[] data) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    DataOutputStream out = new DataOutputStream(bytes);
    out.write(new byte[] {0, 0, 8, (byte) dims.length});
    for (int d : dims) {
      out.writeInt(d);
    }
    out.write(data);
    return bytes.toByteArray();
  }

  @Test
  void idxImagesGzip() throws IOException {
    Path labels = Files.write(dir.resolve("labels-idx1-ubyte"),
        sampleHead("train-labels-idx1-ubyte.gz", 16));
    fuzz("idx-images-gz", f -> IdxReader.readDataset("fuzz", f, labels),
        gzip(sampleHead("train-images-idx3-ubyte.gz", 16)),
        dir.resolve("train-images-idx3-ubyte.gz"));
  }

  @Test
  void idxImagesPlain() throws IOException {
    Path labels = Files.write(dir.resolve("labels-idx1-ubyte"),
        sampleHead("t10k-labels-idx1-ubyte.gz", 8));
    fuzz("idx-images-plain", f -> IdxReader.readDataset("fuzz", f, labels),
        sampleHead("t10k-images-idx3-ubyte.gz", 8), dir.resolve("t10k-images-idx3-ubyte"));
  }

  @Test
  void idxLabelsGzipAndPlain() throws IOException {
    Path images = Files.write(dir.resolve("images-idx3-ubyte"),
        sampleHead("train-images-idx3-ubyte.gz", 64));
    byte[] labels = sampleHead("train-labels-idx1-ubyte.gz", 64);
    fuzz("idx-labels-gz", f -> IdxReader.readDataset("fuzz", images, f), gzip(labels),
        dir.resolve("train-labels-idx1-ubyte.gz"));
    fuzz("idx-labels-plain", f -> IdxReader.readDataset("fuzz", images, f), labels,
        dir.resolve("train-labels-idx1-ubyte"));
  }

  @Test
  void idxRankFourAndEmpty() throws IOException {
    fuzz("idx-rank4-gz", IdxReader::read, gzip(idx(new int[] {3, 3, 4, 4}, IdxFiles.ramp(144))),
        dir.resolve("rank4.gz"));
    fuzz("idx-empty-plain", IdxReader::read, idx(new int[] {0, 28, 28}, new byte[0]),
        dir.resolve("empty-idx3-ubyte"));
  }

  @Test
  void idxHugeDimensionIsRefusedAgainstTheFileLength() throws IOException {
    byte[] labels = idx(new int[] {1_000_000_000}, IdxFiles.ramp(10));
    Path plain = Files.write(dir.resolve("huge-idx1-ubyte"), labels);
    assertThatThrownBy(() -> IdxReader.read(plain)).isInstanceOf(IOException.class)
        .hasMessage("IDX file " + plain + ": truncated: the header announces 1000000000 data"
            + " bytes (1000000000), the file holds 10");
    Path gz = Files.write(dir.resolve("huge-idx1-ubyte.gz"), gzip(labels));
    assertThatThrownBy(() -> IdxReader.read(gz)).isInstanceOf(IOException.class)
        .hasMessage("IDX file " + gz + ": truncated: the header announces 1000000000 data"
            + " bytes (1000000000), the file holds 10");
    Path images = Files.write(dir.resolve("huge-idx3-ubyte"),
        idx(new int[] {Integer.MAX_VALUE, 28, 28}, IdxFiles.ramp(10)));
    assertThatThrownBy(() -> IdxReader.read(images)).isInstanceOf(IOException.class)
        .hasMessage("IDX file " + images + ": header announces more than 2147483639 bytes of"
            + " data");
  }

  @Test
  void idxGzipCutInItsOwnHeader() throws IOException {
    Path gz = Files.write(dir.resolve("cut-idx1-ubyte.gz"),
        Arrays.copyOf(gzip(idx(new int[] {2}, new byte[2])), 6));
    assertThatThrownBy(() -> IdxReader.read(gz)).isInstanceOf(IOException.class)
        .hasMessage("IDX file " + gz + ": corrupt or truncated gzip data (unexpected end of"
            + " data)");
  }

  // ---- CIFAR ----

  private static byte[] cifar(int records, int labelBytes) {
    int per = labelBytes + CifarReader.IMAGE_BYTES;
    byte[] out = new byte[records * per];
    for (int r = 0; r < records; r++) {
      for (int k = 0; k < labelBytes; k++) {
        out[r * per + k] = (byte) (3 * r + k);
      }
      for (int p = 0; p < CifarReader.IMAGE_BYTES; p++) {
        out[r * per + labelBytes + p] = (byte) (r * 31 + p * 7);
      }
    }
    return out;
  }

  @Test
  void cifar10() throws IOException {
    fuzz("cifar-10", f -> CifarReader.readCifar10(f, "fuzz"), cifar(3, 1),
        dir.resolve("data_batch_1.bin"));
  }

  @Test
  void cifar100() throws IOException {
    fuzz("cifar-100", f -> CifarReader.readCifar100(f, "fuzz", CifarReader.Labels.FINE),
        cifar(2, 2), dir.resolve("train.bin"));
  }

  @Test
  void cifarRecordFraction() throws IOException {
    Path f = Files.write(dir.resolve("test_batch.bin"), Arrays.copyOf(cifar(2, 1), 5000));
    assertThatThrownBy(() -> CifarReader.readCifar10(f, "t")).isInstanceOf(IOException.class)
        .hasMessage("CIFAR-10 file " + f + ": length 5000 bytes is not a positive multiple of"
            + " the 3073-byte record");
  }

  // ---- image folders ----

  private static BufferedImage image(int type, int w, int h, int seed) {
    BufferedImage image = new BufferedImage(w, h, type);
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        image.setRGB(x, y, ((seed + 40 * x) & 0xFF) << 16 | ((seed * 3 + 50 * y) & 0xFF) << 8
            | ((seed + x * y * 9) & 0xFF));
      }
    }
    return image;
  }

  private static byte[] encode(BufferedImage image, String format) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    assertThat(ImageIO.write(image, format, out)).isTrue();
    return out.toByteArray();
  }

  /**
   * A folder of two classes: {@code train/a/1.png}, {@code test/a/1.png}, an empty {@code test/b}
   * and the returned file {@code train/b/<fuzzedName>}, the one to fuzz; all images {@code
   * w}×{@code h}.
   */
  private Path folder(int type, int w, int h, String fuzzedName) throws IOException {
    Path root = dir.resolve("folder");
    for (String set : new String[] {"train", "test"}) {
      Path d = Files.createDirectories(root.resolve(set).resolve("a"));
      Files.write(d.resolve("1.png"), encode(image(type, w, h, set.length()), "png"));
      Files.createDirectories(root.resolve(set).resolve("b"));
    }
    return root.resolve("train/b").resolve(fuzzedName);
  }

  /**
   * Reads the folder; an image that decodes to another size than the others is the folder's
   * documented {@link IllegalArgumentException}, counted here as read: the file itself was fine.
   */
  private static ReaderFuzzer.Reader folderReader(Path root, AtomicInteger otherSize) {
    return f -> {
      try {
        ImageFolderReader.read(root);
      } catch (IllegalArgumentException e) {
        if (e.getMessage() == null || !e.getMessage().matches("image folder .*: .* is \\d+x\\d+"
            + " but .* is \\d+x\\d+")) {
          throw e;
        }
        otherSize.incrementAndGet();
      }
    };
  }

  private void fuzzFolder(String name, int type, String format, String fileName)
      throws IOException {
    Path file = folder(type, 6, 5, fileName);
    Path root = file.getParent().getParent().getParent();
    AtomicInteger otherSize = new AtomicInteger();
    fuzz(name, folderReader(root, otherSize), encode(image(type, 6, 5, 77), format), file);
    System.out.printf(Locale.ROOT, "  (%d of the read variants decoded to another size)%n",
        otherSize.get());
  }

  @Test
  void imageFolderPngRgb() throws IOException {
    fuzzFolder("image-png-rgb", BufferedImage.TYPE_INT_RGB, "png", "2.png");
  }

  @Test
  void imageFolderPngGray() throws IOException {
    fuzzFolder("image-png-gray", BufferedImage.TYPE_BYTE_GRAY, "png", "2.png");
  }

  @Test
  void imageFolderJpeg() throws IOException {
    fuzzFolder("image-jpeg", BufferedImage.TYPE_INT_RGB, "jpeg", "2.jpg");
  }

  /** A PNG whose header claims {@code w}×{@code h}, with a correct header checksum. */
  private static byte[] pngClaiming(int w, int h) throws IOException {
    byte[] png = encode(image(BufferedImage.TYPE_INT_RGB, 2, 2, 1), "png");
    ByteBuffer b = ByteBuffer.wrap(png);
    // signature (8), IHDR length (4) and type (4), then width and height
    b.putInt(16, w).putInt(20, h);
    CRC32 crc = new CRC32();
    crc.update(png, 12, 17);
    b.putInt(29, (int) crc.getValue());
    return png;
  }

  /** A baseline JPEG whose frame header claims {@code w}×{@code h}. */
  private static byte[] jpegClaiming(int w, int h) throws IOException {
    byte[] jpeg = encode(image(BufferedImage.TYPE_INT_RGB, 2, 2, 1), "jpeg");
    for (int i = 2; i + 8 < jpeg.length; i++) {
      if ((jpeg[i] & 0xFF) == 0xFF && (jpeg[i + 1] & 0xFF) == 0xC0) {
        // marker (2), segment length (2), precision (1), then height and width
        ByteBuffer.wrap(jpeg).putShort(i + 5, (short) h).putShort(i + 7, (short) w);
        return jpeg;
      }
    }
    throw new AssertionError("no SOF0 marker");
  }

  // The JDK decoders refuse more than 2^31 pixels themselves; these sizes they would allocate.
  @Test
  void hugeImageIsRefusedFromItsHeader() throws IOException {
    Path png = folder(BufferedImage.TYPE_INT_RGB, 2, 2, "2.png");
    Path root = png.getParent().getParent().getParent();
    byte[] bytes = pngClaiming(20_000, 20_000);
    Files.write(png, bytes);
    assertThatThrownBy(() -> ImageFolderReader.read(root)).isInstanceOf(IOException.class)
        .hasMessage("image " + png + ": header claims 20000x20000 pixels, more than a "
            + bytes.length + "-byte PNG file can hold");
    Files.delete(png);
    Path jpeg = png.resolveSibling("2.jpg");
    bytes = jpegClaiming(8_000, 8_000);
    Files.write(jpeg, bytes);
    assertThatThrownBy(() -> ImageFolderReader.read(root)).isInstanceOf(IOException.class)
        .hasMessage("image " + jpeg + ": header claims 8000x8000 pixels, more than a "
            + bytes.length + "-byte JPEG file can hold");
  }

  @Test
  void damagedOrForeignImagesAreRefused() throws IOException {
    Path file = folder(BufferedImage.TYPE_INT_RGB, 2, 2, "2.png");
    Path root = file.getParent().getParent().getParent();
    byte[] png = encode(image(BufferedImage.TYPE_INT_RGB, 2, 2, 1), "png");
    Files.write(file, Arrays.copyOf(png, 40));
    assertThatThrownBy(() -> ImageFolderReader.read(root)).isInstanceOf(IOException.class)
        .hasMessage("image " + file + ": cannot be decoded: Error skipping PNG metadata"
            + " (unexpected end of file)");
    png[24] = 3; // bit depth 3 does not exist
    Files.write(file, png);
    assertThatThrownBy(() -> ImageFolderReader.read(root)).isInstanceOf(IOException.class)
        .hasMessage("image " + file + ": cannot be decoded: I/O error reading PNG header!"
            + " (Bit depth must be 1, 2, 4, 8, or 16!)");
    // Decodable by ImageIO, but not one of the formats the folder reader takes.
    Files.write(file, encode(image(BufferedImage.TYPE_INT_RGB, 2, 2, 1), "gif"));
    assertThatThrownBy(() -> ImageFolderReader.read(root)).isInstanceOf(IOException.class)
        .hasMessage("image " + file + ": not a readable PNG or JPEG image");
  }
}
