package io.github.lth.core.io;

import static com.google.common.base.Preconditions.checkArgument;

import com.google.common.collect.ImmutableMap;
import com.google.gson.stream.JsonReader;
import com.google.gson.stream.JsonToken;
import io.github.lth.core.Weights;
import java.io.IOException;
import java.io.StringReader;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * Renames the keys of pre-trained weights so that a file saved under PyTorch's names (a
 * {@code state_dict} written as .npz or .safetensors, e.g. {@code fc1.weight}) loads into a model
 * whose parameters are named differently (e.g. DJL's {@code 01Linear_weight}). Values and shapes
 * are kept as they are: PyTorch and DJL both store a Linear weight as (out, in).
 *
 * <p>A mapping file is either JSON ({@code .json}: an object {@code {"file_key":
 * "model_parameter", ...}}) or text (any other extension: one {@code file_key model_parameter},
 * {@code file_key -> model_parameter} or {@code file_key=model_parameter} a line; blank lines and
 * lines starting with {@code #} are skipped). Keys the mapping does not name keep their name.
 *
 * <p>Renaming is simultaneous, so a mapping may swap two names. Every problem is an {@link
 * IllegalArgumentException} whose one-line message names the mapping file (or "key mapping" for
 * one made by {@link #of} or {@link #identity}) and, for a text file, the line.
 *
 * <pre>{@code
 * // map.txt:  fc1.weight -> 01Linear_weight
 * Weights file = WeightsIO.read(Path.of("resnet.safetensors"));
 * Weights ready = KeyMapping.read(Path.of("map.txt")).apply(file, model.weights().names());
 * }</pre>
 */
public final class KeyMapping {
  private static final String NO_FILE = "key mapping";
  private static final Pattern WHITESPACE = Pattern.compile("\\s+");
  private static final String ARROW = "->";

  /** "key mapping FILE", or just "key mapping" when not read from a file. */
  private final String source;
  private final ImmutableMap<String, String> renames;

  private KeyMapping(String source, ImmutableMap<String, String> renames) {
    this.source = source;
    this.renames = renames;
  }

  /**
   * Reads a mapping file: JSON for a {@code .json} extension, text otherwise.
   *
   * @throws IOException {@code cannot read FILE: ...} when the file cannot be read
   * @throws IllegalArgumentException for a line or JSON that does not parse, a file key given
   *     twice, two file keys mapped to one name, or a file with no mappings
   */
  public static KeyMapping read(Path file) throws IOException {
    String text;
    try {
      text = Files.readString(file, StandardCharsets.UTF_8);
    } catch (CharacterCodingException e) {
      throw new IOException("cannot read " + file + ": not UTF-8 text", e);
    } catch (IOException e) {
      throw new IOException("cannot read " + file + ": " + Errors.describe(e), e);
    }
    // Editors on Windows like to start UTF-8 files with a byte-order mark.
    if (text.startsWith("\uFEFF")) {
      text = text.substring(1);
    }
    Path name = file.getFileName();
    boolean json = name != null && name.toString().toLowerCase(Locale.ROOT).endsWith(".json");
    Collector c = new Collector(NO_FILE + " " + file);
    if (json) {
      parseJson(text, c);
    } else {
      parseText(text, c);
    }
    checkArgument(!c.renames.isEmpty(), "%s holds no mappings", c.source);
    return c.build();
  }

  /**
   * A mapping from file keys to model parameter names; an empty map is the {@link #identity}.
   *
   * @throws IllegalArgumentException for an empty name or two keys mapped to one name
   */
  public static KeyMapping of(Map<String, String> renames) {
    Collector c = new Collector(NO_FILE);
    renames.forEach((from, to) -> c.add(from, to, 0));
    return c.build();
  }

  /** The mapping that keeps every name; {@link #apply(Weights, Collection)} still selects. */
  public static KeyMapping identity() {
    return new KeyMapping(NO_FILE, ImmutableMap.of());
  }

  /** File key to model parameter name, in the mapping's order. */
  public Map<String, String> renames() {
    return renames;
  }

  /**
   * Renames the keys of {@code weights} and keeps only the {@code expected} parameters, in the
   * order of {@code expected}. File keys that end up not expected (an optimizer state, a head the
   * caller replaces) are dropped.
   *
   * @throws IllegalArgumentException when a mapped file key is not in {@code weights}, a mapped
   *     key lands on the name of a key the mapping leaves alone, or an expected parameter is
   *     missing after renaming (the message lists all of them, sorted, and the file keys left
   *     unused)
   */
  public Weights apply(Weights weights, Collection<String> expected) {
    Map<String, String> renamed = rename(weights);
    Set<String> wanted = new LinkedHashSet<>(expected);
    List<String> missing = wanted.stream().filter(n -> !renamed.containsKey(n)).sorted().toList();
    if (!missing.isEmpty()) {
      // The leftovers are where a missing parameter most likely hides: a key the mapping
      // forgot, or one it maps to a misspelt name.
      Map<String, String> unused = new TreeMap<>();
      renamed.forEach((to, from) -> {
        if (!wanted.contains(to)) {
          unused.put(from, from.equals(to) ? from : from + " -> " + to);
        }
      });
      String hint = unused.isEmpty() ? "" : " (file keys not used: "
          + String.join(", ", unused.values()) + ")";
      throw new IllegalArgumentException(String.format("%s leaves model parameters unmatched: %s%s",
          source, String.join(", ", missing), hint));
    }
    Weights.Builder b = Weights.builder();
    for (String to : wanted) {
      String from = renamed.get(to);
      b.put(to, weights.shape(from), weights.values(from));
    }
    return b.build();
  }

  /**
   * Renames the keys of {@code weights} and keeps all of them, in file order.
   *
   * @throws IllegalArgumentException when a mapped file key is not in {@code weights}, or a
   *     mapped key lands on the name of a key the mapping leaves alone
   */
  public Weights apply(Weights weights) {
    Weights.Builder b = Weights.builder();
    rename(weights).forEach((to, from) -> b.put(to, weights.shape(from), weights.values(from)));
    return b.build();
  }

  /** New name to file key, in file order, after checking the mapping fits {@code weights}. */
  private Map<String, String> rename(Weights weights) {
    List<String> absent = renames.keySet().stream().filter(k -> !weights.contains(k)).sorted()
        .toList();
    if (!absent.isEmpty()) {
      List<String> unmapped = weights.names().stream().filter(k -> !renames.containsKey(k))
          .sorted().toList();
      throw new IllegalArgumentException(String.format(
          "%s names file keys the weights do not hold: %s (unmapped file keys: %s)", source,
          String.join(", ", absent), unmapped.isEmpty() ? "none" : String.join(", ", unmapped)));
    }
    Map<String, String> renamed = new LinkedHashMap<>();
    for (String from : weights.names()) {
      String to = renames.getOrDefault(from, from);
      String other = renamed.putIfAbsent(to, from);
      if (other != null) {
        // Targets are distinct, so one of the two is an unmapped key that kept its name.
        String mapped = renames.containsKey(from) ? from : other;
        throw new IllegalArgumentException(String.format(
            "%s renames file key %s to %s, which the file already holds as an unmapped key",
            source, mapped, to));
      }
    }
    return renamed;
  }

  @Override
  public String toString() {
    if (renames.isEmpty()) {
      return "KeyMapping[identity]";
    }
    List<String> pairs = new ArrayList<>();
    renames.forEach((from, to) -> pairs.add(from + " -> " + to));
    String file = source.equals(NO_FILE) ? "" : source.substring(NO_FILE.length() + 1) + ": ";
    return "KeyMapping[" + file + String.join(", ", pairs) + "]";
  }

  private static void parseText(String text, Collector c) {
    String[] lines = text.split("\\r?\\n|\\r", -1);
    for (int i = 0; i < lines.length; i++) {
      String line = lines[i].strip();
      if (line.isEmpty() || line.startsWith("#")) {
        continue;
      }
      String[] parts = split(line);
      checkArgument(parts != null,
          "%s, line %s: expected 'file_key model_parameter' (or -> or = between them), got '%s'",
          c.source, i + 1, Errors.shown(line));
      c.add(parts[0], parts[1], i + 1);
    }
  }

  /** The two names of a text line, or null if it is not exactly two names and one separator. */
  private static String[] split(String line) {
    String[] parts;
    if (line.contains(ARROW)) {
      parts = line.split(Pattern.quote(ARROW), -1);
    } else if (line.contains("=")) {
      parts = line.split("=", -1);
    } else {
      parts = WHITESPACE.split(line, -1);
    }
    if (parts.length != 2) {
      return null;
    }
    for (int i = 0; i < 2; i++) {
      parts[i] = parts[i].strip();
      // A name with a space or a second separator means the line is not what it seems.
      if (parts[i].isEmpty() || WHITESPACE.matcher(parts[i]).find() || parts[i].contains("=")
          || parts[i].contains(ARROW)) {
        return null;
      }
    }
    return parts;
  }

  private static void parseJson(String text, Collector c) {
    // Streaming rather than JsonParser: a JsonObject would silently keep the last of two equal
    // keys, which is exactly the mistake worth reporting.
    try (JsonReader r = new JsonReader(new StringReader(text))) {
      r.beginObject();
      while (r.hasNext()) {
        String from = r.nextName();
        checkArgument(r.peek() == JsonToken.STRING, "%s: the value of '%s' must be a string",
            c.source, Errors.shown(from));
        c.add(from, r.nextString(), 0);
      }
      r.endObject();
      checkArgument(r.peek() == JsonToken.END_DOCUMENT, "%s: text after the JSON object",
          c.source);
    } catch (IOException | IllegalStateException e) {
      throw new IllegalArgumentException(c.source + " is not a JSON object of names: "
          + Errors.gson(e), e);
    }
  }

  /** Gathers renames with the line each came from (0 when there is none) to report duplicates. */
  private static final class Collector {
    final String source;
    final LinkedHashMap<String, String> renames = new LinkedHashMap<>();
    final Map<String, Integer> fromLine = new HashMap<>();
    final Map<String, String> byTarget = new HashMap<>();

    Collector(String source) {
      this.source = source;
    }

    void add(String from, String to, int line) {
      checkArgument(from != null && !from.isEmpty(), "%s: empty file key%s", source, at(line));
      checkArgument(to != null && !to.isEmpty(), "%s: file key %s maps to an empty name%s",
          source, Errors.shown(from), at(line));
      if (renames.containsKey(from)) {
        throw new IllegalArgumentException(String.format("%s: file key %s given twice%s", source,
            Errors.shown(from), lines(fromLine.get(from), line)));
      }
      String other = byTarget.get(to);
      if (other != null) {
        throw new IllegalArgumentException(String.format("%s: file keys %s and %s both map to %s%s",
            source, Errors.shown(other), Errors.shown(from), Errors.shown(to),
            lines(fromLine.get(other), line)));
      }
      renames.put(from, to);
      fromLine.put(from, line);
      byTarget.put(to, from);
    }

    KeyMapping build() {
      return new KeyMapping(source, ImmutableMap.copyOf(renames));
    }

    private static String at(int line) {
      return line == 0 ? "" : " (line " + line + ")";
    }

    private static String lines(int first, int second) {
      return second == 0 ? "" : " (lines " + first + " and " + second + ")";
    }
  }
}
