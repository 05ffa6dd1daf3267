package io.github.lth.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.github.lth.core.Mask;
import io.github.lth.core.io.MaskIO;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * {@code lth imp --task} with the self-supervised tasks on the embedded sample, and their tickets
 * handed to {@code lth branch} and {@code lth transfer}.
 */
class SelfSupervisedCommandTest {
  @TempDir
  static Path tmp;
  static Path rotnet;

  /** RotNet IMP on classes 0-4: two pruned rounds of 10 steps. */
  @BeforeAll
  static void rotnetRun() {
    rotnet = tmp.resolve("rotnet");
    CliRun r = CliRun.of("imp", "--task", "rotnet", "--classes", "0,1,2,3,4", "--steps", "10",
        "--target-sparsity", "0.36", "--out", rotnet.toString(), "--device", "cpu");
    assertThat(r.exit()).as(r.err()).isZero();
    assertThat(r.out()).contains("embedded-train-classes-0+1+2+3+4: 3000 images")
        .contains("), rotnet, 2 rounds to 36.00% sparsity, 10 steps per round on cpu()");
  }

  @Test
  void aRotnetRunRecordsItsTaskAndRotationAccuracy() throws IOException {
    JsonObject settings = JsonParser.parseString(Files.readString(rotnet.resolve("config.json")))
        .getAsJsonObject().getAsJsonObject("settings");
    assertThat(settings.getAsJsonObject("task").get("task").getAsString()).isEqualTo("rotnet");
    assertThat(settings.get("classes").toString()).isEqualTo("[0,1,2,3,4]");
    List<String> csv = Files.readAllLines(rotnet.resolve("results.csv"));
    assertThat(csv.get(0)).contains("val_rotation_accuracy").contains("test_rotation_loss");
    assertThat(csv).hasSize(1 + 3);
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource({
      "simclr, val_retrieval_accuracy, --temperature, 0.2",
      "exemplar, val_retrieval_accuracy, --views, 'crop:0.5,flip'",
      "npid, val_retrieval_accuracy, --memory-momentum, 0.8",
      "s4l, val_accuracy, --labelled, 20",
  })
  void everyTaskRunsImpAndSelectsByItsOwnMetric(String task, String metric, String flag,
      String value) throws IOException {
    Path out = tmp.resolve(task);
    CliRun r = CliRun.of("imp", "--task", task, flag, value, "--steps", "5", "--batch-size",
        "32", "--target-sparsity", "0.2", "--out", out.toString(), "--device", "cpu");
    assertThat(r.exit()).as(r.err()).isZero();
    assertThat(r.out()).contains(metric);
    assertThat(Files.readAllLines(out.resolve("results.csv")).get(0)).contains(metric);
    assertThat(out.resolve("round-01/mask.npz")).exists();
  }

  @Test
  void layerWisePruningUpToADepthWithLateResetting() throws IOException {
    Path out = tmp.resolve("rotnet-depth");
    CliRun r = CliRun.of("imp", "--task", "rotnet", "--depth", "1", "--rewind", "step:3",
        "--steps", "8", "--target-sparsity", "0.2", "--out", out.toString(), "--device", "cpu");
    assertThat(r.exit()).as(r.err()).isZero();
    Mask mask = MaskIO.read(out.resolve("round-01/mask.npz"));
    // only the first prunable layer is pruned, to the whole round's rate
    assertThat(mask.layers()).containsExactly("fc1_weight");
    assertThat(mask.sparsity("fc1_weight")).isEqualTo(0.2);
    assertThat(out.resolve("rewind-point.npz")).exists();
  }

  @Test
  void aSelfSupervisedTicketTransfersWithItsTrainedWeightsBesideItsReinitBranch()
      throws IOException {
    CliRun branch = CliRun.of("branch", rotnet.toString(), "--control", "reinit", "--rounds",
        "2", "--device", "cpu");
    assertThat(branch.exit()).as(branch.err()).isZero();

    Path ticketOut = tmp.resolve("ticket-transfer");
    CliRun ticket = CliRun.of("transfer", "--ticket", rotnet.toString(), "--weights", "trained",
        "--data", "embedded", "--classes", "5,6,7,8,9", "--low-shot", "10", "--mode", "linear",
        "--seeds", "2", "--controls", "reinit", "--steps", "5", "--out", ticketOut.toString(),
        "--device", "cpu");
    assertThat(ticket.exit()).as(ticket.err()).isZero();
    // dense: 2 seeds; rounds 1-2 x 2 seeds x (ticket, reinit)
    assertThat(Files.readAllLines(ticketOut.resolve("results.csv"))).hasSize(1 + 2 + 8);
    JsonObject settings = JsonParser.parseString(
        Files.readString(ticketOut.resolve("settings.json"))).getAsJsonObject();
    assertThat(settings.get("weights").getAsString()).isEqualTo("trained");

    Path branchOut = tmp.resolve("branch-transfer");
    CliRun fromBranch = CliRun.of("transfer", "--ticket", rotnet.toString(), "--branch",
        "reinit", "--weights", "trained", "--data", "embedded", "--classes", "5,6,7,8,9",
        "--low-shot", "10", "--mode", "linear", "--seeds", "2", "--controls", "none",
        "--steps", "5", "--out", branchOut.toString(), "--device", "cpu");
    assertThat(fromBranch.exit()).as(fromBranch.err()).isZero();
    assertThat(fromBranch.out()).contains("rounds [2] to ");
    // dense: 2 seeds; the branch's round 2 x 2 seeds
    assertThat(Files.readAllLines(branchOut.resolve("results.csv"))).hasSize(1 + 2 + 2);
  }

  @Test
  void transferBadInputNamesTheFlag() {
    CliRun noBranch = CliRun.of("transfer", "--ticket", rotnet.toString(), "--branch", "nope",
        "--weights", "trained", "--data", "embedded", "--device", "cpu");
    assertThat(noBranch.exit()).isEqualTo(2);
    assertThat(noBranch.err()).startsWith("lth transfer: --branch nope: " + rotnet
        + " has no such branch (it has: ");
    CliRun rewindBranch = CliRun.of("transfer", "--ticket", rotnet.toString(), "--branch",
        "reinit", "--data", "embedded", "--device", "cpu");
    assertThat(rewindBranch.err()).isEqualTo("lth transfer: --branch reinit: a branch's rounds"
        + " transfer with their trained weights; add --weights trained\n");
    CliRun badWeights = CliRun.of("transfer", "--ticket", rotnet.toString(), "--weights",
        "final", "--data", "embedded", "--device", "cpu");
    assertThat(badWeights.err()).isEqualTo("lth transfer: --weights: unknown weights 'final'"
        + " (use rewind or trained)\n");
  }
}
