package io.github.lth.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.lth.core.Mask;
import io.github.lth.core.io.MaskIO;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BranchCommandTest {
  @TempDir
  static Path tmp;
  static Path run;

  /** One short run (late rewinding to step 3, two pruned rounds) shared by the tests. */
  @BeforeAll
  static void imp() {
    run = tmp.resolve("run");
    CliRun r = CliRun.of("imp", "--steps", "10", "--target-sparsity", "0.36", "--rewind",
        "step:3", "--out", run.toString(), "--device", "cpu");
    assertThat(r.exit()).as(r.err()).isZero();
  }

  @Test
  void randomMaskBranchKeepsEveryLayersCountAndJoinsTheResults() throws IOException {
    CliRun r = CliRun.of("branch", run.toString(), "--control", "random-mask", "--device",
        "cpu");
    assertThat(r.exit()).as(r.err()).isZero();
    assertThat(r.out()).contains("lth branch: random-mask of " + run + ", rounds [1, 2], 10 steps"
        + " per round on cpu()");
    assertThat(r.out()).containsPattern("\\n +1 +20\\.00% +[0-9.]+% +20\\.00% +[0-9.]+% +[-+]");
    for (int round = 1; round <= 2; round++) {
      Mask ticket = MaskIO.read(run.resolve(String.format("round-%02d/mask.npz", round)));
      Mask control = MaskIO.read(run.resolve(String.format(
          "branches/random-mask/round-%02d/mask.npz", round)));
      for (String layer : ticket.layers()) {
        assertThat(control.kept(layer)).isEqualTo(ticket.kept(layer));
      }
      assertThat(control).isNotEqualTo(ticket);
    }
    List<String> csv = Files.readAllLines(run.resolve("results.csv"));
    assertThat(csv.get(0)).contains(",random-mask.sparsity,random-mask.val_accuracy,");
    assertThat(csv).hasSize(4);

    // again: everything is stored, nothing is trained, the same table is printed
    CliRun again = CliRun.of("branch", run.toString(), "--control", "random-mask", "--device",
        "cpu");
    assertThat(again.exit()).as(again.err()).isZero();
    assertThat(again.out()).doesNotContain("round  1  sparsity");
    assertThat(again.out().substring(again.out().indexOf("\nround  ticket")))
        .isEqualTo(r.out().substring(r.out().indexOf("\nround  ticket")));
  }

  @Test
  void complementAndNaturalRandomSayWhatTheirMasksAre() {
    CliRun c = CliRun.of("branch", run.toString(), "--control", "complement", "--rounds", "2",
        "--device", "cpu");
    assertThat(c.exit()).as(c.err()).isZero();
    assertThat(c.out()).contains("round 2: the complement keeps 95,472 weights (64.00% sparse)"
        + " where the ticket keeps 169,728 (36.00% sparse)");
    CliRun n = CliRun.of("branch", run.toString(), "--control", "natural-random:0.01",
        "--rounds", "1", "--device", "cpu");
    assertThat(n.exit()).as(n.err()).isZero();
    assertThat(n.out()).containsPattern("natural zeros after dense training: [0-9,]+ of 265,200"
        + " prunable weights \\([0-9.]+%\\) have \\|w\\| <= 0.0100");
    assertThat(run.resolve("branches/natural-random-0.01/round-01/mask.npz")).exists();
  }

  @Test
  void anAugmentedRunIsRetrainedWithItsAugmentation() throws IOException {
    Path augmented = tmp.resolve("augmented");
    CliRun imp = CliRun.of("imp", "--steps", "5", "--target-sparsity", "0.2", "--augment",
        "crop:2,flip", "--out", augmented.toString(), "--device", "cpu");
    assertThat(imp.exit()).as(imp.err()).isZero();
    assertThat(Files.readString(augmented.resolve("config.json")))
        .contains("\"augmentation\": \"crop:2,flip\"");
    // the branch rebuilds the task from config.json; a task without the augmentation would be
    // refused as another task
    CliRun branch = CliRun.of("branch", augmented.toString(), "--control", "retrain",
        "--device", "cpu");
    assertThat(branch.exit()).as(branch.err()).isZero();
    assertThat(augmented.resolve("branches/retrain/round-01/metrics.json")).exists();
    CliRun bad = CliRun.of("imp", "--augment", "crop:4,flap", "--out",
        tmp.resolve("never").toString());
    assertThat(bad.exit()).isEqualTo(2);
    assertThat(bad.err()).isEqualTo("lth imp: --augment: augmentation 'crop:4,flap': unknown"
        + " part 'flap' (use none, flip, crop:P or crop:P,flip)\n");
    assertThat(tmp.resolve("never")).doesNotExist();
  }

  @Test
  void badRequestsExitWith2AndWriteNothing() throws IOException {
    assertBad(List.of("branch", tmp.resolve("missing").toString(), "--control", "reinit"),
        "lth branch: run directory " + tmp.resolve("missing") + " not found\n");
    assertBad(List.of("branch", run.toString(), "--control", "perturbed:0"),
        "lth branch: --control: perturbation must be a percentage in (0, 100]: 0.0\n");
    assertBad(List.of("branch", run.toString(), "--control", "shuffle"),
        "lth branch: --control: unknown control 'shuffle' (known: reinit, random-mask,"
            + " random-global, complement, perturbed:PERCENT, natural-random[:THRESHOLD],"
            + " retrain)\n");
    assertBad(List.of("branch", run.toString(), "--control", "reinit", "--rounds", "5"),
        "lth branch: --rounds: round 5 does not exist in " + run + " (it has rounds 0 to 2)\n");
    assertBad(List.of("branch", run.toString(), "--control", "reinit", "--rounds", "0"),
        "lth branch: --rounds: round 0 is the dense network; a control needs a pruned round"
            + " (1 to 2)\n");
    Path notARun = Files.createDirectories(tmp.resolve("not-a-run"));
    assertBad(List.of("branch", notARun.toString(), "--control", "reinit"),
        "lth branch: " + notARun + " is not an lth4j run directory (no config.json)\n");
  }

  private static void assertBad(List<String> args, String message) throws IOException {
    List<String> before;
    try (var files = Files.walk(tmp)) {
      before = files.map(Path::toString).sorted().toList();
    }
    CliRun r = CliRun.of(args.toArray(new String[0]));
    assertThat(r.exit()).as(r.out()).isEqualTo(2);
    assertThat(r.err()).isEqualTo(message);
    try (var files = Files.walk(tmp)) {
      assertThat(files.map(Path::toString).sorted().toList()).isEqualTo(before);
    }
  }
}
