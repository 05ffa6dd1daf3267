package io.github.lth.core.io;

import static com.google.common.base.Preconditions.checkArgument;

import io.github.lth.core.Mask;
import io.github.lth.core.Shapes;
import io.github.lth.core.Weights;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;
import java.util.zip.CRC32;

/**
 * The {@code .lthc} compact format for pruned weights: each masked tensor stores its mask as one
 * bit per weight and only the values the mask keeps, so a network at sparsity s takes about
 * (1 − s)·32 + 1 bits per masked weight instead of 32. Reading restores the dense weights
 * exactly: kept values bit for bit (−0.0 and NaN payloads included), pruned ones as 0.0.
 *
 * <p>Byte layout, all integers unsigned little-endian:
 *
 * <pre>
 * file    = magic    4 bytes  "LTHC" (4C 54 48 43)
 *           version  u32      1
 *           count    u32      number of tensors
 *           record × count    in model order; nothing follows the last record
 * record  = name_len u16      bytes of the name, 1 or more
 *           name     UTF-8    the parameter's name, as in mask.npz
 *           kind     u8       0 = dense (a parameter the mask does not cover), 1 = masked
 *           rank     u8
 *           dims     u64 × rank   the shape; the element count n is their product (1 for rank 0)
 *           -- kind 1 only --
 *           kept     u64      number of weights the mask keeps
 *           bits     ceil(n / 8) bytes: weight i (C order) is kept iff bit (i mod 8) of byte
 *                    (i div 8) is set, least significant bit first (numpy's
 *                    packbits(bitorder="little")); bits past n are 0
 *           values   f32 × kept   the kept weights in C order
 *           -- kind 0 only --
 *           values   f32 × n      every weight in C order
 *           -- both --
 *           crc      u32      CRC-32 (zlib's) of the record's bytes from name_len to values
 * </pre>
 *
 * <p>A masked record therefore takes {@code 2 + name_len + 2 + 8·rank + 8 + ceil(n/8) + 4·kept +
 * 4} bytes ({@link #size} adds them up) and the file 12 bytes more than its records. There is no
 * padding; values are not aligned. {@code scripts/lthc.py} is a numpy reader.
 *
 * <p>Reading checks every length against the bytes left in the file before allocating, every
 * record's CRC, the kept count against the bits, and that nothing follows the last record; a
 * problem is an {@link IOException} {@code cannot read FILE: ...} naming the tensor.
 *
 * <pre>{@code
 * CompactWeights.write(trained, round.mask(), Path.of("model.lthc"));
 * CompactWeights.Contents c = CompactWeights.read(Path.of("model.lthc"));
 * c.weights().equals(trained.masked(round.mask()));   // true
 * }</pre>
 */
public final class CompactWeights {
  /** The file extension of the format. */
  public static final String EXTENSION = ".lthc";
  /** The version this class writes and reads. */
  public static final int VERSION = 1;

  private static final byte[] MAGIC = {'L', 'T', 'H', 'C'};
  private static final int FILE_HEADER = 12;
  private static final int KIND_DENSE = 0;
  private static final int KIND_MASKED = 1;
  private static final int MAX_NAME = 0xFFFF;
  private static final int MAX_RANK = 0xFF;
  /** The largest element count a {@link Weights} tensor (a Java array) can hold. */
  private static final long MAX_ELEMENTS = Integer.MAX_VALUE - 8;

  private CompactWeights() {}

  /**
   * What an {@code .lthc} file holds.
   *
   * @param weights every tensor, dense, pruned entries 0.0, in file order
   * @param mask the masks of the masked tensors, in file order
   */
  public record Contents(Weights weights, Mask mask) {}

  /**
   * Writes {@code weights} with {@code mask} applied, replacing {@code file} atomically. Each
   * parameter the mask covers keeps only its unpruned values; the others are stored whole.
   * Tensors go in the weights' order.
   *
   * @throws IllegalArgumentException if a mask layer is not among the weights or has another
   *     shape, or a name or rank does not fit the format
   * @throws IOException {@code cannot write FILE: ...}; an existing file is then left as it was
   */
  public static void write(Weights weights, Mask mask, Path file) throws IOException {
    checkCompatible(weights, mask);
    AtomicFiles.write(file, out -> writeTo(out, weights, mask));
  }

  /**
   * The exact byte count {@link #write} produces for these weights and mask.
   *
   * @throws IllegalArgumentException as {@link #write}
   */
  public static long size(Weights weights, Mask mask) {
    checkCompatible(weights, mask);
    long total = FILE_HEADER;
    for (String name : weights.names()) {
      total += recordBytes(name, weights.shape(name), mask);
    }
    return total;
  }

  /** The bytes of one tensor's record, its CRC included. */
  static long recordBytes(String name, long[] shape, Mask mask) {
    long header = 2 + nameBytes(name).length + 2 + 8L * shape.length + 4;
    long n = Shapes.size(shape);
    if (mask.contains(name)) {
      return header + 8 + (n + 7) / 8 + 4 * mask.kept(name);
    }
    return header + 4 * n;
  }

  /**
   * Reads an {@code .lthc} file.
   *
   * @throws IOException {@code cannot read FILE: ...} for a missing, truncated or corrupt file,
   *     another format or version; naming the tensor where it applies
   */
  public static Contents read(Path file) throws IOException {
    Npz.checkReadable(file);
    long fileSize = Files.size(file);
    try (InputStream in = new BufferedInputStream(Files.newInputStream(file), ArrayData.CHUNK)) {
      return new Reader(file, in, fileSize).readAll();
    } catch (IOException e) {
      if (e.getMessage() != null && e.getMessage().startsWith("cannot read ")) {
        throw e;
      }
      throw Npz.fail(file, Errors.describe(e), e);
    }
  }

  private static void checkCompatible(Weights weights, Mask mask) {
    for (String layer : mask.layers()) {
      checkArgument(weights.contains(layer), "mask layer '%s' is not among the weights (%s)",
          layer, weights.names());
      checkArgument(Arrays.equals(mask.shape(layer), weights.shape(layer)),
          "layer %s: the mask has shape %s, the weights %s", layer,
          Shapes.format(mask.shape(layer)), Shapes.format(weights.shape(layer)));
    }
    for (String name : weights.names()) {
      if (nameBytes(name).length > MAX_NAME) {
        throw new IllegalArgumentException("tensor name longer than " + MAX_NAME + " bytes: "
            + name.substring(0, 40) + "...");
      }
      checkArgument(weights.shape(name).length <= MAX_RANK, "tensor %s has rank %s; the .lthc"
          + " format stores at most %s", name, weights.shape(name).length, MAX_RANK);
    }
  }

  private static byte[] nameBytes(String name) {
    return name.getBytes(StandardCharsets.UTF_8);
  }

  private static void writeTo(OutputStream out, Weights weights, Mask mask) throws IOException {
    ByteBuffer head = ByteBuffer.allocate(FILE_HEADER).order(ByteOrder.LITTLE_ENDIAN);
    head.put(MAGIC).putInt(VERSION).putInt(weights.count());
    out.write(head.array());
    RecordWriter w = new RecordWriter(out);
    for (String name : weights.names()) {
      w.begin();
      long[] shape = weights.shape(name);
      boolean masked = mask.contains(name);
      byte[] nameBytes = nameBytes(name);
      ByteBuffer h = ByteBuffer.allocate(2 + nameBytes.length + 2 + 8 * shape.length + 8)
          .order(ByteOrder.LITTLE_ENDIAN);
      h.putShort((short) nameBytes.length).put(nameBytes);
      h.put((byte) (masked ? KIND_MASKED : KIND_DENSE)).put((byte) shape.length);
      for (long d : shape) {
        h.putLong(d);
      }
      FloatBuffer values = weights.view(name);
      if (masked) {
        h.putLong(mask.kept(name));
        w.write(h.array(), h.position());
        long[] words = mask.words(name);
        writeBits(w, words, values.remaining());
        writeKeptValues(w, values, words);
      } else {
        w.write(h.array(), h.position());
        ArrayData.float32(values).writeTo(w::write);
      }
      w.end();
    }
  }

  /** The mask words as little-endian bytes: bit i lands in byte i/8 at position i%8. */
  private static void writeBits(RecordWriter w, long[] words, long n) throws IOException {
    long bytes = (n + 7) / 8;
    ByteBuffer buf = ByteBuffer.allocate(ArrayData.CHUNK).order(ByteOrder.LITTLE_ENDIAN);
    for (long word = 0; word < words.length; word++) {
      if (buf.remaining() < 8) {
        w.write(buf.array(), buf.position());
        buf.clear();
      }
      buf.putLong(words[(int) word]);
    }
    // the last word may hold more bytes than ceil(n/8); they are zero and not written
    int surplus = (int) (8L * words.length - bytes);
    w.write(buf.array(), buf.position() - surplus);
  }

  private static void writeKeptValues(RecordWriter w, FloatBuffer values, long[] words)
      throws IOException {
    ByteBuffer buf = ByteBuffer.allocate(ArrayData.CHUNK).order(ByteOrder.LITTLE_ENDIAN);
    for (int word = 0; word < words.length; word++) {
      long bits = words[word];
      while (bits != 0) {
        int i = (word << 6) + Long.numberOfTrailingZeros(bits);
        bits &= bits - 1;
        if (!buf.hasRemaining()) {
          w.write(buf.array(), buf.position());
          buf.clear();
        }
        buf.putInt(Float.floatToRawIntBits(values.get(i)));
      }
    }
    w.write(buf.array(), buf.position());
  }

  /** Writes records and appends each one's CRC. */
  private static final class RecordWriter {
    private final OutputStream out;
    private final CRC32 crc = new CRC32();

    RecordWriter(OutputStream out) {
      this.out = out;
    }

    void begin() {
      crc.reset();
    }

    void write(byte[] b, int length) throws IOException {
      out.write(b, 0, length);
      crc.update(b, 0, length);
    }

    void end() throws IOException {
      ByteBuffer c = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN);
      c.putInt((int) crc.getValue());
      out.write(c.array());
    }
  }

  /** Reads a file front to back, knowing how many bytes are left before every allocation. */
  private static final class Reader {
    private final Path file;
    private final InputStream in;
    private final long fileSize;
    private final CRC32 crc = new CRC32();
    private final byte[] scratch = new byte[8];
    private long position;

    Reader(Path file, InputStream in, long fileSize) {
      this.file = file;
      this.in = in;
      this.fileSize = fileSize;
    }

    Contents readAll() throws IOException {
      if (fileSize < FILE_HEADER) {
        throw Npz.fail(file, "not an .lthc file (shorter than its " + FILE_HEADER
            + "-byte header)");
      }
      byte[] magic = new byte[4];
      readFully(magic, 4, null);
      if (!Arrays.equals(magic, MAGIC)) {
        throw Npz.fail(file, "not an .lthc file (it does not start with \"LTHC\")");
      }
      long version = u32(null);
      if (version != VERSION) {
        throw Npz.fail(file, "written in .lthc version " + version + "; this version of lth4j"
            + " reads version " + VERSION);
      }
      long count = u32(null);
      Weights.Builder weights = Weights.builder();
      Mask.Builder mask = Mask.builder();
      Set<String> names = new HashSet<>();
      for (long t = 0; t < count; t++) {
        if (position == fileSize) {
          throw Npz.fail(file, "truncated: the header announces " + count + " tensors, the"
              + " file ends after " + t);
        }
        readRecord(t, names, weights, mask);
      }
      if (position != fileSize) {
        throw Npz.fail(file, "corrupt .lthc file: " + (fileSize - position) + " bytes after"
            + " the last of its " + count + " tensors");
      }
      return new Contents(weights.build(), mask.build());
    }

    private void readRecord(long index, Set<String> names, Weights.Builder weights,
        Mask.Builder mask) throws IOException {
      crc.reset();
      String at = "tensor #" + (index + 1);
      int nameLength = u16(at);
      if (nameLength == 0) {
        throw fail(at, "has an empty name");
      }
      byte[] nameBytes = new byte[nameLength];
      need(nameLength, at);
      readFully(nameBytes, nameLength, at);
      String name;
      try {
        name = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(nameBytes))
            .toString();
      } catch (CharacterCodingException e) {
        throw fail(at, "has a name that is not UTF-8");
      }
      String tensor = "tensor '" + Errors.shown(name) + "'";
      if (!names.add(name)) {
        throw fail(tensor, "appears twice");
      }
      int kind = u8(tensor);
      if (kind != KIND_DENSE && kind != KIND_MASKED) {
        throw fail(tensor, "has unknown kind " + kind + " (0 dense, 1 masked)");
      }
      int rank = u8(tensor);
      long[] shape = new long[rank];
      long n = 1;
      for (int d = 0; d < rank; d++) {
        shape[d] = u64(tensor);
        if (shape[d] < 0 || (shape[d] > 0 && n > MAX_ELEMENTS / shape[d])) {
          throw fail(tensor, "is corrupt: its shape " + shapeText(shape, d) + " is too large");
        }
        n *= shape[d];
      }
      if (n > MAX_ELEMENTS) {
        throw fail(tensor, "is corrupt: its shape " + Arrays.toString(shape) + " is too large");
      }
      int size = (int) n;
      float[] values = new float[0];
      if (kind == KIND_MASKED) {
        long kept = u64(tensor);
        if (kept < 0 || kept > n) {
          throw fail(tensor, "is corrupt: it keeps " + Long.toUnsignedString(kept) + " of "
              + n + " weights");
        }
        int bitBytes = (int) ((n + 7) / 8);
        need(bitBytes + 4 * kept + 4, tensor);
        byte[] bits = new byte[bitBytes];
        readFully(bits, bitBytes, tensor);
        float[] keptValues = readFloats((int) kept, tensor);
        checkCrc(tensor);
        long[] words = words(bits, size);
        long setBits = 0;
        for (long w : words) {
          setBits += Long.bitCount(w);
        }
        if (setBits != kept || (size & 7) != 0 && (bits[bitBytes - 1] >>> (size & 7)) != 0) {
          throw fail(tensor, "is corrupt: its mask bits do not match its kept count " + kept);
        }
        values = new float[size];
        int k = 0;
        for (int w = 0; w < words.length; w++) {
          for (long b = words[w]; b != 0; b &= b - 1) {
            values[(w << 6) + Long.numberOfTrailingZeros(b)] = keptValues[k++];
          }
        }
        mask.putWords(name, shape, words);
      } else {
        need(4 * n + 4, tensor);
        values = readFloats(size, tensor);
        checkCrc(tensor);
      }
      weights.putOwned(name, shape, values);
    }

    private static String shapeText(long[] shape, int upTo) {
      StringBuilder s = new StringBuilder("[");
      for (int i = 0; i <= upTo; i++) {
        s.append(i > 0 ? ", " : "").append(Long.toUnsignedString(shape[i]));
      }
      return s.append(upTo < shape.length - 1 ? ", ...]" : "]").toString();
    }

    /** Bits in byte order to {@link Mask} words (BitSet layout), zero past the last byte. */
    private static long[] words(byte[] bits, int n) {
      long[] words = new long[(n + 63) >>> 6];
      ByteBuffer b = ByteBuffer.wrap(bits).order(ByteOrder.LITTLE_ENDIAN);
      int w = 0;
      for (; b.remaining() >= 8; w++) {
        words[w] = b.getLong();
      }
      for (int shift = 0; b.hasRemaining(); shift += 8) {
        words[w] |= (b.get() & 0xFFL) << shift;
      }
      return words;
    }

    private float[] readFloats(int n, String tensor) throws IOException {
      float[] out = new float[n];
      byte[] chunk = new byte[(int) Math.min(ArrayData.CHUNK, 4L * n)];
      ByteBuffer buf = ByteBuffer.wrap(chunk).order(ByteOrder.LITTLE_ENDIAN);
      for (int done = 0; done < n; ) {
        int k = Math.min(chunk.length / 4, n - done);
        readFully(chunk, 4 * k, tensor);
        buf.clear();
        for (int i = 0; i < k; i++) {
          out[done + i] = Float.intBitsToFloat(buf.getInt());
        }
        done += k;
      }
      return out;
    }

    private void checkCrc(String tensor) throws IOException {
      long expected = crc.getValue();
      readFully(scratch, 4, tensor);
      long stored = ByteBuffer.wrap(scratch).order(ByteOrder.LITTLE_ENDIAN).getInt() & 0xFFFFFFFFL;
      if (stored != expected) {
        throw fail(tensor, "is corrupt (its CRC-32 does not match its bytes)");
      }
    }

    /** Fails unless {@code bytes} more are left in the file. */
    private void need(long bytes, String tensor) throws IOException {
      if (bytes > fileSize - position) {
        throw fail(tensor, "is truncated: it needs " + bytes + " more bytes, the file holds "
            + (fileSize - position));
      }
    }

    private int u8(String tensor) throws IOException {
      readFully(scratch, 1, tensor);
      return scratch[0] & 0xFF;
    }

    private int u16(String tensor) throws IOException {
      readFully(scratch, 2, tensor);
      return ByteBuffer.wrap(scratch).order(ByteOrder.LITTLE_ENDIAN).getShort() & 0xFFFF;
    }

    private long u32(String tensor) throws IOException {
      readFully(scratch, 4, tensor);
      return ByteBuffer.wrap(scratch).order(ByteOrder.LITTLE_ENDIAN).getInt() & 0xFFFFFFFFL;
    }

    /** A u64; values above Long.MAX_VALUE come back negative, which callers reject. */
    private long u64(String tensor) throws IOException {
      readFully(scratch, 8, tensor);
      return ByteBuffer.wrap(scratch).order(ByteOrder.LITTLE_ENDIAN).getLong();
    }

    /** Reads exactly {@code length} bytes into the start of {@code b}, updating the CRC. */
    private void readFully(byte[] b, int length, String tensor) throws IOException {
      int got = in.readNBytes(b, 0, length);
      if (got < length) {
        throw tensor == null ? Npz.fail(file, "truncated .lthc header")
            : fail(tensor, "is truncated (the file ends inside it)");
      }
      crc.update(b, 0, length);
      position += length;
    }

    private IOException fail(String tensor, String reason) {
      return Npz.fail(file, tensor + " " + reason);
    }
  }
}
