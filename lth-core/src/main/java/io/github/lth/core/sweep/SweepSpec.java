package io.github.lth.core.sweep;

import static com.google.common.base.Preconditions.checkArgument;
import static com.google.common.base.Preconditions.checkNotNull;

import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableMap;
import com.google.common.collect.ImmutableSet;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * A sweep: one command, fixed settings, axes; the sweep is the product of the axes. Settings
 * and axes are keyed by the command's long option names without dashes; which names the
 * command really has is checked by the command line, which knows its options.
 *
 * <pre>{@code
 * // sweep.yaml:
 * //   command: imp
 * //   settings: {data: embedded, model: lenet300, target-sparsity: 0.36, epochs: 1}
 * //   axes: {rewind: [init, "step:500"], seed: [0, 1, 2]}
 * SweepSpec spec = SweepSpec.read(Path.of("sweep.yaml"));
 * spec.size();                      // 6
 * spec.points().get(1).arguments(); // [--data, embedded, ..., --rewind, init, --seed, 1]
 * }</pre>
 *
 * <p>Values are strings, numbers (an integer as {@link Long}, any other number as
 * {@link Double}, so 3 stays 3 and 0.36 stays 0.36), booleans, and for a fixed setting a list
 * of those ({@code classes: [5, 6, 7]}). In YAML only true/false are booleans and a date is a
 * string, as in JSON, so a sweep means the same in either format and has the same
 * {@link #fingerprint}.
 */
public final class SweepSpec {
  /** The commands a sweep may run. */
  public static final ImmutableSet<String> COMMANDS =
      ImmutableSet.of("imp", "train", "branch", "transfer");
  private static final ImmutableSet<String> TOP_LEVEL = ImmutableSet.of("command", "settings",
      "axes");
  private static final Pattern OPTION_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_-]*");

  private final String command;
  private final ImmutableMap<String, Object> settings;
  private final ImmutableMap<String, ImmutableList<Object>> axes;
  private volatile ImmutableList<SweepPoint> points;

  private SweepSpec(String command, ImmutableMap<String, Object> settings,
      ImmutableMap<String, ImmutableList<Object>> axes) {
    this.command = command;
    this.settings = settings;
    this.axes = axes;
  }

  /**
   * Reads a sweep file: {@code .json}, {@code .yaml} or {@code .yml}, with the keys
   * {@code command}, {@code settings} (optional) and {@code axes} (optional).
   *
   * @throws IOException {@code cannot read FILE: REASON} on one line, for a file that cannot be
   *     read or parsed as for a sweep that is not valid (naming the key)
   */
  public static SweepSpec read(Path file) throws IOException {
    Object tree = SweepFile.read(file);
    try {
      return fromTree(tree);
    } catch (IllegalArgumentException e) {
      throw new IOException("cannot read " + file + ": " + e.getMessage(), e);
    }
  }

  /**
   * A sweep from values in Java: numbers of any boxed type (an {@link Integer} becomes a
   * {@link Long}, a {@link Float} the {@link Double} it prints as), strings, booleans, and
   * lists of those as fixed settings. The maps' iteration order is kept.
   *
   * @throws IllegalArgumentException one line naming the key, for what {@link #read} refuses
   */
  public static SweepSpec of(String command, Map<String, ?> settings,
      Map<String, ? extends List<?>> axes) {
    checkNotNull(settings, "settings");
    checkNotNull(axes, "axes");
    return build(command, settings, axes);
  }

  /** The sweep in a parsed file (a map of command, settings, axes). */
  static SweepSpec fromTree(Object tree) {
    checkArgument(tree instanceof Map<?, ?>, "not an object with command, settings and axes");
    Map<?, ?> top = (Map<?, ?>) tree;
    for (Object key : top.keySet()) {
      checkArgument(TOP_LEVEL.contains(key),
          "unknown key %s; a sweep has command, settings and axes", SweepValues.shown(key));
    }
    Object settings = top.containsKey("settings") ? top.get("settings") : Map.of();
    Object axes = top.containsKey("axes") ? top.get("axes") : Map.of();
    checkArgument(settings instanceof Map<?, ?>, "settings is %s, not an object of option: value",
        SweepValues.shown(settings));
    checkArgument(axes instanceof Map<?, ?>, "axes is %s, not an object of option: [values]",
        SweepValues.shown(axes));
    return build(top.get("command"), (Map<?, ?>) settings, (Map<?, ?>) axes);
  }

  private static SweepSpec build(Object command, Map<?, ?> settings, Map<?, ?> axes) {
    checkArgument(command != null, "no command; expected one of %s", String.join(", ",
        COMMANDS));
    checkArgument(COMMANDS.contains(command), "command %s is not one of %s",
        SweepValues.shown(command), String.join(", ", COMMANDS));
    ImmutableMap.Builder<String, Object> fixed = ImmutableMap.builder();
    for (Map.Entry<?, ?> e : settings.entrySet()) {
      String key = optionName("setting", e.getKey());
      fixed.put(key, settingValue(key, e.getValue()));
    }
    ImmutableMap<String, Object> fixedSettings = fixed.buildOrThrow();
    ImmutableMap.Builder<String, ImmutableList<Object>> axisBuilder = ImmutableMap.builder();
    for (Map.Entry<?, ?> e : axes.entrySet()) {
      String key = optionName("axis", e.getKey());
      checkArgument(!fixedSettings.containsKey(key), "%s is both a setting and an axis",
          SweepValues.shown(key));
      axisBuilder.put(key, axisValues(key, e.getValue()));
    }
    return new SweepSpec((String) command, fixedSettings, axisBuilder.buildOrThrow());
  }

  private static String optionName(String kind, Object key) {
    checkArgument(key instanceof String s && OPTION_NAME.matcher(s).matches(),
        "%s %s is not an option name (letters, digits and '-', without the leading dashes)",
        kind, SweepValues.shown(key));
    return (String) key;
  }

  private static Object settingValue(String key, Object v) {
    String where = "setting " + SweepValues.shown(key);
    if (v instanceof List<?> list) {
      checkArgument(!list.isEmpty(), "%s is an empty list", where);
      ImmutableList.Builder<Object> b = ImmutableList.builder();
      for (Object x : list) {
        checkArgument(isScalar(x), "%s holds %s; a list may hold strings, numbers and booleans",
            where, SweepValues.shown(x));
        b.add(scalar(where + " holds", x));
      }
      return b.build();
    }
    checkArgument(isScalar(v), "%s is %s; expected a string, number, boolean or a list of them",
        where, SweepValues.shown(v));
    return scalar(where + " is", v);
  }

  private static ImmutableList<Object> axisValues(String key, Object v) {
    String where = "axis " + SweepValues.shown(key);
    checkArgument(v instanceof List<?>, "%s is %s, not a list of values", where,
        SweepValues.shown(v));
    List<?> list = (List<?>) v;
    checkArgument(!list.isEmpty(), "%s is empty", where);
    ImmutableList.Builder<Object> b = ImmutableList.builder();
    Map<String, Object> seen = new HashMap<>();
    for (Object x : list) {
      checkArgument(isScalar(x), "%s holds %s; an axis holds strings, numbers and booleans",
          where, SweepValues.shown(x));
      Object value = scalar(where + " holds", x);
      Object before = seen.putIfAbsent(SweepValues.sameness(value), value);
      if (before != null) {
        String a = SweepValues.shown(before);
        String c = SweepValues.shown(value);
        throw new IllegalArgumentException(a.equals(c) ? where + " lists " + a + " twice"
            : where + " lists " + a + " and " + c + ", the same value");
      }
      b.add(value);
    }
    return b.build();
  }

  private static boolean isScalar(Object v) {
    return v instanceof String || v instanceof Boolean || v instanceof Long
        || v instanceof Integer || v instanceof Short || v instanceof Byte
        || v instanceof BigInteger || v instanceof Double || v instanceof Float
        || v instanceof BigDecimal;
  }

  /** A scalar as the spec keeps it: Long, Double, String or Boolean. */
  private static Object scalar(String where, Object v) {
    if (v instanceof Integer || v instanceof Short || v instanceof Byte) {
      return ((Number) v).longValue();
    }
    if (v instanceof BigInteger big) {
      checkArgument(big.bitLength() < Long.SIZE, "%s %s, beyond a 64-bit integer", where, big);
      return big.longValue();
    }
    if (v instanceof Float f) {
      // the double that prints as the float did: 0.1f is 0.1, not 0.10000000149011612
      v = Double.valueOf(f.toString());
    } else if (v instanceof BigDecimal d) {
      v = d.doubleValue();
    }
    if (v instanceof Double d) {
      checkArgument(Double.isFinite(d), "%s %s, not a finite number", where, d);
    }
    return v;
  }

  /** The command every point runs: one of {@link #COMMANDS}. */
  public String command() {
    return command;
  }

  /**
   * The fixed settings, in the file's order. Values are String, Long, Double, Boolean or an
   * {@link ImmutableList} of those.
   */
  public ImmutableMap<String, Object> settings() {
    return settings;
  }

  /** The axes, each a non-empty list of distinct values, in the file's order. */
  public ImmutableMap<String, ImmutableList<Object>> axes() {
    return axes;
  }

  /**
   * The number of points: the product of the axis sizes (1 with no axes); Long.MAX_VALUE when
   * the product would overflow (so a maximum on the number of points still refuses it).
   */
  public long size() {
    long n = 1;
    for (ImmutableList<Object> values : axes.values()) {
      try {
        n = Math.multiplyExact(n, values.size());
      } catch (ArithmeticException e) {
        return Long.MAX_VALUE;
      }
    }
    return n;
  }

  /**
   * The points, index 0 to size-1: the first axis varies slowest and the last fastest, like
   * nested loops in the file's order.
   *
   * @throws IllegalStateException when the sweep has more points than a list can hold
   */
  public ImmutableList<SweepPoint> points() {
    ImmutableList<SweepPoint> p = points;
    if (p == null) {
      long size = size();
      if (size > Integer.MAX_VALUE - 8) {
        throw new IllegalStateException("a sweep of " + size + " points is too large to list");
      }
      ImmutableList.Builder<SweepPoint> b = ImmutableList.builderWithExpectedSize((int) size);
      List<String> names = axes.keySet().asList();
      for (int index = 0; index < size; index++) {
        Object[] chosen = new Object[names.size()];
        int rest = index;
        for (int a = names.size() - 1; a >= 0; a--) {
          ImmutableList<Object> values = axes.get(names.get(a));
          chosen[a] = values.get(rest % values.size());
          rest /= values.size();
        }
        ImmutableMap.Builder<String, Object> axisValues = ImmutableMap.builder();
        for (int a = 0; a < names.size(); a++) {
          axisValues.put(names.get(a), chosen[a]);
        }
        ImmutableMap<String, Object> av = axisValues.buildOrThrow();
        ImmutableMap<String, Object> all = ImmutableMap.<String, Object>builder()
            .putAll(settings).putAll(av).buildOrThrow();
        b.add(new SweepPoint(index, command, all, av));
      }
      p = b.build();
      points = p;
    }
    return p;
  }

  /**
   * SHA-256 (hex) of the canonical JSON of command, settings and axes: keys sorted, so the
   * same sweep written as JSON or as YAML, its keys in any order, has the same fingerprint.
   * The order of an axis's values counts (it orders the points).
   */
  public String fingerprint() {
    return SweepValues.sha256(toJson());
  }

  /**
   * {@code {"command": .., "settings": {..}, "axes": {..}}} in the spec's order; written to a
   * .json file, {@link #read} gives an equal spec back.
   */
  public JsonObject toJson() {
    JsonObject json = new JsonObject();
    json.addProperty("command", command);
    json.add("settings", SweepValues.toJson(settings));
    json.add("axes", SweepValues.toJson(axes));
    return json;
  }

  /** Equal when command, settings and axes are (the order of keys does not count). */
  @Override
  public boolean equals(Object o) {
    return o instanceof SweepSpec s && command.equals(s.command) && settings.equals(s.settings)
        && axes.equals(s.axes);
  }

  @Override
  public int hashCode() {
    return Objects.hash(command, settings, axes);
  }

  @Override
  public String toString() {
    return toJson().toString();
  }
}
