package io.github.lth.djl.data;

import static com.google.common.base.Preconditions.checkArgument;

import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.Raster;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.ImageTypeSpecifier;
import javax.imageio.stream.ImageInputStream;
import javax.imageio.stream.MemoryCacheImageInputStream;

/**
 * Reads an image folder: {@code root/train/<class>/*.png|jpg|jpeg} and {@code
 * root/test/<class>/*.png|jpg|jpeg}. Class names are the sub-directory names, sorted; a class's
 * label is its index in that list, which must be the same for training and test. Images are read
 * in file-name order within a class and decoded with {@code javax.imageio}; all must have one
 * size. If every image is grayscale the sets have one channel, otherwise three (RGB, gray images
 * repeated in each channel, alpha dropped).
 *
 * <pre>{@code
 * TrainTestSplit data = ImageFolderReader.read(Path.of("flowers"));
 * List<String> names = ImageFolderReader.classes(Path.of("flowers/train"));   // label order
 * }</pre>
 *
 * <p>Files with other extensions, hidden files and plain files next to the class directories are
 * ignored.
 */
public final class ImageFolderReader {
  /** The sub-directory of the training images. */
  public static final String TRAIN = "train";
  /** The sub-directory of the test images. */
  public static final String TEST = "test";
  /** File-name extensions read, compared ignoring case. */
  public static final List<String> EXTENSIONS = List.of(".png", ".jpg", ".jpeg");

  // Raw decoded bytes per file byte that no complete PNG or JPEG file exceeds: deflate expands at
  // most 1,032-fold, and JPEG spends at least one bit on each 8x8 block of each component
  // (about 1,365-fold with 4x4 chroma subsampling).
  private static final long MAX_EXPANSION = 2048;
  // One image's three channel planes must fit in one Java array.
  private static final long MAX_ARRAY = Integer.MAX_VALUE - 8L;

  private ImageFolderReader() {}

  /**
   * Reads {@code root/train} and {@code root/test}; the sets are named after the root directory
   * ({@code <root>-train}, {@code <root>-test}).
   *
   * @throws IllegalArgumentException if a sub-directory is missing, the class lists differ, a set
   *     has no images or an image has another size than the first one
   * @throws IOException if a file cannot be read or decoded, is not PNG or JPEG, or its header
   *     claims more pixels than the file's length can hold (the message names it)
   */
  public static TrainTestSplit read(Path root) throws IOException {
    Path trainDir = root.resolve(TRAIN);
    Path testDir = root.resolve(TEST);
    checkArgument(Files.isDirectory(trainDir) && Files.isDirectory(testDir),
        "image folder %s: needs sub-directories %s and %s", root, TRAIN, TEST);
    List<String> classes = classes(trainDir);
    List<String> testClasses = classes(testDir);
    checkArgument(classes.equals(testClasses),
        "image folder %s: training classes %s differ from test classes %s", root, classes,
        testClasses);
    checkArgument(!classes.isEmpty(), "image folder %s: %s has no class directories", root,
        trainDir);
    List<Decoded> train = decodeAll(trainDir, classes);
    List<Decoded> test = decodeAll(testDir, classes);
    checkArgument(!train.isEmpty(), "image folder %s: no images in %s", root, trainDir);
    checkArgument(!test.isEmpty(), "image folder %s: no images in %s", root, testDir);
    Decoded first = train.get(0);
    boolean gray = true;
    for (List<Decoded> set : List.of(train, test)) {
      for (Decoded d : set) {
        checkArgument(d.width == first.width && d.height == first.height,
            "image folder %s: %s is %sx%s but %s is %sx%s", root, d.file, d.width, d.height,
            first.file, first.width, first.height);
        gray &= d.gray;
      }
    }
    String name = DataSources.nameOf(root);
    int channels = gray ? 1 : 3;
    return new TrainTestSplit(assemble(name + "-" + TRAIN, train, channels, classes.size()),
        assemble(name + "-" + TEST, test, channels, classes.size()));
  }

  /**
   * The class names of a folder: its non-hidden sub-directories, sorted by name.
   *
   * @throws IOException if the folder cannot be listed
   */
  public static List<String> classes(Path folder) throws IOException {
    List<String> names = new ArrayList<>();
    try (Stream<Path> entries = Files.list(folder)) {
      for (Path p : (Iterable<Path>) entries.sorted()::iterator) {
        String n = p.getFileName().toString();
        if (Files.isDirectory(p) && !n.startsWith(".")) {
          names.add(n);
        }
      }
    }
    names.sort(null);
    return names;
  }

  private static boolean isImage(Path p) {
    String n = p.getFileName().toString();
    String lower = n.toLowerCase(Locale.ROOT);
    return !n.startsWith(".") && Files.isRegularFile(p)
        && EXTENSIONS.stream().anyMatch(lower::endsWith);
  }

  private static List<Decoded> decodeAll(Path folder, List<String> classes) throws IOException {
    List<Decoded> all = new ArrayList<>();
    for (int label = 0; label < classes.size(); label++) {
      List<Path> files = new ArrayList<>();
      try (Stream<Path> entries = Files.list(folder.resolve(classes.get(label)))) {
        entries.filter(ImageFolderReader::isImage).forEach(files::add);
      }
      files.sort(null);
      for (Path file : files) {
        all.add(decode(file, label));
      }
    }
    return all;
  }

  private static Decoded decode(Path file, int label) throws IOException {
    BufferedImage image = readImage(file);
    int w = image.getWidth();
    int h = image.getHeight();
    boolean gray = image.getColorModel().getColorSpace().getType() == ColorSpace.TYPE_GRAY;
    byte[] pixels;
    if (gray) {
      // The raster, not getRGB: getRGB converts linear gray to sRGB and changes the values.
      Raster raster = image.getRaster();
      int bits = image.getColorModel().getComponentSize(0);
      long max = (1L << bits) - 1;
      pixels = new byte[w * h];
      for (int y = 0; y < h; y++) {
        for (int x = 0; x < w; x++) {
          int v = raster.getSample(x, y, 0);
          pixels[y * w + x] = (byte) (bits == 8 ? v : Math.round(v * 255.0 / max));
        }
      }
    } else {
      int[] rgb = image.getRGB(0, 0, w, h, null, 0, w);
      int plane = w * h;
      pixels = new byte[3 * plane];
      for (int i = 0; i < plane; i++) {
        pixels[i] = (byte) (rgb[i] >> 16);
        pixels[plane + i] = (byte) (rgb[i] >> 8);
        pixels[2 * plane + i] = (byte) rgb[i];
      }
    }
    return new Decoded(file, label, w, h, gray, pixels);
  }

  /**
   * Decodes a PNG or JPEG file (recognised by content) after checking the size its header claims
   * against the file's length, so that a damaged header cannot make the decoder allocate a huge
   * raster.
   */
  private static BufferedImage readImage(Path file) throws IOException {
    long length;
    InputStream raw;
    try {
      length = Files.size(file);
      raw = Files.newInputStream(file);
    } catch (IOException e) {
      throw new IOException("image " + file + ": cannot be read (" + reason(e) + ")", e);
    }
    try (raw; ImageInputStream in = new MemoryCacheImageInputStream(raw)) {
      ImageReader reader = pngOrJpegReader(file, in);
      try {
        reader.setInput(in, true, true);
        int w;
        int h;
        ImageTypeSpecifier type;
        try {
          w = reader.getWidth(0);
          h = reader.getHeight(0);
          type = reader.getRawImageType(0);
        } catch (IOException | RuntimeException e) {
          throw undecodable(file, e);
        }
        checkClaimedSize(file, reader.getFormatName(), w, h, type, length);
        try {
          return reader.read(0);
        } catch (IOException | RuntimeException e) {
          throw undecodable(file, e);
        }
      } finally {
        reader.dispose();
      }
    }
  }

  private static ImageReader pngOrJpegReader(Path file, ImageInputStream in) throws IOException {
    Iterator<ImageReader> readers;
    try {
      readers = ImageIO.getImageReaders(in);
    } catch (RuntimeException e) {
      throw undecodable(file, e);
    }
    while (readers.hasNext()) {
      ImageReader r = readers.next();
      String format = r.getFormatName().toLowerCase(Locale.ROOT);
      if (format.equals("png") || format.equals("jpeg")) {
        return r;
      }
      r.dispose();
    }
    throw new IOException("image " + file + ": not a readable PNG or JPEG image");
  }

  private static void checkClaimedSize(Path file, String format, int w, int h,
      ImageTypeSpecifier type, long length) throws IOException {
    long pixels = (long) w * h;
    // Without a raw type (a colour space the decoder will refuse anyway) assume one byte a pixel.
    int bits = type == null ? 8 : 0;
    if (type != null) {
      for (int size : type.getSampleModel().getSampleSize()) {
        bits += size;
      }
    }
    long rawBytes = (pixels * bits + 7) / 8;
    if (w <= 0 || h <= 0 || rawBytes > MAX_EXPANSION * length || 3 * pixels > MAX_ARRAY) {
      throw new IOException(String.format(Locale.ROOT, "image %s: header claims %dx%d pixels,"
          + " more than a %d-byte %s file can hold", file, w, h, length,
          format.toUpperCase(Locale.ROOT)));
    }
  }

  // The JDK decoders report damaged data with IIOException and, on some inputs, with runtime
  // exceptions of their own; neither set is ours to enumerate, so both become one message.
  private static IOException undecodable(Path file, Exception e) {
    return new IOException("image " + file + ": cannot be decoded: " + reason(e), e);
  }

  private static String reason(Exception e) {
    if (e instanceof NoSuchFileException) {
      return "no such file";
    }
    if (e instanceof AccessDeniedException) {
      return "permission denied";
    }
    String m = message(e);
    // The PNG decoder puts the actual problem (bad colour type, width 0, ...) in the cause.
    Throwable cause = e.getCause();
    if (cause != null && cause != e && !m.contains(message(cause))) {
      m += " (" + message(cause) + ")";
    }
    return m;
  }

  private static String message(Throwable t) {
    String m = t.getMessage();
    if (m == null || m.isBlank()) {
      return t instanceof EOFException ? "unexpected end of file" : t.getClass().getSimpleName();
    }
    return m.replaceAll("\\s*[\\r\\n]+\\s*", " ").strip();
  }

  private static ImageDataset assemble(String name, List<Decoded> images, int channels,
      int classes) {
    Decoded first = images.get(0);
    int plane = first.width * first.height;
    int per = channels * plane;
    byte[] pixels = new byte[images.size() * per];
    int[] labels = new int[images.size()];
    for (int i = 0; i < images.size(); i++) {
      Decoded d = images.get(i);
      labels[i] = d.label;
      if (d.gray && channels == 3) {
        for (int c = 0; c < 3; c++) {
          System.arraycopy(d.pixels, 0, pixels, i * per + c * plane, plane);
        }
      } else {
        System.arraycopy(d.pixels, 0, pixels, i * per, per);
      }
    }
    return ImageDataset.of(name, pixels, labels, channels, first.height, first.width, classes);
  }

  private record Decoded(Path file, int label, int width, int height, boolean gray,
      byte[] pixels) {}
}
