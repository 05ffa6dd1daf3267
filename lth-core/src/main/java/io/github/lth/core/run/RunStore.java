package io.github.lth.core.run;

import static com.google.common.base.Preconditions.checkArgument;

import com.google.common.hash.Hasher;
import com.google.common.hash.Hashing;
import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import io.github.lth.core.Mask;
import io.github.lth.core.Metrics;
import io.github.lth.core.Round;
import io.github.lth.core.TrainingSummary;
import io.github.lth.core.Weights;
import io.github.lth.core.io.AtomicWrite;
import io.github.lth.core.io.Errors;
import io.github.lth.core.internal.InFlightWrites;
import io.github.lth.core.internal.KillPoints;
import io.github.lth.core.io.MaskIO;
import io.github.lth.core.io.WeightsIO;
import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

/**
 * The on-disk layout of an IMP run (DESIGN.md §3):
 *
 * <pre>
 * config.json        settings (compared on resume), their SHA-256, provenance
 * initial.npz        θ₀, all parameters (rewind-point.npz too for late rewinding)
 * round-NN/          mask.npz, metrics.json, weights.npz (trained), one per completed round
 * results.csv        one row per round
 * summary.json       the same, machine readable
 * curve.png          primary metric against remaining weights
 * </pre>
 *
 * <p>A round directory is written under a temporary name, flushed to disk and renamed, so it
 * exists only complete; killing a run loses at most the round in progress. A lock file keeps two
 * processes from writing one run.
 *
 * <pre>{@code
 * try (RunStore store = RunStore.open(Path.of("runs/a"), settings, Map.of(), true)) {
 *   List<Round> done = store.completedRounds();
 * }
 * }</pre>
 */
public final class RunStore implements Closeable {
  public static final String CONFIG = "config.json";
  public static final String INITIAL_WEIGHTS = "initial.npz";
  public static final String REWIND_WEIGHTS = "rewind-point.npz";
  public static final String RESULTS = "results.csv";
  public static final String SUMMARY = "summary.json";
  public static final String CURVE = "curve.png";
  public static final String MASK = "mask.npz";
  public static final String METRICS = "metrics.json";
  public static final String TRAINED_WEIGHTS = "weights.npz";
  /** The directory under a run that holds its branches (controls), one directory each. */
  public static final String BRANCHES = "branches";
  private static final String LOCK = ".lock";
  private static final String SUMMARY_LOCK = ".summary.lock";
  /** The files a summary consists of, in the order they are written: summary.json last. */
  private static final List<String> SUMMARY_FILES = List.of(CURVE, RESULTS, SUMMARY);
  /**
   * The run directories this JVM holds. An OS file lock belongs to the process, and closing any
   * channel of the file drops it, so a second open in the same JVM must be refused before it
   * opens the lock file.
   */
  private static final Set<Path> HELD = ConcurrentHashMap.newKeySet();
  /** Summary writers of this JVM, one at a time (the summary lock is per process, too). */
  private static final Object SUMMARY_WRITERS = new Object();
  /**
   * The run format this version writes. Format 2 (validation split, val_/test_ metrics, late
   * rewinding that continues from step k) changed what a run computes, so a format-1 run
   * resumes only if its settings still match, and is otherwise refused naming both formats.
   */
  public static final String FORMAT = "lth4j-run/2";

  private static final Gson GSON = new GsonBuilder().setPrettyPrinting()
      .serializeSpecialFloatingPointValues().disableHtmlEscaping().create();

  private final Path dir;
  private final Path heldKey;
  private final FileChannel lockChannel;
  private final FileLock lock;

  private RunStore(Path dir, Path heldKey, FileChannel lockChannel, FileLock lock) {
    this.dir = dir;
    this.heldKey = heldKey;
    this.lockChannel = lockChannel;
    this.lock = lock;
  }

  /**
   * Opens or creates a run directory.
   *
   * @param settings everything that decides the run's outcome; stored in config.json
   * @param provenance where the run was made (versions, device); recorded, never compared
   * @param resume whether an existing run of the same settings may be continued
   * @throws IllegalArgumentException if the directory holds another run, holds a run and
   *     {@code resume} is false, or is not a run directory
   */
  public static RunStore open(Path dir, JsonObject settings, Map<String, String> provenance,
      boolean resume) throws IOException {
    Path config = dir.resolve(CONFIG);
    if (Files.exists(config)) {
      checkArgument(resume, "run directory %s already holds a run; resume it or choose another"
          + " directory", dir);
      JsonObject stored = readJson(config);
      JsonElement old = stored.get("settings");
      RunJson.Fields fields = RunJson.Fields.of(config, stored);
      String format = fields.has("format") ? fields.text("format") : "(none)";
      checkArgument(settings.equals(old) || format.equals(FORMAT), "run directory %s"
          + " is in run format %s, written by an earlier lth4j; this version writes %s and"
          + " computes such a run differently (%s); choose another directory", dir, format, FORMAT,
          differences(old, settings));
      checkArgument(settings.equals(old), "run directory %s was made with other settings (%s);"
          + " choose another directory", dir, differences(old, settings));
    } else if (Files.isDirectory(dir)) {
      // a run killed before its config.json was written leaves only its lock and temporaries
      try (Stream<Path> entries = Files.list(dir)) {
        checkArgument(entries.allMatch(RunStore::isLeftover),
            "run directory %s exists and is not an lth4j run directory (no %s)", dir, CONFIG);
      }
    } else {
      checkArgument(!Files.exists(dir), "run directory %s is a file, not a directory", dir);
      Files.createDirectories(dir);
    }
    RunStore store = lock(dir);
    if (!Files.exists(config)) {
      store.writeConfig(settings, provenance);
    }
    store.removeLeftovers();
    return store;
  }

  /**
   * SHA-256 (hex) of a run's settings, as recorded in config.json's {@code settings_sha256};
   * a command line may name run directories after it.
   */
  public static String settingsFingerprint(JsonObject settings) {
    return Hashing.sha256().hashString(settings.toString(), StandardCharsets.UTF_8).toString();
  }

  /** SHA-256 over the names, shapes and float bits of some weights. */
  public static String fingerprint(Weights weights) {
    Hasher h = Hashing.sha256().newHasher();
    for (String name : weights.names()) {
      h.putString(name, StandardCharsets.UTF_8);
      for (long d : weights.shape(name)) {
        h.putLong(d);
      }
      var view = weights.view(name);
      for (int i = 0; i < view.limit(); i++) {
        h.putFloat(view.get(i));
      }
    }
    return h.hash().toString();
  }

  public Path directory() {
    return dir;
  }

  /** The directory of a round, e.g. {@code round-03}. */
  public Path roundDirectory(int round) {
    return dir.resolve(roundDirectoryName(round));
  }

  /** The name of a round's directory: {@code round-03}. */
  public static String roundDirectoryName(int round) {
    return String.format(Locale.ROOT, "round-%02d", round);
  }

  /** The complete rounds 0, 1, ... up to the first one missing. */
  public List<Round> completedRounds() throws IOException {
    return readRounds(dir);
  }

  /**
   * Every complete round, in index order, also when earlier ones are missing (a branch trains
   * only the rounds asked for).
   */
  public List<Round> storedRounds() throws IOException {
    return readStoredRounds(dir);
  }

  static List<Round> readRounds(Path dir) throws IOException {
    List<Round> out = new ArrayList<>();
    for (int r = 0; Files.isDirectory(dir.resolve(roundDirectoryName(r))); r++) {
      out.add(readRound(dir, r));
    }
    return out;
  }

  static List<Round> readStoredRounds(Path dir) throws IOException {
    List<Round> out = new ArrayList<>();
    for (int r : storedRoundIndices(dir)) {
      out.add(readRound(dir, r));
    }
    return out;
  }

  /**
   * The indices of the complete rounds in a run or branch directory, ascending, from the names
   * of their directories alone (nothing is read; none when {@code dir} does not exist). A round
   * directory appears only complete, so this is what a resume would keep.
   *
   * <pre>{@code
   * List<Integer> done = RunStore.storedRoundIndices(Path.of("runs/a"));   // [0, 1, 2]
   * }</pre>
   */
  public static List<Integer> storedRoundIndices(Path dir) throws IOException {
    List<Integer> indices = new ArrayList<>();
    if (!Files.isDirectory(dir)) {
      return indices;
    }
    try (DirectoryStream<Path> s = Files.newDirectoryStream(dir, "round-*")) {
      for (Path p : s) {
        String digits = p.getFileName().toString().substring("round-".length());
        if (Files.isDirectory(p) && digits.matches("[0-9]{2,9}")
            && p.getFileName().toString().equals(roundDirectoryName(Integer.parseInt(digits)))) {
          indices.add(Integer.parseInt(digits));
        }
      }
    }
    indices.sort(null);
    return indices;
  }

  /** The trained weights saved with a round. */
  public Weights readTrainedWeights(int round) throws IOException {
    return WeightsIO.read(roundDirectory(round).resolve(TRAINED_WEIGHTS));
  }

  /** Weights stored at the run's top level ({@link #INITIAL_WEIGHTS}, {@link #REWIND_WEIGHTS}). */
  public Optional<Weights> readWeights(String fileName) throws IOException {
    Path f = dir.resolve(fileName);
    return Files.exists(f) ? Optional.of(WeightsIO.read(f)) : Optional.empty();
  }

  /** Writes weights at the run's top level, atomically. */
  public void writeWeights(String fileName, Weights weights) throws IOException {
    WeightsIO.write(weights, dir.resolve(fileName));
  }

  /**
   * Writes a round's directory: its mask, metrics and trained weights, complete or not at all.
   */
  public void writeRound(Round round, Weights trained) throws IOException {
    Path target = roundDirectory(round.index());
    checkArgument(!Files.exists(target), "round %s of %s is already stored", round.index(), dir);
    Path tmp = dir.resolve("." + target.getFileName() + ".tmp");
    deleteRecursively(tmp);
    InFlightWrites.add(tmp);
    boolean committed = false;
    try {
      try {
        Files.createDirectory(tmp);
      } catch (IOException e) {
        throw new IOException("cannot write " + tmp + ": " + Errors.describe(e), e);
      }
      MaskIO.write(round.mask(), tmp.resolve(MASK));
      WeightsIO.write(trained, tmp.resolve(TRAINED_WEIGHTS));
      writeString(tmp.resolve(METRICS), GSON.toJson(roundJson(round)));
      fsync(tmp);
      KillPoints.reach("commit " + target.getFileName());
      InFlightWrites.commit(() -> Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE));
      committed = true;
      fsync(dir);
    } finally {
      if (!committed) {
        deleteQuietly(tmp);
      }
      InFlightWrites.remove(tmp);
    }
  }

  /**
   * Rewrites results.csv, summary.json and curve.png from the rounds so far, joined with the
   * rounds of every branch stored under {@link #BRANCHES} (a column group and a curve each).
   */
  public void writeSummary(List<Round> rounds, String primaryMetric) throws IOException {
    writeSummary(dir, rounds, primaryMetric);
  }

  /**
   * Rewrites a run's results.csv, summary.json and curve.png with its branches, also while the
   * run itself is in progress (a branch of a run being extended).
   */
  public static void rewriteSummary(Path runDir) throws IOException {
    JsonObject config = readJson(runDir.resolve(CONFIG));
    String metric = RunJson.Fields.of(runDir.resolve(CONFIG), config).object("settings")
        .text("primary_metric");
    writeSummary(runDir, readRounds(runDir), metric);
  }

  /**
   * Every writer of a summary (the run after each round, each branch after each of its rounds)
   * holds the summary lock and reads the rounds on disk while holding it, so whichever writes
   * last writes every complete round of the run and of its branches.
   */
  private static void writeSummary(Path dir, List<Round> rounds, String primaryMetric)
      throws IOException {
    synchronized (SUMMARY_WRITERS) {
      writeSummaryLocked(dir, rounds, primaryMetric);
    }
  }

  private static void writeSummaryLocked(Path dir, List<Round> rounds, String primaryMetric)
      throws IOException {
    try (FileChannel channel = FileChannel.open(dir.resolve(SUMMARY_LOCK),
        StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        FileLock held = channel.lock()) {
      Map<String, List<Round>> branches = readBranchRounds(dir);
      // what a killed summary writer left: only writers holding this lock make these files
      for (String f : SUMMARY_FILES) {
        AtomicWrite.removeLeftovers(dir, f);
      }
      // summary.json goes last: when it lists every round, the table and the plot do too
      AtomicWrite.bytes(dir.resolve(CURVE), CurvePlot.png(rounds, primaryMetric, branches));
      writeString(dir.resolve(RESULTS), ResultsTable.csv(rounds, branches));
      JsonObject summary = new JsonObject();
      summary.addProperty("primary_metric", primaryMetric);
      summary.add("rounds", GSON.toJsonTree(rounds.stream().map(RunStore::roundJson).toList()));
      if (!branches.isEmpty()) {
        JsonObject b = new JsonObject();
        branches.forEach((name, list) -> b.add(name,
            GSON.toJsonTree(list.stream().map(RunStore::roundJson).toList())));
        summary.add("branches", b);
      }
      writeString(dir.resolve(SUMMARY), GSON.toJson(summary));
    }
  }

  /**
   * Rewrites the summary unless summary.json (written last) already lists exactly these rounds
   * and the rounds of every branch on disk: a run or a branch stopped between storing a round
   * and its summary gets the summary on resume, also when no round is left to train.
   */
  public void writeSummaryIfStale(List<Round> rounds, String primaryMetric) throws IOException {
    Path file = dir.resolve(SUMMARY);
    if (Files.isRegularFile(file)) {
      try {
        JsonObject summary = readJson(file);
        Map<String, List<Integer>> branches = new TreeMap<>();
        readBranchRounds(dir).forEach((name, list) ->
            branches.put(name, list.stream().map(Round::index).toList()));
        Map<String, List<Integer>> listedBranches = new TreeMap<>();
        if (summary.has("branches")) {
          summary.getAsJsonObject("branches").entrySet().forEach(e ->
              listedBranches.put(e.getKey(), indices(e.getValue().getAsJsonArray())));
        }
        if (indices(summary.getAsJsonArray("rounds"))
            .equals(rounds.stream().map(Round::index).toList())
            && listedBranches.equals(branches)) {
          return;
        }
      } catch (IOException | RuntimeException e) {
        // an unreadable summary is rewritten like a stale one
      }
    }
    writeSummary(dir, rounds, primaryMetric);
  }

  private static List<Integer> indices(JsonArray rounds) {
    List<Integer> out = new ArrayList<>();
    rounds.forEach(r -> out.add(r.getAsJsonObject().get("round").getAsInt()));
    return out;
  }

  /**
   * Takes the run's lock and records this process in the lock file. The operating system
   * releases the lock when its process dies, however it dies, so the lock of a killed run is
   * simply taken over; the process recorded in the file is only there to name the holder.
   */
  private static RunStore lock(Path dir) throws IOException {
    Path file = dir.resolve(LOCK);
    Path key = dir.toRealPath();
    if (!HELD.add(key)) {
      throw new IllegalArgumentException("run directory " + dir + " is in use by another run"
          + " (process " + ProcessHandle.current().pid() + " on host " + hostName()
          + ", this one); wait for it to end or stop it");
    }
    try {
      return lockFile(dir, file, key);
    } catch (IOException | RuntimeException e) {
      HELD.remove(key);
      throw e;
    }
  }

  private static RunStore lockFile(Path dir, Path file, Path key) throws IOException {
    FileChannel channel;
    try {
      channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ,
          StandardOpenOption.WRITE);
    } catch (IOException e) {
      throw new IOException("cannot write " + file + ": " + Errors.describe(e), e);
    }
    FileLock lock;
    try {
      lock = channel.tryLock();
    } catch (IOException e) {
      channel.close();
      throw new IOException("cannot lock " + file + ": " + Errors.describe(e), e);
    }
    if (lock == null) {
      String holder = holder(channel);
      channel.close();
      throw new IllegalArgumentException("run directory " + dir + " is in use by another run ("
          + holder + "); wait for it to end or stop it");
    }
    try {
      byte[] me = (ProcessHandle.current().pid() + " " + hostName() + "\n")
          .getBytes(StandardCharsets.UTF_8);
      channel.truncate(0);
      channel.write(ByteBuffer.wrap(me), 0);
      channel.force(false);
    } catch (IOException e) {
      lock.release();
      channel.close();
      throw new IOException("cannot write " + file + ": " + Errors.describe(e), e);
    }
    return new RunStore(dir, key, channel, lock);
  }

  /** "process 1234 on host h" from a lock file, or what is known when it is empty. */
  private static String holder(FileChannel channel) throws IOException {
    ByteBuffer buffer = ByteBuffer.allocate(256);
    channel.read(buffer, 0);
    return Holder.parse(new String(buffer.array(), 0, buffer.position(),
        StandardCharsets.UTF_8)).map(h -> "process " + h.pid() + " on host " + h.host())
        .orElse("its process did not record itself yet");
  }

  /** The process a lock file records: {@code PID HOST}. */
  private record Holder(long pid, String host) {
    static Optional<Holder> parse(String text) {
      String[] parts = text.strip().split(" ", 2);
      if (parts.length < 2 || !parts[0].matches("[0-9]{1,18}")) {
        return Optional.empty();
      }
      return Optional.of(new Holder(Long.parseLong(parts[0]), parts[1]));
    }
  }

  /**
   * Whether a live process on this host holds the run directory, as its lock file records: the
   * last process that opened the run, which holds it until it closes the run (an lth command
   * does when it ends). The lock is only read, never taken: taking it, even for a moment, could
   * make the run's own process find it taken.
   *
   * <pre>{@code
   * if (RunStore.isHeldByLiveProcess(Path.of("runs/a"))) { ... }   // an lth imp is running it
   * }</pre>
   */
  public static boolean isHeldByLiveProcess(Path dir) {
    Path lock = dir.resolve(LOCK);
    try {
      if (!Files.isRegularFile(lock)) {
        return false;
      }
      return Holder.parse(Files.readString(lock))
          .filter(h -> h.host().equals(hostName()))
          .flatMap(h -> ProcessHandle.of(h.pid()))
          .map(ProcessHandle::isAlive).orElse(false);
    } catch (IOException | RuntimeException e) {
      return false;
    }
  }

  /** The kernel's host name: no DNS lookup, which can hang for seconds on a cluster node. */
  private static String hostName() {
    try {
      String name = Files.readString(Path.of("/proc/sys/kernel/hostname")).strip();
      if (!name.isEmpty()) {
        return name;
      }
    } catch (IOException | RuntimeException e) {
      // not Linux: the environment, as shells set it
    }
    String env = System.getenv("HOSTNAME");
    return env != null && !env.isBlank() ? env.strip() : "unknown";
  }

  private static boolean isLeftover(Path p) {
    String name = p.getFileName().toString();
    return name.equals(LOCK) || (name.startsWith(".") && name.endsWith(".tmp"));
  }

  /** The stored rounds of each branch of the run in {@code dir}, by branch name. */
  static Map<String, List<Round>> readBranchRounds(Path dir) throws IOException {
    Map<String, List<Round>> out = new TreeMap<>();
    Path root = dir.resolve(BRANCHES);
    if (!Files.isDirectory(root)) {
      return out;
    }
    try (DirectoryStream<Path> s = Files.newDirectoryStream(root, Files::isDirectory)) {
      for (Path d : s) {
        String name = d.getFileName().toString();
        if (!name.startsWith(".") && Files.isRegularFile(d.resolve(CONFIG))) {
          List<Round> rounds = readStoredRounds(d);
          if (!rounds.isEmpty()) {
            out.put(name, rounds);
          }
        }
      }
    }
    return out;
  }

  @Override
  public void close() throws IOException {
    try {
      lock.release();
    } finally {
      lockChannel.close();
      HELD.remove(heldKey);
    }
  }

  private static Round readRound(Path dir, int r) throws IOException {
    Path d = dir.resolve(roundDirectoryName(r));
    for (String f : List.of(MASK, METRICS)) {
      if (!Files.isRegularFile(d.resolve(f))) {
        throw new IOException("round directory " + d + " is incomplete: it has no " + f);
      }
    }
    Mask mask = MaskIO.read(d.resolve(MASK));
    Path file = d.resolve(METRICS);
    RunJson.Fields json = RunJson.Fields.of(file, readJson(file));
    Map<String, Double> metrics = new LinkedHashMap<>();
    RunJson.Fields m = json.object("metrics");
    for (String name : m.json().keySet()) {
      metrics.put(name, m.number(name));
    }
    RunJson.Fields t = json.object("training");
    long startStep = json.has("start_step") ? json.integer("start_step", 0, Long.MAX_VALUE) : 0;
    TrainingSummary training = new TrainingSummary(t.integer("steps", 0, Long.MAX_VALUE),
        (int) t.integer("epochs", 0, Integer.MAX_VALUE), t.number("final_loss"), startStep, mask);
    return new Round(r, mask, Metrics.of(metrics), training);
  }

  private static Map<String, Object> roundJson(Round r) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("round", r.index());
    m.put("sparsity", r.sparsity());
    m.put("kept", r.kept());
    m.put("prunable", r.mask().size());
    m.put("metrics", r.metrics().asMap());
    m.put("start_step", r.training().startStep());
    m.put("steps_trained", r.training().steps());
    Map<String, Object> t = new LinkedHashMap<>();
    t.put("steps", r.training().steps());
    t.put("epochs", r.training().epochs());
    t.put("final_loss", r.training().finalLoss());
    m.put("training", t);
    m.put("layer_sparsity", r.layerSparsity());
    return m;
  }

  private void writeConfig(JsonObject settings, Map<String, String> extra) throws IOException {
    JsonObject config = new JsonObject();
    config.addProperty("format", FORMAT);
    config.add("settings", settings);
    config.addProperty("settings_sha256", settingsFingerprint(settings));
    JsonObject provenance = new JsonObject();
    provenance.addProperty("lth4j", Versions.lth4j());
    provenance.addProperty("java", System.getProperty("java.version"));
    provenance.addProperty("java_vendor", System.getProperty("java.vendor"));
    provenance.addProperty("os", System.getProperty("os.name") + " " + System.getProperty("os.arch"));
    provenance.addProperty("cores", Runtime.getRuntime().availableProcessors());
    provenance.addProperty("created", Instant.now().toString());
    extra.forEach(provenance::addProperty);
    config.add("provenance", provenance);
    writeString(dir.resolve(CONFIG), GSON.toJson(config));
  }

  /**
   * Removes what writers killed in this run left. The summary's temporaries are not among them:
   * a branch may be rewriting this run's summary right now (under the summary lock, not the
   * run's), and summary writers remove stale ones themselves under that lock.
   */
  private void removeLeftovers() throws IOException {
    try (DirectoryStream<Path> s = Files.newDirectoryStream(dir, ".*.tmp")) {
      for (Path p : s) {
        String name = p.getFileName().toString();
        if (SUMMARY_FILES.stream().noneMatch(f -> name.startsWith("." + f + "."))) {
          deleteRecursively(p);
        }
      }
    }
  }

  /**
   * The first three settings that differ between {@code old} and {@code now}, as
   * {@code key: old -> new}, for error messages.
   */
  public static String differences(JsonElement old, JsonObject now) {
    if (old == null || !old.isJsonObject()) {
      return "its config.json has no settings";
    }
    List<String> diffs = new ArrayList<>();
    JsonObject o = old.getAsJsonObject();
    for (String key : now.keySet()) {
      if (!now.get(key).equals(o.get(key))) {
        diffs.add(key + ": " + abbreviate(o.get(key)) + " -> " + abbreviate(now.get(key)));
      }
    }
    for (String key : o.keySet()) {
      if (!now.has(key)) {
        diffs.add(key + ": " + abbreviate(o.get(key)) + " -> (none)");
      }
    }
    return String.join("; ", diffs.subList(0, Math.min(3, diffs.size())));
  }

  private static String abbreviate(JsonElement e) {
    String s = e == null ? "(none)" : e.toString();
    return s.length() > 60 ? s.substring(0, 57) + "..." : s;
  }

  static JsonObject readJson(Path file) throws IOException {
    // one-line "cannot read FILE: ..." for unreadable, non-UTF-8, non-JSON or non-object text
    return RunJson.read(file);
  }

  /** Writes text through a temporary file and a rename, so readers never see half a file. */
  static void writeString(Path file, String text) throws IOException {
    AtomicWrite.text(file, text);
  }

  private static void fsync(Path p) throws IOException {
    try (FileChannel c = FileChannel.open(p, StandardOpenOption.READ)) {
      c.force(true);
    }
  }

  private static void deleteQuietly(Path p) {
    try {
      deleteRecursively(p);
    } catch (IOException e) {
      // the write already failed, which is what the caller needs to hear; open removes the rest
    }
  }

  private static void deleteRecursively(Path p) throws IOException {
    if (!Files.exists(p)) {
      return;
    }
    try (Stream<Path> walk = Files.walk(p)) {
      for (Path q : walk.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(q);
      }
    }
  }
}
