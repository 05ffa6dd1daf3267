package io.github.lth.core.run;

import static com.google.common.base.Preconditions.checkArgument;

import com.google.common.collect.ImmutableList;
import com.google.gson.JsonObject;
import io.github.lth.core.Round;
import io.github.lth.core.Weights;
import io.github.lth.core.io.WeightsIO;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A finished or stopped run directory opened for reading: its settings, its complete rounds and
 * the branches (controls) trained from it. Takes no lock, so it can read a run another process
 * is still writing; it sees the rounds complete when it was opened.
 *
 * <pre>{@code
 * StoredRun run = StoredRun.open(Path.of("runs/lenet"));
 * Round ticket = run.round(5);
 * for (StoredBranch b : run.branches()) {
 *   System.out.println(b.name() + ": " + b.rounds().size() + " rounds");
 * }
 * }</pre>
 */
public final class StoredRun {
  private final Path dir;
  private final JsonObject config;
  private final ImmutableList<Round> rounds;

  private StoredRun(Path dir, JsonObject config, List<Round> rounds) {
    this.dir = dir;
    this.config = config;
    this.rounds = ImmutableList.copyOf(rounds);
  }

  /**
   * Opens a run directory.
   *
   * @throws IllegalArgumentException if {@code dir} is missing, is not a run directory (no
   *     config.json), or holds no complete round
   * @throws IOException {@code cannot read FILE: ...} for a config.json or a round's file that
   *     cannot be read or is damaged, and for a run written in another run format
   */
  public static StoredRun open(Path dir) throws IOException {
    checkArgument(Files.isDirectory(dir), "run directory %s not found", dir);
    Path configFile = dir.resolve(RunStore.CONFIG);
    checkArgument(Files.isRegularFile(configFile),
        "%s is not an lth4j run directory (no %s)", dir, RunStore.CONFIG);
    JsonObject config = RunStore.readJson(configFile);
    checkConfig(configFile, config);

    List<Round> rounds = RunStore.readRounds(dir);
    checkArgument(!rounds.isEmpty(), "run directory %s holds no complete round (no %s/)", dir,
        RunStore.roundDirectoryName(0));
    return new StoredRun(dir, config, rounds);
  }

  /**
   * Checks what this class reads from config.json, so that a damaged file fails here, naming
   * it, and not in an accessor later: the run format, the settings object, the provenance
   * object if present, and the settings {@link #seed} and {@link #isFinished} read.
   */
  private static void checkConfig(Path file, JsonObject config) throws IOException {
    RunJson.Fields c = RunJson.Fields.of(file, config);
    String format = c.has("format") ? c.text("format") : "(none)";
    if (!format.equals(RunStore.FORMAT)) {
      throw RunJson.fail(file, "the run is in run format " + RunJson.shown(format, 1) + "; this"
          + " version reads " + RunStore.FORMAT + " (run it again with this version)");
    }
    RunJson.Fields settings = c.object("settings");
    if (c.has("provenance")) {
      c.object("provenance");
    }
    if (settings.has("seed")) {
      settings.integer("seed", Long.MIN_VALUE, Long.MAX_VALUE);
    }
    if (settings.has("rounds")) {
      settings.integer("rounds", 0, Integer.MAX_VALUE);
    }
  }

  public Path directory() {
    return dir;
  }

  /** config.json as stored: format, settings, settings_sha256, provenance. */
  public JsonObject config() {
    return config.deepCopy();
  }

  /** The settings that decided the run's outcome. */
  public JsonObject settings() {
    return config.getAsJsonObject("settings").deepCopy();
  }

  /** The SHA-256 of the settings, as config.json records it. */
  public String settingsFingerprint() {
    return RunStore.settingsFingerprint(config.getAsJsonObject("settings"));
  }

  /** Where and with what the run was made (versions, device, time); empty if not recorded. */
  public JsonObject provenance() {
    return config.has("provenance") ? config.getAsJsonObject("provenance").deepCopy()
        : new JsonObject();
  }

  /** The metric that selects tickets, e.g. {@code val_accuracy}. */
  public String primaryMetric() {
    return setting("primary_metric");
  }

  /** The run's seed (0 if the settings do not record one). */
  public long seed() {
    JsonObject s = config.getAsJsonObject("settings");
    return s.has("seed") ? s.get("seed").getAsLong() : 0;
  }

  /** The rewind specification, e.g. {@code init} or {@code step:500}. */
  public String rewind() {
    return setting("rewind");
  }

  /** A text setting a run made by {@link io.github.lth.core.Imp} always records. */
  private String setting(String key) {
    JsonObject s = config.getAsJsonObject("settings");
    checkArgument(s.has(key) && s.get(key).isJsonPrimitive(), "run directory %s: its"
        + " config.json settings name no %s", dir, key);
    return s.get(key).getAsString();
  }

  /** The complete rounds 0, 1, ... (round 0 is the dense network). */
  public ImmutableList<Round> rounds() {
    return rounds;
  }

  /** Whether every round the settings planned is complete. */
  public boolean isFinished() {
    JsonObject s = config.getAsJsonObject("settings");
    return !s.has("rounds") || rounds.size() > s.get("rounds").getAsInt();
  }

  /**
   * One complete round.
   *
   * @throws IllegalArgumentException naming the rounds there are, if it does not exist
   */
  public Round round(int index) {
    checkArgument(index >= 0 && index < rounds.size(), "round %s does not exist in %s (it has"
        + " rounds 0 to %s)", index, dir, rounds.size() - 1);
    return rounds.get(index);
  }

  /** The trained weights of a round (its weights.npz). */
  public Weights trainedWeights(int round) throws IOException {
    return WeightsIO.read(trainedWeightsFile(round));
  }

  /**
   * The file of a round's trained weights.
   *
   * @throws IllegalArgumentException if the round does not exist or its weights.npz is missing
   */
  public Path trainedWeightsFile(int round) {
    round(round);
    Path f = dir.resolve(RunStore.roundDirectoryName(round)).resolve(RunStore.TRAINED_WEIGHTS);
    checkArgument(Files.isRegularFile(f), "run directory %s lacks %s", dir,
        dir.relativize(f));
    return f;
  }

  /** θ₀: the weights every round rewinds to (initial.npz), or the pre-trained start. */
  public Weights initialWeights() throws IOException {
    return readTopLevel(RunStore.INITIAL_WEIGHTS).orElseThrow(() -> new IllegalArgumentException(
        "run directory " + dir + " lacks " + RunStore.INITIAL_WEIGHTS));
  }

  /** The late-rewinding point (rewind-point.npz), present only for step/epoch/fraction rewinds. */
  public Optional<Weights> rewindWeights() throws IOException {
    return readTopLevel(RunStore.REWIND_WEIGHTS);
  }

  /** The branches trained from this run, by name. */
  public List<StoredBranch> branches() throws IOException {
    Path root = dir.resolve(RunStore.BRANCHES);
    List<StoredBranch> out = new ArrayList<>();
    if (!Files.isDirectory(root)) {
      return out;
    }
    List<Path> dirs = new ArrayList<>();
    try (DirectoryStream<Path> s = Files.newDirectoryStream(root, Files::isDirectory)) {
      s.forEach(dirs::add);
    }
    dirs.sort(null);
    for (Path d : dirs) {
      if (!d.getFileName().toString().startsWith(".") && Files.isRegularFile(
          d.resolve(RunStore.CONFIG))) {
        out.add(StoredBranch.read(d));
      }
    }
    return out;
  }

  private Optional<Weights> readTopLevel(String name) throws IOException {
    Path f = dir.resolve(name);
    return Files.exists(f) ? Optional.of(WeightsIO.read(f))
        : Optional.empty();
  }
}
