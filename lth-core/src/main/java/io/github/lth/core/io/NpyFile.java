package io.github.lth.core.io;

import com.google.common.io.CountingInputStream;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A single {@code .npy} file ({@code np.save}): one array, named by the file's stem, so that
 * {@code fc1.weight.npy} reads as the tensor {@code fc1.weight}.
 */
final class NpyFile {
  private static final String SUFFIX = ".npy";

  private NpyFile() {}

  /** The header of the one array and where its data starts. */
  record Layout(String key, NpyHeader header, long dataStart) {}

  /** The array's name: the file name without {@code .npy}. */
  static String keyOf(Path file) {
    String name = file.getFileName().toString();
    return name.substring(0, name.length() - SUFFIX.length());
  }

  /**
   * Reads and checks the header of {@code file}: the data is exactly as long as it promises.
   *
   * @throws IOException one line, starting {@code cannot read FILE:}
   */
  static Layout layout(Path file) throws IOException {
    Npz.checkReadable(file);
    try (CountingInputStream in = new CountingInputStream(
        new BufferedInputStream(Files.newInputStream(file), 4096))) {
      NpyHeader header = NpyHeader.read(in);
      long start = in.getCount();
      long available = Files.size(file) - start;
      if (header.dataBytes() > available) {
        throw new NpyFormatException("is truncated: its header promises " + header.dataBytes()
            + " bytes of data, the file holds " + available);
      }
      if (header.dataBytes() < available) {
        throw new NpyFormatException("has " + (available - header.dataBytes())
            + " bytes after the " + header.dataBytes()
            + " bytes of data its header promises (corrupt?)");
      }
      return new Layout(keyOf(file), header, start);
    } catch (NpyFormatException e) {
      throw Npz.fail(file, "array '" + Errors.shown(keyOf(file)) + "' " + e.getMessage(), e);
    } catch (IOException e) {
      throw Npz.fail(file, Errors.describe(e), e);
    } catch (IllegalArgumentException e) {
      throw Npz.fail(file, Errors.oneLine(String.valueOf(e.getMessage())), e);
    }
  }

  /** Hands the one array to {@code consumer}. */
  static void read(Path file, Npz.ArrayConsumer consumer) throws IOException {
    Layout layout = layout(file);
    try (InputStream in = new BufferedInputStream(Files.newInputStream(file), ArrayData.CHUNK)) {
      in.skipNBytes(layout.dataStart());
      consumer.accept(layout.key(), layout.header(), in);
    } catch (NpyFormatException e) {
      throw Npz.fail(file, "array '" + Errors.shown(layout.key()) + "' " + e.getMessage(), e);
    } catch (IOException e) {
      if (e.getMessage() != null && e.getMessage().startsWith("cannot read ")) {
        throw e;
      }
      throw Npz.fail(file, Errors.describe(e), e);
    } catch (IllegalArgumentException e) {
      throw Npz.fail(file, Errors.oneLine(String.valueOf(e.getMessage())), e);
    }
  }
}
