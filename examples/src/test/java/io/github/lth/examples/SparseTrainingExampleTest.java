package io.github.lth.examples;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.lth.core.Mask;
import io.github.lth.core.io.MaskIO;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SparseTrainingExampleTest {

  @TempDir
  Path dir;

  @Test
  void trainsEachMethodToTheTargetBesideOneDenseNetwork() throws IOException {
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    PrintStream original = System.out;
    System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
    try {
      SparseTrainingExample.main(new String[] {dir.toString(), "20", "0.8"});
    } finally {
      System.setOut(original);
    }
    String out = captured.toString(StandardCharsets.UTF_8);
    assertThat(out).startsWith("network   sparsity  accuracy");
    assertThat(out).containsPattern("\\ndense +0\\.00% ");
    for (String method : new String[] {"gmp", "acdc"}) {
      assertThat(out).containsPattern("\\n" + method + " +80\\.00% ");
      Mask mask = MaskIO.read(dir.resolve(method).resolve("round-01/mask.npz"));
      assertThat(mask.kept()).isEqualTo(mask.size() - Math.round(0.8 * mask.size()));
    }
    // RigL's ERK layer counts round per layer
    Mask rigl = MaskIO.read(dir.resolve("rigl/round-01/mask.npz"));
    assertThat(rigl.kept()).isCloseTo(rigl.size() - Math.round(0.8 * rigl.size()),
        org.assertj.core.data.Offset.offset((long) rigl.layers().size()));
    assertThat(out).containsPattern("\\nrigl +(79\\.9\\d|80\\.0\\d)% ");
    // one dense network: the later runs took it over byte for byte
    byte[] dense = Files.readAllBytes(dir.resolve("gmp/round-00/weights.npz"));
    assertThat(Files.readAllBytes(dir.resolve("rigl/round-00/weights.npz"))).isEqualTo(dense);
  }
}
