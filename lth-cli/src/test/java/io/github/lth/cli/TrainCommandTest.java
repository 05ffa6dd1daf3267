package io.github.lth.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.github.lth.core.Mask;
import io.github.lth.core.io.MaskIO;
import io.github.lth.core.sparse.SparsityDistributions;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TrainCommandTest {
  @TempDir
  Path tmp;

  private static Mask sparseMask(Path run) throws IOException {
    return MaskIO.read(run.resolve("round-01").resolve("mask.npz"));
  }

  @Test
  void riglWritesARunWhoseSparseRoundTransfersWithItsTrainedWeights() throws IOException {
    Path run = tmp.resolve("rigl");
    CliRun r = CliRun.of("train", "--method", "rigl", "--target-sparsity", "0.8", "--steps",
        "12", "--method-options", "every=4,alpha=0.5", "--out", run.toString(), "--device",
        "cpu");
    assertThat(r.exit()).as(r.err()).isZero();
    assertThat(r.out()).contains("lth train: rigl to 80.00% sparsity, lenet300 on embedded");
    assertThat(r.out()).containsPattern("\\n0 +dense +0\\.00% +265,200 ");
    Mask mask = sparseMask(run);
    // ERK: every layer keeps its distribution's count (LeNet-300-100's output layer is dense)
    Map<String, Long> erk = SparsityDistributions.erk().keptCounts(mask.shapes(), 0.8);
    for (String layer : mask.layers()) {
      assertThat(mask.kept(layer)).as(layer).isEqualTo(erk.get(layer));
    }
    JsonObject settings = JsonParser.parseString(Files.readString(run.resolve("config.json")))
        .getAsJsonObject().getAsJsonObject("settings");
    assertThat(settings.get("method").getAsString()).isEqualTo("rigl");
    JsonObject method = settings.getAsJsonObject("method_settings");
    assertThat(method.get("update_every").getAsLong()).isEqualTo(4);
    assertThat(method.get("distribution").getAsString()).isEqualTo("erk");
    List<String> results = Files.readAllLines(run.resolve("results.csv"));
    assertThat(results).hasSize(3);

    CliRun t = CliRun.of("transfer", "--ticket", run.toString(), "--data", "embedded",
        "--classes", "5,6,7,8,9", "--mode", "linear,full", "--seeds", "2", "--steps", "4",
        "--controls", "none", "--device", "cpu");
    assertThat(t.exit()).as(t.err()).isZero();
    // a train run transfers its trained weights unless told otherwise
    Path out = run.resolve("transfers/embedded-classes-5-6-7-8-9-trained");
    assertThat(Files.readAllLines(out.resolve("results.csv")))
        .anyMatch(l -> l.startsWith("linear,ticket,1,0.8,0,"))
        .anyMatch(l -> l.startsWith("full,dense,0,0.0,0,"));
  }

  @Test
  void gmpPerLayerAndWoodFisherGloballyEndAtTheExactTarget() throws IOException {
    Path gmp = tmp.resolve("gmp");
    CliRun r = CliRun.of("train", "--method", "gmp", "--scope", "layer", "--steps", "12",
        "--method-options", "start=0,end=0.5,steps=3", "--out", gmp.toString(), "--device",
        "cpu");
    assertThat(r.exit()).as(r.err()).isZero();
    Mask mask = sparseMask(gmp);
    for (String layer : mask.layers()) {
      long size = mask.size(layer);
      assertThat(mask.kept(layer)).as(layer).isEqualTo(size - Math.round(0.9 * size));
    }

    Path wf = tmp.resolve("woodfisher");
    r = CliRun.of("train", "--method", "woodfisher", "--target-sparsity", "0.7", "--steps", "12",
        "--method-options", "steps=1,start=0.5,samples=4,block=64", "--out", wf.toString(),
        "--device", "cpu");
    assertThat(r.exit()).as(r.err()).isZero();
    mask = sparseMask(wf);
    assertThat(mask.kept()).isEqualTo(mask.size() - Math.round(0.7 * mask.size()));
  }

  @Test
  void acdcEndsSparseBesideTheDenseNetworkOfAnImpRun() throws IOException {
    Path imp = tmp.resolve("imp");
    CliRun i = CliRun.of("imp", "--steps", "20", "--target-sparsity", "0.2", "--out",
        imp.toString(), "--device", "cpu");
    assertThat(i.exit()).as(i.err()).isZero();
    Path run = tmp.resolve("acdc");
    CliRun r = CliRun.of("train", "--method", "acdc", "--target-sparsity", "0.5", "--steps",
        "20", "--method-options", "warmup=0.2,sparse=0.2,dense=0.2,final=0.2", "--dense-from",
        imp.toString(), "--out", run.toString(), "--device", "cpu");
    assertThat(r.exit()).as(r.err()).isZero();
    Mask mask = sparseMask(run);
    assertThat(mask.kept()).isEqualTo(mask.size() - Math.round(0.5 * mask.size()));
    assertThat(Files.readAllBytes(run.resolve("round-00/weights.npz")))
        .isEqualTo(Files.readAllBytes(imp.resolve("round-00/weights.npz")));

    CliRun other = CliRun.of("train", "--method", "acdc", "--steps", "20", "--seed", "3",
        "--dense-from", imp.toString(), "--out", tmp.resolve("other").toString(), "--device",
        "cpu");
    assertThat(other.exit()).isEqualTo(2);
    assertThat(other.err()).contains("dense reference " + imp + ": its seed differs");

    // a run directory holding another run is refused naming the flag, as lth imp does
    CliRun into = CliRun.of("train", "--method", "acdc", "--steps", "20", "--resume", "--out",
        imp.toString(), "--device", "cpu");
    assertThat(into.exit()).isEqualTo(2);
    assertThat(into.err()).startsWith("lth train: --out");
  }

  @Test
  void strEndsAtLeastAtTheTargetAndReportsItsOwnSparsity() throws IOException {
    Path run = tmp.resolve("str");
    CliRun r = CliRun.of("train", "--method", "str", "--target-sparsity", "0.5", "--steps",
        "10", "--out", run.toString(), "--device", "cpu");
    assertThat(r.exit()).as(r.err()).isZero();
    Mask mask = sparseMask(run);
    assertThat(mask.kept()).isLessThanOrEqualTo(mask.size() - Math.round(0.5 * mask.size()));
    JsonObject metrics = JsonParser.parseString(Files.readString(
        run.resolve("round-01/metrics.json"))).getAsJsonObject();
    String text = metrics.toString();
    assertThat(text).contains("\"str_sparsity\"").contains("\"str_sparsity/fc1_weight\"");
    assertThat(r.out()).containsPattern("\\nstr str_sparsity: 0\\.[0-9]+");
  }

  @Test
  void riglWithAnIntervalLongerThanTheRunSaysItMakesNoUpdate() throws IOException {
    Path run = tmp.resolve("rigl-static");
    CliRun r = CliRun.of("train", "--method", "rigl", "--steps", "6", "--out", run.toString(),
        "--device", "cpu");
    assertThat(r.exit()).as(r.err()).isZero();
    assertThat(r.err()).contains("lth train: note: rigl makes no update in 6 steps (every=100,"
        + " updates stop at end=0.75 of the run)");
    JsonObject metrics = JsonParser.parseString(Files.readString(
        run.resolve("round-01/metrics.json"))).getAsJsonObject();
    assertThat(metrics.getAsJsonObject("metrics").get("rigl_updates").getAsDouble()).isZero();
  }

  @Test
  void aSelfSupervisedObjectiveTrainsSparseToo() throws IOException {
    Path run = tmp.resolve("rotnet-gmp");
    CliRun r = CliRun.of("train", "--method", "gmp", "--task", "rotnet", "--target-sparsity",
        "0.6", "--steps", "8", "--method-options", "start=0,end=0.5,steps=2", "--out",
        run.toString(), "--device", "cpu");
    assertThat(r.exit()).as(r.err()).isZero();
    assertThat(r.out()).contains("val_rotation_accuracy");
    Mask mask = sparseMask(run);
    assertThat(mask.kept()).isEqualTo(mask.size() - Math.round(0.6 * mask.size()));
  }

  @Test
  void badSettingsAreOneLineErrorsNamingTheFlag() {
    Object[][] cases = {
        {new String[] {"--method", "snip"}, "--method: unknown method 'snip' (known: gmp, acdc,"
            + " rigl, str, woodfisher"},
        {new String[] {"--method", "gmp", "--method-options", "every=3"},
            "--method-options: gmp has no option 'every' (it has: initial, start, end, steps)"},
        {new String[] {"--method", "gmp", "--method-options", "start=0.9,end=0.1"},
            "--method-options (gmp): pruning span must satisfy 0 <= start <= end <= 1"},
        {new String[] {"--method", "rigl", "--scope", "layer"},
            "--scope does not apply to rigl: its layer sparsities come from --distribution"},
        {new String[] {"--method", "gmp", "--distribution", "erk"},
            "--distribution applies to rigl, not to gmp"},
        {new String[] {"--method", "acdc", "--criterion", "random"},
            "--criterion: the sparse training methods score the weights themselves"},
        {new String[] {"--method", "rigl", "--distribution", "normal"},
            "--distribution: unknown distribution 'normal' (known: erk, er, uniform)"},
        {new String[] {"--method", "woodfisher", "--method-options", "samples=3e9"},
            "--method-options: samples=3e9 is not a whole number"},
        {new String[] {"--method", "acdc", "--target-sparsity", "1"},
            "--target-sparsity must be in (0, 1): 1.0"},
    };
    for (Object[] c : cases) {
      String[] args = (String[]) c[0];
      String[] all = new String[args.length + 3];
      all[0] = "train";
      System.arraycopy(args, 0, all, 1, args.length);
      all[all.length - 1] = tmp.resolve("never").toString();
      all[all.length - 2] = "--out";
      CliRun r = CliRun.of(all);
      assertThat(r.exit()).as(String.join(" ", args)).isEqualTo(2);
      assertThat(r.err()).as(String.join(" ", args)).contains((String) c[1]);
      assertThat(r.err().strip().lines().count()).as(r.err()).isEqualTo(1);
    }
    assertThat(Files.exists(tmp.resolve("never"))).isFalse();
  }
}
