package io.github.lth.core.run;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import com.google.gson.JsonPrimitive;
import io.github.lth.core.io.Errors;
import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Set;

/**
 * Reads the JSON files of a run directory (config.json, a round's metrics.json) and the typed
 * fields the library relies on, so that a damaged file is an {@link IOException}
 * {@code cannot read FILE: ...} on one line, naming the field, rather than a Gson runtime
 * exception from a getter later.
 *
 * <pre>{@code
 * RunJson.Fields m = RunJson.Fields.of(file, RunJson.read(file));
 * long steps = m.object("training").integer("steps", 0, Long.MAX_VALUE);
 * // cannot read runs/a/round-01/metrics.json: training.steps is "many", expected a
 * // non-negative integer
 * }</pre>
 */
final class RunJson {
  /** How Gson writes the non-finite doubles a run may record (a diverged loss). */
  private static final Set<String> NON_FINITE = Set.of("NaN", "Infinity", "-Infinity");
  /** The most characters of a value or a parser message that an error repeats. */
  private static final int MAX_SHOWN = 60;

  private RunJson() {}

  /** The JSON object in {@code file}. */
  static JsonObject read(Path file) throws IOException {
    String text;
    try {
      text = Files.readString(file, StandardCharsets.UTF_8);
    } catch (CharacterCodingException e) {
      throw fail(file, "not UTF-8 text");
    } catch (NoSuchFileException e) {
      throw fail(file, "no such file");
    } catch (IOException e) {
      throw new IOException("cannot read " + file + ": " + oneLine(String.valueOf(
          e.getMessage())), e);
    }
    JsonElement json;
    try {
      json = JsonParser.parseString(text);
    } catch (JsonParseException e) {
      // Gson's message may start with its cause's class and ends in a troubleshooting link and
      // advice for programmers; the position and JSON path are what helps here
      String reason = oneLine(String.valueOf(e.getMessage()))
          .replaceFirst("^([a-z]+\\.)+[A-Z]\\w*: ", "")
          .replaceFirst("\\s*See https?://\\S+$", "")
          .replace("Use JsonReader.setStrictness(Strictness.LENIENT) to accept malformed JSON",
              "malformed JSON");
      throw new IOException("cannot read " + file + ": not valid JSON (" + shown(reason, 4)
          + ")", e);
    }
    if (!json.isJsonObject()) {
      throw fail(file, text.isBlank() ? "it is empty" : "not a JSON object");
    }
    return json.getAsJsonObject();
  }

  /**
   * The fields of one JSON object of {@code file} at {@code path} ("" for the top level), read
   * with errors that name the file and the field.
   */
  record Fields(Path file, String path, JsonObject json) {
    /** The top-level object of a file that {@link #read} returned. */
    static Fields of(Path file, JsonObject json) {
      return new Fields(file, "", json);
    }

    boolean has(String key) {
      return json.has(key);
    }

    /** The object at {@code key}. */
    Fields object(String key) throws IOException {
      JsonElement e = required(key);
      if (!e.isJsonObject()) {
        throw badValue(key, e, "an object");
      }
      return new Fields(file, name(key), e.getAsJsonObject());
    }

    /** The string at {@code key}. */
    String text(String key) throws IOException {
      JsonElement e = required(key);
      if (!(e instanceof JsonPrimitive p) || !p.isString()) {
        throw badValue(key, e, "a string");
      }
      return p.getAsString();
    }

    /** The integer at {@code key}, from {@code min} to {@code max}, written as 12 (not 12.0). */
    long integer(String key, long min, long max) throws IOException {
      JsonElement e = required(key);
      if (e instanceof JsonPrimitive p && p.isNumber()) {
        try {
          long v = Long.parseLong(p.getAsString());
          if (v >= min && v <= max) {
            return v;
          }
        } catch (NumberFormatException ignored) {
          // not an integer that fits a long: reported below
        }
      }
      throw badValue(key, e, min == 0 && max == Long.MAX_VALUE ? "a non-negative integer"
          : min == Long.MIN_VALUE && max == Long.MAX_VALUE ? "an integer"
          : "an integer from " + min + " to " + max);
    }

    /** The number at {@code key}; NaN and the infinities, as Gson writes them, included. */
    double number(String key) throws IOException {
      JsonElement e = required(key);
      if (e instanceof JsonPrimitive p
          && (p.isNumber() || p.isString() && NON_FINITE.contains(p.getAsString()))) {
        try {
          return Double.parseDouble(p.getAsString());
        } catch (NumberFormatException ignored) {
          // Gson keeps a lenient file's number text as written, e.g. 0x1F: reported below
        }
      }
      throw badValue(key, e, "a number");
    }

    private String name(String key) {
      return shown(path.isEmpty() ? key : path + "." + key, 1);
    }

    private JsonElement required(String key) throws IOException {
      JsonElement e = json.get(key);
      if (e == null) {
        throw fail(file, "it has no " + name(key));
      }
      return e;
    }

    private IOException badValue(String key, JsonElement value, String expected) {
      return fail(file, name(key) + " is " + shown(value.toString(), 1) + ", expected "
          + expected);
    }
  }

  static IOException fail(Path file, String reason) {
    return new IOException("cannot read " + file + ": " + reason);
  }

  /** {@code s} cut to {@code parts × MAX_SHOWN} characters, control characters escaped. */
  static String shown(String s, int parts) {
    return Errors.escaped(s, parts * MAX_SHOWN);
  }

  private static String oneLine(String s) {
    return s.replaceAll("\\s*[\\r\\n]+\\s*", " ").strip();
  }
}
