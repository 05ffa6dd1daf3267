package io.github.lth.core.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The fuzzer finds what it is meant to find, and passes a reader that checks its input. */
class ReaderFuzzerTest {
  @TempDir Path dir;

  /** A toy format: a 4-byte little-endian count, then that many floats. */
  private static byte[] valid() {
    ByteBuffer b = ByteBuffer.allocate(4 + 4 * 8).order(ByteOrder.LITTLE_ENDIAN);
    b.putInt(8);
    for (int i = 0; i < 8; i++) {
      b.putFloat(i);
    }
    return b.array();
  }

  private static float[] checkedRead(Path f) throws IOException {
    byte[] bytes = Files.readAllBytes(f);
    if (bytes.length < 4) {
      throw new IOException("cannot read " + f + ": shorter than its 4-byte header");
    }
    ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
    long n = Integer.toUnsignedLong(b.getInt());
    if (4 + 4 * n != bytes.length) {
      throw new IOException("cannot read " + f + ": header says " + n + " floats, the file"
          + " holds " + (bytes.length - 4) + " bytes after it");
    }
    float[] out = new float[(int) n];
    b.asFloatBuffer().get(out);
    return out;
  }

  @Test
  void aReaderThatChecksSizesPasses() throws IOException {
    ReaderFuzzer.Report r = ReaderFuzzer.forReader("toy", ReaderFuzzerTest::checkedRead)
        .optVariants(500).run(valid(), dir.resolve("toy.bin"));
    assertThat(r.tried()).isEqualTo(500);
    assertThat(r.accepted() + r.rejected()).isEqualTo(500);
    assertThat(r.rejected()).isGreaterThan(250);
    assertThat(r.messages()).isNotEmpty();
  }

  @Test
  void aReaderThatTrustsASizeIsCaughtAllocating() {
    ReaderFuzzer.Reader trusting = f -> {
      ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(f)).order(ByteOrder.LITTLE_ENDIAN);
      if (b.remaining() < 4) {
        throw new IOException("cannot read " + f + ": too short");
      }
      int n = b.getInt();
      if (n < 0) {
        throw new IOException("cannot read " + f + ": negative count");
      }
      float[] out = new float[n];
      for (int i = 0; i < n && b.remaining() >= 4; i++) {
        out[i] = b.getFloat();
      }
    };
    assertThatThrownBy(() -> ReaderFuzzer.forReader("trusting", trusting).optVariants(2000)
        .run(valid(), dir.resolve("toy.bin")))
        .isInstanceOf(AssertionError.class).hasMessageContaining("a size in the file was trusted");
  }

  @Test
  void aRuntimeExceptionIsAFinding() {
    ReaderFuzzer.Reader sloppy = f -> {
      ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(f)).order(ByteOrder.LITTLE_ENDIAN);
      int n = b.getInt();
      for (int i = 0; i < n; i++) {
        b.getFloat();
      }
    };
    assertThatThrownBy(() -> ReaderFuzzer.forReader("sloppy", sloppy).optVariants(500)
        .run(valid(), dir.resolve("toy.bin")))
        .isInstanceOf(AssertionError.class).hasMessageContaining("instead of an IOException")
        .hasMessageContaining("saved as");
  }

  @Test
  void aMessageWithoutTheFileIsAFinding() {
    ReaderFuzzer.Reader anonymous = f -> {
      try {
        checkedRead(f);
      } catch (IOException e) {
        throw new IOException("bad header");
      }
    };
    assertThatThrownBy(() -> ReaderFuzzer.forReader("anonymous", anonymous).optVariants(200)
        .run(valid(), dir.resolve("toy.bin")))
        .isInstanceOf(AssertionError.class).hasMessageContaining("does not name the file toy.bin");
  }

  @Test
  void aHangIsAFinding() {
    ReaderFuzzer.Reader hanging = f -> {
      byte[] b = Files.readAllBytes(f);
      if (b.length != valid().length) {
        Thread.sleep(60_000);
      }
    };
    assertThatThrownBy(() -> ReaderFuzzer.forReader("hanging", hanging).optVariants(200)
        .optTimeout(Duration.ofMillis(300)).run(valid(), dir.resolve("toy.bin")))
        .isInstanceOf(AssertionError.class).hasMessageContaining("did not finish within");
  }

  @Test
  void theSameSeedGivesTheSameVariants() {
    var a = new java.util.SplittableRandom(7);
    var b = new java.util.SplittableRandom(7);
    for (int i = 0; i < 100; i++) {
      assertThat(ReaderFuzzer.mutate(valid(), a, new StringBuilder()))
          .isEqualTo(ReaderFuzzer.mutate(valid(), b, new StringBuilder()));
    }
  }
}
