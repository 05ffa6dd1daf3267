package io.github.lth.cli;

import io.github.lth.core.io.AtomicWrite;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Runs a sweep's points as one Slurm job array: one job script, one {@code sbatch}, one array task
 * per point. A task that fails requeues itself while attempts remain, and so does Slurm when it
 * preempts a task or loses its node ({@code --requeue}); the point then resumes from its last
 * complete round, because every point is an ordinary run with its own run directory.
 *
 * <pre>{@code
 * SlurmBackend slurm = SlurmBackend.locate();
 * Path script = slurm.writeJobScript(sweepDir, List.of(0, 2, 5),
 *     new SlurmBackend.Options("gpu", "02:00:00", "gpu:1", 4, "8G", 2, 3),
 *     List.of("java", "-cp", classPath, "io.github.lth.cli.Lth", "sweep", "--run-point",
 *         sweepDir.toString()));
 * String job = slurm.submit(script);
 * slurm.await(job, Duration.ofSeconds(10));
 * }</pre>
 */
final class SlurmBackend {
  /** Where the job script and the tasks' output go, under SWEEP_DIR. */
  static final String SLURM_DIRECTORY = "slurm";
  static final String JOB_SCRIPT = "job.sh";

  private static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(60);
  private static final Pattern JOB_ID = Pattern.compile("[0-9]+");
  // a value that would end or split an #SBATCH line, or be read as a quoted word
  private static final Pattern UNSAFE_OPTION_VALUE = Pattern.compile("[\\s\"'\\\\]");
  private static final Pattern UNSAFE_OUTPUT_PATH = Pattern.compile("[\"\\\\\\n\\r]");

  /**
   * The sbatch settings of a sweep; a null string or number is not given to sbatch (the cluster's
   * default applies).
   *
   * @param parallel at most this many array tasks run at once ({@code %P})
   * @param maxAttempts a point that fails is run at most this many times in all
   */
  record Options(String partition, String time, String gres, Integer cpusPerTask, String mem,
      int parallel, int maxAttempts) {
    Options {
      checkValue("--partition", partition);
      checkValue("--time", time);
      checkValue("--gres", gres);
      checkValue("--mem", mem);
      if (cpusPerTask != null && cpusPerTask < 1) {
        throw new IllegalArgumentException("--cpus-per-task must be at least 1, not "
            + cpusPerTask);
      }
      if (parallel < 1) {
        throw new IllegalArgumentException("--parallel must be at least 1, not " + parallel);
      }
      if (maxAttempts < 1) {
        throw new IllegalArgumentException("--attempts must be at least 1, not "
            + maxAttempts);
      }
    }

    private static void checkValue(String flag, String value) {
      if (value != null && (value.isEmpty() || UNSAFE_OPTION_VALUE.matcher(value).find())) {
        throw new IllegalArgumentException(flag + " '" + value + "': must be non-empty, without"
            + " spaces, quotes or backslashes");
      }
    }
  }

  private final Path binDirectory;

  /** The Slurm commands in {@code binDirectory}, or on the PATH where they are not there. */
  SlurmBackend(Path binDirectory) {
    this.binDirectory = binDirectory;
  }

  /**
   * The Slurm commands found beside {@code sbatch} on the PATH.
   *
   * @throws IllegalArgumentException when sbatch is not on the PATH
   */
  static SlurmBackend locate() {
    return locate(System.getenv("PATH"));
  }

  /** As {@link #locate()}, searching the given PATH value. */
  static SlurmBackend locate(String path) {
    return find(path).orElseThrow(() -> new IllegalArgumentException("--backend slurm: sbatch"
        + " is not on the PATH; run on a Slurm login node or use --backend local"));
  }

  /** The Slurm commands beside {@code sbatch} on the given PATH value, if it is there. */
  static Optional<SlurmBackend> find(String path) {
    if (path != null) {
      for (String entry : path.split(File.pathSeparator)) {
        if (!entry.isEmpty() && Files.isExecutable(Path.of(entry, "sbatch"))) {
          return Optional.of(new SlurmBackend(Path.of(entry).toAbsolutePath()));
        }
      }
    }
    return Optional.empty();
  }

  /**
   * Writes SWEEP_DIR/slurm/job.sh: array task i runs {@code command... pointIndices[i]}.
   *
   * @return the script's path
   */
  Path writeJobScript(Path sweepDir, List<Integer> pointIndices, Options options,
      List<String> command) throws IOException {
    Path slurmDir = sweepDir.toAbsolutePath().normalize().resolve(SLURM_DIRECTORY);
    Files.createDirectories(slurmDir);
    Path script = slurmDir.resolve(JOB_SCRIPT);
    AtomicWrite.text(script, jobScript(slurmDir, pointIndices, options, command));
    return script;
  }

  /** The text of the job script that {@link #writeJobScript} writes into {@code slurmDir}. */
  static String jobScript(Path slurmDir, List<Integer> pointIndices, Options options,
      List<String> command) {
    if (pointIndices.isEmpty()) {
      throw new IllegalArgumentException("--backend slurm: no points to submit");
    }
    if (command.isEmpty()) {
      throw new IllegalArgumentException("--backend slurm: no command for the points");
    }
    String dir = slurmDir.toString();
    if (UNSAFE_OUTPUT_PATH.matcher(dir).find()) {
      throw new IllegalArgumentException("SWEEP_DIR " + slurmDir.getParent() + ": sbatch cannot"
          + " write output under a path with a double quote, backslash or line break");
    }
    // sbatch expands %A, %a ... in --output; a % of the directory's own name is written %%
    String output = dir.replace("%", "%%") + "/%A_%a.out";
    StringBuilder s = new StringBuilder();
    s.append("#!/bin/bash\n");
    s.append("#SBATCH --job-name=lth-sweep\n");
    s.append("#SBATCH --array=0-").append(pointIndices.size() - 1).append('%')
        .append(options.parallel()).append('\n');
    s.append("#SBATCH --requeue\n");
    // a requeued task appends to its output, so every attempt's messages stay
    s.append("#SBATCH --open-mode=append\n");
    s.append("#SBATCH --output=\"").append(output).append("\"\n");
    sbatchLine(s, "partition", options.partition());
    sbatchLine(s, "time", options.time());
    sbatchLine(s, "gres", options.gres());
    sbatchLine(s, "cpus-per-task", options.cpusPerTask());
    sbatchLine(s, "mem", options.mem());
    s.append("# Written by lth sweep --backend slurm. Array task i runs point points[i]; a failed\n");
    s.append("# attempt requeues the task while attempts remain, and the point resumes from its\n");
    s.append("# last complete round.\n");
    s.append("points=(").append(pointIndices.stream().map(String::valueOf)
        .collect(Collectors.joining(" "))).append(")\n");
    s.append("max_attempts=").append(options.maxAttempts()).append('\n');
    s.append("command=(").append(command.stream().map(SlurmBackend::bashQuote)
        .collect(Collectors.joining(" "))).append(")\n");
    s.append("""
        point=${points[$SLURM_ARRAY_TASK_ID]}
        task="${SLURM_ARRAY_JOB_ID}_${SLURM_ARRAY_TASK_ID}"
        attempt=$(( ${SLURM_RESTART_COUNT:-0} + 1 ))
        echo "lth sweep: point $point, attempt $attempt of $max_attempts, task $task on $(hostname -s) at $(date -Is)"
        "${command[@]}" "$point"
        status=$?
        if (( status == 0 )); then
          exit 0
        fi
        if (( attempt < max_attempts )); then
          echo "lth sweep: point $point failed with exit code $status on attempt $attempt; requeueing task $task"
          # Slurm ends this attempt and runs the task again (SLURM_RESTART_COUNT one higher)
          scontrol requeue "$task" && exit "$status"
          echo "lth sweep: scontrol requeue $task failed"
        fi
        echo "lth sweep: point $point failed with exit code $status on attempt $attempt of $max_attempts"
        exit "$status"
        """);
    return s.toString();
  }

  private static void sbatchLine(StringBuilder s, String option, Object value) {
    if (value != null) {
      s.append("#SBATCH --").append(option).append('=').append(value).append('\n');
    }
  }

  /** One bash word that is exactly {@code word}: single-quoted, a ' written as '\''. */
  static String bashQuote(String word) {
    return "'" + word.replace("'", "'\\''") + "'";
  }

  /**
   * Submits the job script; returns the job id.
   *
   * @throws IOException with sbatch's error line when sbatch refuses the script
   */
  String submit(Path script) throws IOException {
    Result r = run(List.of(tool("sbatch"), "--parsable", script.toString()));
    String id = r.stdout().strip().split(";", 2)[0];
    if (r.exit() != 0 || !JOB_ID.matcher(id).matches()) {
      throw new IOException("sbatch " + script + ": " + r.lastLine());
    }
    return id;
  }

  /**
   * The state squeue shows for each task of the array job (PENDING, RUNNING, COMPLETING ...), by
   * array task id, in squeue's order; empty when no task is in the queue any more.
   */
  Map<Integer, String> taskStates(String jobId) throws IOException {
    if (!JOB_ID.matcher(jobId).matches()) {
      throw new IllegalArgumentException("not a Slurm job id: " + jobId);
    }
    Result r = run(List.of(tool("squeue"), "--noheader", "--array", "--jobs=" + jobId,
        "--format=%K %T"));
    if (r.exit() != 0) {
      // a job that ended long ago (MinJobAge) is unknown to squeue
      if (r.stderr().contains("Invalid job id")) {
        return Map.of();
      }
      throw new IOException("squeue --jobs=" + jobId + ": " + r.lastLine());
    }
    Map<Integer, String> states = new LinkedHashMap<>();
    for (String line : r.stdout().split("\n")) {
      String[] fields = line.strip().split(" ");
      if (fields.length == 2 && fields[0].matches("[0-9]+")) {
        states.put(Integer.parseInt(fields[0]), fields[1]);
      }
    }
    return states;
  }

  /** Waits until no task of the job is in the queue, looking every {@code poll}. */
  void await(String jobId, Duration poll) throws IOException, InterruptedException {
    while (!taskStates(jobId).isEmpty()) {
      Thread.sleep(poll.toMillis());
    }
  }

  private String tool(String name) {
    Path beside = binDirectory.resolve(name);
    return Files.isExecutable(beside) ? beside.toString() : name;
  }

  private record Result(int exit, String stdout, String stderr) {
    /** The last non-blank line of stderr, else of stdout, else the exit code. */
    String lastLine() {
      for (String text : List.of(stderr, stdout)) {
        List<String> lines = text.lines().filter(l -> !l.isBlank()).toList();
        if (!lines.isEmpty()) {
          return lines.get(lines.size() - 1).strip();
        }
      }
      return "exit code " + exit;
    }
  }

  private static Result run(List<String> command) throws IOException {
    Process p = new ProcessBuilder(new ArrayList<>(command)).start();
    p.getOutputStream().close();
    CompletableFuture<String> stderr = CompletableFuture.supplyAsync(
        () -> readAll(p.getErrorStream()));
    String stdout = readAll(p.getInputStream());
    try {
      if (!p.waitFor(COMMAND_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new IOException(command.get(0) + ": no answer within "
            + COMMAND_TIMEOUT.toSeconds() + " s");
      }
      return new Result(p.exitValue(), stdout, stderr.join());
    } catch (InterruptedException e) {
      p.destroyForcibly();
      Thread.currentThread().interrupt();
      throw new IOException(command.get(0) + ": interrupted", e);
    }
  }

  private static String readAll(InputStream in) {
    try {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
