package io.github.lth.core.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assumptions.assumeThat;

import io.github.lth.core.Weights;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link TensorFile} reads the values {@link WeightsIO#read} reads, for files numpy writes
 * ({@code np.save}, {@code np.savez} with its ZIP64 entries, {@code np.savez_compressed}, both
 * byte orders, float16/32/64) and safetensors, through windows small enough to split values
 * across many of them; stored data is mapped and allows reads at any index.
 */
class TensorFileTest {
  @TempDir
  Path dir;

  @Test
  void readsWhatTheInHeapReaderReadsThroughSmallWindows() throws Exception {
    Python.Result r = Python.run("-c", "import numpy as np, sys\n"
        + "d = sys.argv[1]\n"
        + "rng = np.random.default_rng(5)\n"
        + "a = rng.standard_normal((37, 29)).astype('<f4')\n"
        + "b = rng.standard_normal((1000,)).astype('>f8')\n"
        + "c = rng.standard_normal((3, 4, 5)).astype('<f2')\n"
        + "np.savez(d + '/stored.npz', a=a, b=b, c=c)\n"
        + "np.savez_compressed(d + '/deflated.npz', a=a, b=b, c=c)\n"
        + "np.save(d + '/fc1.weight.npy', c.astype('>f2'))\n", dir.toString());
    assumeThat(r.exitCode()).as("python3 with numpy: " + r.output()).isZero();
    WeightsIO.write(WeightsIO.read(dir.resolve("stored.npz")), dir.resolve("w.safetensors"));
    for (String name : List.of("stored.npz", "deflated.npz", "fc1.weight.npy",
        "w.safetensors")) {
      Path file = dir.resolve(name);
      Weights expected = WeightsIO.read(file);
      for (long window : new long[] {8, 24, 1000, TensorFile.MAX_WINDOW}) {
        try (TensorFile f = TensorFile.open(file, window)) {
          assertThat(f.whyNotReadable()).isNull();
          List<String> names = new ArrayList<>();
          for (TensorFile.Tensor t : f.tensors()) {
            names.add(t.name());
            assertThat(t.shape()).isEqualTo(expected.shape(t.name()));
            float[] all = new float[(int) t.size()];
            try (TensorFile.Cursor c = t.open()) {
              int done = 0;
              for (int n; (n = c.read(all, done, Math.min(7, all.length - done))) > 0; ) {
                done += n;
              }
              assertThat(done).isEqualTo(all.length);
            }
            assertThat(all).as(name + " " + t.name() + " window " + window)
                .isEqualTo(expected.values(t.name()));
            assertThat(t.randomAccess()).as(name).isEqualTo(!name.startsWith("deflated"));
            if (t.randomAccess()) {
              float[] some = new float[3];
              t.read(t.size() - 3, some, 0, 3);
              float[] want = expected.values(t.name());
              assertThat(some).containsExactly(want[want.length - 3], want[want.length - 2],
                  want[want.length - 1]);
            }
          }
          assertThat(names).isEqualTo(expected.names());
        }
      }
    }
  }

  @Test
  void aFortranOrderOrIntegerTensorIsNamedAsNotReadable() throws Exception {
    Python.Result r = Python.run("-c", "import numpy as np, sys\n"
        + "np.savez(sys.argv[1] + '/f.npz', w=np.asfortranarray(np.ones((3, 4), 'f4')))\n"
        + "np.savez(sys.argv[1] + '/i.npz', w=np.ones((3, 4), 'f4'), n=np.ones(2, 'i8'))\n",
        dir.toString());
    assumeThat(r.exitCode()).as(r.output()).isZero();
    try (TensorFile f = TensorFile.open(dir.resolve("f.npz"))) {
      assertThat(f.whyNotReadable()).isEqualTo("key 'w' is in Fortran order");
      assertThatThrownBy(() -> f.tensors().get(0).open()).isInstanceOf(IOException.class)
          .hasMessage("cannot read " + dir.resolve("f.npz") + ": key 'w' is in Fortran order;"
              + " weights must be C-order float16, bfloat16, float32 or float64 to be read"
              + " without loading them");
    }
    try (TensorFile f = TensorFile.open(dir.resolve("i.npz"))) {
      assertThat(f.whyNotReadable()).isEqualTo("key 'n' has dtype '<i8', not a float type");
    }
  }

  @Test
  void aTruncatedFileIsRefusedAsTheInHeapReaderRefusesIt() throws Exception {
    Path file = dir.resolve("w.safetensors");
    WeightsIO.write(Weights.builder().put("a", new long[] {4}, new float[4]).build(), file);
    byte[] bytes = Files.readAllBytes(file);
    Files.write(file, java.util.Arrays.copyOf(bytes, bytes.length - 3));
    assertThatThrownBy(() -> TensorFile.open(file)).isInstanceOf(IOException.class)
        .hasMessageStartingWith("cannot read " + file + ": truncated safetensors file");
  }
}
