package io.github.lth.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReproduceCommandTest {
  @TempDir
  Path tmp;

  @Test
  void quickWritesTheTableVerdictsAndAPlotPerMode() throws IOException {
    Path out = tmp.resolve("quick");
    CliRun r = CliRun.of("reproduce", "--quick", "--out", out.toString(), "--device", "cpu");
    assertThat(r.exit()).as(r.err()).isZero();
    assertThat(r.out()).contains("mP: IMP on the source, 2 rounds to 75.00%")
        .contains("mT: IMP on the target, 2 rounds to 75.00%");

    List<String> csv = Files.readAllLines(out.resolve("results.csv"));
    // dense: 2 seeds x 2 modes; 2 pruned rounds x 2 seeds x 6 configurations x 2 modes
    assertThat(csv).hasSize(1 + 4 + 48);
    assertThat(csv.stream().filter(l -> l.startsWith("full,\"mP,θp\",2,0.75,"))).hasSize(2);
    assertThat(csv.stream().filter(l -> l.startsWith("linear,mT,θ0,"))).isEmpty();
    assertThat(csv.stream().filter(l -> l.startsWith("linear,\"mT,θ0\",1,0.5,1,"))).hasSize(1);

    JsonObject verdicts = JsonParser.parseString(Files.readString(out.resolve("verdicts.json")))
        .getAsJsonObject().getAsJsonObject("test_accuracy");
    JsonArray all = verdicts.getAsJsonArray("verdicts");
    // per mode: dense and 6 configurations at 2 rounds
    assertThat(all.size()).isEqualTo(2 * (1 + 12));
    for (var v : all) {
      assertThat(v.getAsJsonObject().get("seeds").getAsInt()).isEqualTo(2);
    }
    assertThat(verdicts.getAsJsonObject("sparsest_matching").keySet())
        .containsExactly("full", "linear");
    for (String mode : List.of("full", "linear")) {
      BufferedImage plot = ImageIO.read(out.resolve("transfer-" + mode + ".png").toFile());
      assertThat(plot.getWidth()).isGreaterThan(300);
    }
    assertThat(out.resolve("source-imp/round-02/mask.npz")).exists();
    assertThat(out.resolve("target-imp/round-02/mask.npz")).exists();
    assertThat(r.out()).containsPattern("\\n *mP,θp +2 +75\\.00% +2 +[0-9.]+% +[0-9.]+ +(yes|no)");

    // again into the same directory with fewer configurations: the IMP runs resume, only the
    // chosen transfers train, and the files are replaced
    var stored = Files.getLastModifiedTime(out.resolve("target-imp/round-02/mask.npz"));
    onlyTheChosenConfigurationsModesAndSeedsAreTrained(out);
    assertThat(Files.getLastModifiedTime(out.resolve("target-imp/round-02/mask.npz")))
        .isEqualTo(stored);
  }

  private void onlyTheChosenConfigurationsModesAndSeedsAreTrained(Path out) throws IOException {
    CliRun r = CliRun.of("reproduce", "--quick", "--out", out.toString(), "--configurations",
        "dense;mP,θp;reinit", "--mode", "linear", "--seeds", "3", "--low-shot", "50",
        "--device", "cpu");
    assertThat(r.exit()).as(r.err()).isZero();
    List<String> csv = Files.readAllLines(out.resolve("results.csv"));
    // dense: 3 seeds; 2 rounds x 3 seeds x 2 configurations, linear only
    assertThat(csv).hasSize(1 + 3 + 12);
    assertThat(csv.subList(1, csv.size())).allSatisfy(l -> assertThat(l).startsWith("linear,"));
    JsonObject settings = JsonParser.parseString(Files.readString(out.resolve("settings.json")))
        .getAsJsonObject();
    assertThat(settings.get("target_samples_percent").getAsDouble()).isEqualTo(50.0);
    assertThat(settings.getAsJsonArray("configurations").toString())
        .isEqualTo("[\"dense\",\"mP,θp\",\"reinit\"]");
  }

  @Test
  void badSettingsAreOneLineExitTwoAndWriteNothing() {
    Path out = tmp.resolve("bad");
    for (String[] args : List.of(new String[] {"--seeds", "1"},
        new String[] {"--low-shot", "150"}, new String[] {"--configurations", "mX,θp"},
        new String[] {"--mode", "partial"})) {
      String[] all = new String[args.length + 4];
      all[0] = "reproduce";
      all[1] = "--quick";
      all[2] = "--out";
      all[3] = out.toString();
      System.arraycopy(args, 0, all, 4, args.length);
      CliRun r = CliRun.of(all);
      assertThat(r.exit()).as(r.err()).isEqualTo(2);
      assertThat(r.err().strip()).doesNotContain("\n").contains(args[0]);
      assertThat(out).doesNotExist();
    }
  }
}
