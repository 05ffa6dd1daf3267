package io.github.lth.core.report;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A JSON object as key/value rows: nested objects become dotted keys ({@code task.lr}), arrays
 * stay compact JSON ({@code [4,1,3,3]}) because a shape or a list reads best on one line.
 */
final class FlatJson {
  private FlatJson() {}

  /** The leaves of {@code object} in file order, keyed by their dotted path. */
  static Map<String, String> flatten(JsonObject object) {
    Map<String, String> out = new LinkedHashMap<>();
    flatten("", object, out);
    return out;
  }

  private static void flatten(String prefix, JsonObject object, Map<String, String> out) {
    if (object.isEmpty() && !prefix.isEmpty()) {
      out.put(prefix, "{}");
    }
    for (Map.Entry<String, JsonElement> e : object.entrySet()) {
      String key = prefix.isEmpty() ? e.getKey() : prefix + "." + e.getKey();
      JsonElement v = e.getValue();
      if (v.isJsonObject()) {
        flatten(key, v.getAsJsonObject(), out);
      } else {
        out.put(key, text(v));
      }
    }
  }

  /** A value as a person reads it: strings without their quotes, the rest as JSON. */
  static String text(JsonElement v) {
    return v.isJsonPrimitive() && v.getAsJsonPrimitive().isString() ? v.getAsString()
        : v.toString();
  }
}
