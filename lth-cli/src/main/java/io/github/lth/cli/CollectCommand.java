package io.github.lth.cli;

import com.google.common.collect.ImmutableList;
import io.github.lth.core.sweep.CollectedPoint;
import io.github.lth.core.sweep.SweepPoint;
import io.github.lth.core.sweep.SweepResults;
import io.github.lth.core.sweep.SweepStore;
import io.github.lth.core.transfer.Verdict;
import io.github.lth.core.transfer.Verdicts;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code lth collect}: gathers a sweep's finished points into SWEEP_DIR/sweep.csv (one row per
 * point and round), summary.csv (mean ± std over seeds per setting and round), the matching
 * verdict per setting (verdicts.json, verdicts.csv: as for transfers, within one standard
 * deviation of the setting's dense round or better) and sweep.png (the metric against weights
 * remaining, a line and a ± std band per setting).
 *
 * <pre>{@code
 * lth collect sweeps/seeds
 * }</pre>
 */
@Command(
    name = "collect",
    mixinStandardHelpOptions = true,
    versionProvider = VersionProvider.class,
    sortOptions = false,
    description = {
        "Gather a sweep's points: sweep.csv, summary.csv (mean ± std), verdicts, sweep.png.",
        "",
        "Reads every finished point of SWEEP_DIR (made by lth sweep) and writes, into SWEEP_DIR:"
            + " sweep.csv (one row per point and round, with the point's axis values),"
            + " summary.csv (per setting — the axes other than seed — and round: the mean and"
            + " sample standard deviation over the seeds of every metric), verdicts.json and"
            + " verdicts.csv (is a setting's round matching: within one standard deviation of"
            + " its dense round 0, or better) and sweep.png (the metric against weights"
            + " remaining, one line per setting with a ± std band). Points not finished yet are"
            + " listed and left out.",
    },
    footer = {"", "Example:", "  lth collect sweeps/seeds"})
final class CollectCommand implements Callable<Integer> {
  @Spec
  CommandSpec spec;

  @Parameters(index = "0", paramLabel = "SWEEP_DIR", description = "A sweep directory.")
  Path sweepDir;

  @Option(names = "--metric", defaultValue = "test_accuracy", paramLabel = "M",
      description = "The metric of the verdicts and the plot. Default: ${DEFAULT-VALUE}.")
  String metric;

  @Override
  public Integer call() throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    SweepStore store = SweepStore.open(sweepDir);
    List<CollectedPoint> points = new ArrayList<>();
    for (SweepPoint p : store.points()) {
      Path dir = store.pointDirectory(p);
      // a branch point's directory links to the branch under its run, where its dense round is
      if (Files.isSymbolicLink(dir)) {
        dir = dir.toRealPath();
      }
      points.add(new CollectedPoint(p.index(), p.id(), p.axisValues(), p.label(), dir,
          store.state(p).status() == SweepStore.Status.DONE));
    }
    if (store.spec().command().equals("transfer")) {
      TransferSweepTables t = TransferSweepTables.collect(
          ImmutableList.copyOf(store.spec().axes().keySet()), points);
      t.write(sweepDir);
      printCollected(out, points, t.missing());
      out.print(t.summaryCsv());
      out.printf("written: %s/{sweep.csv, summary.csv, verdicts.json}; the plots are each"
          + " point's own (points/ID/transfer-MODE.png)%n", sweepDir);
      out.flush();
      return 0;
    }
    SweepResults results = SweepResults.collect(store.spec().command(),
        ImmutableList.copyOf(store.spec().axes().keySet()), points);
    results.write(sweepDir, metric);
    printCollected(out, points, results.missing());
    Map<String, String> leftOut = results.leftOutOfVerdicts(metric);
    if (leftOut.size() < settings(points)) {
      printVerdicts(out, results.verdicts(metric));
    }
    leftOut.forEach((setting, why) -> out.printf("no verdict for %s: %s%n", setting, why));
    out.printf("written: %s/{sweep.csv, summary.csv, verdicts.json, verdicts.csv, sweep.png}%n",
        sweepDir);
    out.flush();
    return 0;
  }

  private void printCollected(PrintWriter out, List<CollectedPoint> points,
      List<CollectedPoint> missing) {
    out.printf(Locale.ROOT, "lth collect: %d of %d points of %s%n",
        points.size() - missing.size(), points.size(), sweepDir);
    for (CollectedPoint m : missing) {
      out.printf(Locale.ROOT, "not finished, left out: point %d (%s, %s)%n", m.index(), m.id(),
          m.label());
    }
  }

  private static long settings(List<CollectedPoint> points) {
    return points.stream().map(CollectedPoint::label).distinct().count();
  }

  /** Per setting and round: the metric's mean ± std over the seeds and the verdict. */
  private void printVerdicts(PrintWriter out, Verdicts verdicts) {
    Table t = new Table("setting", "round", "sparsity", "seeds", metric, "matching", "δ")
        .rightAlignFrom(1);
    for (Verdict v : verdicts.all()) {
      t.row(v.target(), Integer.toString(v.round()), Table.percent(v.sparsity()),
          Integer.toString(v.stats().n()), String.format(Locale.ROOT, "%.2f ± %.2f",
              100 * v.stats().mean(), 100 * v.stats().std()), v.matching() ? "yes" : "no",
          Double.isNaN(v.delta()) ? "" : String.format(Locale.ROOT, "%+.3f", v.delta()));
    }
    out.println();
    t.print(out);
    out.println();
  }
}
