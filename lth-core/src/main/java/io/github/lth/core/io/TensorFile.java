package io.github.lth.core.io;

import com.google.common.io.CountingInputStream;
import io.github.lth.core.Shapes;
import java.io.BufferedInputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

/**
 * The tensors of a weights file read without loading them into the heap: only the headers are
 * parsed when the file is opened, and each tensor's values are then read as often as needed, a
 * window at a time, converted to float32 ({@link HalfFloats} for float16/bfloat16, rounding for
 * float64).
 *
 * <p>{@code .npy} (one array, named by the file stem) and {@code .safetensors} data is
 * memory-mapped in windows of at most {@link #MAX_WINDOW} bytes (a {@link MappedByteBuffer} is
 * int-indexed, so a 2 GB tensor takes several windows); those tensors also allow reading at any
 * index ({@link Tensor#read(long, float[], int, int)}). Stored (uncompressed) {@code .npz}
 * entries, what {@code np.savez} writes, are mapped the same way; deflated ones
 * ({@code np.savez_compressed}) are read through an {@link java.util.zip.Inflater} on every
 * pass, so each pass over them costs their decompression again, and they are read in order
 * only. Entry CRCs are not checked on these paths (the in-heap {@link WeightsIO#read} does).
 *
 * <p>Only C-order arrays of float16, bfloat16, float32 and float64 (either byte order) are
 * readable this way: {@link #whyNotReadable()} names the first tensor that is not, so that a
 * caller can fall back to {@link WeightsIO#read}.
 *
 * <pre>{@code
 * try (TensorFile f = TensorFile.open(Path.of("model.safetensors"))) {
 *   for (TensorFile.Tensor t : f.tensors()) {
 *     try (TensorFile.Cursor c = t.open()) {
 *       float[] buf = new float[8192];
 *       for (int n; (n = c.read(buf, 0, buf.length)) > 0; ) { ... }
 *     }
 *   }
 * }
 * }</pre>
 */
public final class TensorFile implements Closeable {
  /** The largest memory-mapped window: a {@link MappedByteBuffer} holds at most 2^31 - 1 bytes. */
  public static final long MAX_WINDOW = 1L << 30;

  private final Path path;
  private final List<Tensor> tensors;
  private final FileChannel channel;
  private final ZipFile zip;
  private final long windowBytes;

  private TensorFile(Path path, FileChannel channel, ZipFile zip, long windowBytes) {
    this.path = path;
    this.channel = channel;
    this.zip = zip;
    this.windowBytes = windowBytes;
    this.tensors = new ArrayList<>();
  }

  /** Opens {@code file} (.npy, .npz or .safetensors) with windows of {@link #MAX_WINDOW}. */
  public static TensorFile open(Path file) throws IOException {
    return open(file, MAX_WINDOW);
  }

  /**
   * Opens {@code file}, mapping at most {@code windowBytes} at a time (tests use small windows
   * to cross window boundaries often).
   *
   * @throws IOException {@code cannot read FILE: ...}, as {@link WeightsIO#read} says it
   */
  public static TensorFile open(Path file, long windowBytes) throws IOException {
    if (windowBytes < 8 || windowBytes > MAX_WINDOW) {
      throw new IllegalArgumentException("window of " + windowBytes + " bytes, expected 8.."
          + MAX_WINDOW);
    }
    FileFormat format = FileFormat.of(file, "read");
    Npz.checkReadable(file);
    if (format == FileFormat.NPZ) {
      return openNpz(file, windowBytes);
    }
    FileChannel channel = openChannel(file);
    TensorFile f = new TensorFile(file, channel, null, windowBytes);
    try {
      if (format == FileFormat.NPY) {
        NpyFile.Layout l = NpyFile.layout(file);
        f.tensors.add(f.new Tensor(l.key(), l.header(), l.dataStart(), null));
      } else {
        Safetensors.Layout l = Safetensors.layout(file);
        for (Safetensors.Tensor t : l.tensors()) {
          f.tensors.add(f.new Tensor(t.name(), new NpyHeader(t.dtype(), false, t.shape()),
              l.dataStart() + t.begin(), null));
        }
      }
      return f;
    } catch (IOException | RuntimeException e) {
      f.close();
      throw e;
    }
  }

  private static FileChannel openChannel(Path file) throws IOException {
    try {
      return FileChannel.open(file, StandardOpenOption.READ);
    } catch (IOException e) {
      throw Npz.fail(file, Errors.describe(e), e);
    }
  }

  private static TensorFile openNpz(Path file, long windowBytes) throws IOException {
    ZipFile zip = Npz.open(file);
    FileChannel channel;
    try {
      channel = openChannel(file);
    } catch (IOException e) {
      zip.close();
      throw e;
    }
    TensorFile f = new TensorFile(file, channel, zip, windowBytes);
    try {
      Map<String, Long> stored;
      try {
        stored = ZipOffsets.storedDataOffsets(channel);
      } catch (IOException | RuntimeException e) {
        stored = Map.of(); // ZipFile reads the archive: its entries are then read in order
      }
      for (ZipEntry entry : Npz.arrayEntries(file, zip)) {
        String key = Npz.keyOf(entry);
        NpyHeader header;
        long headerBytes;
        try (CountingInputStream in = new CountingInputStream(zip.getInputStream(entry))) {
          header = NpyHeader.read(in);
          headerBytes = in.getCount();
          long promised = header.dataBytes();
          if (entry.getSize() >= 0 && entry.getSize() - headerBytes < promised) {
            throw new NpyFormatException("is truncated: its header promises " + promised
                + " bytes of data, the entry holds " + (entry.getSize() - headerBytes));
          }
        } catch (NpyFormatException ex) {
          throw Npz.fail(file, "key '" + Errors.shown(key) + "' " + ex.getMessage(), ex);
        }
        Long offset = entry.getMethod() == ZipEntry.STORED ? stored.get(entry.getName()) : null;
        if (offset != null && offset + headerBytes + header.dataBytes() <= channel.size()) {
          // stored: the data lies in the file as it is, so it maps like a .npy
          f.tensors.add(f.new Tensor(key, header, offset + headerBytes, null));
        } else {
          f.tensors.add(f.new Tensor(key, header, -1, entry));
        }
      }
      return f;
    } catch (IOException | RuntimeException e) {
      f.close();
      if (e instanceof IOException io && (io.getMessage() == null
          || !io.getMessage().startsWith("cannot read "))) {
        throw Npz.fail(file, Errors.describe(io), io);
      }
      throw e;
    }
  }

  /** The file this was opened from. */
  public Path path() {
    return path;
  }

  /** The tensors in file order (data order for safetensors, archive order for .npz). */
  public List<Tensor> tensors() {
    return List.copyOf(tensors);
  }

  /** The tensor called {@code name}, or null. */
  public Tensor tensor(String name) {
    for (Tensor t : tensors) {
      if (t.name().equals(name)) {
        return t;
      }
    }
    return null;
  }

  /**
   * Why some tensor cannot be read as floats here (a dtype that is no float, Fortran order),
   * naming it; null when every tensor can.
   */
  public String whyNotReadable() {
    for (Tensor t : tensors) {
      String why = t.whyNotReadable();
      if (why != null) {
        return why;
      }
    }
    return null;
  }

  /**
   * Checks that every tensor can be read here.
   *
   * @throws IOException {@code cannot read FILE: } {@link #whyNotReadable()} and what is needed
   */
  public void checkReadable() throws IOException {
    String why = whyNotReadable();
    if (why != null) {
      throw notReadable(why);
    }
  }

  private IOException notReadable(String why) {
    return Npz.fail(path, why + "; weights must be C-order float16, bfloat16, float32 or"
        + " float64 to be read without loading them");
  }

  @Override
  public void close() throws IOException {
    if (channel != null) {
      channel.close();
    }
    if (zip != null) {
      zip.close();
    }
  }

  /** Reads float32 values in C order, a buffer at a time. */
  public interface Cursor extends Closeable {
    /**
     * Reads up to {@code len} next values into {@code dst[off..]}.
     *
     * @return how many were read; 0 at the end of the tensor
     */
    int read(float[] dst, int off, int len) throws IOException;
  }

  /** One tensor of the file. */
  public final class Tensor {
    private final String name;
    private final NpyHeader header;
    private final long dataStart;
    private final ZipEntry entry;

    private Tensor(String name, NpyHeader header, long dataStart, ZipEntry entry) {
      this.name = name;
      this.header = header;
      this.dataStart = dataStart;
      this.entry = entry;
    }

    /** The tensor's key in the file (for a .npy, the file's stem). */
    public String name() {
      return name;
    }

    /** A copy of the shape. */
    public long[] shape() {
      return header.shape().clone();
    }

    /** The number of values. */
    public long size() {
      return Shapes.size(header.shape());
    }

    /** {@code float16}, {@code bfloat16}, {@code float32}, {@code float64}, or numpy's descr. */
    public String dtype() {
      return header.dtype().typeName();
    }

    /** Bytes per value in the file. */
    public int itemSize() {
      return header.dtype().itemSize();
    }

    /** True when {@link #read(long, float[], int, int)} works: the data is memory-mappable. */
    public boolean randomAccess() {
      return entry == null;
    }

    /**
     * A cursor over all values from flat index 0.
     *
     * @throws IOException {@code cannot read FILE: key 'NAME' ...}
     */
    public Cursor open() throws IOException {
      check();
      if (entry == null) {
        return new MappedCursor(this);
      }
      InputStream in = new BufferedInputStream(zip.getInputStream(entry), ArrayData.CHUNK);
      NpyHeader.read(in);
      return new StreamCursor(this, in);
    }

    /**
     * Reads {@code len} values from flat index {@code from} into {@code dst[off..]} with one
     * positional read (no mapping): for samples.
     */
    public void read(long from, float[] dst, int off, int len) throws IOException {
      check();
      if (entry != null) {
        throw new UnsupportedOperationException("an .npz entry is read in order only");
      }
      if (from < 0 || len < 0 || from + len > size()) {
        throw new IndexOutOfBoundsException("values " + from + ".." + (from + len) + " of "
            + size());
      }
      int item = itemSize();
      ByteBuffer buf = ByteBuffer.allocate(len * item).order(header.dtype().order());
      long position = dataStart + from * item;
      while (buf.hasRemaining()) {
        if (channel.read(buf, position + buf.position()) < 0) {
          throw Npz.fail(path, "key '" + Errors.shown(name) + "' ends early (file changed?)");
        }
      }
      buf.flip();
      ArrayData.decodeFloats(buf, header.dtype(), dst, off, len);
    }

    private void check() throws IOException {
      String why = whyNotReadable();
      if (why != null) {
        throw notReadable(why);
      }
    }

    /** Why this tensor cannot be read as floats here, naming it; null when it can. */
    private String whyNotReadable() {
      Dtype d = header.dtype();
      if (!d.isWeightFloat()) {
        return "key '" + Errors.shown(name) + "' has dtype '" + Errors.shown(d.descr())
            + "', not a float type";
      }
      if (header.fortranOrder() && header.shape().length > 1) {
        return "key '" + Errors.shown(name) + "' is in Fortran order";
      }
      return null;
    }

    @Override
    public String toString() {
      return name + " " + dtype() + " " + Shapes.format(header.shape());
    }
  }

  /** Walks a tensor through memory-mapped windows of at most {@code windowBytes}. */
  private final class MappedCursor implements Cursor {
    private final Tensor tensor;
    private final long total;
    private final long perWindow;
    private long next;
    private MappedByteBuffer window;

    MappedCursor(Tensor tensor) {
      this.tensor = tensor;
      this.total = tensor.size();
      this.perWindow = windowBytes / tensor.itemSize();
    }

    @Override
    public int read(float[] dst, int off, int len) throws IOException {
      if (next >= total || len == 0) {
        return 0;
      }
      if (window == null || !window.hasRemaining()) {
        long count = Math.min(perWindow, total - next);
        int item = tensor.itemSize();
        try {
          window = channel.map(FileChannel.MapMode.READ_ONLY, tensor.dataStart + next * item,
              count * item);
        } catch (IOException e) {
          throw Npz.fail(path, "key '" + Errors.shown(tensor.name()) + "' cannot be mapped: "
              + Errors.describe(e), e);
        }
        window.order(tensor.header.dtype().order());
      }
      int k = Math.min(len, window.remaining() / tensor.itemSize());
      ArrayData.decodeFloats(window, tensor.header.dtype(), dst, off, k);
      next += k;
      return k;
    }

    @Override
    public void close() {
      window = null; // the mapping goes with the buffer, at the next GC
    }
  }

  /** Reads an .npz entry's data (stored, or inflated on the way) after its header. */
  private final class StreamCursor implements Cursor {
    private final Tensor tensor;
    private final InputStream in;
    private final ByteBuffer buf;
    private long left;

    StreamCursor(Tensor tensor, InputStream in) {
      this.tensor = tensor;
      this.in = in;
      int item = tensor.itemSize();
      this.buf = ByteBuffer.allocate(ArrayData.CHUNK / item * item)
          .order(tensor.header.dtype().order());
      this.left = tensor.size();
      buf.limit(0);
    }

    @Override
    public int read(float[] dst, int off, int len) throws IOException {
      if (left == 0 || len == 0) {
        return 0;
      }
      int item = tensor.itemSize();
      if (buf.remaining() < item) {
        buf.compact();
        long wanted = Math.min(buf.remaining(), left * item - buf.position());
        int got = in.readNBytes(buf.array(), buf.position(), (int) wanted);
        buf.position(buf.position() + got);
        buf.flip();
        if (buf.remaining() < item) {
          throw Npz.fail(path, "key '" + Errors.shown(tensor.name()) + "' is truncated");
        }
      }
      int k = (int) Math.min(Math.min(len, buf.remaining() / item), left);
      ArrayData.decodeFloats(buf, tensor.header.dtype(), dst, off, k);
      left -= k;
      return k;
    }

    @Override
    public void close() throws IOException {
      in.close();
    }
  }
}
