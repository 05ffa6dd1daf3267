package io.github.lth.djl.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CifarReaderTest {
  private static final int IMAGE = 3072;

  @TempDir Path dir;

  // Record r of a file: its pixels are (seed + r * 7 + k) mod 256.
  private static byte[] pixels(int seed, int r) {
    byte[] p = new byte[IMAGE];
    for (int k = 0; k < IMAGE; k++) {
      p[k] = (byte) (seed + r * 7 + k);
    }
    return p;
  }

  private static void write(Path file, int seed, int[]... labelBytes) throws IOException {
    int records = labelBytes[0].length;
    int per = labelBytes.length + IMAGE;
    byte[] out = new byte[records * per];
    for (int r = 0; r < records; r++) {
      for (int k = 0; k < labelBytes.length; k++) {
        out[r * per + k] = (byte) labelBytes[k][r];
      }
      System.arraycopy(pixels(seed, r), 0, out, r * per + labelBytes.length, IMAGE);
    }
    Files.write(file, out);
  }

  private static byte[] concat(byte[]... parts) {
    byte[] all = new byte[0];
    for (byte[] p : parts) {
      int at = all.length;
      all = Arrays.copyOf(all, at + p.length);
      System.arraycopy(p, 0, all, at, p.length);
    }
    return all;
  }

  private Path cifar10() throws IOException {
    Path d = Files.createDirectory(dir.resolve("cifar-10-batches-bin"));
    for (int b = 1; b <= 5; b++) {
      write(d.resolve("data_batch_" + b + ".bin"), b * 10, new int[] {b, 9 - b});
    }
    write(d.resolve("test_batch.bin"), 99, new int[] {3, 0, 9});
    return d;
  }

  @Test
  void cifar10RoundTrip() throws IOException {
    Path d = cifar10();
    TrainTestSplit split = CifarReader.cifar10(d);
    ImageDataset train = split.train();
    assertThat(train.name()).isEqualTo("cifar-10-batches-bin-train");
    assertThat(split.test().name()).isEqualTo("cifar-10-batches-bin-test");
    assertThat(new int[] {train.size(), train.channels(), train.height(), train.width()})
        .containsExactly(10, 3, 32, 32);
    assertThat(split.classes()).isEqualTo(10);
    assertThat(train.labels()).containsExactly(1, 8, 2, 7, 3, 6, 4, 5, 5, 4);
    assertThat(train.pixels()).isEqualTo(concat(pixels(10, 0), pixels(10, 1), pixels(20, 0),
        pixels(20, 1), pixels(30, 0), pixels(30, 1), pixels(40, 0), pixels(40, 1), pixels(50, 0),
        pixels(50, 1)));
    assertThat(split.test().labels()).containsExactly(3, 0, 9);
    assertThat(split.test().pixels())
        .isEqualTo(concat(pixels(99, 0), pixels(99, 1), pixels(99, 2)));
    // The channel-major record layout is kept: pixel (c, y, x) is byte c*1024 + y*32 + x.
    assertThat(split.test().pixels()[1024 + 33]).isEqualTo((byte) (99 + 1024 + 33));

    assertThat(DataSources.load(d.toString()).train().fingerprint())
        .isEqualTo(train.fingerprint());
  }

  @Test
  void cifar100FineByDefaultCoarseOnRequest() throws IOException {
    Path d = Files.createDirectory(dir.resolve("cifar-100-binary"));
    write(d.resolve("train.bin"), 5, new int[] {19, 0, 7}, new int[] {99, 3, 42});
    write(d.resolve("test.bin"), 6, new int[] {1}, new int[] {50});

    TrainTestSplit fine = CifarReader.cifar100(d);
    assertThat(fine.classes()).isEqualTo(100);
    assertThat(fine.train().labels()).containsExactly(99, 3, 42);
    assertThat(fine.test().labels()).containsExactly(50);
    assertThat(fine.train().pixels()).isEqualTo(concat(pixels(5, 0), pixels(5, 1), pixels(5, 2)));
    assertThat(fine.test().pixels()).isEqualTo(pixels(6, 0));

    TrainTestSplit coarse = CifarReader.cifar100(d, CifarReader.Labels.COARSE);
    assertThat(coarse.classes()).isEqualTo(20);
    assertThat(coarse.train().labels()).containsExactly(19, 0, 7);
    assertThat(coarse.test().labels()).containsExactly(1);
    assertThat(coarse.train().pixels()).isEqualTo(fine.train().pixels());

    TrainTestSplit loaded = DataSources.load(d.toString());
    assertThat(loaded.classes()).isEqualTo(100);
    assertThat(loaded.train().fingerprint()).isEqualTo(fine.train().fingerprint());
  }

  @Test
  void truncatedFileIsNamedWithItsLength() throws IOException {
    Path d = cifar10();
    Path broken = d.resolve("data_batch_3.bin");
    byte[] bytes = Files.readAllBytes(broken);
    Files.write(broken, Arrays.copyOf(bytes, bytes.length - 1));
    assertThatThrownBy(() -> CifarReader.cifar10(d)).isInstanceOf(IOException.class)
        .hasMessage("CIFAR-10 file " + broken + ": length 6145 bytes is not a positive multiple"
            + " of the 3073-byte record");
    assertThatThrownBy(() -> DataSources.load(d.toString())).isInstanceOf(IOException.class)
        .hasMessageContaining(broken.toString());
  }

  @Test
  void cifar100FileOfOddLengthAndEmptyFile() throws IOException {
    Path d = Files.createDirectory(dir.resolve("c100"));
    Files.write(d.resolve("train.bin"), new byte[3073]);
    Files.write(d.resolve("test.bin"), new byte[0]);
    assertThatThrownBy(() -> CifarReader.cifar100(d)).isInstanceOf(IOException.class)
        .hasMessage("CIFAR-100 file " + d.resolve("train.bin") + ": length 3073 bytes is not a"
            + " positive multiple of the 3074-byte record");
    assertThatThrownBy(() -> CifarReader.readCifar100(d.resolve("test.bin"), "t",
        CifarReader.Labels.FINE)).isInstanceOf(IOException.class)
        .hasMessage("CIFAR-100 file " + d.resolve("test.bin") + ": length 0 bytes is not a"
            + " positive multiple of the 3074-byte record");
  }

  @Test
  void labelsOutOfRange() throws IOException {
    Path ten = dir.resolve("ten.bin");
    write(ten, 0, new int[] {9, 10});
    assertThatThrownBy(() -> CifarReader.readCifar10(ten, "ten")).isInstanceOf(IOException.class)
        .hasMessage("CIFAR-10 file " + ten + ": label 10 of record 1 is outside [0, 10)");
    Path hundred = dir.resolve("hundred.bin");
    write(hundred, 0, new int[] {20}, new int[] {5});
    // The coarse label is checked even when the fine one is used.
    assertThatThrownBy(() -> CifarReader.readCifar100(hundred, "h", CifarReader.Labels.FINE))
        .isInstanceOf(IOException.class)
        .hasMessage("CIFAR-100 file " + hundred + ": coarse label 20 of record 0 is outside"
            + " [0, 20)");
    write(hundred, 0, new int[] {2}, new int[] {100});
    assertThatThrownBy(() -> CifarReader.readCifar100(hundred, "h", CifarReader.Labels.COARSE))
        .isInstanceOf(IOException.class)
        .hasMessage("CIFAR-100 file " + hundred + ": fine label 100 of record 0 is outside"
            + " [0, 100)");
  }

  @Test
  void missingBatchesAreListed() throws IOException {
    Path d = cifar10();
    Files.delete(d.resolve("data_batch_2.bin"));
    Files.delete(d.resolve("data_batch_5.bin"));
    assertThatThrownBy(() -> DataSources.load(d.toString()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("CIFAR-10 data set " + d + ": missing files data_batch_2.bin,"
            + " data_batch_5.bin");
  }

  @Test
  void directoryWithNoKnownDataSetListsWhatWasLookedFor() throws IOException {
    Path empty = Files.createDirectory(dir.resolve("empty"));
    assertThatThrownBy(() -> DataSources.load(empty.toString()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("data set " + empty + ": no known data set; looked for IDX files"
            + " (train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte,"
            + " t10k-labels-idx1-ubyte, each optionally .gz), CIFAR-10 files (data_batch_1.bin,"
            + " data_batch_2.bin, data_batch_3.bin, data_batch_4.bin, data_batch_5.bin,"
            + " test_batch.bin), CIFAR-100 files (train.bin, test.bin) and an image folder"
            + " (train/<class>/, test/<class>/)");
  }
}
