package io.github.lth.core.sweep;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.common.collect.ImmutableMap;
import io.github.lth.core.Branch;
import io.github.lth.core.Imp;
import io.github.lth.core.Round;
import io.github.lth.core.branch.Control;
import io.github.lth.core.rewind.Rewinds;
import io.github.lth.core.schedule.PruningSchedules;
import io.github.lth.core.testing.Pixels;
import io.github.lth.core.testing.ToyModel;
import io.github.lth.core.testing.ToyTask;
import io.github.lth.core.transfer.Verdict;
import io.github.lth.core.transfer.Verdicts;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A sweep of 2 rewinds × 3 seeds of IMP on the toy model, run for real into point directories,
 * and its collected tables checked against values computed here from the runs' own results.
 */
class SweepResultsTest {
  private static final List<String> REWINDS = List.of("init", "step:2");
  private static final List<String> AXES = List.of("rewind", "seed");

  @TempDir
  static Path sweep;
  /** The rounds of point i (index = rewind * 3 + seed), as Imp returned them. */
  private static final List<List<Round>> ROUNDS = new ArrayList<>();

  @TempDir
  Path out;

  @BeforeAll
  static void runTheSweep() {
    for (int i = 0; i < 6; i++) {
      String rewind = REWINDS.get(i / 3);
      long seed = i % 3;
      ROUNDS.add(Imp.builder().setSchedule(PruningSchedules.imp(0.2, 0.5)).optSeed(seed)
          .optRewind(Rewinds.parse(rewind)).optRunDirectory(dir(i))
          .optSetting("model", "toy").build()
          .run(ToyModel.mlp(20, 30, 10, 4, 100 + seed), new ToyTask(2, 3)).rounds());
    }
  }

  private static Path dir(int i) {
    return sweep.resolve("points").resolve("p" + i);
  }

  private static CollectedPoint point(int i, boolean done) {
    String rewind = REWINDS.get(i / 3);
    return new CollectedPoint(i, "p" + i, ImmutableMap.of("rewind", rewind, "seed", (long) (i % 3)),
        "rewind=" + rewind, dir(i), done);
  }

  private static List<CollectedPoint> points(boolean... done) {
    List<CollectedPoint> out = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      out.add(point(i, done.length == 0 || done[i]));
    }
    return out;
  }

  private static double acc(int point, int round) {
    return ROUNDS.get(point).get(round).metrics().get("accuracy");
  }

  private static double loss(int point, int round) {
    return ROUNDS.get(point).get(round).metrics().get("loss");
  }

  private static double mean(double... v) {
    double sum = 0;
    for (double x : v) {
      sum += x;
    }
    return sum / v.length;
  }

  /** Sample standard deviation, n - 1. */
  private static double std(double... v) {
    double m = mean(v);
    double squares = 0;
    for (double x : v) {
      squares += (x - m) * (x - m);
    }
    return Math.sqrt(squares / (v.length - 1));
  }

  @Test
  void theRunsHaveFourRoundsWithTheSameSparsitiesAndDifferentSeeds() {
    for (List<Round> rounds : ROUNDS) {
      assertThat(rounds).extracting(Round::index).containsExactly(0, 1, 2, 3);
      assertThat(rounds).extracting(Round::sparsity)
          .containsExactlyElementsOf(ROUNDS.get(0).stream().map(Round::sparsity).toList());
    }
    // without distinct seeds the standard deviations below would all be 0 and prove nothing
    assertThat(acc(0, 0)).isNotEqualTo(acc(1, 0));
    assertThat(acc(1, 2)).isNotEqualTo(acc(2, 2));
  }

  @Test
  void sweepCsvHasOneRowPerPointAndRound() throws IOException {
    StringBuilder expected =
        new StringBuilder("point,id,rewind,seed,round,sparsity,accuracy,loss\n");
    for (int i = 0; i < 6; i++) {
      for (Round r : ROUNDS.get(i)) {
        expected.append(i).append(",p").append(i).append(',').append(REWINDS.get(i / 3))
            .append(',').append(i % 3).append(',').append(r.index()).append(',')
            .append(r.sparsity()).append(',').append(acc(i, r.index())).append(',')
            .append(loss(i, r.index())).append('\n');
      }
    }
    SweepResults results = SweepResults.collect("imp", AXES, points());
    assertThat(results.sweepCsv()).isEqualTo(expected.toString());
    assertThat(results.missing()).isEmpty();
    assertThat(results.metrics()).containsExactly("accuracy", "loss");
  }

  @Test
  void summaryCsvHasMeanAndSampleStdOverSeeds() throws IOException {
    StringBuilder expected = new StringBuilder(
        "setting,rewind,round,sparsity,seeds,accuracy_mean,accuracy_std,loss_mean,loss_std\n");
    for (int s = 0; s < 2; s++) {
      int a = 3 * s;
      for (int r = 0; r < 4; r++) {
        double[] accuracies = {acc(a, r), acc(a + 1, r), acc(a + 2, r)};
        double[] losses = {loss(a, r), loss(a + 1, r), loss(a + 2, r)};
        expected.append("rewind=").append(REWINDS.get(s)).append(',').append(REWINDS.get(s))
            .append(',').append(r).append(',').append(ROUNDS.get(a).get(r).sparsity())
            .append(",3,").append(mean(accuracies)).append(',').append(std(accuracies))
            .append(',').append(mean(losses)).append(',').append(std(losses)).append('\n');
      }
    }
    assertThat(SweepResults.collect("imp", AXES, points()).summaryCsv())
        .isEqualTo(expected.toString());
  }

  @Test
  void missingPointsAreListedAndLeftOutOfTheTables() throws IOException {
    // point 4 not done; point 5 done but its directory holds no run
    List<CollectedPoint> points = points(true, true, true, true, false, true);
    points.set(5, new CollectedPoint(5, "p5", points.get(5).axisValues(), "rewind=step:2",
        sweep.resolve("points").resolve("never-ran"), true));
    SweepResults results = SweepResults.collect("imp", AXES, points);

    assertThat(results.missing()).extracting(CollectedPoint::index).containsExactly(4, 5);
    assertThat(results.sweepCsv().lines().skip(1).map(l -> l.split(",")[0]).distinct())
        .containsExactly("0", "1", "2", "3");
    // one seed of step:2 remains: mean is its value, std empty
    String step = "rewind=step:2,step:2,1," + ROUNDS.get(3).get(1).sparsity() + ",1,"
        + acc(3, 1) + ",," + loss(3, 1) + ",";
    assertThat(results.summaryCsv().lines()).contains(step);
    assertThat(results.leftOutOfVerdicts("accuracy")).isEqualTo(ImmutableMap.of(
        "rewind=step:2",
        "round 0 has 1 seed with accuracy; the matching verdict needs at least 2"));
    assertThat(results.verdicts("accuracy").targets()).containsExactly("rewind=init");
  }

  @Test
  void aRunWithoutACompleteRoundIsMissing() throws IOException {
    Path empty = sweep.resolve("points").resolve("started");
    Files.createDirectories(empty);
    Files.copy(dir(0).resolve("config.json"), empty.resolve("config.json"));
    List<CollectedPoint> points = points();
    points.set(0, new CollectedPoint(0, "p0", points.get(0).axisValues(), "rewind=init", empty,
        true));
    assertThat(SweepResults.collect("imp", AXES, points).missing()).containsExactly(points.get(0));
  }

  @Test
  void verdictsMatchAHandComputation() throws IOException {
    Verdicts v = SweepResults.collect("imp", AXES, points()).verdicts("accuracy");
    List<String> expected = new ArrayList<>();
    for (int s = 0; s < 2; s++) {
      int a = 3 * s;
      double refMean = mean(acc(a, 0), acc(a + 1, 0), acc(a + 2, 0));
      double refStd = std(acc(a, 0), acc(a + 1, 0), acc(a + 2, 0));
      for (int r = 0; r < 4; r++) {
        double m = mean(acc(a, r), acc(a + 1, r), acc(a + 2, r));
        double sd = std(acc(a, r), acc(a + 1, r), acc(a + 2, r));
        boolean matching = m >= refMean - refStd - 1e-12;
        double delta = r == 0 ? 0 : ((1 - m) - (1 - refMean)) / (1 - refMean);
        expected.add(String.join(",", "rewind=" + REWINDS.get(s), r == 0 ? "dense" : "imp",
            "" + r, "" + ROUNDS.get(a).get(r).sparsity(), "3", "" + m, "" + sd, "" + matching,
            "" + delta));
      }
    }
    List<String> actual = v.all().stream().map(SweepResultsTest::row).toList();
    assertThat(actual).containsExactlyElementsOf(expected);
    assertThat(v.targets()).containsExactly("rewind=init", "rewind=step:2");
    assertThat(v.configurations()).containsExactly("dense", "imp");
  }

  private static String row(Verdict v) {
    return String.join(",", v.target(), v.configuration(), "" + v.round(), "" + v.sparsity(),
        "" + v.stats().n(), "" + v.stats().mean(), "" + v.stats().std(), "" + v.matching(),
        "" + v.delta());
  }

  @Test
  void writeStoresTheTablesTheVerdictsAndThePlot() throws IOException {
    SweepResults results = SweepResults.collect("imp", AXES, points());
    results.write(out, "accuracy");

    try (Stream<Path> files = Files.list(out)) {
      assertThat(files.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder(
          "sweep.csv", "summary.csv", "verdicts.json", "verdicts.csv", "sweep.png");
    }
    assertThat(Files.readString(out.resolve("sweep.csv"))).isEqualTo(results.sweepCsv());
    assertThat(Files.readString(out.resolve("summary.csv"))).isEqualTo(results.summaryCsv());
    assertThat(Files.readString(out.resolve("verdicts.csv")))
        .isEqualTo(results.verdicts("accuracy").csv());
    String json = Files.readString(out.resolve("verdicts.json"));
    assertThat(json).startsWith("{\n  \"metric\": \"accuracy\",\n  \"reference\": \"dense\",")
        .endsWith("  \"left_out\": {}\n}\n");
    BufferedImage png = ImageIO.read(out.resolve("sweep.png").toFile());
    assertThat(png.getWidth()).isEqualTo(800);
    assertThat(png.getHeight()).isEqualTo(540);
    assertThat(Files.readAllBytes(out.resolve("sweep.png"))).startsWith(0x89, 'P', 'N', 'G');
    // both settings' line colours (Tableau blue, red) are drawn
    assertThat(Pixels.count(png, 0x1F77B4)).isGreaterThan(50);
    assertThat(Pixels.count(png, 0xD62728)).isGreaterThan(50);
  }

  @Test
  void withoutASeedAxisNoSettingIsJudgedAndVerdictsJsonSaysWhy() throws IOException {
    List<CollectedPoint> points = new ArrayList<>();
    for (int s = 0; s < 2; s++) {
      points.add(new CollectedPoint(s, "p" + (3 * s), ImmutableMap.of("rewind", REWINDS.get(s)),
          "rewind=" + REWINDS.get(s), dir(3 * s), true));
    }
    SweepResults results = SweepResults.collect("imp", List.of("rewind"), points);
    results.write(out, "loss");

    assertThat(Files.readString(out.resolve("verdicts.json"))).isEqualTo("""
        {
          "metric": "loss",
          "verdicts": [],
          "left_out": {
            "rewind=init": "round 0 has 1 seed with loss; the matching verdict needs at least 2",
            "rewind=step:2": "round 0 has 1 seed with loss; the matching verdict needs at least 2"
          }
        }
        """);
    assertThat(Files.readString(out.resolve("verdicts.csv")))
        .isEqualTo("target,configuration,round,sparsity,seeds,mean,std,matching,delta\n");
    assertThat(results.summaryCsv().lines().skip(1).map(l -> l.split(",", -1)[4]).distinct())
        .containsExactly("1");
    assertThatThrownBy(() -> results.verdicts("loss"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("no setting of the sweep can be judged on loss: rewind=init: round 0 has 1"
            + " seed with loss; the matching verdict needs at least 2; rewind=step:2: round 0 has"
            + " 1 seed with loss; the matching verdict needs at least 2");
  }

  @Test
  void anUnknownMetricWritesNothing() throws IOException {
    SweepResults results = SweepResults.collect("imp", AXES, points());
    assertThatThrownBy(() -> results.write(out, "val_accuracy"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("metric val_accuracy is not in the sweep's results; they have [accuracy,"
            + " loss]");
    try (Stream<Path> files = Files.list(out)) {
      assertThat(files).isEmpty();
    }
  }

  @Test
  void aTransferSweepAndPointsOffTheAxesAreRefused() {
    assertThatThrownBy(() -> SweepResults.collect("transfer", AXES, points()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("cannot collect a transfer sweep: collect reads the run or branch directories"
            + " of imp, train, branch sweeps");
    assertThatThrownBy(() -> SweepResults.collect("imp", List.of("rewind"), points()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("point 0 (p0) has values for [rewind, seed]; the axes are [rewind]");
  }

  @Test
  void aBranchSweepTakesItsDenseRoundFromTheRunItBranchesFrom() throws IOException {
    Path run = dir(0);
    List<CollectedPoint> points = new ArrayList<>();
    for (long seed = 0; seed < 2; seed++) {
      Branch.builder().setRunDirectory(run).setControl(Control.parse("reinit")).optSeed(seed)
          .optName("reinit-" + seed).build()
          .run(ToyModel.mlp(20, 30, 10, 4, 100), new ToyTask(2, 3));
      points.add(new CollectedPoint((int) seed, "b" + seed, ImmutableMap.of("seed", seed), "all",
          run.resolve("branches").resolve("reinit-" + seed), true));
    }
    SweepResults results = SweepResults.collect("branch", List.of("seed"), points);

    assertThat(results.sweepCsv().lines().skip(1).map(l -> l.split(",")[3]))
        .containsExactly("0", "1", "2", "3", "0", "1", "2", "3");
    assertThat(results.sweepCsv().lines().skip(1).filter(l -> l.split(",")[3].equals("0")))
        .containsExactly("0,b0,0,0,0.0," + acc(0, 0) + "," + loss(0, 0),
            "1,b1,1,0,0.0," + acc(0, 0) + "," + loss(0, 0));
    Verdicts v = results.verdicts("accuracy");
    assertThat(v.configurations()).containsExactly("dense", "branch");
    assertThat(v.get("all", "dense", 0).orElseThrow().stats().std()).isZero();
  }

}
