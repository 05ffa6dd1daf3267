package io.github.lth.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code lth sweep} with the local backend, {@code --status} and {@code lth collect} on a
 * 2 seeds × 2 rewinds sweep of a tiny IMP run, and the sweep's bad input.
 */
class SweepCommandTest {
  @TempDir Path tmp;

  /** 2 seeds × 2 rewinds of a one-round LeNet run on the embedded sample. */
  static final String SWEEP = """
      {
        "command": "imp",
        "settings": {"data": "embedded", "model": "lenet300", "target-sparsity": 0.2,
                     "steps": 10, "device": "cpu"},
        "axes": {"seed": [0, 1], "rewind": ["init", "step:5"]}
      }
      """;

  private Path sweepFile(String text) throws IOException {
    Path f = tmp.resolve("sweep.json");
    Files.writeString(f, text);
    return f;
  }

  @Test
  void localSweepRunsEveryPointSkipsThemWhenRunAgainAndCollects() throws Exception {
    Path file = sweepFile(SWEEP);
    Path dir = tmp.resolve("sweeps/local");
    CliRun run = CliRun.of("sweep", file.toString(), "--out", dir.toString(), "--workers", "1");
    assertThat(run.exit()).as(run.err()).isZero();
    assertThat(run.out()).startsWith("lth sweep: imp, 4 points (0 done, 4 to run) into " + dir
        + "\n").contains("all 4 points done; collect them with: lth collect " + dir);

    Map<String, byte[]> masks = masks(dir);
    assertThat(masks).hasSize(4 * 2);

    CliRun again = CliRun.of("sweep", file.toString(), "--out", dir.toString());
    assertThat(again.exit()).as(again.err()).isZero();
    assertThat(again.out()).isEqualTo("lth sweep: imp, 4 points (4 done, 0 to run) into " + dir
        + "\n");

    CliRun status = CliRun.of("sweep", "--status", dir.toString());
    assertThat(status.exit()).as(status.err()).isZero();
    assertThat(status.out()).startsWith(dir + ": imp, 4 points: 4 done, 0 running or queued,"
        + " 0 failed, 0 pending\n");

    CliRun collect = CliRun.of("collect", dir.toString());
    assertThat(collect.exit()).as(collect.err()).isZero();
    assertThat(collect.out()).startsWith("lth collect: 4 of 4 points of " + dir + "\n");
    List<String> sweepCsv = Files.readAllLines(dir.resolve("sweep.csv"));
    assertThat(sweepCsv).hasSize(1 + 4 * 2);
    assertThat(sweepCsv.get(0)).startsWith("point,id,seed,rewind,round,sparsity,");
    List<String> summary = Files.readAllLines(dir.resolve("summary.csv"));
    // two settings (the rewinds) × two rounds, each over two seeds
    assertThat(summary).hasSize(1 + 2 * 2);
    assertThat(summary.get(0)).startsWith("setting,rewind,round,sparsity,seeds,");
    for (String row : summary.subList(1, summary.size())) {
      assertThat(row.split(",")[4]).as(row).isEqualTo("2");
    }
    assertThat(dir.resolve("sweep.png")).isRegularFile();
    assertThat(dir.resolve("verdicts.json")).isRegularFile();
  }

  @Test
  void aFailingPointIsNamedWithItsErrorAndShownAsFailed() throws Exception {
    Path file = sweepFile(SWEEP.replace("\"seed\": [0, 1], ", "").replace("\"step:5\"",
        "\"bogus\""));
    Path dir = tmp.resolve("sweeps/failing");
    CliRun run = CliRun.of("sweep", file.toString(), "--out", dir.toString());
    assertThat(run.exit()).isEqualTo(1);
    assertThat(run.err()).matches("lth sweep: 1 of 2 points failed: 1 \\([0-9a-f]{12},"
        + " rewind=bogus: exit 2, lth imp: --rewind[^\n]*\\); logs in \\Q" + dir.resolve("logs")
        + "\\E\n");
    CliRun status = CliRun.of("sweep", "--status", dir.toString());
    assertThat(status.out()).startsWith(dir + ": imp, 2 points: 1 done, 0 running or queued,"
        + " 1 failed, 0 pending\n").contains("failed (exit 2: lth imp: --rewind");
  }

  @Test
  void aBranchSweepLinksEachPointToItsBranchUnderTheRunAndCollectsThem() throws Exception {
    Path run = tmp.resolve("run");
    CliRun imp = CliRun.of("imp", "--steps", "10", "--target-sparsity", "0.2", "--out",
        run.toString(), "--device", "cpu");
    assertThat(imp.exit()).as(imp.err()).isZero();
    Path file = sweepFile("""
        {"command": "branch",
         "settings": {"run": "%s", "control": "reinit", "device": "cpu"},
         "axes": {"seed": [1, 2]}}
        """.formatted(run));
    Path dir = tmp.resolve("sweeps/branch");
    CliRun sweep = CliRun.of("sweep", file.toString(), "--out", dir.toString());
    assertThat(sweep.exit()).as(sweep.err()).isZero();
    List<Path> links;
    try (Stream<Path> s = Files.list(dir.resolve("points"))) {
      links = s.sorted().toList();
    }
    assertThat(links).hasSize(2).allSatisfy(link -> {
      assertThat(link).isSymbolicLink();
      assertThat(Files.readSymbolicLink(link).isAbsolute()).isFalse();
      assertThat(link.toRealPath().getParent()).isEqualTo(run.resolve("branches").toRealPath());
      assertThat(link.toRealPath().getFileName().toString()).startsWith("sweep-")
          .endsWith(link.getFileName().toString());
      assertThat(link.resolve("round-01/mask.npz")).isRegularFile();
    });
    CliRun collect = CliRun.of("collect", dir.toString());
    assertThat(collect.exit()).as(collect.err()).isZero();
    // round 0 comes from the run the branches branch from, round 1 from each branch
    assertThat(Files.readAllLines(dir.resolve("sweep.csv"))).hasSize(1 + 2 * 2);
  }

  @Test
  void aTransferSweepStacksEachPointsTrainingsAndVerdicts() throws Exception {
    Path run = tmp.resolve("ticket");
    CliRun imp = CliRun.of("imp", "--steps", "10", "--target-sparsity", "0.2", "--out",
        run.toString(), "--device", "cpu");
    assertThat(imp.exit()).as(imp.err()).isZero();
    Path file = sweepFile("""
        {"command": "transfer",
         "settings": {"ticket": "%s", "data": "embedded", "classes": [5, 6, 7, 8, 9],
                      "mode": "linear", "seeds": 2, "steps": 5, "controls": "none",
                      "device": "cpu"},
         "axes": {"low-shot": [10, 20]}}
        """.formatted(run));
    Path dir = tmp.resolve("sweeps/transfer");
    CliRun sweep = CliRun.of("sweep", file.toString(), "--out", dir.toString());
    assertThat(sweep.exit()).as(sweep.err()).isZero();
    CliRun collect = CliRun.of("collect", dir.toString());
    assertThat(collect.exit()).as(collect.err()).isZero();
    List<String> trainings = Files.readAllLines(dir.resolve("sweep.csv"));
    List<String> ownTrainings = Files.readAllLines(dir.resolve("points").resolve(
        trainings.get(1).split(",")[1]).resolve("results.csv"));
    assertThat(trainings.get(0)).isEqualTo("point,id,low-shot," + ownTrainings.get(0));
    // per point: the dense network and round 1, two seeds each
    assertThat(trainings).hasSize(1 + 2 * (ownTrainings.size() - 1));
    assertThat(trainings.get(1)).startsWith("0,").contains(",10,linear,");
    List<String> summary = Files.readAllLines(dir.resolve("summary.csv"));
    assertThat(summary.get(0)).startsWith("low-shot,target,configuration,round,");
    assertThat(summary.subList(1, summary.size())).anyMatch(l -> l.startsWith("20,"));
  }

  @Test
  void aValueOfTheWrongTypeIsRefusedBeforeAnythingRuns() throws Exception {
    assertRefused(SWEEP.replace("\"steps\": 10", "\"steps\": \"ten\""), List.of(),
        "point 0 (seed=0 rewind=init): Invalid value for option '--steps': 'ten' is not a long");
    assertRefused(SWEEP, List.of("--partition", "gpu"), "--partition, --time, --gres,"
        + " --cpus-per-task, --mem, --parallel and --wait are for --backend slurm");
    assertThat(tmp.resolve("sweeps/bad")).doesNotExist();
  }

  @Test
  void badSweepsAreRefusedWithOneLineAndNothingWritten() throws Exception {
    Path dir = tmp.resolve("sweeps/bad");
    assertRefused(SWEEP.replace("\"steps\"", "\"stepz\""), List.of(),
        "unknown setting 'stepz' for lth imp (see 'lth imp --help')");
    assertRefused(SWEEP.replace("\"rewind\": [", "\"rewnd\": ["), List.of(),
        "unknown axis 'rewnd' for lth imp (see 'lth imp --help')");
    assertRefused(SWEEP.replace("\"seed\": [0, 1]", "\"seed\": []"), List.of(), "seed");
    assertRefused(SWEEP.replace("\"device\": \"cpu\"", "\"device\": \"cpu\", \"out\": \"x\""),
        List.of(), "'out' is set by the sweep itself (each point gets its own directory);"
            + " remove it");
    assertRefused(SWEEP, List.of("--max-points", "3"), "4 points, more than --max-points 3");
    assertThat(dir).doesNotExist();
  }

  @Test
  void aSweepDirectoryOfAnotherSweepIsRefused() throws Exception {
    Path dir = tmp.resolve("sweeps/owned");
    Path small = sweepFile(SWEEP.replace("\"seed\": [0, 1], ", "").replace(
        "\"rewind\": [\"init\", \"step:5\"]", "\"rewind\": [\"init\"]"));
    CliRun first = CliRun.of("sweep", small.toString(), "--out", dir.toString());
    assertThat(first.exit()).as(first.err()).isZero();
    Map<String, byte[]> before = masks(dir);
    Path other = tmp.resolve("other.json");
    Files.writeString(other, SWEEP);
    CliRun refused = CliRun.of("sweep", other.toString(), "--out", dir.toString());
    assertThat(refused.exit()).isEqualTo(2);
    assertThat(refused.err()).startsWith("lth sweep: ").contains(dir + " holds another sweep")
        .endsWith("choose another --out\n");
    assertThat(masks(dir).keySet()).isEqualTo(before.keySet());
  }

  @Test
  void slurmWithoutSbatchIsRefusedBeforeAnythingIsWritten() throws Exception {
    Path dir = tmp.resolve("sweeps/slurm");
    LthProcess.Finished f = finished(LthProcess.start(tmp.resolve("logs"), null,
        Map.of("PATH", ""), "sweep", sweepFile(SWEEP).toString(), "--out", dir.toString(),
        "--backend", "slurm"));
    assertThat(f.exit()).isEqualTo(2);
    assertThat(f.err()).isEqualTo("lth sweep: --backend slurm: sbatch is not on the PATH; run on"
        + " a Slurm login node or use --backend local\n");
    assertThat(dir).doesNotExist();
  }

  private static LthProcess.Finished finished(LthProcess p) throws Exception {
    int exit = p.await();
    return new LthProcess.Finished(exit, p.stdout(), p.stderr());
  }

  private void assertRefused(String sweep, List<String> extra, String message)
      throws IOException {
    Path file = sweepFile(sweep);
    List<String> args = new java.util.ArrayList<>(List.of("sweep", file.toString(), "--out",
        tmp.resolve("sweeps/bad").toString()));
    args.addAll(extra);
    CliRun r = CliRun.of(args.toArray(String[]::new));
    assertThat(r.exit()).as(r.err()).isEqualTo(2);
    assertThat(r.err()).startsWith("lth sweep: ").contains(message).endsWith("\n");
    assertThat(r.err().strip()).doesNotContain("\n");
  }

  /** Every mask under the sweep's points, by path relative to the sweep directory. */
  static Map<String, byte[]> masks(Path sweepDir) throws IOException {
    Map<String, byte[]> out = new TreeMap<>();
    Path points = sweepDir.resolve("points");
    if (!Files.isDirectory(points)) {
      return out;
    }
    try (Stream<Path> walk = Files.walk(points)) {
      for (Path p : walk.filter(f -> f.getFileName().toString().equals("mask.npz")).toList()) {
        out.put(sweepDir.relativize(p).toString(), Files.readAllBytes(p));
      }
    }
    return out;
  }
}
