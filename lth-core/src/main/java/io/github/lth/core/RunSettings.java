package io.github.lth.core;

import com.google.gson.Gson;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.util.List;
import java.util.Map;

/**
 * The settings every run records after its own (IMP's schedule, a sparse method's settings): the
 * seed, the prunable parameters, the task and the settings the caller adds. The order is part of
 * a run's fingerprint, so it is written in one place.
 */
final class RunSettings {
  private static final Gson GSON = new Gson();

  private RunSettings() {}

  /**
   * {@code own} followed by the shared settings, as read back from disk (a JSON round trip makes
   * numbers compare the same way as those of a stored config.json).
   */
  static JsonObject complete(JsonObject own, long seed, List<ParameterInfo> prunable,
      Task<?> task, Map<String, Object> extra) {
    own.addProperty("seed", seed);
    JsonObject params = new JsonObject();
    for (ParameterInfo p : prunable) {
      params.add(p.name(), GSON.toJsonTree(p.shape()));
    }
    own.add("prunable", params);
    own.addProperty("primary_metric", task.primaryMetric());
    own.add("task", GSON.toJsonTree(task.settings()));
    for (Map.Entry<String, Object> e : extra.entrySet()) {
      own.add(e.getKey(), GSON.toJsonTree(e.getValue()));
    }
    return GSON.fromJson(GSON.toJson(own), JsonElement.class).getAsJsonObject();
  }
}
