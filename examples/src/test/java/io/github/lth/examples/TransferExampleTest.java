package io.github.lth.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class TransferExampleTest {

  @Test
  void printsAVerdictPerModeAndSparsity() {
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    PrintStream original = System.out;
    System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
    try {
      TransferExample.main(new String[] {"20", "0.36"});
    } finally {
      System.setOut(original);
    }
    String out = captured.toString(StandardCharsets.UTF_8);
    // dense and two pruned rounds (20 %, 36 %) in each of the two modes
    assertThat(out.lines().filter(l -> l.matches("(full|linear) +(dense|ticket) .*")))
        .hasSize(6);
    assertThat(out).containsPattern("\\nlinear +ticket +36\\.00% +[0-9.]+% +[0-9.]+ +(yes|no)");
    assertThat(out).containsPattern("\\nfull +dense +0\\.00% +[0-9.]+% +[0-9.]+ +yes");
    assertThat(out).containsPattern("ticket matching in both modes at: (up to [0-9.]+% sparsity"
        + "|no sparsity tried)");
  }
}
