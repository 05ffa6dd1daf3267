package io.github.lth.core.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The float16 and bfloat16 widening against independent computations, for all 65,536 bit
 * patterns each: numpy's {@code astype(np.float32)} (a python3 script run at test time), and
 * the value formula of IEEE 754 binary16 evaluated in double arithmetic.
 */
class HalfFloatsTest {
  @TempDir
  Path dir;

  @Test
  void float16EqualsNumpyForEveryBitPattern() throws Exception {
    Path out = dir.resolve("f32.bin");
    Python.Result r = Python.run("-c", "import numpy as np, sys\n"
        + "h = np.arange(65536, dtype=np.uint32).astype(np.uint16).view('<f2')\n"
        + "h.astype('<f4').tofile(sys.argv[1])\n", out.toString());
    assumeThat(r.exitCode()).as("python3 with numpy: " + r.output()).isZero();
    ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(out)).order(ByteOrder.LITTLE_ENDIAN);
    assertThat(b.remaining()).isEqualTo(4 * 65536);
    int[] expected = new int[65536];
    int[] actual = new int[65536];
    for (int h = 0; h < 65536; h++) {
      expected[h] = b.getInt();
      actual[h] = Float.floatToRawIntBits(HalfFloats.float16ToFloat((short) h));
    }
    assertThat(actual).isEqualTo(expected);
  }

  @Test
  void float16EqualsTheBinary16FormulaForEveryBitPattern() {
    for (int h = 0; h < 65536; h++) {
      int sign = h >>> 15;
      int e = (h >>> 10) & 0x1f;
      int m = h & 0x3ff;
      float actual = HalfFloats.float16ToFloat((short) h);
      if (e == 0x1f) {
        assertThat(m == 0 ? Float.isInfinite(actual) : Float.isNaN(actual)).isTrue();
        continue;
      }
      double magnitude = e == 0 ? m * Math.pow(2, -24) : (1 + m / 1024.0) * Math.pow(2, e - 15);
      double expected = sign == 1 ? -magnitude : magnitude;
      if ((double) actual != expected || Math.copySign(1.0, actual) != (sign == 1 ? -1 : 1)) {
        throw new AssertionError(String.format("0x%04x: %s, expected %s", h, actual, expected));
      }
    }
  }

  @Test
  void bfloat16IsTheUpperHalfOfAFloat32() {
    int[] actual = new int[65536];
    int[] expected = new int[65536];
    for (int h = 0; h < 65536; h++) {
      actual[h] = Float.floatToRawIntBits(HalfFloats.bfloat16ToFloat((short) h));
      expected[h] = h << 16;
    }
    assertThat(actual).isEqualTo(expected);
  }

  @Test
  void weightsIoReadsFloat16AndBfloat16SafetensorsAndNpy() throws Exception {
    Path st = dir.resolve("w.safetensors");
    String json = "{\"h\":{\"dtype\":\"F16\",\"shape\":[3],\"data_offsets\":[0,6]},"
        + "\"b\":{\"dtype\":\"BF16\",\"shape\":[1,2],\"data_offsets\":[6,10]}}";
    ByteBuffer file = ByteBuffer.allocate(8 + json.length() + 10).order(ByteOrder.LITTLE_ENDIAN);
    file.putLong(json.length()).put(json.getBytes(java.nio.charset.StandardCharsets.US_ASCII));
    file.putShort((short) 0x3c00).putShort((short) 0xc000).putShort((short) 0x0001);
    file.putShort((short) 0x3f80).putShort((short) 0xbfc0);
    Files.write(st, file.array());
    var w = WeightsIO.read(st);
    assertThat(w.names()).containsExactly("h", "b");
    assertThat(w.values("h")).containsExactly(1f, -2f, 0x1p-24f);
    assertThat(w.values("b")).containsExactly(1f, -1.5f);

    Path npy = dir.resolve("fc1.weight.npy");
    Python.Result r = Python.run("-c", "import numpy as np, sys\n"
        + "np.save(sys.argv[1], np.array([[1.5, -0.25], [65504, 0]], dtype='>f2'))\n",
        npy.toString());
    assumeThat(r.exitCode()).as(r.output()).isZero();
    var n = WeightsIO.read(npy);
    assertThat(n.names()).isEqualTo(List.of("fc1.weight"));
    assertThat(n.shape("fc1.weight")).containsExactly(2, 2);
    assertThat(n.values("fc1.weight")).containsExactly(1.5f, -0.25f, 65504f, 0f);
  }
}
