package io.github.lth.core.sweep;

import static com.google.common.base.Preconditions.checkArgument;
import static com.google.common.base.Preconditions.checkNotNull;

import com.google.common.collect.ImmutableList;
import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import io.github.lth.core.io.AtomicWrite;
import io.github.lth.core.io.Errors;
import io.github.lth.core.run.RunStore;
import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;

/**
 * A sweep directory (SWEEP_DIR) on disk:
 *
 * <pre>
 * SWEEP_DIR/sweep.json        format, the spec, its fingerprint, the points (index, id, settings)
 * SWEEP_DIR/points/ID/        each point's run directory
 * SWEEP_DIR/state/ID.json     a point's outcome: status, exit_code, last_error, attempts
 * </pre>
 *
 * <p>Every file is written whole ({@link AtomicWrite}), so a process killed mid-write leaves
 * the old content. Points run in separate processes (local workers, Slurm array tasks), each
 * writing only its own state file.
 *
 * <pre>{@code
 * SweepStore store = SweepStore.create(Path.of("sweeps/lenet"), SweepSpec.read(file));
 * for (SweepPoint p : store.points()) {
 *   if (store.state(p).status() != SweepStore.Status.DONE) {
 *     // run p.command() with p.arguments() into store.pointDirectory(p), then
 *     store.markDone(p);
 *   }
 * }
 * }</pre>
 */
public final class SweepStore {
  /** The sweep.json format this version writes and reads. */
  static final String FORMAT = "lth4j-sweep/1";
  private static final String SWEEP_JSON = "sweep.json";
  private static final int MAX_ERROR_SHOWN = 500;
  private static final Gson GSON = new GsonBuilder().setPrettyPrinting().serializeNulls()
      .disableHtmlEscaping().create();

  private final Path dir;
  private final SweepSpec spec;

  private SweepStore(Path dir, SweepSpec spec) {
    this.dir = dir;
    this.spec = spec;
  }

  /**
   * Makes {@code dir} a sweep directory for {@code spec}, or opens it when it already is one
   * for the same sweep (the same {@link SweepSpec#fingerprint}): a sweep run again resumes. The
   * store opened then keeps the spec it was made with, and so its order of points.
   *
   * @throws IllegalArgumentException when {@code dir} holds another sweep ({@code SWEEP_DIR DIR
   *     holds another sweep (axes.seed: [0,1] -> [0,1,2]); choose another --out}), or is a
   *     file, or a non-empty directory without sweep.json
   * @throws IOException when sweep.json cannot be read or written
   */
  public static SweepStore create(Path dir, SweepSpec spec) throws IOException {
    checkNotNull(spec, "spec");
    if (Files.exists(dir.resolve(SWEEP_JSON))) {
      SweepStore old = open(dir);
      checkArgument(old.spec.fingerprint().equals(spec.fingerprint()),
          "SWEEP_DIR %s holds another sweep (%s); choose another --out", dir,
          differences(old.spec, spec));
      return old;
    }
    if (Files.isDirectory(dir)) {
      // a create killed before its sweep.json was renamed into place leaves only a temporary
      try (Stream<Path> entries = Files.list(dir)) {
        checkArgument(entries.allMatch(SweepStore::isLeftover),
            "SWEEP_DIR %s exists and is not a sweep directory (no %s)", dir, SWEEP_JSON);
      }
      AtomicWrite.removeLeftovers(dir, SWEEP_JSON);
    } else {
      checkArgument(!Files.exists(dir), "SWEEP_DIR %s is a file, not a directory", dir);
      Files.createDirectories(dir);
    }
    AtomicWrite.text(dir.resolve(SWEEP_JSON), GSON.toJson(sweepJson(spec)) + "\n");
    return new SweepStore(dir, spec);
  }

  /**
   * Opens an existing sweep directory.
   *
   * @throws IllegalArgumentException when {@code dir} has no sweep.json
   * @throws IOException {@code cannot read DIR/sweep.json: ...} when it is damaged, of another
   *     format, or its fingerprint or points do not match its spec
   */
  public static SweepStore open(Path dir) throws IOException {
    Path file = dir.resolve(SWEEP_JSON);
    checkArgument(Files.isDirectory(dir), "SWEEP_DIR %s does not exist", dir);
    checkArgument(Files.exists(file), "SWEEP_DIR %s is not a sweep directory (no %s)", dir,
        SWEEP_JSON);
    Object tree = SweepFile.json(file, readText(file));
    if (!(tree instanceof Map<?, ?> json)) {
      throw fail(file, "not a JSON object");
    }
    if (!FORMAT.equals(json.get("format"))) {
      throw fail(file, "format is " + SweepValues.shown(json.get("format")) + ", expected "
          + FORMAT);
    }
    SweepSpec spec;
    try {
      spec = SweepSpec.fromTree(json.get("spec"));
    } catch (IllegalArgumentException e) {
      throw new IOException("cannot read " + file + ": spec: " + e.getMessage(), e);
    }
    if (!spec.fingerprint().equals(json.get("fingerprint"))) {
      throw fail(file, "its fingerprint does not match its spec");
    }
    if (!pointsMatch(json.get("points"), spec)) {
      throw fail(file, "its points do not match its spec");
    }
    return new SweepStore(dir, spec);
  }

  /** The sweep directory. */
  public Path directory() {
    return dir;
  }

  /** The sweep this directory holds. */
  public SweepSpec spec() {
    return spec;
  }

  /** The sweep's points, in sweep.json's order (the order of {@link SweepSpec#points}). */
  public ImmutableList<SweepPoint> points() {
    return spec.points();
  }

  /** {@code SWEEP_DIR/points/ID}: the point's run directory (not created here). */
  public Path pointDirectory(SweepPoint p) {
    return dir.resolve("points").resolve(own(p).id());
  }

  /**
   * The point's recorded outcome: {@link Status#PENDING} (no attempts) when it has none.
   *
   * @throws IOException {@code cannot read FILE: ...} when its state file is damaged
   */
  public PointState state(SweepPoint p) throws IOException {
    Path file = stateFile(own(p));
    if (!Files.exists(file, LinkOption.NOFOLLOW_LINKS)) {
      return new PointState(Status.PENDING, 0, "", 0);
    }
    Object tree = SweepFile.json(file, readText(file));
    if (!(tree instanceof Map<?, ?> json)) {
      throw fail(file, "not a JSON object");
    }
    Status status;
    Object s = json.get("status");
    if ("done".equals(s)) {
      status = Status.DONE;
    } else if ("failed".equals(s)) {
      status = Status.FAILED;
    } else {
      throw fail(file, "status is " + SweepValues.shown(s) + ", expected \"done\" or \"failed\"");
    }
    Object error = json.get("last_error");
    if (error != null && !(error instanceof String)) {
      throw fail(file, "last_error is " + SweepValues.shown(error) + ", expected a string");
    }
    return new PointState(status, integer(file, json, "exit_code", Integer.MIN_VALUE),
        error == null ? "" : (String) error, integer(file, json, "attempts", 0));
  }

  /** Records that the point's run completed: DONE, exit code 0, attempts as they were. */
  public void markDone(SweepPoint p) throws IOException {
    PointState before = state(p);
    write(p, new PointState(Status.DONE, 0, "", before.attempts()));
  }

  /**
   * Records a failed attempt: FAILED with the exit code and the last line of the run's error
   * output (made one line and cut), attempts plus one.
   */
  public void markFailed(SweepPoint p, int exitCode, String lastErrorLine) throws IOException {
    PointState before = state(p);
    String line = lastErrorLine == null ? "" : Errors.escaped(lastErrorLine.strip(),
        MAX_ERROR_SHOWN);
    write(p, new PointState(Status.FAILED, exitCode, line, before.attempts() + 1));
  }

  /** Forgets the point's outcome, so that it is PENDING again. */
  public void clearState(SweepPoint p) throws IOException {
    Files.deleteIfExists(stateFile(own(p)));
  }

  /** What is known of a point's runs. */
  public enum Status {
    /** Not run yet, or its state was cleared. */
    PENDING,
    /** Its run completed. */
    DONE,
    /** Its last attempt failed. */
    FAILED
  }

  /**
   * A point's outcome.
   *
   * @param status where the point stands
   * @param exitCode the last attempt's exit code (0 when DONE or PENDING)
   * @param lastErrorLine the last line of a failed attempt's error output; "" when none
   * @param attempts how many attempts failed
   */
  public record PointState(Status status, int exitCode, String lastErrorLine, int attempts) {
    public PointState {
      checkNotNull(status, "status");
      lastErrorLine = lastErrorLine == null ? "" : lastErrorLine;
      checkArgument(attempts >= 0, "attempts %s < 0", attempts);
    }
  }

  private void write(SweepPoint p, PointState state) throws IOException {
    JsonObject json = new JsonObject();
    json.addProperty("status", state.status().name().toLowerCase(Locale.ROOT));
    json.addProperty("exit_code", state.exitCode());
    json.addProperty("last_error", state.lastErrorLine().isEmpty() ? null
        : state.lastErrorLine());
    json.addProperty("attempts", state.attempts());
    Path file = stateFile(p);
    Files.createDirectories(file.getParent());
    AtomicWrite.text(file, GSON.toJson(json) + "\n");
  }

  private Path stateFile(SweepPoint p) {
    return dir.resolve("state").resolve(p.id() + ".json");
  }

  /** {@code p}, when it is one of this sweep's points: a point of another sweep has no place. */
  private SweepPoint own(SweepPoint p) {
    List<SweepPoint> all = points();
    checkArgument(p.index() >= 0 && p.index() < all.size() && all.get(p.index()).equals(p),
        "point %s (%s) is not a point of the sweep in %s", p.index(), p.id(), dir);
    return p;
  }

  private static JsonObject sweepJson(SweepSpec spec) {
    JsonObject json = new JsonObject();
    json.addProperty("format", FORMAT);
    json.addProperty("fingerprint", spec.fingerprint());
    json.add("spec", spec.toJson());
    JsonArray points = new JsonArray();
    for (SweepPoint p : spec.points()) {
      JsonObject o = new JsonObject();
      o.addProperty("index", p.index());
      o.addProperty("id", p.id());
      o.add("settings", SweepValues.toJson(p.settings()));
      points.add(o);
    }
    json.add("points", points);
    return json;
  }

  private static boolean pointsMatch(Object stored, SweepSpec spec) {
    if (!(stored instanceof List<?> list) || list.size() != spec.size()) {
      return false;
    }
    for (SweepPoint p : spec.points()) {
      if (!(list.get(p.index()) instanceof Map<?, ?> o)
          || !Long.valueOf(p.index()).equals(o.get("index")) || !p.id().equals(o.get("id"))) {
        return false;
      }
    }
    return true;
  }

  /** Each key of either spec ("command", "settings.epochs", "axes.seed"), for a message. */
  private static String differences(SweepSpec old, SweepSpec now) {
    return RunStore.differences(flat(old), flat(now));
  }

  private static JsonObject flat(SweepSpec spec) {
    JsonObject json = new JsonObject();
    json.addProperty("command", spec.command());
    spec.settings().forEach((k, v) -> json.add("settings." + k, SweepValues.toJson(v)));
    spec.axes().forEach((k, v) -> json.add("axes." + k, SweepValues.toJson(v)));
    return json;
  }

  private static int integer(Path file, Map<?, ?> json, String key, int min) throws IOException {
    Object v = json.get(key);
    if (v instanceof Long n && n >= min && n <= Integer.MAX_VALUE) {
      return n.intValue();
    }
    throw fail(file, key + " is " + SweepValues.shown(v) + ", expected "
        + (min == 0 ? "a non-negative integer" : "an integer"));
  }

  private static boolean isLeftover(Path entry) {
    String name = entry.getFileName().toString();
    return name.startsWith("." + SWEEP_JSON + ".") && name.endsWith(".tmp");
  }

  private static String readText(Path file) throws IOException {
    try {
      return Files.readString(file, StandardCharsets.UTF_8);
    } catch (CharacterCodingException e) {
      throw fail(file, "not UTF-8 text");
    } catch (NoSuchFileException e) {
      throw fail(file, "no such file");
    } catch (IOException e) {
      throw new IOException("cannot read " + file + ": " + Errors.describe(e), e);
    }
  }

  private static IOException fail(Path file, String reason) {
    return new IOException("cannot read " + file + ": " + reason);
  }
}
