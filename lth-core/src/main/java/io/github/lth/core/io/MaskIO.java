package io.github.lth.core.io;

import io.github.lth.core.Mask;
import io.github.lth.core.Shapes;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Saves and loads a {@link Mask} as numpy bool arrays keyed by parameter name, in the mask's
 * layer order: {@code .npz} (what {@code np.load} reads) or {@code .safetensors} (what the
 * Hugging Face libraries read), chosen by the file's extension.
 *
 * <p>Writing produces C-order {@code '|b1'} arrays (deflated in an .npz, since masks compress
 * well) and replaces the file atomically. Reading also accepts integer and float arrays that hold
 * only 0 and 1, any byte order, and Fortran-order arrays (transposed to C order).
 *
 * <p>Every problem, bad content included, is an {@link IOException} whose one-line message names
 * the file and, where it applies, the key.
 *
 * <pre>{@code
 * MaskIO.write(mask, Path.of("runs/a/round-03/mask.npz"));
 * Mask again = MaskIO.read(Path.of("runs/a/round-03/mask.npz"));   // equals mask
 * // python: m = np.load("mask.npz"); m["fc1.weight"].dtype == bool
 * }</pre>
 */
public final class MaskIO {
  private MaskIO() {}

  /**
   * Writes {@code mask} to {@code file} (.npz or .safetensors), replacing it atomically.
   *
   * @throws IOException {@code cannot write FILE: ...}, e.g. when the directory does not exist;
   *     an existing file is then left as it was
   */
  public static void write(Mask mask, Path file) throws IOException {
    FileFormat format = FileFormat.of(file, "write");
    List<Npz.Entry> entries = new ArrayList<>();
    for (String layer : mask.layers()) {
      long size = mask.size(layer);
      entries.add(new Npz.Entry(layer, Dtype.BOOL, mask.shape(layer),
          ArrayData.bools(mask.words(layer), size), size));
    }
    format.write(file, entries, true);
  }

  /**
   * The bool values of one mask layer in C order, produced as they are decided: each call
   * fills {@code out[0, n)} with the next {@code n} values (0 = pruned, 1 = kept).
   */
  @FunctionalInterface
  public interface LayerValues {
    void next(byte[] out, int n) throws IOException;
  }

  /** Starts a fresh pass over a layer's values. */
  @FunctionalInterface
  public interface LayerSource {
    LayerValues open() throws IOException;
  }

  /** One mask layer to write without holding its bits: name, shape and its values' source. */
  public record StreamedLayer(String name, long[] shape, LayerSource values) {}

  /**
   * Writes a mask whose layers are produced while the file is written (a mask larger than the
   * heap), with the same bytes {@link #write(Mask, Path)} writes for the same values; replaces
   * {@code file} atomically, so a failure or a kill leaves no partial file. Each layer's source
   * is opened once per pass the format needs (once for .npz and .safetensors).
   *
   * @throws IOException {@code cannot write FILE: ...}; an IOException from a source keeps its
   *     own message after the prefix
   */
  public static void writeStreamed(List<StreamedLayer> layers, Path file) throws IOException {
    FileFormat format = FileFormat.of(file, "write");
    List<Npz.Entry> entries = new ArrayList<>();
    for (StreamedLayer layer : layers) {
      long size = Shapes.size(layer.shape());
      entries.add(new Npz.Entry(layer.name(), Dtype.BOOL, layer.shape().clone(), sink -> {
        LayerValues values = layer.values().open();
        // chunks as ArrayData.bools cuts them, so the deflated bytes are the same
        byte[] buf = new byte[ArrayData.CHUNK];
        for (long off = 0; off < size; off += ArrayData.CHUNK) {
          int k = (int) Math.min(ArrayData.CHUNK, size - off);
          values.next(buf, k);
          sink.accept(buf, k);
        }
      }, size));
    }
    format.write(file, entries, true);
  }

  /**
   * Reads a mask written by {@link #write} or by numpy / safetensors; layers keep the file's
   * order.
   *
   * @throws IOException {@code cannot read FILE: ...} for a missing, truncated or corrupt file,
   *     an unsupported dtype, a value other than 0 or 1, or a key given twice
   */
  public static Mask read(Path file) throws IOException {
    FileFormat format = FileFormat.of(file, "read");
    Mask.Builder builder = Mask.builder();
    Npz.ArrayConsumer add = (key, header, data) ->
        builder.putWords(key, header.shape(), ArrayData.readMaskWords(data, header));
    format.read(file, add);
    return builder.build();
  }
}
