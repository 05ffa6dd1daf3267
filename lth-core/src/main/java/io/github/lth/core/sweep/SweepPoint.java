package io.github.lth.core.sweep;

import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableMap;
import com.google.gson.JsonObject;
import java.util.ArrayList;
import java.util.List;

/**
 * One point of a sweep: one ordinary run of the sweep's command.
 *
 * <pre>{@code
 * SweepPoint p = spec.points().get(4);
 * p.id();         // "3f9a0c1b7d2e": its directory under SWEEP_DIR/points
 * p.arguments();  // [--data, embedded, --epochs, 1, --rewind, init, --seed, 1]
 * p.label();      // "rewind=init"
 * }</pre>
 *
 * @param index the point's position in {@link SweepSpec#points}
 * @param command the command it runs
 * @param settings the sweep's fixed settings followed by this point's axis values
 * @param axisValues this point's value of each axis, in the axes' order
 */
public record SweepPoint(int index, String command, ImmutableMap<String, Object> settings,
    ImmutableMap<String, Object> axisValues) {
  /** The axis every setting is repeated over; it does not tell settings apart in a label. */
  private static final String SEED = "seed";

  /**
   * The first 12 hex digits of the SHA-256 of the canonical JSON of {@code {"command": ..,
   * "settings": {..}}} (keys sorted): the same run has the same id in every sweep, whatever
   * the file's key order or format, and whichever values were fixed or swept.
   */
  public String id() {
    JsonObject json = new JsonObject();
    json.addProperty("command", command);
    json.add("settings", SweepValues.toJson(settings));
    return SweepValues.sha256(json).substring(0, 12);
  }

  /**
   * The command-line arguments of the settings, in order: {@code --key value}; a true boolean
   * is {@code --key} alone and a false one is left out (the option's default); a list is its
   * values joined by ","; an integer is its digits (3, not 3.0), any other number as
   * {@link Double#toString} writes it (0.36, 1.0E-5).
   */
  public List<String> arguments() {
    List<String> args = new ArrayList<>();
    settings.forEach((key, value) -> {
      if (value instanceof Boolean b) {
        if (b) {
          args.add("--" + key);
        }
      } else {
        args.add("--" + key);
        args.add(SweepValues.argument(value));
      }
    });
    return ImmutableList.copyOf(args);
  }

  /**
   * The setting this point belongs to, for tables and plots: its axis values except the seed,
   * as {@code key=value} joined by "," ({@code "rewind=init,lr=0.01"}); {@code "all"} when the
   * sweep has no axis but the seed.
   */
  public String label() {
    List<String> parts = new ArrayList<>();
    axisValues.forEach((key, value) -> {
      if (!key.equals(SEED)) {
        parts.add(key + "=" + SweepValues.argument(value));
      }
    });
    return parts.isEmpty() ? "all" : String.join(",", parts);
  }
}
