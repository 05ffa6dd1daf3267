package io.github.lth.core.io;

import com.google.common.io.CountingInputStream;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.zip.CRC32;
import java.util.zip.CheckedInputStream;
import java.util.zip.Deflater;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;

/**
 * The .npz container: a zip archive with one {@code KEY.npy} entry per array, stored or
 * deflated, in a meaningful order. Reading goes through {@link ZipFile}, whose central
 * directory lookup rejects a cut-off archive outright; entry CRCs are checked as well.
 */
final class Npz {
  /** Fixed entry time (the zip epoch, as numpy uses) so that equal content gives equal bytes. */
  private static final LocalDateTime ZIP_EPOCH = LocalDateTime.of(1980, 1, 1, 0, 0);
  private static final String SUFFIX = ".npy";
  /** Deflate's largest possible expansion of its input (zlib documents 1032:1). */
  private static final long MAX_INFLATION = 1032;

  private Npz() {}

  /** Consumes one array; must read exactly the data bytes its header promises. */
  @FunctionalInterface
  interface ArrayConsumer {
    void accept(String key, NpyHeader header, InputStream data) throws IOException;
  }

  /** One array to write. */
  record Entry(String key, Dtype dtype, long[] shape, ArrayData.Encoded data, long dataBytes) {}

  /**
   * Calls {@code consumer} for every array in archive order.
   *
   * @throws IOException one line, starting {@code cannot read FILE:} and naming the key
   */
  static void read(Path file, ArrayConsumer consumer) throws IOException {
    checkReadable(file);
    ZipFile zip = open(file);
    try (zip) {
      List<ZipEntry> entries = arrayEntries(file, zip);
      long fileSize = Files.size(file);
      for (ZipEntry entry : entries) {
        checkSizes(file, entry, fileSize);
        readEntry(file, zip, entry, consumer);
      }
    } catch (IOException e) {
      if (e.getMessage() != null && e.getMessage().startsWith("cannot read ")) {
        throw e;
      }
      throw fail(file, Errors.describe(e), e);
    }
  }

  /**
   * The archive's entries in order, checked to be {@code KEY.npy} arrays with distinct,
   * non-empty keys.
   *
   * @throws IOException one line, starting {@code cannot read FILE:} and naming the entry
   */
  static List<ZipEntry> arrayEntries(Path file, ZipFile zip) throws IOException {
    List<ZipEntry> entries = new ArrayList<>();
    Set<String> keys = new HashSet<>();
    for (Enumeration<? extends ZipEntry> e = zip.entries(); e.hasMoreElements(); ) {
      ZipEntry entry = e.nextElement();
      String name = entry.getName();
      if (entry.isDirectory() || !name.endsWith(SUFFIX)) {
        throw fail(file, "entry '" + Errors.shown(name) + "' is not a .npy array");
      }
      String key = keyOf(entry);
      if (key.isEmpty()) {
        throw fail(file, "entry '" + Errors.shown(name) + "' has an empty key");
      }
      if (!keys.add(key)) {
        throw fail(file, "key '" + Errors.shown(key) + "' appears twice");
      }
      entries.add(entry);
    }
    return entries;
  }

  /**
   * The array reader allocates what the .npy header promises once the entry's size (from the
   * zip's central directory) says the data is there, so that size must be one the entry's
   * compressed bytes can hold: equal to them when stored, at most deflate's largest expansion of
   * them when deflated.
   */
  private static void checkSizes(Path file, ZipEntry entry, long fileSize) throws IOException {
    long size = entry.getSize();
    long packed = entry.getCompressedSize();
    boolean stored = entry.getMethod() == ZipEntry.STORED;
    if (size < 0 || packed < 0 || packed > fileSize || (stored ? size != packed
        : size > MAX_INFLATION * packed + 64)) { // 64: slack for an entry of a few bytes
      throw fail(file, "key '" + Errors.shown(keyOf(entry)) + "' is corrupt: the zip directory"
          + " gives it " + size + " bytes from " + packed + " " + (stored ? "stored" : "compressed")
          + " bytes");
    }
  }

  private static void readEntry(Path file, ZipFile zip, ZipEntry entry, ArrayConsumer consumer)
      throws IOException {
    String key = keyOf(entry);
    String shown = Errors.shown(key);
    CRC32 crc = new CRC32();
    try (InputStream raw = zip.getInputStream(entry);
        CountingInputStream counted = new CountingInputStream(
            new BufferedInputStream(raw, ArrayData.CHUNK));
        CheckedInputStream in = new CheckedInputStream(counted, crc)) {
      NpyHeader header = NpyHeader.read(in);
      // Check before the consumer allocates: a corrupt header may promise billions of elements.
      long available = entry.getSize() - counted.getCount();
      if (header.dataBytes() > available) {
        throw new NpyFormatException("is truncated: its header promises " + header.dataBytes()
            + " bytes of data, the entry holds " + available);
      }
      consumer.accept(key, header, in);
      if (entry.getCrc() != -1 && crc.getValue() != entry.getCrc()) {
        throw new NpyFormatException("is corrupt (its zip CRC does not match its bytes)");
      }
    } catch (NpyFormatException e) {
      throw fail(file, "key '" + shown + "' " + e.getMessage(), e);
    } catch (IOException e) {
      throw fail(file, "key '" + shown + "' cannot be read: " + Errors.describe(e), e);
    } catch (IllegalArgumentException e) {
      throw fail(file, "key '" + shown + "': " + Errors.oneLine(String.valueOf(e.getMessage())), e);
    }
  }

  static String keyOf(ZipEntry entry) {
    String name = entry.getName();
    return name.substring(0, name.length() - SUFFIX.length());
  }

  static ZipFile open(Path file) throws IOException {
    try {
      return new ZipFile(file.toFile());
    } catch (ZipException e) {
      if (startsWithZipSignature(file)) {
        throw fail(file, "truncated or corrupt zip archive (" + Errors.describe(e) + ")", e);
      }
      throw fail(file, "not an .npz file (not a zip archive)", e);
    } catch (IOException e) {
      throw fail(file, Errors.describe(e), e);
    }
  }

  private static boolean startsWithZipSignature(Path file) throws IOException {
    try (InputStream in = Files.newInputStream(file)) {
      byte[] b = in.readNBytes(2);
      return b.length == 2 && b[0] == 'P' && b[1] == 'K';
    }
  }

  static void checkReadable(Path file) throws IOException {
    if (!Files.exists(file)) {
      throw new IOException("cannot read " + file + ": no such file");
    }
    if (Files.isDirectory(file)) {
      throw new IOException("cannot read " + file + ": it is a directory");
    }
  }

  static IOException fail(Path file, String reason) {
    return new IOException("cannot read " + file + ": " + reason);
  }

  static IOException fail(Path file, String reason, Throwable cause) {
    return new IOException("cannot read " + file + ": " + reason, cause);
  }

  /**
   * Writes the arrays in the given order. Stored entries need their CRC up front, so their data
   * is encoded twice (once for the CRC, once to write) rather than buffered whole.
   */
  static void write(OutputStream out, List<Entry> entries, boolean deflate) throws IOException {
    ZipOutputStream zip = new ZipOutputStream(out);
    zip.setLevel(Deflater.BEST_SPEED);
    for (Entry e : entries) {
      byte[] header = NpyHeader.encode(e.dtype(), e.shape());
      ZipEntry z = new ZipEntry(e.key() + SUFFIX);
      z.setTimeLocal(ZIP_EPOCH);
      if (deflate) {
        z.setMethod(ZipEntry.DEFLATED);
      } else {
        CRC32 crc = new CRC32();
        crc.update(header);
        e.data().writeTo((b, n) -> crc.update(b, 0, n));
        long size = header.length + e.dataBytes();
        z.setMethod(ZipEntry.STORED);
        z.setSize(size);
        z.setCompressedSize(size);
        z.setCrc(crc.getValue());
      }
      zip.putNextEntry(z);
      zip.write(header);
      e.data().writeTo((b, n) -> zip.write(b, 0, n));
      zip.closeEntry();
    }
    zip.finish();
  }
}
