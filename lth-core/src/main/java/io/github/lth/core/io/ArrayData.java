package io.github.lth.core.io;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import java.nio.ShortBuffer;

/**
 * Converts the raw data bytes of one array to and from Java arrays, a chunk at a time through a
 * {@link ByteBuffer} of the file's byte order, so large tensors need no second full-size copy
 * and no boxing. Readers consume exactly the byte count the header promises and fail on short
 * or overlong data.
 */
final class ArrayData {
  static final int CHUNK = 1 << 16;

  private ArrayData() {}

  /** Receives encoded bytes; {@code bytes[0, length)} is only valid during the call. */
  @FunctionalInterface
  interface ChunkSink {
    void accept(byte[] bytes, int length) throws IOException;
  }

  /** Produces the encoded data of one array, possibly more than once (for a CRC pass). */
  @FunctionalInterface
  interface Encoded {
    void writeTo(ChunkSink sink) throws IOException;
  }

  /**
   * Reads float16, bfloat16, float32 or float64 data (any byte order) into float32 values in C
   * order: the 16-bit types widen exactly, float64 rounds to the nearest float32.
   */
  static float[] readFloats(InputStream in, NpyHeader h, String purpose) throws IOException {
    Dtype t = h.dtype();
    if (!t.isWeightFloat()) {
      throw unsupported(t, purpose);
    }
    int n = (int) h.size();
    float[] out = new float[n];
    Reader r = new Reader(in, h);
    int done = 0;
    while (done < n) {
      ByteBuffer buf = r.fill();
      int k = buf.remaining() / t.itemSize();
      decodeFloats(buf, t, out, done, k);
      done += k;
    }
    r.finish();
    return h.fortranOrder() ? fortranToC(out, h.shape()) : out;
  }

  /**
   * Decodes {@code k} values of the float type {@code t} from {@code src} (already in the data's
   * byte order) into float32 {@code dst[off..]}, and moves {@code src} past them.
   */
  static void decodeFloats(ByteBuffer src, Dtype t, float[] dst, int off, int k) {
    switch (t.itemSize()) {
      case 4 -> src.asFloatBuffer().get(dst, off, k);
      case 2 -> widen(src.asShortBuffer(), t, dst, off, k);
      case 8 -> {
        DoubleBuffer d = src.asDoubleBuffer();
        for (int i = 0; i < k; i++) {
          dst[off + i] = (float) d.get(i);
        }
      }
      default -> throw new AssertionError(t);
    }
    src.position(src.position() + k * t.itemSize());
  }

  /** Widens {@code k} float16 or bfloat16 values of {@code src} into {@code out[at..]}. */
  private static void widen(ShortBuffer src, Dtype t, float[] out, int at, int k) {
    if (t.kind() == 'B') {
      for (int i = 0; i < k; i++) {
        out[at + i] = HalfFloats.bfloat16ToFloat(src.get(i));
      }
    } else {
      for (int i = 0; i < k; i++) {
        out[at + i] = HalfFloats.float16ToFloat(src.get(i));
      }
    }
  }

  /**
   * Reads bool, integer or float data holding only 0 and 1 as mask bits in C order, packed in
   * {@link java.util.BitSet} word layout.
   */
  static long[] readMaskWords(InputStream in, NpyHeader h) throws IOException {
    Dtype t = h.dtype();
    if (!t.isBool() && !t.isInteger() && !t.isFloat()) {
      throw unsupported(t, "a mask needs bool, integer or float 0/1 values");
    }
    int n = (int) h.size();
    byte[] bits = new byte[n];
    Reader r = new Reader(in, h);
    int done = 0;
    int size = t.itemSize();
    while (done < n) {
      ByteBuffer buf = r.fill();
      int k = buf.remaining() / size;
      int p = buf.position();
      if (size == 1 && t.kind() != 'f') {
        // bool and (u)int8, the common case: plain bytes, no per-element dispatch
        byte[] a = buf.array();
        for (int i = 0; i < k; i++, p++) {
          byte v = a[p];
          if ((v & ~1) != 0) {
            throw new NpyFormatException("holds " + describeValue(buf, p, t) + " at flat index "
                + (done + i) + "; a mask may hold only 0 and 1");
          }
          bits[done + i] = v;
        }
        buf.position(p);
        done += k;
        continue;
      }
      for (int i = 0; i < k; i++, p += size) {
        double v = switch (t.kind()) {
          case 'f' -> size == 4 ? buf.getFloat(p) : buf.getDouble(p);
          default -> switch (size) {
            case 1 -> buf.get(p);
            case 2 -> buf.getShort(p);
            case 4 -> buf.getInt(p);
            default -> buf.getLong(p);
          };
        };
        if (v == 1) {
          bits[done + i] = 1;
        } else if (v != 0) {
          throw new NpyFormatException("holds " + describeValue(buf, p, t) + " at flat index "
              + (done + i) + "; a mask may hold only 0 and 1");
        }
      }
      buf.position(p);
      done += k;
    }
    r.finish();
    if (h.fortranOrder()) {
      bits = fortranToC(bits, h.shape());
    }
    long[] words = new long[(n + 63) >>> 6];
    for (int w = 0; w < words.length; w++) {
      int base = w << 6;
      int end = Math.min(n, base + 64);
      long word = 0;
      for (int i = base; i < end; i++) {
        word |= (long) bits[i] << (i - base);
      }
      words[w] = word;
    }
    return words;
  }

  /** Little-endian float32 bytes of {@code values} (read from position 0 to the limit). */
  static Encoded float32(FloatBuffer values) {
    return sink -> {
      FloatBuffer src = values.duplicate();
      src.rewind();
      int n = src.remaining();
      ByteBuffer buf = ByteBuffer.allocate(CHUNK).order(ByteOrder.LITTLE_ENDIAN);
      FloatBuffer f = buf.asFloatBuffer();
      for (int off = 0; off < n; off += CHUNK / 4) {
        int k = Math.min(CHUNK / 4, n - off);
        f.clear();
        src.limit(off + k);
        f.put(src);
        sink.accept(buf.array(), k * 4);
      }
    };
  }

  /** One byte per bit (numpy bool: 0 or 1) of {@code size} bits held in {@code words}. */
  static Encoded bools(long[] words, long size) {
    return sink -> {
      byte[] buf = new byte[CHUNK];
      for (long off = 0; off < size; off += CHUNK) {
        int k = (int) Math.min(CHUNK, size - off);
        for (int i = 0; i < k; i++) {
          long bit = off + i;
          buf[i] = (byte) ((words[(int) (bit >>> 6)] >>> bit) & 1);
        }
        sink.accept(buf, k);
      }
    };
  }

  private static NpyFormatException unsupported(Dtype t, String purpose) {
    String name = t.kind() == 'c' ? " (complex)" : t.kind() == 'U' || t.kind() == 'S'
        ? " (string)" : "";
    return new NpyFormatException("has unsupported dtype '" + Errors.shown(t.descr()) + "'"
        + name + "; "
        + purpose);
  }

  private static String describeValue(ByteBuffer buf, int p, Dtype t) {
    if (t.kind() == 'f') {
      return String.valueOf(t.itemSize() == 4 ? buf.getFloat(p) : buf.getDouble(p));
    }
    long v = switch (t.itemSize()) {
      case 1 -> buf.get(p);
      case 2 -> buf.getShort(p);
      case 4 -> buf.getInt(p);
      default -> buf.getLong(p);
    };
    if (t.kind() == 'u' || t.kind() == 'b') {
      return switch (t.itemSize()) {
        case 1 -> String.valueOf(v & 0xff);
        case 2 -> String.valueOf(v & 0xffff);
        case 4 -> String.valueOf(v & 0xffffffffL);
        default -> Long.toUnsignedString(v);
      };
    }
    return String.valueOf(v);
  }

  /**
   * C-order copy of data stored in Fortran (column-major) order: walks the C indices with an
   * odometer and keeps the matching Fortran offset up to date.
   */
  static float[] fortranToC(float[] f, long[] shape) {
    float[] c = new float[f.length];
    int[] src = fortranOffsets(shape, f.length);
    for (int i = 0; i < c.length; i++) {
      c[i] = f[src[i]];
    }
    return c;
  }

  static byte[] fortranToC(byte[] f, long[] shape) {
    byte[] c = new byte[f.length];
    int[] src = fortranOffsets(shape, f.length);
    for (int i = 0; i < c.length; i++) {
      c[i] = f[src[i]];
    }
    return c;
  }

  private static int[] fortranOffsets(long[] shape, int n) {
    int rank = shape.length;
    int[] out = new int[n];
    if (n == 0) {
      return out;
    }
    long[] stride = new long[rank];
    long s = 1;
    for (int j = 0; j < rank; j++) {
      stride[j] = s;
      s *= shape[j];
    }
    long[] index = new long[rank];
    long offset = 0;
    for (int i = 0; i < n; i++) {
      out[i] = (int) offset;
      for (int j = rank - 1; j >= 0; j--) {
        index[j]++;
        offset += stride[j];
        if (index[j] < shape[j]) {
          break;
        }
        offset -= index[j] * stride[j];
        index[j] = 0;
      }
    }
    return out;
  }

  /** Feeds the data bytes through a buffer of the array's byte order, checking their count. */
  private static final class Reader {
    private final InputStream in;
    private final long expected;
    private final ByteBuffer buf;
    private long remaining;

    Reader(InputStream in, NpyHeader h) throws NpyFormatException {
      this.in = in;
      this.expected = h.dataBytes();
      this.remaining = expected;
      int item = h.dtype().itemSize();
      this.buf = ByteBuffer.allocate(CHUNK / item * item).order(h.dtype().order());
      buf.limit(0);
    }

    /** Compacts leftovers, reads more, and returns the buffer flipped for reading. */
    ByteBuffer fill() throws IOException {
      buf.compact();
      int want = (int) Math.min(buf.remaining(), remaining);
      int got = in.readNBytes(buf.array(), buf.position(), want);
      remaining -= got;
      buf.position(buf.position() + got);
      buf.flip();
      if (got < want) {
        throw new NpyFormatException("is truncated: its header promises " + expected
            + " bytes of data, the entry holds " + (expected - remaining));
      }
      return buf;
    }

    void finish() throws IOException {
      if (in.read() >= 0) {
        long extra = 1 + in.transferTo(OutputStream.nullOutputStream());
        throw new NpyFormatException("has " + extra + " bytes after the " + expected
            + " bytes of data its header promises (corrupt?)");
      }
    }
  }
}
