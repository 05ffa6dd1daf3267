package io.github.lth.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * SIGKILL at 24 instants spread over an IMP run with late rewinding, a branch of it and a
 * transfer of it — while config, weights, rounds, summaries, branch rounds, transfer records and
 * transfer outputs are being written, and during training — each followed by a resume; then
 * every file of the result is compared byte for byte with an uninterrupted run.
 */
class CrashResumeTest {
  @TempDir Path tmp;

  private static final String[] IMP = {"imp", "--steps", "20", "--target-sparsity", "0.36",
      "--rewind", "step:5", "--device", "cpu"};
  private static final String[] BRANCH = {"branch", "RUN", "--control", "reinit", "--device",
      "cpu"};
  private static final String[] TRANSFER = {"transfer", "--ticket", "RUN", "--data", "embedded",
      "--classes", "5,6,7,8,9", "--low-shot", "10", "--mode", "linear", "--seeds", "2",
      "--steps", "5", "--controls", "random-mask", "--device", "cpu"};

  /**
   * The kill points of each command, in the order they are reached across the resumes: the
   * first occurrence in each resumed process is the instant meant.
   */
  private static final List<String> IMP_KILLS = List.of(
      "write config.json",          // the run's config, before it is renamed into place
      "write initial.npz",
      "round-00 step 3",
      "write rewind-point.npz",     // θ_5, saved when round 0 ends
      "write mask.npz",             // round 0's files, inside its temporary directory
      "write weights.npz",
      "write metrics.json",
      "commit round-00",            // complete on disk, not yet renamed
      "write results.csv",          // the summary after round 0: plot written, table not
      "round-01 step 12",           // (the resume first rewrites the stale summary)
      "write mask.npz",
      "commit round-01",
      "write summary.json",         // the summary after round 1, its last file
      "round-02 step 8",            // (rounds after 0 train steps 5-19: late rewinding)
      "write curve.png",            // the summary after the last round, its first file
      "write summary.json");        // the resume rewriting it, nothing left to train
  private static final List<String> BRANCH_KILLS = List.of(
      "round-01 step 9",            // the branch's first round, training
      "commit round-01",
      "write results.csv#2",        // the run's results.csv, rewritten with the branch's column
      "write summary.json#2");
  private static final List<String> TRANSFER_KILLS = List.of(
      "train linear-dense-round-00-seed-1.json",
      "write linear-ticket-round-01-seed-0.json",   // a finished training's record
      "write results.csv",                          // the transfer's outputs
      "write verdicts.json");

  @Test
  void killedAnywhereAndResumedEndsByteIdenticalToAnUninterruptedRun() throws Exception {
    Path logs = tmp.resolve("logs");
    Path work = tmp.resolve("work");
    Path run = work.resolve("run");

    // the uninterrupted reference, made at the same path (outputs name the ticket's path)
    for (String[] command : List.of(IMP, BRANCH, TRANSFER)) {
      LthProcess.Finished f = LthProcess.run(logs, args(command, run, false));
      assertThat(f.exit()).as("%s\n%s", f.err(), f.out()).isZero();
    }
    Path reference = tmp.resolve("reference");
    Files.move(work, reference);

    int kills = 0;
    kills += killAndResume(logs, run, IMP, IMP_KILLS);
    kills += killAndResume(logs, run, BRANCH, BRANCH_KILLS);
    kills += killAndResume(logs, run, TRANSFER, TRANSFER_KILLS);
    assertThat(kills).isEqualTo(24);

    Map<String, byte[]> expected = comparable(reference.resolve("run"));
    Map<String, byte[]> actual = comparable(run);
    assertThat(actual.keySet()).containsExactlyElementsOf(expected.keySet());
    assertThat(expected.keySet()).contains("round-02/mask.npz", "round-02/metrics.json",
        "round-02/weights.npz", "results.csv", "summary.json", "rewind-point.npz",
        "branches/reinit/round-02/mask.npz", "branches/reinit/results.csv",
        "transfers/embedded-classes-5-6-7-8-9-low-shot-10/results.csv",
        "transfers/embedded-classes-5-6-7-8-9-low-shot-10/verdicts.json");
    for (String file : expected.keySet()) {
      assertThat(actual.get(file)).as(file).isEqualTo(expected.get(file));
    }
    assertThat(settings(run.resolve("config.json")))
        .isEqualTo(settings(reference.resolve("run/config.json")));
  }

  /** Kills {@code command} at each point in turn, resuming it; then lets it finish. */
  private static int killAndResume(Path logs, Path run, String[] command, List<String> points)
      throws Exception {
    int kills = 0;
    for (String point : points) {
      boolean resume = Files.exists(run.resolve("config.json"));
      LthProcess p = LthProcess.start(logs, point, args(command, run, resume));
      p.awaitPause();
      p.kill();
      kills++;
    }
    LthProcess.Finished last = LthProcess.run(logs, args(command, run, true));
    assertThat(last.exit()).as("%s finishing after its kills: %s", command[0], last.err())
        .isZero();
    if (command[0].equals("transfer")) {
      // killed while writing its outputs: all ten trainings were done and are not done again
      assertThat(last.out()).contains("continued: 10 trainings were already done in ");
    }
    return kills;
  }

  private static String[] args(String[] command, Path run, boolean resume) {
    List<String> a = new ArrayList<>();
    for (String s : command) {
      a.add(s.equals("RUN") ? run.toString() : s);
    }
    if (command[0].equals("imp")) {
      a.addAll(List.of("--out", run.toString()));
      if (resume) {
        a.add("--resume");
      }
    }
    return a.toArray(String[]::new);
  }

  /**
   * Every file under {@code dir} by relative path, but those that record when or by whom they
   * were made (config.json's provenance, the lock files) and the plots.
   */
  private static Map<String, byte[]> comparable(Path dir) throws IOException {
    Map<String, byte[]> out = new TreeMap<>();
    try (Stream<Path> walk = Files.walk(dir)) {
      for (Path p : walk.filter(Files::isRegularFile).toList()) {
        String name = p.getFileName().toString();
        if (name.equals("config.json") || name.equals(".lock") || name.equals(".summary.lock")
            || name.endsWith(".png")) {
          continue;
        }
        out.put(dir.relativize(p).toString(), Files.readAllBytes(p));
      }
    }
    return out;
  }

  private static String settings(Path config) throws IOException {
    return JsonParser.parseString(Files.readString(config)).getAsJsonObject()
        .get("settings").toString();
  }
}
