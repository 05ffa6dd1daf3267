package io.github.lth.core.sweep;

import com.google.common.hash.Hashing;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import com.google.gson.JsonPrimitive;
import io.github.lth.core.io.Errors;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * The values of a sweep's settings and axes: a {@link String}, a {@link Long} (an integer), a
 * {@link Double} (any other number), a {@link Boolean}, or for a fixed setting an
 * {@link ImmutableList} of those. Here they become JSON, canonical JSON (keys sorted at every
 * level, so the order a file lists its keys in changes no hash), command-line text and the
 * text an error message shows.
 *
 * <pre>{@code
 * SweepValues.canonical(json)    // {"axes":{"seed":[0,1]},"command":"imp","settings":{...}}
 * SweepValues.argument(0.36)     // "0.36"
 * }</pre>
 */
final class SweepValues {
  /** The most characters of a value that an error message repeats. */
  private static final int MAX_SHOWN = 60;

  private SweepValues() {}

  /** The value as JSON: Long and Double stay apart (3 and 3.0 are different text). */
  static JsonElement toJson(Object v) {
    if (v == null) {
      return JsonNull.INSTANCE;
    }
    if (v instanceof String s) {
      return new JsonPrimitive(s);
    }
    if (v instanceof Boolean b) {
      return new JsonPrimitive(b);
    }
    if (v instanceof Number n) {
      return new JsonPrimitive(n);
    }
    if (v instanceof List<?> list) {
      JsonArray a = new JsonArray();
      list.forEach(x -> a.add(toJson(x)));
      return a;
    }
    if (v instanceof Map<?, ?> map) {
      JsonObject o = new JsonObject();
      map.forEach((k, x) -> o.add(String.valueOf(k), toJson(x)));
      return o;
    }
    // only reached when showing a value the spec refuses (a YAML date, a Java object)
    return new JsonPrimitive(String.valueOf(v));
  }

  /** {@code e} with every object's keys sorted, as compact text. */
  static String canonical(JsonElement e) {
    return sorted(e).toString();
  }

  /** SHA-256 (hex) of the canonical text of {@code e}. */
  static String sha256(JsonElement e) {
    return Hashing.sha256().hashString(canonical(e), StandardCharsets.UTF_8).toString();
  }

  private static JsonElement sorted(JsonElement e) {
    if (e.isJsonObject()) {
      TreeMap<String, JsonElement> byKey = new TreeMap<>();
      e.getAsJsonObject().entrySet().forEach(x -> byKey.put(x.getKey(), sorted(x.getValue())));
      JsonObject o = new JsonObject();
      byKey.forEach(o::add);
      return o;
    }
    if (e.isJsonArray()) {
      JsonArray a = new JsonArray();
      e.getAsJsonArray().forEach(x -> a.add(sorted(x)));
      return a;
    }
    return e;
  }

  /**
   * The text of a value on a command line: an integer as its digits, a double as
   * {@link Double#toString} (0.36, 1.0E-5), a list as its elements joined by ",".
   */
  static String argument(Object v) {
    if (v instanceof List<?> list) {
      return list.stream().map(SweepValues::argument).collect(Collectors.joining(","));
    }
    return String.valueOf(v);
  }

  /**
   * What makes two axis values the same run: 1, 1.0 and "1" all reach the command as the
   * number one, so an axis listing two of them would run one setting twice under two ids.
   */
  static String sameness(Object v) {
    if (v instanceof Long || v instanceof Double) {
      return new BigDecimal(v.toString()).stripTrailingZeros().toPlainString();
    }
    if (v instanceof String s) {
      try {
        return new BigDecimal(s.strip()).stripTrailingZeros().toPlainString();
      } catch (NumberFormatException e) {
        return s;
      }
    }
    return String.valueOf(v);
  }

  /** A value as an error message shows it: JSON, one line, cut. */
  static String shown(Object v) {
    return Errors.escaped(toJson(v).toString(), MAX_SHOWN);
  }
}
