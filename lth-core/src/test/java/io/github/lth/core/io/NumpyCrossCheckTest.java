package io.github.lth.core.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.github.lth.core.Mask;
import io.github.lth.core.Weights;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Has the real numpy load what we write. Runs only where python3 with numpy is installed; the
 * committed fixtures carry the interop checks everywhere else.
 */
class NumpyCrossCheckTest {
  @TempDir Path dir;

  private static final String SCRIPT = String.join("\n",
      "import hashlib, sys, numpy as np",
      "for path in sys.argv[1:]:",
      "    with np.load(path, allow_pickle=False) as z:",
      "        for k in z.files:",
      "            a = z[k]",
      "            digest = hashlib.sha256(np.ascontiguousarray(a).tobytes()).hexdigest()",
      "            print(k, a.dtype.str, list(a.shape), int(np.count_nonzero(a)), digest)");

  @Test
  void numpyLoadsOurMasksAndWeights() throws Exception {
    assumeTrue(Python.run("-c", "import numpy").exitCode() == 0, "python3 with numpy not found");

    Mask mask = Mask.dense(Map.of("features.0.weight", new long[] {4, 3, 3, 3}))
        .randomLike(5)
        .or(Mask.dense(Map.of("features.0.weight", new long[] {4, 3, 3, 3})).randomLike(6));
    Mask.Builder mb = Mask.builder();
    for (String l : mask.layers()) {
      mb.putWords(l, mask.shape(l), mask.words(l));
    }
    mb.put("fc.weight", new long[] {2, 5},
        new boolean[] {true, false, false, true, true, false, true, true, false, false});
    mb.put("scalar", new long[0], new boolean[] {true});
    mask = mb.build();
    float[] values = {1.5f, -0.0f, Float.MIN_VALUE, -3e38f, 7, 0};
    Weights weights = Weights.builder().put("w", new long[] {3, 2}, values)
        .put("b", new long[] {0}, new float[0]).build();
    Path m = dir.resolve("mask.npz");
    Path w = dir.resolve("weights.npz");
    MaskIO.write(mask, m);
    WeightsIO.write(weights, w);

    Python.Result r = Python.run("-c", SCRIPT, m.toString(), w.toString());
    assertThat(r.exitCode()).as(r.output()).isZero();

    List<String> expected = new ArrayList<>();
    for (String l : mask.layers()) {
      byte[] bytes = new byte[(int) mask.size(l)];
      boolean[] bits = mask.toBooleans(l);
      for (int i = 0; i < bits.length; i++) {
        bytes[i] = (byte) (bits[i] ? 1 : 0);
      }
      expected.add(l + " |b1 " + shape(mask.shape(l)) + " " + mask.kept(l) + " " + sha256(bytes));
    }
    for (String n : weights.names()) {
      float[] v = weights.values(n);
      ByteBuffer buf = ByteBuffer.allocate(4 * v.length).order(ByteOrder.LITTLE_ENDIAN);
      buf.asFloatBuffer().put(v);
      long nonzero = 0;
      for (float x : v) {
        nonzero += x != 0 ? 1 : 0;
      }
      expected.add(n + " <f4 " + shape(weights.shape(n)) + " " + nonzero + " "
          + sha256(buf.array()));
    }
    assertThat(r.output().strip().lines().toList()).containsExactlyElementsOf(expected);
  }

  private static String shape(long[] s) {
    List<String> parts = new ArrayList<>();
    for (long d : s) {
      parts.add(Long.toString(d));
    }
    return "[" + String.join(", ", parts) + "]";
  }

  private static String sha256(byte[] b) throws NoSuchAlgorithmException {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
  }

}
