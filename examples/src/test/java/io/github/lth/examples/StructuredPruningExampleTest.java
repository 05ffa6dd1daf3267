package io.github.lth.examples;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.lth.core.Mask;
import io.github.lth.core.io.CompactWeights;
import io.github.lth.core.io.MaskIO;
import io.github.lth.core.io.WeightsIO;
import io.github.lth.core.structured.FilterLayout;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StructuredPruningExampleTest {

  @TempDir
  Path dir;

  @Test
  void prunesFiltersShrinksTheModelAndSavesItCompact() throws IOException {
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    PrintStream original = System.out;
    System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
    try {
      StructuredPruningExample.main(new String[] {dir.toString(), "10", "0.36"});
    } finally {
      System.setOut(original);
    }
    String out = captured.toString(StandardCharsets.UTF_8);
    // Conv-2's 640 filters (64 + 64 conv, 256 + 256 fc): 640 -> 512 -> 410 over two rounds
    Mask last = MaskIO.read(dir.resolve("round-02/mask.npz"));
    assertThat(Files.exists(dir.resolve("round-03"))).isFalse();
    FilterLayout layout = FilterLayout.of(last);
    assertThat(layout.groups().stream()
        .mapToInt(g -> layout.keptFilterCount(last, g.layer())).sum()).isEqualTo(410);
    // the shrunk model's accuracy is the masked one's: the same outputs
    assertThat(out).containsPattern("test accuracy: masked (\\d+\\.\\d\\d)%, shrunk \\1%");
    assertThat(out).contains("conv1  Conv2d  in     1 -> 1      out    64 -> ");
    CompactWeights.Contents c = CompactWeights.read(dir.resolve("last-round.lthc"));
    assertThat(c.mask()).isEqualTo(last);
    assertThat(c.weights())
        .isEqualTo(WeightsIO.read(dir.resolve("round-02/weights.npz")).masked(last));
  }
}
