package io.github.lth.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TransferCommandTest {
  @TempDir
  static Path tmp;
  static Path run;

  /** A short IMP run on the embedded sample: two rounds to 36 %. */
  @BeforeAll
  static void imp() {
    run = tmp.resolve("run");
    CliRun r = CliRun.of("imp", "--steps", "10", "--target-sparsity", "0.36", "--out",
        run.toString(), "--device", "cpu");
    assertThat(r.exit()).as(r.err()).isZero();
  }

  @Test
  void transfersEveryRoundInBothModesWithControlsAndWritesVerdicts() throws IOException {
    CliRun r = CliRun.of("transfer", "--ticket", run.toString(), "--data", "embedded",
        "--classes", "5,6,7,8,9", "--low-shot", "10", "--mode", "full,linear", "--seeds", "2",
        "--steps", "5", "--device", "cpu");
    assertThat(r.exit()).as(r.err()).isZero();
    Path out = run.resolve("transfers/embedded-classes-5-6-7-8-9-low-shot-10");
    // 10 % of the embedded sample's 600 training images of each of the 5 classes
    assertThat(r.out()).contains("rounds [1, 2] to embedded-train-classes-5+6+7+8+9-0.1-per"
        + "-class (5 classes, 300 training images), full+linear, 2 seeds, into " + out);

    List<String> csv = Files.readAllLines(out.resolve("results.csv"));
    assertThat(csv.get(0)).startsWith("mode,configuration,round,sparsity,seed,val_accuracy,");
    // dense: 2 seeds x 2 modes; rounds 1-2 x 2 seeds x 2 modes x (ticket, random-mask, reinit)
    assertThat(csv).hasSize(1 + 4 + 24);
    assertThat(csv.stream().filter(l -> l.startsWith("linear,ticket,2,0.36,1,"))).hasSize(1);
    assertThat(csv.stream().filter(l -> l.startsWith("full,random-mask,1,0.2,0,"))).hasSize(1);

    List<String> verdicts = Files.readAllLines(out.resolve("verdicts.csv"));
    assertThat(verdicts.get(0)).isEqualTo(
        "target,configuration,round,sparsity,seeds,mean,std,matching,delta");
    // per mode: dense, then 3 configurations x 2 rounds
    assertThat(verdicts).hasSize(1 + 2 * (1 + 6));
    JsonObject json = JsonParser.parseString(Files.readString(out.resolve("verdicts.json")))
        .getAsJsonObject();
    assertThat(json.keySet()).containsExactly("test_accuracy", "test_mean_class_accuracy");
    assertThat(json.getAsJsonObject("test_accuracy").get("reference").getAsString())
        .isEqualTo("dense");
    JsonObject settings = JsonParser.parseString(Files.readString(out.resolve("settings.json")))
        .getAsJsonObject();
    assertThat(settings.getAsJsonObject("target").get("samples_percent").getAsDouble())
        .isEqualTo(10.0);
    for (String mode : List.of("full", "linear")) {
      BufferedImage plot = ImageIO.read(out.resolve("transfer-" + mode + ".png").toFile());
      assertThat(plot.getWidth()).isGreaterThan(300);
    }
    assertThat(r.out()).containsPattern("\\nfull \\(test_accuracy over seeds");
    assertThat(r.out()).containsPattern("\\n *ticket +1 +20\\.00% +2 +[0-9.]+% +[0-9.]+ +(yes|no)");
  }

  @Test
  void aLinearProbeOfOneRoundWithoutControlsOnPermutedLabels() throws IOException {
    Path out = tmp.resolve("one-round");
    CliRun r = CliRun.of("transfer", "--ticket", run.toString(), "--data", "embedded",
        "--round", "2", "--controls", "none", "--mode", "linear", "--seeds", "2",
        "--permute-labels", "--class-fraction", "30", "--out", out.toString(), "--device",
        "cpu");
    assertThat(r.exit()).as(r.err()).isZero();
    // round(0.3 x 10) = 3 classes, every training image of them
    assertThat(r.out()).contains("(3 classes, 1,800 training images)");
    List<String> csv = Files.readAllLines(out.resolve("results.csv"));
    assertThat(csv).hasSize(1 + 2 + 2);
    assertThat(csv.subList(1, 5)).allSatisfy(l -> assertThat(l).startsWith("linear,"));
  }

  @Test
  void badInputIsOneLineExitTwoAndWritesNothing() throws IOException {
    assertFails(List.of("--ticket", tmp.resolve("nope").toString(), "--data", "embedded"),
        "run directory " + tmp.resolve("nope") + " not found");
    assertFails(List.of("--ticket", run.toString(), "--data", "embedded", "--seeds", "1"),
        "--seeds 1: a verdict needs at least 2 seeds");
    assertFails(List.of("--ticket", run.toString(), "--data", "embedded", "--low-shot", "0"),
        "--low-shot 0.0: x % must be in (0, 100]");
    assertFails(List.of("--ticket", run.toString(), "--data", "embedded", "--class-fraction",
        "120"), "--class-fraction 120.0: x % must be in (0, 100]");
    assertFails(List.of("--ticket", run.toString(), "--data", "embedded", "--classes", "3"),
        "target embedded-train-classes-3 has 1 class left; a classifier needs 2");
    assertFails(List.of("--ticket", run.toString(), "--data", "embedded", "--round", "7"),
        "--round 7: " + run + " has pruned rounds [1, 2]");
    assertFails(List.of("--ticket", run.toString(), "--data", "embedded", "--mode", "half"),
        "transfer mode must be full or linear: 'half'");

    Path small = smallImageFolder(tmp.resolve("small"));
    CliRun r = CliRun.of("transfer", "--ticket", run.toString(), "--data", small.toString(),
        "--out", tmp.resolve("small-out").toString(), "--device", "cpu");
    assertThat(r.exit()).isEqualTo(2);
    assertThat(r.err()).contains("--ticket " + run + " round 1 does not fit lenet300's model"
        + " for --data " + small + ": the starting weights' ");
    assertThat(r.err().strip()).doesNotContain("\n");
    assertThat(tmp.resolve("small-out")).doesNotExist();
    assertThat(run.resolve("transfers")).satisfiesAnyOf(
        p -> assertThat(p).doesNotExist(),
        p -> assertThat(Files.list(p).map(q -> q.getFileName().toString()))
            .doesNotContain("small"));
  }

  private void assertFails(List<String> args, String message) {
    Path out = tmp.resolve("failed");
    String[] all = new String[args.size() + 5];
    all[0] = "transfer";
    for (int i = 0; i < args.size(); i++) {
      all[i + 1] = args.get(i);
    }
    all[args.size() + 1] = "--out";
    all[args.size() + 2] = out.toString();
    all[args.size() + 3] = "--device";
    all[args.size() + 4] = "cpu";
    CliRun r = CliRun.of(all);
    assertThat(r.exit()).as(r.out() + r.err()).isEqualTo(2);
    assertThat(r.err()).contains(message);
    assertThat(r.err().strip()).doesNotContain("\n");
    assertThat(out).doesNotExist();
  }

  /** Two classes of 8×8 gray images: a target the 28×28 ticket cannot fit. */
  private static Path smallImageFolder(Path root) throws IOException {
    for (String part : List.of("train", "test")) {
      for (String c : List.of("a", "b")) {
        Path dir = Files.createDirectories(root.resolve(part).resolve(c));
        for (int i = 0; i < 10; i++) {
          BufferedImage image = new BufferedImage(8, 8, BufferedImage.TYPE_BYTE_GRAY);
          image.getRaster().setSample(i % 8, i / 8, 0, c.equals("a") ? 255 : 128);
          ImageIO.write(image, "png", dir.resolve(i + ".png").toFile());
        }
      }
    }
    return root;
  }
}
