package io.github.lth.djl.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.google.common.hash.Hashing;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DataSourcesTest {
  @TempDir Path dir;

  @Test
  void embeddedSampleIsStratifiedAndStable() throws IOException {
    TrainTestSplit data = DataSources.load("embedded");
    ImageDataset train = data.train();
    ImageDataset test = data.test();
    assertThat(train.size()).isEqualTo(6000);
    assertThat(test.size()).isEqualTo(1000);
    assertThat(train.classCounts()).containsOnly(600).hasSize(10);
    assertThat(test.classCounts()).containsOnly(100).hasSize(10);
    assertThat(new int[] {train.channels(), train.height(), train.width()})
        .containsExactly(1, 28, 28);
    assertThat(data.classes()).isEqualTo(10);
    assertThat(train.name()).isEqualTo("embedded-train");
    assertThat(test.name()).isEqualTo("embedded-test");
    // Printed by scripts/make_embedded_sample.py from the same bytes with Python's hashlib.
    assertThat(train.fingerprint())
        .isEqualTo("dcdcafcb097dbcb84f2d6e27bcd551a77db4126fa6e15804dbfaa62ac2fffbe0");
    assertThat(test.fingerprint())
        .isEqualTo("4f63edf66fd281158988837c2466450e62d6c71eb24beac804919375ca0487aa");
    assertThat(Arrays.copyOf(train.labels(), 10)).containsExactly(5, 5, 2, 8, 6, 2, 3, 8, 3, 1);
    assertThat(Arrays.copyOf(test.labels(), 10)).containsExactly(2, 7, 9, 8, 3, 1, 8, 7, 0, 2);
  }

  @Test
  void nullAndBlankSpecMeanEmbedded() throws IOException {
    String expected = DataSources.embedded().train().fingerprint();
    assertThat(DataSources.load(null).train().fingerprint()).isEqualTo(expected);
    assertThat(DataSources.load(" ").train().fingerprint()).isEqualTo(expected);
  }

  @Test
  void fullFashionMnistFromTheDebianPackage() throws IOException {
    assumeTrue(Files.isDirectory(DataSources.FASHION_MNIST_DIR),
        "dataset-fashion-mnist is not installed");
    TrainTestSplit data = DataSources.load("fashion-mnist");
    ImageDataset train = data.train();
    ImageDataset test = data.test();
    assertThat(train.size()).isEqualTo(60000);
    assertThat(test.size()).isEqualTo(10000);
    assertThat(train.classCounts()).containsOnly(6000).hasSize(10);
    assertThat(test.classCounts()).containsOnly(1000).hasSize(10);
    assertThat(train.name()).isEqualTo("fashion-mnist-train");
    // Expected values read with Python (gzip + struct) from the same files.
    assertThat(Arrays.copyOf(train.labels(), 12))
        .containsExactly(9, 0, 0, 3, 0, 2, 7, 2, 5, 5, 0, 9);
    assertThat(Arrays.copyOf(test.labels(), 12))
        .containsExactly(9, 2, 1, 1, 6, 1, 4, 6, 5, 7, 4, 5);
    byte[] trainPixels = train.pixels();
    assertThat(sum(trainPixels, 784)).isEqualTo(76247);
    assertThat(sum(test.pixels(), 784)).isEqualTo(33456);
    assertThat(Hashing.sha256().hashBytes(trainPixels).toString())
        .isEqualTo("2e487a6c89124f78f2d7521542223cafe96f7123c3ca13d447772ac6ecbb3012");
  }

  @Test
  void missingFashionMnistPackage() {
    Path absent = dir.resolve("fashion-mnist");
    assertThatThrownBy(() -> DataSources.fashionMnist(absent))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("data set fashion-mnist: " + absent + " not found; install it with:"
            + " apt-get install dataset-fashion-mnist");
  }

  @Test
  void unknownSpec() {
    assertThatThrownBy(() -> DataSources.load("cifar-1000"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("data set: unknown data set 'cifar-1000' (use embedded, fashion-mnist or a"
            + " directory of IDX files, CIFAR binary files or train/ and test/ image folders)");
  }

  @Test
  void directoryOfMixedPlainAndGzippedFiles() throws IOException {
    Path data = Files.createDirectory(dir.resolve("toy"));
    byte[] trainPixels = IdxFiles.ramp(4 * 3 * 3);
    byte[] testPixels = IdxFiles.ramp(2 * 3 * 3 + 1);
    testPixels = Arrays.copyOfRange(testPixels, 1, testPixels.length);
    IdxFiles.images(data.resolve("train-images-idx3-ubyte.gz"), new int[] {4, 3, 3}, trainPixels,
        true);
    IdxFiles.labels(data.resolve("train-labels-idx1-ubyte"), new int[] {0, 1, 2, 1}, false);
    IdxFiles.images(data.resolve("t10k-images-idx3-ubyte"), new int[] {2, 3, 3}, testPixels,
        false);
    // The largest label is in the test set: classes must cover both sets.
    IdxFiles.labels(data.resolve("t10k-labels-idx1-ubyte.gz"), new int[] {4, 0}, true);

    TrainTestSplit split = DataSources.load(data.toString());
    assertThat(split.classes()).isEqualTo(5);
    assertThat(split.train().name()).isEqualTo("toy-train");
    assertThat(split.test().name()).isEqualTo("toy-test");
    assertThat(split.train().labels()).containsExactly(0, 1, 2, 1);
    assertThat(split.test().labels()).containsExactly(4, 0);
    assertThat(split.train().pixels()).isEqualTo(trainPixels);
    assertThat(split.test().pixels()).isEqualTo(testPixels);
  }

  @Test
  void directoryWithOneFileMissing() throws IOException {
    Path data = Files.createDirectory(dir.resolve("partial"));
    IdxFiles.images(data.resolve("train-images-idx3-ubyte"), new int[] {1, 1, 1}, new byte[1],
        false);
    IdxFiles.labels(data.resolve("train-labels-idx1-ubyte"), new int[] {0}, false);
    IdxFiles.images(data.resolve("t10k-images-idx3-ubyte"), new int[] {1, 1, 1}, new byte[1],
        false);
    assertThatThrownBy(() -> DataSources.load(data.toString()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("data set " + data + ": missing IDX file t10k-labels-idx1-ubyte[.gz]");
  }

  @Test
  void directoryWithDifferentImageShapes() throws IOException {
    Path data = Files.createDirectory(dir.resolve("mixed"));
    IdxFiles.images(data.resolve("train-images-idx3-ubyte"), new int[] {1, 2, 2}, new byte[4],
        false);
    IdxFiles.labels(data.resolve("train-labels-idx1-ubyte"), new int[] {0}, false);
    IdxFiles.images(data.resolve("t10k-images-idx3-ubyte"), new int[] {1, 3, 3}, new byte[9],
        false);
    IdxFiles.labels(data.resolve("t10k-labels-idx1-ubyte"), new int[] {0}, false);
    assertThatThrownBy(() -> DataSources.load(data.toString()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("data set " + data + ": training images are 1x2x2 but test images are 1x3x3");
  }

  @Test
  void corruptFileInADirectoryNamesTheFile() throws IOException {
    Path data = Files.createDirectory(dir.resolve("corrupt"));
    IdxFiles.images(data.resolve("train-images-idx3-ubyte"), new int[] {2, 2, 2}, new byte[5],
        false);
    IdxFiles.labels(data.resolve("train-labels-idx1-ubyte"), new int[] {0, 1}, false);
    IdxFiles.images(data.resolve("t10k-images-idx3-ubyte"), new int[] {1, 2, 2}, new byte[4],
        false);
    IdxFiles.labels(data.resolve("t10k-labels-idx1-ubyte"), new int[] {0}, false);
    assertThatThrownBy(() -> DataSources.load(data.toString())).isInstanceOf(IOException.class)
        .hasMessage("IDX file " + data.resolve("train-images-idx3-ubyte") + ": truncated: the"
            + " header announces 8 data bytes (2x2x2), the file holds 5");
  }

  private static long sum(byte[] bytes, int n) {
    long s = 0;
    for (int i = 0; i < n; i++) {
      s += bytes[i] & 0xFF;
    }
    return s;
  }
}
