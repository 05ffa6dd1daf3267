package io.github.lth.core.io;

import io.github.lth.core.Weights;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Saves and loads {@link Weights} as named float32 arrays, in order: {@code .npz} (numpy) or
 * {@code .safetensors} (Hugging Face), chosen by the file's extension.
 *
 * <p>Writing produces C-order little-endian {@code '<f4'} arrays (stored, not deflated: float
 * noise barely compresses) and replaces the file atomically. Reading accepts float32, float64
 * (rounded to the nearest float32, as numpy's {@code astype(np.float32)}), float16 and bfloat16
 * (safetensors {@code F16}/{@code BF16}, numpy {@code '<f2'}; widened exactly), either byte
 * order, and Fortran-order arrays (transposed to C order). A {@code .npy} file is read as one
 * tensor named by the file's stem ({@code fc1.weight.npy} holds {@code fc1.weight}). Float bits,
 * NaN payloads included, are written and read unchanged.
 *
 * <p>Every problem, bad content included, is an {@link IOException} whose one-line message names
 * the file and, where it applies, the key.
 *
 * <pre>{@code
 * WeightsIO.write(model.weights(), Path.of("runs/a/round-00/weights.npz"));
 * Weights theta0 = WeightsIO.read(Path.of("runs/a/round-00/weights.npz"));
 * }</pre>
 */
public final class WeightsIO {
  private WeightsIO() {}

  /**
   * Writes {@code weights} to {@code file} (.npz or .safetensors), replacing it atomically.
   *
   * @throws IOException {@code cannot write FILE: ...}, e.g. when the directory does not exist;
   *     an existing file is then left as it was
   */
  public static void write(Weights weights, Path file) throws IOException {
    FileFormat format = FileFormat.of(file, "write");
    format.write(file, entries(weights), false);
  }

  /** The arrays {@link #write} stores, one float32 entry per tensor in order. */
  static List<Npz.Entry> entries(Weights weights) {
    List<Npz.Entry> entries = new ArrayList<>();
    for (String name : weights.names()) {
      long[] shape = weights.shape(name);
      entries.add(new Npz.Entry(name, Dtype.FLOAT32, shape,
          ArrayData.float32(weights.view(name)), 4L * weights.view(name).remaining()));
    }
    return entries;
  }

  /**
   * Reads weights written by {@link #write}, numpy or safetensors; tensors keep the file's order.
   *
   * @throws IOException {@code cannot read FILE: ...} for a missing, truncated or corrupt file,
   *     a dtype other than float16/bfloat16/float32/float64, or a key given twice
   */
  public static Weights read(Path file) throws IOException {
    FileFormat format = FileFormat.of(file, "read");
    Weights.Builder builder = Weights.builder();
    Npz.ArrayConsumer add = (key, header, data) -> builder.putOwned(key, header.shape(),
        ArrayData.readFloats(data, header, "weights must be float16, bfloat16, float32 or float64"));
    format.read(file, add);
    return builder.build();
  }
}
