package io.github.lth.cli;

import static com.google.common.base.Preconditions.checkArgument;

import io.github.lth.core.io.AtomicWrite;
import io.github.lth.core.report.RunReport;
import io.github.lth.core.run.StoredRun;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code lth report}: a run directory as one self-contained HTML page ({@link RunReport}),
 * written atomically and only once the whole page is built, so bad input leaves nothing behind.
 *
 * <pre>{@code
 * lth report runs/lenet                 # writes runs/lenet/report.html
 * lth report runs/lenet --out lenet.html
 * }</pre>
 */
@Command(
    name = "report",
    mixinStandardHelpOptions = true,
    versionProvider = VersionProvider.class,
    description = {
        "Write one self-contained HTML page about a run and its controls.",
        "",
        "The page holds the lottery-ticket curve with a line per control, a table of the"
            + " rounds, the controls against the ticket, per-layer sparsity across rounds, the"
            + " IoU of consecutive rounds, kernel heat-maps of the last round's convolution"
            + " layers, the settings and the provenance. Plots are embedded; the page loads"
            + " nothing from the network and needs no script. Prints the path it wrote.",
    },
    footer = {
        "",
        "Examples:",
        "  lth report runs/lenet                       # writes runs/lenet/report.html",
        "  lth report runs/lenet --out ~/lenet.html",
        "",
        "A missing run directory, one that is not a run, one written by another version or one"
            + " without a complete round is refused with exit code 2 and nothing is written.",
    })
final class ReportCommand implements Callable<Integer> {
  static final String DEFAULT_NAME = "report.html";

  @Spec
  CommandSpec spec;

  @Parameters(index = "0", paramLabel = "RUN_DIR", description = "The run directory.")
  Path runDir;

  @Option(names = "--out", paramLabel = "FILE",
      description = "Where to write the page (default: RUN_DIR/" + DEFAULT_NAME + ").")
  Path out;

  @Override
  public Integer call() throws IOException {
    StoredRun run = StoredRun.open(runDir);
    Path target = out != null ? out : runDir.resolve(DEFAULT_NAME);
    checkArgument(!Files.isDirectory(target), "%s is a directory; name a file with --out", target);
    Path dir = target.toAbsolutePath().getParent();
    checkArgument(dir != null && Files.isDirectory(dir),
        "cannot write %s: directory %s does not exist", target, dir);
    // the page is built before any file is touched, so a run that fails to read leaves nothing
    byte[] page = RunReport.html(run).getBytes(StandardCharsets.UTF_8);
    AtomicWrite.bytes(target.toAbsolutePath(), page);
    PrintWriter w = spec.commandLine().getOut();
    w.println(target);
    w.flush();
    return 0;
  }
}
