package io.github.lth.djl.data;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;

/**
 * Reads IDX files (the MNIST format) of unsigned bytes, plain or gzip-compressed; compression is
 * recognised by the gzip magic bytes, not by the file name. Images are rank 3 {@code [n, rows,
 * cols]} (one channel, magic {@code 0x00000803}) or rank 4 {@code [n, channels, rows, cols]};
 * labels are rank 1 {@code [n]} (magic {@code 0x00000801}).
 *
 * <p>Every problem is an {@link IOException} whose one-line message starts with {@code "IDX file
 * <path>:"}: missing file, wrong magic, a data type other than unsigned bytes, data shorter or
 * longer than the header says, corrupt gzip data, images and labels of different counts, an
 * empty set.
 *
 * <pre>{@code
 * ImageDataset train = IdxReader.readDataset("train",
 *     dir.resolve("train-images-idx3-ubyte.gz"), dir.resolve("train-labels-idx1-ubyte.gz"));
 * }</pre>
 */
public final class IdxReader {
  private static final int TYPE_UBYTE = 0x08;
  // Arrays a little shorter than Integer.MAX_VALUE are the most the JVM allocates.
  private static final long MAX_BYTES = Integer.MAX_VALUE - 8L;

  private IdxReader() {}

  /** Reads one IDX file of unsigned bytes of any rank from 1 to 4. */
  public static IdxArray read(Path file) throws IOException {
    String source = file.toString();
    if (Files.isDirectory(file)) {
      throw error(source, "is a directory, not a file");
    }
    if (!Files.isRegularFile(file)) {
      throw error(source, "not found");
    }
    long length = Files.size(file);
    try (InputStream in = Files.newInputStream(file)) {
      return read(in, source, length);
    }
  }

  /**
   * Reads one IDX array from a stream (for example a class-path resource); {@code source} names
   * it in error messages. The stream is read to its end but not closed.
   */
  public static IdxArray read(InputStream raw, String source) throws IOException {
    return read(raw, source, -1);
  }

  // length is the stream's length when known (a file), else -1.
  private static IdxArray read(InputStream raw, String source, long length) throws IOException {
    // Closing the decompressor frees its native buffers; the shield keeps the caller's stream
    // open, as documented.
    InputStream shielded = new FilterInputStream(raw) {
      @Override
      public void close() {}
    };
    BufferedInputStream buffered = new BufferedInputStream(shielded, 1 << 16);
    boolean gzip = isGzip(buffered);
    try (InputStream in = gzip ? new GZIPInputStream(buffered, 1 << 16) : buffered) {
      // Only a plain file's length bounds its content; a gzip stream is checked as it inflates.
      return readIdx(in, source, gzip ? -1 : length);
    } catch (EOFException | ZipException e) {
      // The JDK's gzip reader signals truncated and damaged archives this way.
      throw error(source, "corrupt or truncated gzip data (" + (e.getMessage() == null
          ? "unexpected end of data" : oneLine(e.getMessage())) + ")");
    }
  }

  /** Reads an images file and a labels file into a data set with max label + 1 classes. */
  public static ImageDataset readDataset(String name, Path images, Path labels)
      throws IOException {
    IdxArray i = read(images);
    IdxArray l = read(labels);
    checkImages(i);
    return toDataset(name, i, l, maxLabel(l) + 1);
  }

  /**
   * Combines an images array and a labels array into a data set with the given number of
   * classes (which must exceed every label).
   */
  public static ImageDataset toDataset(String name, IdxArray images, IdxArray labels, int classes)
      throws IOException {
    checkImages(images);
    checkLabels(labels);
    if (images.count() != labels.count()) {
      throw new IOException(String.format(Locale.ROOT,
          "IDX files %s and %s: %d images but %d labels", images.source(), labels.source(),
          images.count(), labels.count()));
    }
    int[] dims = images.dims();
    int channels = dims.length == 4 ? dims[1] : 1;
    int rows = dims[dims.length - 2];
    int cols = dims[dims.length - 1];
    int[] l = new int[labels.count()];
    for (int k = 0; k < l.length; k++) {
      l[k] = labels.unsigned(k);
      if (l[k] >= classes) {
        throw error(labels.source(), String.format(Locale.ROOT,
            "label %d of item %d is outside [0, %d)", l[k], k, classes));
      }
    }
    return ImageDataset.of(name, images.dataNoCopy(), l, channels, rows, cols, classes);
  }

  /** Largest label in a labels array (rank 1); the number of classes is this plus one. */
  public static int maxLabel(IdxArray labels) throws IOException {
    checkLabels(labels);
    int max = 0;
    for (int k = 0; k < labels.count(); k++) {
      max = Math.max(max, labels.unsigned(k));
    }
    return max;
  }

  private static void checkImages(IdxArray images) throws IOException {
    if (images.rank() != 3 && images.rank() != 4) {
      throw error(images.source(), "images must have rank 3 [n, rows, cols] or 4 [n, channels,"
          + " rows, cols], found rank " + images.rank());
    }
    checkNotEmpty(images);
    int[] dims = images.dims();
    for (int d = 1; d < dims.length; d++) {
      if (dims[d] == 0) {
        throw error(images.source(), "image dimension " + d + " is zero");
      }
    }
  }

  private static void checkLabels(IdxArray labels) throws IOException {
    if (labels.rank() != 1) {
      throw error(labels.source(), "labels must have rank 1 [n], found rank " + labels.rank());
    }
    checkNotEmpty(labels);
  }

  private static void checkNotEmpty(IdxArray array) throws IOException {
    if (array.count() == 0) {
      throw error(array.source(), "empty set (0 items)");
    }
  }

  private static IdxArray readIdx(InputStream in, String source, long length)
      throws IOException {
    byte[] header = in.readNBytes(4);
    if (header.length < 4) {
      throw error(source, "truncated header (" + header.length + " bytes)");
    }
    int magic = ((header[0] & 0xFF) << 24) | ((header[1] & 0xFF) << 16)
        | ((header[2] & 0xFF) << 8) | (header[3] & 0xFF);
    int type = header[2] & 0xFF;
    int rank = header[3] & 0xFF;
    if (header[0] != 0 || header[1] != 0 || rank == 0 || !isIdxType(type)) {
      throw error(source, String.format(Locale.ROOT, "not an IDX file (magic 0x%08X; expected"
          + " 0x00000801 for labels or 0x00000803 for images)", magic));
    }
    if (type != TYPE_UBYTE) {
      throw error(source, String.format(Locale.ROOT, "unsupported data type 0x%02X (%s);"
          + " only unsigned bytes (0x08) are supported", type, typeName(type)));
    }
    if (rank > 4) {
      throw error(source, "unsupported rank " + rank + " (1 to 4 are supported)");
    }
    DataInputStream data = new DataInputStream(in);
    int[] dims = new int[rank];
    long size = 1;
    for (int d = 0; d < rank; d++) {
      try {
        dims[d] = data.readInt();
      } catch (EOFException e) {
        throw error(source, "truncated header (" + rank + " dimensions announced, " + d
            + " present)");
      }
      if (dims[d] < 0) {
        throw error(source, "dimension " + d + " is negative (" + dims[d] + ")");
      }
      size *= dims[d];
      if (size > MAX_BYTES) {
        throw error(source, "header announces more than " + MAX_BYTES + " bytes of data");
      }
    }
    long headerBytes = 4 + 4L * rank;
    if (length >= 0 && headerBytes + size > length) {
      throw truncated(source, size, dims, length - headerBytes);
    }
    // The buffer grows with the data that actually arrives, so a header that lies about the
    // size of a gzip stream costs no more than the stream's real content.
    byte[] values = new byte[(int) Math.min(size, 1 << 16)];
    int filled = 0;
    while (filled < size) {
      if (filled == values.length) {
        values = Arrays.copyOf(values, (int) Math.min(size, 2L * values.length));
      }
      int n = in.read(values, filled, values.length - filled);
      if (n < 0) {
        throw truncated(source, size, dims, filled);
      }
      filled += n;
    }
    if (in.read() != -1) {
      throw error(source, String.format(Locale.ROOT,
          "longer than the header says: more than %d data bytes after the header (%s)", size,
          shape(dims)));
    }
    return new IdxArray(source, dims, values);
  }

  private static IOException truncated(String source, long size, int[] dims, long present) {
    return error(source, String.format(Locale.ROOT,
        "truncated: the header announces %d data bytes (%s), the file holds %d", size,
        shape(dims), present));
  }

  private static boolean isGzip(BufferedInputStream in) throws IOException {
    in.mark(2);
    int b0 = in.read();
    int b1 = in.read();
    in.reset();
    return b0 == 0x1F && b1 == 0x8B;
  }

  private static boolean isIdxType(int type) {
    return type == 0x08 || type == 0x09 || type == 0x0B || type == 0x0C || type == 0x0D
        || type == 0x0E;
  }

  private static String typeName(int type) {
    switch (type) {
      case 0x09:
        return "signed byte";
      case 0x0B:
        return "int16";
      case 0x0C:
        return "int32";
      case 0x0D:
        return "float32";
      case 0x0E:
        return "float64";
      default:
        return "unsigned byte";
    }
  }

  private static String shape(int[] dims) {
    StringBuilder s = new StringBuilder();
    for (int d = 0; d < dims.length; d++) {
      s.append(d == 0 ? "" : "x").append(dims[d]);
    }
    return s.toString();
  }

  private static String oneLine(String message) {
    return message == null ? "no detail" : message.replace('\n', ' ').replace('\r', ' ');
  }

  private static IOException error(String source, String problem) {
    return new IOException("IDX file " + source + ": " + problem);
  }
}
