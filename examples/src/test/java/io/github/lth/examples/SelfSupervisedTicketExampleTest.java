package io.github.lth.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class SelfSupervisedTicketExampleTest {

  @Test
  void printsRotationAndProbeAccuracyPerRound() throws Exception {
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    PrintStream original = System.out;
    System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
    try {
      SelfSupervisedTicketExample.main(new String[] {"30", "0.36"});
    } finally {
      System.setOut(original);
    }
    List<String> rows = captured.toString(StandardCharsets.UTF_8).lines()
        .filter(l -> l.matches(" +[0-9]+ +[0-9.]+% +[0-9.]+% +[0-9.]+%")).toList();
    // the dense round and two pruned rounds (20 %, 36 %)
    assertThat(rows).hasSize(3);
    assertThat(rows.get(2)).startsWith("    2    36.00%");
  }
}
