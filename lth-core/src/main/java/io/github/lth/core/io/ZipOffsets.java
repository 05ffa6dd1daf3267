package io.github.lth.core.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;

/**
 * Where the bytes of each stored (uncompressed) entry of a zip archive begin, so an .npz entry
 * can be memory-mapped: {@link java.util.zip.ZipFile} reads entries but does not say where they
 * are. Reads the end-of-central-directory record (ZIP64 too: numpy writes ZIP64 for large
 * arrays), the central directory, and each stored entry's local header.
 */
final class ZipOffsets {
  private static final int EOCD = 0x06054b50;
  private static final int ZIP64_LOCATOR = 0x07064b50;
  private static final int ZIP64_EOCD = 0x06064b50;
  private static final int CENTRAL = 0x02014b50;
  private static final int LOCAL = 0x04034b50;
  private static final long MAX_TAIL = 22 + 0xffff + 20;

  private ZipOffsets() {}

  /**
   * Entry name → file offset of its data, for the stored entries.
   *
   * @throws IOException when the archive's records are not where they should be (the caller
   *     then reads the entries through {@link java.util.zip.ZipFile})
   */
  static Map<String, Long> storedDataOffsets(FileChannel ch) throws IOException {
    long size = ch.size();
    int tailLength = (int) Math.min(size, MAX_TAIL);
    ByteBuffer tail = read(ch, size - tailLength, tailLength);
    int eocd = -1;
    for (int p = tailLength - 22; p >= 0; p--) {
      if (tail.getInt(p) == EOCD) {
        eocd = p;
        break;
      }
    }
    if (eocd < 0) {
      throw new IOException("no end of central directory");
    }
    long entries = tail.getShort(eocd + 10) & 0xffff;
    long cdSize = tail.getInt(eocd + 12) & 0xffffffffL;
    long cdOffset = tail.getInt(eocd + 16) & 0xffffffffL;
    if (eocd >= 20 && tail.getInt(eocd - 20) == ZIP64_LOCATOR) {
      long at = tail.getLong(eocd - 20 + 8);
      ByteBuffer z = read(ch, at, 56);
      if (z.getInt(0) != ZIP64_EOCD) {
        throw new IOException("no ZIP64 end of central directory");
      }
      entries = z.getLong(32);
      cdSize = z.getLong(40);
      cdOffset = z.getLong(48);
    }
    if (cdSize > Integer.MAX_VALUE || cdOffset + cdSize > size) {
      throw new IOException("central directory out of range");
    }
    ByteBuffer cd = read(ch, cdOffset, (int) cdSize);
    Map<String, Long> out = new HashMap<>();
    int p = 0;
    for (long e = 0; e < entries; e++) {
      if (cd.getInt(p) != CENTRAL) {
        throw new IOException("bad central directory entry");
      }
      int method = cd.getShort(p + 10) & 0xffff;
      long compressed = cd.getInt(p + 20) & 0xffffffffL;
      long uncompressed = cd.getInt(p + 24) & 0xffffffffL;
      int nameLength = cd.getShort(p + 28) & 0xffff;
      int extraLength = cd.getShort(p + 30) & 0xffff;
      int commentLength = cd.getShort(p + 32) & 0xffff;
      long local = cd.getInt(p + 42) & 0xffffffffL;
      byte[] name = new byte[nameLength];
      cd.get(p + 46, name);
      int x = p + 46 + nameLength;
      int extraEnd = x + extraLength;
      while (x + 4 <= extraEnd) {
        int id = cd.getShort(x) & 0xffff;
        int length = cd.getShort(x + 2) & 0xffff;
        if (id == 0x0001) {
          int q = x + 4;
          if (uncompressed == 0xffffffffL) {
            q += 8;
          }
          if (compressed == 0xffffffffL) {
            q += 8;
          }
          if (local == 0xffffffffL) {
            local = cd.getLong(q);
          }
        }
        x += 4 + length;
      }
      if (method == 0) {
        ByteBuffer h = read(ch, local, 30);
        if (h.getInt(0) != LOCAL) {
          throw new IOException("bad local header");
        }
        long data = local + 30 + (h.getShort(26) & 0xffff) + (h.getShort(28) & 0xffff);
        out.put(new String(name, StandardCharsets.UTF_8), data);
      }
      p = extraEnd + commentLength;
    }
    return out;
  }

  private static ByteBuffer read(FileChannel ch, long at, int length) throws IOException {
    if (at < 0 || at + length > ch.size()) {
      throw new IOException("record out of range");
    }
    ByteBuffer b = ByteBuffer.allocate(length).order(ByteOrder.LITTLE_ENDIAN);
    while (b.hasRemaining()) {
      if (ch.read(b, at + b.position()) < 0) {
        throw new IOException("short read");
      }
    }
    return b.flip();
  }
}
