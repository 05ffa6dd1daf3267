package io.github.lth.cli;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class LthTest {

  @Test
  void versionComesFromThePom() {
    CliRun run = CliRun.of("--version");
    assertThat(run.exit()).isZero();
    assertThat(run.out()).startsWith("lth 0.1.0-SNAPSHOT\nJava ");
    assertThat(VersionProvider.version()).isEqualTo("0.1.0-SNAPSHOT");
  }

  @Test
  void helpListsTheCommandsAndExamples() {
    CliRun run = CliRun.of("--help");
    assertThat(run.exit()).isZero();
    assertThat(run.out()).contains("Usage: lth [-hV] [COMMAND]")
        .containsPattern(
            "\\n  mask +Prune a weights file to a target sparsity and write the mask.\\n")
        .containsPattern(
            "\\n  compare +Compare two or more masks: sparsity, IoU, Hamming, pruned kernels.\\n")
        .contains("Examples:\n  lth mask --weights w.npz --sparsity 0.8 --out m.npz\n");
  }

  @Test
  void everySubcommandHasHelpWithExamples() {
    for (String command : new String[] {"mask", "compare"}) {
      CliRun run = CliRun.of(command, "--help");
      assertThat(run.exit()).isZero();
      assertThat(run.out()).startsWith("Usage: lth " + command).contains("\nExamples:\n");
      assertThat(run.err()).isEmpty();
    }
  }

  @Test
  void helpSubcommandShowsTheCommandsHelp() {
    CliRun run = CliRun.of("help", "mask");
    assertThat(run.exit()).isZero();
    assertThat(run.out()).startsWith("Usage: lth mask").contains("--previous-mask=FILE");
  }

  @Test
  void noCommandIsBadInput() {
    CliRun run = CliRun.of();
    assertThat(run.err()).isEqualTo("lth: missing command (mask, compare, ...)"
        + " (see 'lth --help')\n");
    assertThat(run.exit()).isEqualTo(2);
  }

  @Test
  void unknownCommandIsOneLineOfBadInput() {
    CliRun run = CliRun.of("xyzzy");
    assertThat(run.err()).isEqualTo("lth: Unmatched argument at index 0: 'xyzzy'"
        + " (see 'lth --help')\n");
    CliRun typo = CliRun.of("compar", "a.npz", "b.npz");
    assertThat(typo.err()).startsWith("lth: Unmatched arguments from index 0: 'compar'")
        .contains("; did you mean compare or ").endsWith(" (see 'lth --help')\n");
    assertThat(typo.exit()).isEqualTo(2);
    assertThat(run.exit()).isEqualTo(2);
  }

  @Test
  void unknownOptionIsOneLineOfBadInput() {
    CliRun run = CliRun.of("mask", "--weights", "w.npz", "--sparsity", "0.5", "--out", "m.npz",
        "--seeed", "3");
    assertThat(run.err()).isEqualTo("lth mask: Unknown options: '--seeed', '3'; did you mean"
        + " --seed? (see 'lth mask --help')\n");
    assertThat(run.exit()).isEqualTo(2);
  }

  @Test
  void multiLineMessagesAreJoined() {
    assertThat(ErrorReporter.oneLine("bad\n  input\r\nhere ")).isEqualTo("bad input here");
    assertThat(ErrorReporter.oneLine(null)).isEqualTo("(no message)");
  }
}
