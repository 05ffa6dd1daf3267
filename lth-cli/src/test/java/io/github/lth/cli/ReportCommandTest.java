package io.github.lth.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.lth.core.run.RunStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReportCommandTest {
  @TempDir
  Path tmp;

  @Test
  void writesReportHtmlIntoTheRunAndPrintsItsPath() throws IOException {
    Path run = RunFixture.write(tmp.resolve("run"));
    CliRun cli = CliRun.of("report", run.toString());

    assertThat(cli.err()).isEmpty();
    assertThat(cli.exit()).isZero();
    Path report = run.resolve("report.html");
    assertThat(cli.out()).isEqualTo(report + System.lineSeparator());
    String page = Files.readString(report);
    assertThat(page).startsWith("<!DOCTYPE html>").contains("<table id=\"results\">",
        "<table id=\"controls\">", "<table id=\"layers\">", "<table id=\"settings\">");
    try (Stream<Path> files = Files.list(run)) {
      assertThat(files.map(p -> p.getFileName().toString())).noneMatch(n -> n.endsWith(".tmp"));
    }
  }

  @Test
  void outWritesElsewhereAndReplacesAnOldReport() throws IOException {
    Path run = RunFixture.write(tmp.resolve("run"));
    Path out = tmp.resolve("elsewhere.html");
    Files.writeString(out, "old");

    CliRun cli = CliRun.of("report", run.toString(), "--out", out.toString());

    assertThat(cli.exit()).as(cli.err()).isZero();
    assertThat(cli.out().strip()).isEqualTo(out.toString());
    assertThat(Files.readString(out)).startsWith("<!DOCTYPE html>");
    assertThat(run.resolve("report.html")).doesNotExist();
  }

  @Test
  void missingRunDirectoryIsOneLineExitTwoAndWritesNothing() throws IOException {
    assertRefusedWritingNothing(tmp.resolve("nope"), "run directory", "not found");
    // the message is about the RUN argument, not about --out (the page)
    CliRun cli = CliRun.of("report", tmp.resolve("nope").toString());
    assertThat(cli.err()).isEqualTo("lth report: run directory " + tmp.resolve("nope")
        + " not found\n");
  }

  @Test
  void directoryThatIsNotARunIsRefused() throws IOException {
    Path dir = Files.createDirectories(tmp.resolve("photos"));
    Files.writeString(dir.resolve("cat.jpg"), "meow");
    assertRefusedWritingNothing(dir, "is not an lth4j run directory");
  }

  @Test
  void runOfAnotherFormatIsRefused() throws IOException {
    Path run = RunFixture.write(tmp.resolve("old"));
    String config = Files.readString(run.resolve(RunStore.CONFIG));
    Files.writeString(run.resolve(RunStore.CONFIG),
        config.replace(RunStore.FORMAT, "lth4j-run/1"));
    assertRefusedWritingNothing(run, "run format lth4j-run/1");
  }

  @Test
  void runWithoutACompleteRoundIsRefused() throws IOException {
    Path run = tmp.resolve("started");
    RunStore.open(run, RunFixture.settings(), Map.of(), false).close();
    // a run killed during round 0 leaves its config and at most a temporary round directory
    Files.createDirectory(run.resolve(".round-00.tmp"));
    assertRefusedWritingNothing(run, "holds no complete round");
  }

  @Test
  void outInAMissingDirectoryIsRefused() throws IOException {
    Path run = RunFixture.write(tmp.resolve("run"));
    Map<String, Long> before = tree();
    CliRun cli = CliRun.of("report", run.toString(), "--out",
        tmp.resolve("no/such/dir/r.html").toString());
    assertThat(cli.exit()).isEqualTo(2);
    assertThat(cli.err()).startsWith("lth report: cannot write").contains("does not exist")
        .hasLineCount(1);
    assertThat(tree()).isEqualTo(before);
  }

  @Test
  void helpHasExamples() {
    CliRun cli = CliRun.of("report", "--help");
    assertThat(cli.exit()).isZero();
    assertThat(cli.out()).contains("Usage: lth report", "RUN_DIR", "--out=FILE", "Examples:",
        "lth report runs/lenet");
  }

  /** Runs the report on {@code runDir} with and without --out and expects exit 2, one line. */
  private void assertRefusedWritingNothing(Path runDir, String... messageParts)
      throws IOException {
    Map<String, Long> before = tree();
    for (String[] args : new String[][] {{"report", runDir.toString()},
        {"report", runDir.toString(), "--out", tmp.resolve("r.html").toString()}}) {
      CliRun cli = CliRun.of(args);
      assertThat(cli.exit()).as(cli.err()).isEqualTo(2);
      assertThat(cli.err()).startsWith("lth report: ").contains(messageParts).hasLineCount(1);
      assertThat(cli.out()).isEmpty();
      assertThat(tree()).as("files after a refused report").isEqualTo(before);
    }
  }

  /** Every file under the test directory with its size: nothing may appear or change. */
  private Map<String, Long> tree() throws IOException {
    Map<String, Long> out = new TreeMap<>();
    try (Stream<Path> walk = Files.walk(tmp)) {
      for (Path p : walk.toList()) {
        out.put(tmp.relativize(p).toString(), Files.isDirectory(p) ? -1 : Files.size(p));
      }
    }
    return out;
  }
}
