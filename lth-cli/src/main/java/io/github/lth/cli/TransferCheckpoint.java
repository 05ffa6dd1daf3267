package io.github.lth.cli;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import io.github.lth.core.Metrics;
import io.github.lth.core.io.AtomicWrite;
import io.github.lth.core.io.Errors;
import io.github.lth.core.internal.KillPoints;
import io.github.lth.djl.transfer.TransferMode;
import io.github.lth.djl.transfer.TransferRecord;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.CharacterCodingException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The trainings a transfer has finished, one JSON file each under {@code OUT/trainings/}, so
 * that a transfer stopped by a crash or a signal continues where it stopped and ends with the
 * same results as an uninterrupted one. The files are valid only for the settings they were
 * made with (kept beside them): other settings start the directory afresh. One output directory
 * serves one transfer at a time.
 *
 * <pre>{@code
 * TransferCheckpoint checkpoint = TransferCheckpoint.open(out, key, stdout);
 * TransferRecord r = checkpoint.getOrTrain(mode, "ticket", 3, seedIndex, () -> trainer.train(...));
 * }</pre>
 */
final class TransferCheckpoint {
  static final String DIRECTORY = "trainings";
  private static final String SETTINGS = "settings.json";
  private static final Gson GSON = new GsonBuilder().setPrettyPrinting()
      .serializeSpecialFloatingPointValues().disableHtmlEscaping().create();

  private final Path dir;
  private int reused;

  private TransferCheckpoint(Path dir) {
    this.dir = dir;
  }

  /**
   * Opens {@code out}'s checkpoint for {@code settings}, discarding one made with other
   * settings.
   */
  static TransferCheckpoint open(Path out, JsonObject settings, PrintWriter log)
      throws IOException {
    Path dir = out.resolve(DIRECTORY);
    Path settingsFile = dir.resolve(SETTINGS);
    if (Files.isDirectory(dir) && !settings.equals(readJson(settingsFile))) {
      int discarded = 0;
      try (DirectoryStream<Path> s = Files.newDirectoryStream(dir)) {
        for (Path p : s) {
          Files.delete(p);
          discarded++;
        }
      }
      log.printf("the trainings in %s were made with other settings; %d files discarded%n",
          dir, discarded);
    }
    Files.createDirectories(dir);
    // a transfer killed while writing leaves temporaries; one output directory serves one
    // transfer at a time
    AtomicWrite.removeLeftovers(out, "*");
    AtomicWrite.removeLeftovers(dir, "*");
    if (!Files.exists(settingsFile)) {
      AtomicWrite.text(settingsFile, GSON.toJson(settings) + "\n");
    }
    return new TransferCheckpoint(dir);
  }

  /** How many trainings came from the checkpoint rather than being trained now. */
  int reused() {
    return reused;
  }

  /**
   * The stored record of this training, or a new one from {@code train}, stored before it is
   * returned.
   */
  TransferRecord getOrTrain(TransferMode mode, String configuration, int round, int seedIndex,
      Supplier<TransferRecord> train) throws IOException {
    String name = String.format(Locale.ROOT, "%s-%s-round-%02d-seed-%d.json", mode.label(),
        configuration, round, seedIndex);
    Path file = dir.resolve(name);
    if (Files.isRegularFile(file)) {
      JsonObject json = readJson(file);
      if (json != null) {
        reused++;
        return fromJson(mode, configuration, round, seedIndex, json, file);
      }
    }
    KillPoints.reach("train " + name);
    TransferRecord r = train.get();
    JsonObject json = new JsonObject();
    json.addProperty("sparsity", r.sparsity());
    json.add("metrics", GSON.toJsonTree(r.metrics().asMap()));
    AtomicWrite.text(file, GSON.toJson(json) + "\n");
    return r;
  }

  private static TransferRecord fromJson(TransferMode mode, String configuration, int round,
      int seedIndex, JsonObject json, Path file) throws IOException {
    try {
      Map<String, Double> metrics = new LinkedHashMap<>();
      for (Map.Entry<String, JsonElement> e : json.getAsJsonObject("metrics").entrySet()) {
        metrics.put(e.getKey(), e.getValue().getAsDouble());
      }
      return new TransferRecord(mode, configuration, round,
          json.get("sparsity").getAsDouble(), seedIndex, Metrics.of(metrics));
    } catch (RuntimeException e) {
      throw new IOException("cannot read " + file + ": not a transfer record ("
          + Errors.escaped(String.valueOf(e.getMessage()), 160) + "); delete it to train it"
          + " again", e);
    }
  }

  /**
   * The JSON object in {@code file}, or null when it is missing, not UTF-8 or not JSON (a record
   * cut by a crash is never renamed into place, so such a file was damaged otherwise; it is
   * trained again).
   */
  private static JsonObject readJson(Path file) throws IOException {
    if (!Files.isRegularFile(file)) {
      return null;
    }
    try {
      return GSON.fromJson(Files.readString(file), JsonObject.class);
    } catch (JsonParseException | IllegalStateException | CharacterCodingException e) {
      return null;
    }
  }
}
