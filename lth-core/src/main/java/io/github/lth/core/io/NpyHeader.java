package io.github.lth.core.io;

import io.github.lth.core.Shapes;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * The header of a .npy array (format versions 1.0, 2.0 and 3.0): dtype, memory order and shape.
 * The data that follows is {@code size() * dtype.itemSize()} raw bytes.
 */
record NpyHeader(Dtype dtype, boolean fortranOrder, long[] shape) {

  private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
  /** numpy aligns the data to 64 bytes so that it can be memory-mapped. */
  private static final int ALIGN = 64;
  /** numpy refuses headers above 10000 bytes by default; allow more, but not without bound. */
  private static final int MAX_HEADER = 1 << 20;

  long size() throws NpyFormatException {
    try {
      return Shapes.size(shape);
    } catch (IllegalArgumentException | ArithmeticException e) {
      throw new NpyFormatException("has an unsupported shape " + Shapes.format(shape)
          + " (more than 2^31 elements)");
    }
  }

  long dataBytes() throws NpyFormatException {
    return size() * dtype.itemSize();
  }

  /** Reads the magic, version and header dict, leaving {@code in} at the first data byte. */
  static NpyHeader read(InputStream in) throws IOException {
    byte[] prefix = readFully(in, 8, "the .npy preamble");
    if (!Arrays.equals(Arrays.copyOf(prefix, 6), MAGIC)) {
      throw new NpyFormatException("is not a .npy array (bad magic bytes)");
    }
    int major = prefix[6] & 0xff;
    int minor = prefix[7] & 0xff;
    long length;
    Charset charset;
    if (major == 1) {
      byte[] b = readFully(in, 2, "the .npy header length");
      length = (b[0] & 0xff) | (b[1] & 0xff) << 8;
      charset = StandardCharsets.ISO_8859_1;
    } else if (major == 2 || major == 3) {
      byte[] b = readFully(in, 4, "the .npy header length");
      length = (b[0] & 0xffL) | (b[1] & 0xffL) << 8 | (b[2] & 0xffL) << 16 | (b[3] & 0xffL) << 24;
      charset = major == 2 ? StandardCharsets.ISO_8859_1 : StandardCharsets.UTF_8;
    } else {
      throw new NpyFormatException("has unsupported .npy format version " + major + "." + minor);
    }
    if (length > MAX_HEADER) {
      throw new NpyFormatException("has a .npy header of " + length + " bytes (corrupt?)");
    }
    String text = new String(readFully(in, (int) length, "the .npy header"), charset);
    return parse(text);
  }

  private static NpyHeader parse(String text) throws NpyFormatException {
    Object literal = PyLiteral.parse(text);
    if (!(literal instanceof Map<?, ?> dict)) {
      throw new NpyFormatException("has a bad .npy header: not a dict");
    }
    if (!dict.keySet().equals(Set.of("descr", "fortran_order", "shape"))) {
      throw new NpyFormatException("has a bad .npy header: keys " + names(dict.keySet())
          + ", expected descr, fortran_order and shape");
    }
    Object descr = dict.get("descr");
    if (!(descr instanceof String descrText)) {
      throw new NpyFormatException("has unsupported dtype " + pyRepr(descr)
          + " (structured arrays are not supported)");
    }
    Dtype dtype = Dtype.parse(descrText);
    if (!(dict.get("fortran_order") instanceof Boolean fortran)) {
      throw new NpyFormatException("has a bad .npy header: fortran_order is not True or False");
    }
    if (!(dict.get("shape") instanceof List<?> dims)) {
      throw new NpyFormatException("has a bad .npy header: shape is not a tuple");
    }
    long[] shape = new long[dims.size()];
    for (int i = 0; i < shape.length; i++) {
      if (!(dims.get(i) instanceof Long d) || d < 0) {
        throw new NpyFormatException("has a bad .npy header: shape " + pyRepr(dims)
            + " is not a tuple of non-negative integers");
      }
      shape[i] = d;
    }
    return new NpyHeader(dtype, fortran, shape);
  }

  /** The preamble and padded header dict of a C-order array, version 1.0 when it fits. */
  static byte[] encode(Dtype dtype, long[] shape) {
    String dict = "{'descr': '" + dtype.descr() + "', 'fortran_order': False, 'shape': "
        + Shapes.format(shape) + ", }";
    byte[] body = dict.getBytes(StandardCharsets.ISO_8859_1);
    int preamble = 10;
    int major = 1;
    if (padded(preamble, body.length) - preamble > 0xffff) {
      preamble = 12;
      major = 2;
    }
    int total = padded(preamble, body.length);
    byte[] out = new byte[total];
    System.arraycopy(MAGIC, 0, out, 0, MAGIC.length);
    out[6] = (byte) major;
    out[7] = 0;
    int headerLength = total - preamble;
    out[8] = (byte) headerLength;
    out[9] = (byte) (headerLength >>> 8);
    if (major == 2) {
      out[10] = (byte) (headerLength >>> 16);
      out[11] = (byte) (headerLength >>> 24);
    }
    System.arraycopy(body, 0, out, preamble, body.length);
    Arrays.fill(out, preamble + body.length, total - 1, (byte) ' ');
    out[total - 1] = '\n';
    return out;
  }

  /** Room for the dict plus at least one padding byte ending in a newline, rounded up. */
  private static int padded(int preamble, int bodyLength) {
    int needed = preamble + bodyLength + 1;
    return (needed + ALIGN - 1) / ALIGN * ALIGN;
  }

  private static byte[] readFully(InputStream in, int n, String what) throws IOException {
    byte[] b = in.readNBytes(n);
    if (b.length < n) {
      throw new NpyFormatException("is truncated: it ends inside " + what);
    }
    return b;
  }

  /** The most items of a tuple or key list from a header that a message repeats. */
  private static final int MAX_ITEMS = 8;

  /** Python-like text of a parsed literal, for error messages; long or odd text is cut. */
  static String pyRepr(Object o) {
    if (o instanceof String s) {
      return "'" + Errors.shown(s) + "'";
    }
    if (o instanceof List<?> list) {
      return "[" + items(list, NpyHeader::pyRepr) + "]";
    }
    if (o instanceof Map<?, ?> map) {
      return "{" + items(map.keySet(), NpyHeader::pyRepr) + (map.isEmpty() ? "}" : ": ...}");
    }
    if (o instanceof Boolean b) {
      return b ? "True" : "False";
    }
    return String.valueOf(o);
  }

  /** The keys of a header dict, unquoted as Java prints a set: {@code [descr, shape]}. */
  private static String names(Collection<?> keys) {
    return "[" + items(keys, k -> k instanceof String s ? Errors.shown(s) : pyRepr(k)) + "]";
  }

  /** The first {@value #MAX_ITEMS} items, comma-separated, and how many there are if more. */
  private static String items(Collection<?> items, Function<Object, String> repr) {
    StringBuilder sb = new StringBuilder();
    int i = 0;
    for (Object item : items) {
      if (i == MAX_ITEMS) {
        sb.append(", ... (").append(items.size()).append(" in all)");
        break;
      }
      sb.append(i++ > 0 ? ", " : "").append(repr.apply(item));
    }
    return sb.toString();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof NpyHeader h && dtype.equals(h.dtype) && fortranOrder == h.fortranOrder
        && Arrays.equals(shape, h.shape);
  }

  @Override
  public int hashCode() {
    return 31 * (31 * dtype.hashCode() + Boolean.hashCode(fortranOrder)) + Arrays.hashCode(shape);
  }

  @Override
  public String toString() {
    return "{'descr': '" + dtype + "', 'fortran_order': " + (fortranOrder ? "True" : "False")
        + ", 'shape': " + Shapes.format(shape) + "}";
  }
}
