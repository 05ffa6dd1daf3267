package io.github.lth.djl.data;

import static com.google.common.base.Preconditions.checkArgument;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Reads the binary versions of CIFAR-10 and CIFAR-100 into {@link ImageDataset}s of 3×32×32
 * images.
 *
 * <p>A CIFAR-10 record is one label byte and 3,072 pixel bytes (red, green and blue planes of
 * 32×32, row-major); the directory ({@code cifar-10-batches-bin}) holds {@code
 * data_batch_1.bin} … {@code data_batch_5.bin} and {@code test_batch.bin}. A CIFAR-100 record is
 * a coarse label byte (20 classes), a fine label byte (100 classes) and the same 3,072 pixel
 * bytes; the directory ({@code cifar-100-binary}) holds {@code train.bin} and {@code test.bin}.
 *
 * <pre>{@code
 * TrainTestSplit cifar10 = CifarReader.cifar10(Path.of("cifar-10-batches-bin"));
 * TrainTestSplit cifar100 = CifarReader.cifar100(Path.of("cifar-100-binary"));
 * TrainTestSplit coarse = CifarReader.cifar100(Path.of("cifar-100-binary"),
 *     CifarReader.Labels.COARSE);
 * }</pre>
 */
public final class CifarReader {
  /** Height and width of a CIFAR image. */
  public static final int SIZE = 32;
  /** Colour channels of a CIFAR image. */
  public static final int CHANNELS = 3;
  /** Pixel bytes of one record: 3 × 32 × 32. */
  public static final int IMAGE_BYTES = CHANNELS * SIZE * SIZE;
  /** The CIFAR-10 training files, in the order their records are concatenated. */
  public static final List<String> CIFAR10_TRAIN_FILES = List.of("data_batch_1.bin",
      "data_batch_2.bin", "data_batch_3.bin", "data_batch_4.bin", "data_batch_5.bin");
  /** The CIFAR-10 test file. */
  public static final String CIFAR10_TEST_FILE = "test_batch.bin";
  /** The CIFAR-100 training file. */
  public static final String CIFAR100_TRAIN_FILE = "train.bin";
  /** The CIFAR-100 test file. */
  public static final String CIFAR100_TEST_FILE = "test.bin";

  /** Which of the two CIFAR-100 labels becomes the label of an image. */
  public enum Labels {
    /** The 100 fine classes (the default). */
    FINE(100),
    /** The 20 coarse super-classes. */
    COARSE(20);

    private final int classes;

    Labels(int classes) {
      this.classes = classes;
    }

    /** Number of classes of this labelling. */
    public int classes() {
      return classes;
    }
  }

  private static final int[] CIFAR10_LIMITS = {10};
  private static final int[] CIFAR100_LIMITS = {20, 100};

  private CifarReader() {}

  /**
   * The CIFAR-10 directory: the five training batches concatenated in order, and the test batch;
   * 10 classes. The sets are named after the directory ({@code <dir>-train}, {@code <dir>-test}).
   *
   * @throws IllegalArgumentException if a file is missing (all missing files are named)
   * @throws IOException if a file cannot be read, its length is not a whole number of records or
   *     a label is out of range
   */
  public static TrainTestSplit cifar10(Path dir) throws IOException {
    List<Path> train = new ArrayList<>();
    List<String> missing = new ArrayList<>();
    for (String file : CIFAR10_TRAIN_FILES) {
      Path p = dir.resolve(file);
      if (Files.isRegularFile(p)) {
        train.add(p);
      } else {
        missing.add(file);
      }
    }
    Path test = dir.resolve(CIFAR10_TEST_FILE);
    if (!Files.isRegularFile(test)) {
      missing.add(CIFAR10_TEST_FILE);
    }
    checkArgument(missing.isEmpty(), "CIFAR-10 data set %s: missing file%s %s", dir,
        missing.size() == 1 ? "" : "s", String.join(", ", missing));
    String name = DataSources.nameOf(dir);
    return new TrainTestSplit(read(name + "-train", train, CIFAR10_LIMITS, 0, "CIFAR-10"),
        read(name + "-test", List.of(test), CIFAR10_LIMITS, 0, "CIFAR-10"));
  }

  /** The CIFAR-100 directory with the fine labels (100 classes). */
  public static TrainTestSplit cifar100(Path dir) throws IOException {
    return cifar100(dir, Labels.FINE);
  }

  /**
   * The CIFAR-100 directory ({@code train.bin} and {@code test.bin}) with the chosen labels.
   *
   * @throws IllegalArgumentException if a file is missing
   * @throws IOException if a file cannot be read, its length is not a whole number of records or
   *     a label is out of range
   */
  public static TrainTestSplit cifar100(Path dir, Labels labels) throws IOException {
    Objects.requireNonNull(labels, "labels");
    List<String> missing = new ArrayList<>();
    for (String file : List.of(CIFAR100_TRAIN_FILE, CIFAR100_TEST_FILE)) {
      if (!Files.isRegularFile(dir.resolve(file))) {
        missing.add(file);
      }
    }
    checkArgument(missing.isEmpty(), "CIFAR-100 data set %s: missing file%s %s", dir,
        missing.size() == 1 ? "" : "s", String.join(", ", missing));
    String name = DataSources.nameOf(dir);
    return new TrainTestSplit(readCifar100(dir.resolve(CIFAR100_TRAIN_FILE), name + "-train",
        labels), readCifar100(dir.resolve(CIFAR100_TEST_FILE), name + "-test", labels));
  }

  /**
   * One CIFAR-10 file ({@code <label><3072 pixels>} records) as a 10-class data set.
   *
   * @throws IOException if the file cannot be read, is empty, its length is not a multiple of
   *     3,073 or a label is not in {@code [0, 10)}
   */
  public static ImageDataset readCifar10(Path file, String name) throws IOException {
    return read(name, List.of(file), CIFAR10_LIMITS, 0, "CIFAR-10");
  }

  /**
   * One CIFAR-100 file ({@code <coarse><fine><3072 pixels>} records) with the chosen labels.
   *
   * @throws IOException if the file cannot be read, is empty, its length is not a multiple of
   *     3,074 or a label is out of range
   */
  public static ImageDataset readCifar100(Path file, String name, Labels labels)
      throws IOException {
    Objects.requireNonNull(labels, "labels");
    return read(name, List.of(file), CIFAR100_LIMITS, labels == Labels.COARSE ? 0 : 1,
        "CIFAR-100");
  }

  // Concatenates the records of the files; each record has limits.length label bytes (label k
  // must be below limits[k]), of which the one at labelOffset is used, then IMAGE_BYTES pixels.
  private static ImageDataset read(String name, List<Path> files, int[] limits, int labelOffset,
      String format) throws IOException {
    int labelBytes = limits.length;
    int classes = limits[labelOffset];
    int record = labelBytes + IMAGE_BYTES;
    long total = 0;
    for (Path file : files) {
      long length = Files.size(file);
      if (length == 0 || length % record != 0) {
        throw new IOException(String.format("%s file %s: length %d bytes is not a positive"
            + " multiple of the %d-byte record", format, file, length, record));
      }
      total += length / record;
    }
    if (total * IMAGE_BYTES > Integer.MAX_VALUE - 8) {
      throw new IOException(String.format("%s data set %s: %d images do not fit in one array",
          format, name, total));
    }
    int n = (int) total;
    byte[] pixels = new byte[n * IMAGE_BYTES];
    int[] labels = new int[n];
    int image = 0;
    for (Path file : files) {
      byte[] bytes = Files.readAllBytes(file);
      if (bytes.length % record != 0) {
        throw new IOException(String.format("%s file %s: length %d bytes is not a positive"
            + " multiple of the %d-byte record", format, file, bytes.length, record));
      }
      for (int r = 0, at = 0; at < bytes.length; r++, at += record, image++) {
        if (image >= n) {
          throw new IOException(format + " file " + file + ": changed while being read");
        }
        for (int k = 0; k < labelBytes; k++) {
          int label = bytes[at + k] & 0xFF;
          if (label >= limits[k]) {
            throw new IOException(String.format("%s file %s: %slabel %d of record %d is outside"
                + " [0, %d)", format, file, labelBytes == 1 ? "" : k == 0 ? "coarse " : "fine ",
                label, r, limits[k]));
          }
        }
        labels[image] = bytes[at + labelOffset] & 0xFF;
        System.arraycopy(bytes, at + labelBytes, pixels, image * IMAGE_BYTES, IMAGE_BYTES);
      }
    }
    if (image != n) {
      throw new IOException(format + " data set " + name + ": a file changed while being read");
    }
    return ImageDataset.of(name, pixels, labels, CHANNELS, SIZE, SIZE, classes);
  }
}
