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

class ControlsExampleTest {

  @TempDir
  Path dir;

  @Test
  void writesTheTicketsAndBothControlsForEveryRound() throws IOException {
    Path run = dir.resolve("controls");
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    PrintStream original = System.out;
    System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
    try {
      ControlsExample.main(new String[] {run.toString(), "10", "0.5"});
    } finally {
      System.setOut(original);
    }
    String out = captured.toString(StandardCharsets.UTF_8);
    // 3 pruned rounds to 48.80 %, one table row each
    assertThat(out).contains("round   sparsity   ticket   reinit  random-mask");
    assertThat(out.lines().filter(l -> l.matches("\\d+ +\\d+\\.\\d\\d% .*"))).hasSize(3);
    assertThat(out).containsPattern("\\n3 +48\\.80% ");
    for (int r = 1; r <= 3; r++) {
      String round = String.format("round-%02d/mask.npz", r);
      Mask ticket = MaskIO.read(run.resolve(round));
      assertThat(MaskIO.read(run.resolve("branches/reinit").resolve(round))).isEqualTo(ticket);
      Mask random = MaskIO.read(run.resolve("branches/random-mask").resolve(round));
      for (String layer : ticket.layers()) {
        assertThat(random.kept(layer)).isEqualTo(ticket.kept(layer));
      }
    }
    assertThat(Files.readAllLines(run.resolve("results.csv")).get(0))
        .contains("reinit.val_accuracy", "random-mask.val_accuracy");
  }
}
