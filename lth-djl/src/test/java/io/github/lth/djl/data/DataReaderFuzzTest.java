package io.github.lth.djl.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.lth.core.testing.ReaderFuzzer;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The data-set readers (IDX, CIFAR binary) against the shared reader fuzzer: every
 * damaged file is read or refused with a one-line {@link IOException} naming it, in bounded time
 * and heap. Each run prints its figures for the reliability catalogue.
 */
class DataReaderFuzzTest {
  private static final String SAMPLE = "fashion-mnist-sample/";

  @TempDir Path dir;

  private static ReaderFuzzer.Report fuzz(String name, ReaderFuzzer.Reader reader, byte[] valid,
      Path target) throws IOException {
    long start = System.nanoTime();
    ReaderFuzzer.Report r = ReaderFuzzer.forReader(name, reader).run(valid, target);
    double seconds = (System.nanoTime() - start) / 1e9;
    System.out.printf(Locale.ROOT, "fuzz %s in %.1f s (%d-byte valid file)%n", r, seconds,
        valid.length);
    r.messages().forEach((m, n) -> System.out.printf(Locale.ROOT, "  %5d  %s%n", n, m));
    assertThat(r.accepted() + r.rejected()).isEqualTo(r.tried());
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
}
