package io.github.lth.djl.data;

import static com.google.common.base.Preconditions.checkArgument;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Finds a data set from the value of the command line's {@code --data} flag: {@code embedded}
 * (the default, a 6,000/1,000 image stratified Fashion-MNIST sample inside the jar), {@code
 * fashion-mnist} (the Debian package {@code dataset-fashion-mnist}), or a directory: the four
 * MNIST-style IDX files (plain or gzipped), the binary CIFAR-10 or CIFAR-100 files (see {@link
 * CifarReader}) or an image folder with {@code train/<class>/} and {@code test/<class>/} (see
 * {@link ImageFolderReader}).
 *
 * <pre>{@code
 * TrainTestSplit data = DataSources.load("fashion-mnist");
 * System.out.println(data.train());   // fashion-mnist-train: 60000 images 1x28x28, 10 classes
 * }</pre>
 */
public final class DataSources {
  /** Spec of the embedded Fashion-MNIST sample; also used for a null or blank spec. */
  public static final String EMBEDDED = "embedded";
  /** Spec of the full Fashion-MNIST from the Debian package. */
  public static final String FASHION_MNIST = "fashion-mnist";
  /** Where the Debian package {@code dataset-fashion-mnist} installs its files. */
  public static final Path FASHION_MNIST_DIR = Path.of("/usr/share/datasets/fashion-mnist");

  /** Base names of the four files of a directory data set, each optionally with ".gz". */
  public static final List<String> IDX_FILES = List.of("train-images-idx3-ubyte",
      "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte");

  private static final String SAMPLE_RESOURCE_DIR = "fashion-mnist-sample/";
  // Fashion-MNIST has ten classes even if a small subset happened to miss the last one.
  private static final int FASHION_MNIST_CLASSES = 10;

  private DataSources() {}

  /**
   * Loads the data set named by a {@code --data} value.
   *
   * @throws IllegalArgumentException for an unknown spec, a missing Fashion-MNIST package or a
   *     directory holding no known data set
   * @throws IOException if a data file cannot be read or is corrupt
   */
  public static TrainTestSplit load(String spec) throws IOException {
    if (spec == null || spec.isBlank() || spec.equals(EMBEDDED)) {
      return embedded();
    }
    if (spec.equals(FASHION_MNIST)) {
      return fashionMnist(FASHION_MNIST_DIR);
    }
    Path dir = Path.of(spec);
    checkArgument(Files.isDirectory(dir),
        "data set: unknown data set '%s' (use embedded, fashion-mnist or a directory of IDX files,"
            + " CIFAR binary files or train/ and test/ image folders)",
        spec);
    return directory(dir);
  }

  /** The embedded stratified sample: 600 training and 100 test images per class. */
  public static TrainTestSplit embedded() {
    try {
      IdxArray trainImages = resource(IDX_FILES.get(0));
      IdxArray trainLabels = resource(IDX_FILES.get(1));
      IdxArray testImages = resource(IDX_FILES.get(2));
      IdxArray testLabels = resource(IDX_FILES.get(3));
      int classes = classes(trainLabels, testLabels, FASHION_MNIST_CLASSES);
      return new TrainTestSplit(
          IdxReader.toDataset(EMBEDDED + "-train", trainImages, trainLabels, classes),
          IdxReader.toDataset(EMBEDDED + "-test", testImages, testLabels, classes));
    } catch (IOException e) {
      // The sample ships inside this jar; failing to read it means a broken build.
      throw new UncheckedIOException("embedded data set is unreadable: " + e.getMessage(), e);
    }
  }

  /** The full Fashion-MNIST (60,000/10,000) from the Debian package. */
  public static TrainTestSplit fashionMnist() throws IOException {
    return fashionMnist(FASHION_MNIST_DIR);
  }

  static TrainTestSplit fashionMnist(Path dir) throws IOException {
    checkArgument(Files.isDirectory(dir),
        "data set fashion-mnist: %s not found; install it with: apt-get install"
            + " dataset-fashion-mnist", dir);
    return readDirectory(dir, FASHION_MNIST, FASHION_MNIST_CLASSES);
  }

  /**
   * A directory data set, recognised in this order: any of the IDX files {@code
   * train-images-idx3-ubyte}, {@code train-labels-idx1-ubyte}, {@code t10k-images-idx3-ubyte}
   * and {@code t10k-labels-idx1-ubyte} (each plain or with {@code .gz}; all four are then
   * required; classes = largest label of either set + 1); CIFAR-10 ({@code data_batch_1.bin} or
   * {@code test_batch.bin}); CIFAR-100 ({@code train.bin} or {@code test.bin}, fine labels); an
   * image folder (sub-directories {@code train} and {@code test}). The sets are named after the
   * directory.
   *
   * @throws IllegalArgumentException if the directory holds none of these (the message lists
   *     what was looked for) or a file of the recognised kind is missing
   * @throws IOException if a data file cannot be read or is corrupt
   */
  public static TrainTestSplit directory(Path dir) throws IOException {
    checkArgument(Files.isDirectory(dir), "data set %s: not a directory", dir);
    for (String base : IDX_FILES) {
      if (Files.isRegularFile(dir.resolve(base))
          || Files.isRegularFile(dir.resolve(base + ".gz"))) {
        return readDirectory(dir, nameOf(dir), 1);
      }
    }
    if (Files.isRegularFile(dir.resolve(CifarReader.CIFAR10_TRAIN_FILES.get(0)))
        || Files.isRegularFile(dir.resolve(CifarReader.CIFAR10_TEST_FILE))) {
      return CifarReader.cifar10(dir);
    }
    if (Files.isRegularFile(dir.resolve(CifarReader.CIFAR100_TRAIN_FILE))
        || Files.isRegularFile(dir.resolve(CifarReader.CIFAR100_TEST_FILE))) {
      return CifarReader.cifar100(dir);
    }
    if (Files.isDirectory(dir.resolve(ImageFolderReader.TRAIN))
        || Files.isDirectory(dir.resolve(ImageFolderReader.TEST))) {
      return ImageFolderReader.read(dir);
    }
    throw new IllegalArgumentException(String.format("data set %s: no known data set; looked for"
        + " IDX files (%s, each optionally .gz), CIFAR-10 files (%s, %s), CIFAR-100 files (%s,"
        + " %s) and an image folder (%s/<class>/, %s/<class>/)", dir,
        String.join(", ", IDX_FILES), String.join(", ", CifarReader.CIFAR10_TRAIN_FILES),
        CifarReader.CIFAR10_TEST_FILE, CifarReader.CIFAR100_TRAIN_FILE,
        CifarReader.CIFAR100_TEST_FILE, ImageFolderReader.TRAIN, ImageFolderReader.TEST));
  }

  /** The name of the sets read from a directory: its last path element. */
  static String nameOf(Path dir) {
    Path fileName = dir.toAbsolutePath().normalize().getFileName();
    return fileName == null ? "data" : fileName.toString();
  }

  private static TrainTestSplit readDirectory(Path dir, String name, int minClasses)
      throws IOException {
    List<Path> files = new ArrayList<>();
    List<String> missing = new ArrayList<>();
    for (String base : IDX_FILES) {
      Path plain = dir.resolve(base);
      Path gz = dir.resolve(base + ".gz");
      if (Files.isRegularFile(plain)) {
        files.add(plain);
      } else if (Files.isRegularFile(gz)) {
        files.add(gz);
      } else {
        missing.add(base + "[.gz]");
      }
    }
    checkArgument(missing.isEmpty(), "data set %s: missing IDX file%s %s", dir,
        missing.size() == 1 ? "" : "s", String.join(", ", missing));
    IdxArray trainImages = IdxReader.read(files.get(0));
    IdxArray trainLabels = IdxReader.read(files.get(1));
    IdxArray testImages = IdxReader.read(files.get(2));
    IdxArray testLabels = IdxReader.read(files.get(3));
    int classes = classes(trainLabels, testLabels, minClasses);
    ImageDataset train = IdxReader.toDataset(name + "-train", trainImages, trainLabels, classes);
    ImageDataset test = IdxReader.toDataset(name + "-test", testImages, testLabels, classes);
    checkArgument(train.channels() == test.channels() && train.height() == test.height()
            && train.width() == test.width(),
        "data set %s: training images are %sx%sx%s but test images are %sx%sx%s", dir,
        train.channels(), train.height(), train.width(), test.channels(), test.height(),
        test.width());
    return new TrainTestSplit(train, test);
  }

  private static int classes(IdxArray trainLabels, IdxArray testLabels, int minClasses)
      throws IOException {
    int max = Math.max(IdxReader.maxLabel(trainLabels), IdxReader.maxLabel(testLabels));
    return Math.max(minClasses, max + 1);
  }

  private static IdxArray resource(String base) throws IOException {
    String name = SAMPLE_RESOURCE_DIR + base + ".gz";
    String source = "classpath:" + DataSources.class.getPackageName().replace('.', '/') + "/"
        + name;
    try (InputStream in = DataSources.class.getResourceAsStream(name)) {
      if (in == null) {
        throw new IOException("IDX file " + source + ": not found");
      }
      return IdxReader.read(in, source);
    }
  }
}
