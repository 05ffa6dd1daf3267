package io.github.lth.djl.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ImageFolderReaderTest {
  @TempDir Path dir;

  private static BufferedImage rgb(int w, int h, int seed) {
    BufferedImage image = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        image.setRGB(x, y, rgbAt(x, y, seed));
      }
    }
    return image;
  }

  private static int rgbAt(int x, int y, int seed) {
    int r = (seed + 10 * x) & 0xFF;
    int g = (seed * 3 + 20 * y) & 0xFF;
    int b = (seed + x + y * 5) & 0xFF;
    return (r << 16) | (g << 8) | b;
  }

  private static BufferedImage gray(int w, int h, int seed) {
    BufferedImage image = new BufferedImage(w, h, BufferedImage.TYPE_BYTE_GRAY);
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        image.getRaster().setSample(x, y, 0, (seed + 17 * x + 3 * y) & 0xFF);
      }
    }
    return image;
  }

  private static Path write(Path folder, String cls, String file, BufferedImage image)
      throws IOException {
    Path d = Files.createDirectories(folder.resolve(cls));
    Path p = d.resolve(file);
    String format = file.toLowerCase().endsWith(".png") ? "png" : "jpeg";
    assertThat(ImageIO.write(image, format, p.toFile())).isTrue();
    return p;
  }

  private static byte[] chw(BufferedImage image) {
    int w = image.getWidth();
    int h = image.getHeight();
    byte[] out = new byte[3 * w * h];
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        int v = image.getRGB(x, y);
        out[y * w + x] = (byte) (v >> 16);
        out[w * h + y * w + x] = (byte) (v >> 8);
        out[2 * w * h + y * w + x] = (byte) v;
      }
    }
    return out;
  }

  private static byte[] grayPlane(BufferedImage image) {
    int w = image.getWidth();
    byte[] out = new byte[w * image.getHeight()];
    for (int y = 0; y < image.getHeight(); y++) {
      for (int x = 0; x < w; x++) {
        out[y * w + x] = (byte) image.getRaster().getSample(x, y, 0);
      }
    }
    return out;
  }

  private static byte[] concat(byte[]... parts) {
    int n = 0;
    for (byte[] p : parts) {
      n += p.length;
    }
    byte[] all = new byte[n];
    int at = 0;
    for (byte[] p : parts) {
      System.arraycopy(p, 0, all, at, p.length);
      at += p.length;
    }
    return all;
  }

  @Test
  void rgbPngAndJpegRoundTripWithSortedClasses() throws IOException {
    Path root = dir.resolve("pets");
    Path train = root.resolve("train");
    Path test = root.resolve("test");
    write(train, "dog", "b.png", rgb(5, 4, 1));
    write(train, "dog", "a.png", rgb(5, 4, 2));
    Path jpeg = write(train, "cat", "x.JPG", rgb(5, 4, 3));
    write(train, "cat", "notes.txt", rgb(1, 1, 0));   // ignored: not an image extension
    Files.writeString(train.resolve("cat/readme.md"), "ignored");
    write(test, "dog", "t.png", rgb(5, 4, 4));
    Files.createDirectories(test.resolve("cat"));

    TrainTestSplit split = ImageFolderReader.read(root);
    assertThat(ImageFolderReader.classes(train)).containsExactly("cat", "dog");
    ImageDataset t = split.train();
    assertThat(t.name()).isEqualTo("pets-train");
    assertThat(new int[] {t.size(), t.channels(), t.height(), t.width(), t.classes()})
        .containsExactly(3, 3, 4, 5, 2);
    assertThat(t.labels()).containsExactly(0, 1, 1);
    // JPEG is lossy: the reader must give exactly what the decoder gives.
    assertThat(t.pixels()).isEqualTo(concat(chw(ImageIO.read(jpeg.toFile())), chw(rgb(5, 4, 2)),
        chw(rgb(5, 4, 1))));
    assertThat(split.test().labels()).containsExactly(1);
    assertThat(split.test().pixels()).isEqualTo(chw(rgb(5, 4, 4)));

    assertThat(DataSources.load(root.toString()).train().fingerprint())
        .isEqualTo(t.fingerprint());
  }

  @Test
  void allGrayGivesOneChannelMixedGivesThree() throws IOException {
    Path root = dir.resolve("digits");
    write(root.resolve("train"), "0", "a.png", gray(3, 2, 5));
    Path grayJpeg = write(root.resolve("train"), "1", "b.jpeg", gray(3, 2, 9));
    write(root.resolve("test"), "0", "c.png", gray(3, 2, 11));
    Files.createDirectories(root.resolve("test/1"));

    TrainTestSplit split = ImageFolderReader.read(root);
    assertThat(split.train().channels()).isEqualTo(1);
    assertThat(split.train().pixels()).isEqualTo(concat(grayPlane(gray(3, 2, 5)),
        grayPlane(ImageIO.read(grayJpeg.toFile()))));
    assertThat(split.test().pixels()).isEqualTo(grayPlane(gray(3, 2, 11)));

    // One colour image anywhere makes every set RGB; gray images fill all three channels.
    write(root.resolve("test"), "1", "d.png", rgb(3, 2, 7));
    TrainTestSplit mixed = ImageFolderReader.read(root);
    assertThat(mixed.train().channels()).isEqualTo(3);
    byte[] plane = grayPlane(gray(3, 2, 5));
    byte[] first = java.util.Arrays.copyOf(mixed.train().pixels(), 18);
    assertThat(first).isEqualTo(concat(plane, plane, plane));
    assertThat(mixed.test().pixels())
        .isEqualTo(concat(concat(grayPlane(gray(3, 2, 11)), grayPlane(gray(3, 2, 11)),
            grayPlane(gray(3, 2, 11))), chw(rgb(3, 2, 7))));
  }

  @Test
  void imageOfAnotherSizeIsNamed() throws IOException {
    Path root = dir.resolve("sizes");
    Path first = write(root.resolve("train"), "a", "1.png", rgb(4, 4, 0));
    write(root.resolve("train"), "a", "2.png", rgb(4, 4, 1));
    Path odd = write(root.resolve("test"), "a", "3.png", rgb(4, 5, 2));
    assertThatThrownBy(() -> DataSources.load(root.toString()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("image folder " + root + ": " + odd + " is 4x5 but " + first + " is 4x4");
  }

  @Test
  void differentClassListsAreAnError() throws IOException {
    Path root = dir.resolve("classes");
    write(root.resolve("train"), "a", "1.png", rgb(2, 2, 0));
    write(root.resolve("train"), "b", "1.png", rgb(2, 2, 0));
    write(root.resolve("test"), "a", "1.png", rgb(2, 2, 0));
    write(root.resolve("test"), "c", "1.png", rgb(2, 2, 0));
    assertThatThrownBy(() -> ImageFolderReader.read(root))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("image folder " + root + ": training classes [a, b] differ from test classes"
            + " [a, c]");
  }

  @Test
  void undecodableFileIsNamed() throws IOException {
    Path root = dir.resolve("broken");
    write(root.resolve("train"), "a", "1.png", rgb(2, 2, 0));
    write(root.resolve("test"), "a", "1.png", rgb(2, 2, 0));
    Path bad = root.resolve("train/a/2.jpg");
    Files.write(bad, new byte[] {1, 2, 3, 4});
    assertThatThrownBy(() -> ImageFolderReader.read(root)).isInstanceOf(IOException.class)
        .hasMessageStartingWith("image " + bad + ": ");
    Files.write(bad, new byte[] {(byte) 0xFF, (byte) 0xD8, (byte) 0xFF, 0, 0});
    assertThatThrownBy(() -> ImageFolderReader.read(root)).isInstanceOf(IOException.class)
        .hasMessageStartingWith("image " + bad + ": ");
  }

  @Test
  void missingTestFolder() throws IOException {
    Path root = dir.resolve("half");
    write(root.resolve("train"), "a", "1.png", rgb(2, 2, 0));
    assertThatThrownBy(() -> DataSources.load(root.toString()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("image folder " + root + ": needs sub-directories train and test");
  }
}
