package io.github.lth.core.io;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/** The on-disk formats, chosen by file extension. */
enum FileFormat {
  NPZ,
  SAFETENSORS,
  /** One array ({@code np.save}); read only, named by the file's stem. */
  NPY;

  static FileFormat of(Path file, String verb) throws IOException {
    Path name = file.getFileName();
    String lower = name == null ? "" : name.toString().toLowerCase(Locale.ROOT);
    if (lower.endsWith(".npz")) {
      return NPZ;
    }
    if (lower.endsWith(".safetensors")) {
      return SAFETENSORS;
    }
    if (lower.endsWith(".npy") && verb.equals("read")) {
      return NPY;
    }
    if (lower.endsWith(".npy")) {
      throw new IOException("cannot " + verb + " " + file
          + ": a .npy file holds a single array; use .npz or .safetensors");
    }
    if (verb.equals("read")) {
      throw new IOException("cannot read " + file
          + ": unknown file extension (use .npz, .safetensors or .npy)");
    }
    throw new IOException("cannot " + verb + " " + file
        + ": unknown file extension (use .npz or .safetensors)");
  }

  /** Writes the arrays to {@code file} atomically; {@code compress} applies to .npz only. */
  void write(Path file, List<Npz.Entry> entries, boolean compress) throws IOException {
    if (this == NPY) {
      throw new IOException("cannot write " + file + ": a .npy file holds a single array");
    }
    AtomicFiles.write(file, out -> {
      if (this == NPZ) {
        Npz.write(out, entries, compress);
      } else {
        Safetensors.write(out, entries);
      }
    });
  }

  /** Hands every array of {@code file} to {@code consumer}, in file order. */
  void read(Path file, Npz.ArrayConsumer consumer) throws IOException {
    switch (this) {
      case NPZ -> Npz.read(file, consumer);
      case SAFETENSORS -> Safetensors.read(file, consumer);
      case NPY -> NpyFile.read(file, consumer);
      default -> throw new AssertionError(this);
    }
  }
}
