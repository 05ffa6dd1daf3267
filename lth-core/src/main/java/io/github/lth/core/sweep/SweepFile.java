package io.github.lth.core.sweep;

import com.google.gson.JsonParseException;
import com.google.gson.Strictness;
import com.google.gson.stream.JsonReader;
import com.google.gson.stream.JsonToken;
import com.google.gson.stream.MalformedJsonException;
import io.github.lth.core.io.Errors;
import java.io.EOFException;
import java.io.IOException;
import java.io.StringReader;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;
import org.yaml.snakeyaml.DumperOptions;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.error.Mark;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.error.YAMLException;
import org.yaml.snakeyaml.nodes.Tag;
import org.yaml.snakeyaml.representer.Representer;
import org.yaml.snakeyaml.resolver.Resolver;

/**
 * Reads a sweep file, JSON or YAML by its extension, into plain Java values: maps (in the
 * file's order), lists, strings, booleans and numbers (an integer literal as {@link Long} when
 * it fits, {@link java.math.BigInteger} when not, any other number as {@link Double}), or
 * {@code null}. Checking what the values mean is {@link SweepSpec}'s work.
 *
 * <pre>{@code
 * Object tree = SweepFile.read(Path.of("sweep.yaml"));
 * // cannot read sweep.yaml: not valid YAML (found duplicate key seed at line 7, column 3)
 * }</pre>
 */
final class SweepFile {
  /** A sweep file is a few lines; anything this large is the wrong file (or an attack). */
  static final int MAX_BYTES = 1 << 20;
  /** Aliases are legal YAML but a sweep needs few; many is the "billion laughs" expansion. */
  private static final int MAX_ALIASES = 50;
  /** command/settings/axes/list/value is four levels; the margin allows a wrong but small file. */
  private static final int MAX_NESTING = 20;
  private static final Pattern DECIMAL_INTEGER = Pattern.compile("-?[0-9]+");

  private SweepFile() {}

  /**
   * The value the file holds.
   *
   * @throws IOException {@code cannot read FILE: REASON} on one line
   */
  static Object read(Path file) throws IOException {
    String name = file.getFileName() == null ? "" : file.getFileName().toString()
        .toLowerCase(Locale.ROOT);
    boolean json = name.endsWith(".json");
    if (!json && !name.endsWith(".yaml") && !name.endsWith(".yml")) {
      throw fail(file, "a sweep file is .json, .yaml or .yml");
    }
    long size;
    try {
      size = Files.size(file);
    } catch (IOException e) {
      throw new IOException("cannot read " + file + ": " + Errors.describe(e), e);
    }
    if (size > MAX_BYTES) {
      throw fail(file, size + " bytes, more than a sweep file may hold (" + MAX_BYTES + ")");
    }
    String text;
    try {
      text = Files.readString(file, StandardCharsets.UTF_8);
    } catch (CharacterCodingException e) {
      throw fail(file, "not UTF-8 text");
    } catch (IOException e) {
      throw new IOException("cannot read " + file + ": " + Errors.describe(e), e);
    }
    if (text.isBlank()) {
      throw fail(file, "it is empty");
    }
    return json ? json(file, text) : yaml(file, text);
  }

  /** The value of JSON {@code text}, read by the same rules; errors name {@code file}. */
  static Object json(Path file, String text) throws IOException {
    try (JsonReader reader = new JsonReader(new StringReader(text))) {
      reader.setStrictness(Strictness.STRICT);
      reader.setNestingLimit(MAX_NESTING);
      Object value = jsonValue(file, reader);
      boolean more;
      try {
        more = reader.peek() != JsonToken.END_DOCUMENT;
      } catch (MalformedJsonException e) {
        // strict Gson refuses a second value before returning it
        more = true;
      }
      if (more) {
        throw fail(file, "not valid JSON (more text after the object)");
      }
      return value;
    } catch (JsonParseException | MalformedJsonException | EOFException e) {
      // EOFException: the text ends inside the value (a truncated file)
      String reason = oneLine(String.valueOf(e.getMessage()))
          .replaceFirst("\\s*See https?://\\S+$", "")
          .replace("Use JsonReader.setStrictness(Strictness.LENIENT) to accept malformed JSON",
              "malformed JSON");
      throw new IOException("cannot read " + file + ": not valid JSON ("
          + Errors.escaped(reason, 200) + ")", e);
    }
  }

  private static Object jsonValue(Path file, JsonReader reader) throws IOException {
    switch (reader.peek()) {
      case BEGIN_OBJECT -> {
        Map<String, Object> map = new LinkedHashMap<>();
        reader.beginObject();
        while (reader.hasNext()) {
          String key = reader.nextName();
          if (map.containsKey(key)) {
            // Gson's tree keeps the last of two equal keys; a sweep where one silently wins
            // over the other is not what its author meant
            throw fail(file, "not valid JSON (duplicate key at " + reader.getPath() + ")");
          }
          map.put(key, jsonValue(file, reader));
        }
        reader.endObject();
        return map;
      }
      case BEGIN_ARRAY -> {
        List<Object> list = new ArrayList<>();
        reader.beginArray();
        while (reader.hasNext()) {
          list.add(jsonValue(file, reader));
        }
        reader.endArray();
        return list;
      }
      case STRING -> {
        return reader.nextString();
      }
      case NUMBER -> {
        // the literal, so that 3 stays an integer and 0.36 is not first rounded through a float
        String literal = reader.nextString();
        if (DECIMAL_INTEGER.matcher(literal).matches()) {
          java.math.BigInteger big = new java.math.BigInteger(literal);
          return big.bitLength() < Long.SIZE ? (Object) big.longValue() : big;
        }
        return Double.valueOf(literal);
      }
      case BOOLEAN -> {
        return reader.nextBoolean();
      }
      case NULL -> {
        reader.nextNull();
        return null;
      }
      default -> throw fail(file, "not valid JSON (unexpected " + reader.peek() + " at "
          + reader.getPath() + ")");
    }
  }

  private static Object yaml(Path file, String text) throws IOException {
    LoaderOptions options = new LoaderOptions();
    options.setAllowDuplicateKeys(false);
    options.setMaxAliasesForCollections(MAX_ALIASES);
    options.setNestingDepthLimit(MAX_NESTING);
    options.setCodePointLimit(MAX_BYTES);
    options.setAllowRecursiveKeys(false);
    Yaml yaml = new Yaml(new SafeConstructor(options), new Representer(new DumperOptions()),
        new DumperOptions(), options, new CoreSchemaResolver());
    try {
      return normalizeYaml(yaml.load(text));
    } catch (MarkedYAMLException e) {
      Mark mark = e.getProblemMark();
      String where = mark == null ? ""
          : " at line " + (mark.getLine() + 1) + ", column " + (mark.getColumn() + 1);
      // the context says what the parser was doing ("expected a single document in the
      // stream"), the problem what it found; SnakeYAML's own message adds code snippets
      String context = e.getContext() == null ? "" : e.getContext() + ", ";
      throw new IOException("cannot read " + file + ": not valid YAML (" + Errors.escaped(
          oneLine(context + e.getProblem()), 200) + where + ")", e);
    } catch (YAMLException e) {
      throw new IOException("cannot read " + file + ": not valid YAML ("
          + Errors.escaped(oneLine(String.valueOf(e.getMessage())), 200) + ")", e);
    }
  }

  /** SnakeYAML's integers as Long (or BigInteger when too large), so JSON and YAML agree. */
  private static Object normalizeYaml(Object v) {
    if (v instanceof Integer || v instanceof Short || v instanceof Byte) {
      return ((Number) v).longValue();
    }
    if (v instanceof java.math.BigInteger big && big.bitLength() < Long.SIZE) {
      return big.longValue();
    }
    if (v instanceof Map<?, ?> map) {
      Map<Object, Object> out = new LinkedHashMap<>();
      map.forEach((k, x) -> out.put(k, normalizeYaml(x)));
      return out;
    }
    if (v instanceof List<?> list) {
      List<Object> out = new ArrayList<>();
      list.forEach(x -> out.add(normalizeYaml(x)));
      return out;
    }
    return v;
  }

  private static IOException fail(Path file, String reason) {
    return new IOException("cannot read " + file + ": " + reason);
  }

  private static String oneLine(String s) {
    return s.replaceAll("\\s*[\\r\\n]+\\s*", " ").strip();
  }

  /**
   * Plain scalars resolved as YAML 1.2's core schema does rather than YAML 1.1's: only
   * true/false are booleans (not yes/no/on/off, so {@code rewind: off} stays a string),
   * numbers are decimal without leading zeros, as in JSON (012, 0x1F and 1:30 stay strings
   * rather than becoming octal, hex or sexagesimal numbers), and dates stay strings. What a value means is then the same in YAML as in JSON.
   */
  private static final class CoreSchemaResolver extends Resolver {
    private static final Pattern BOOL = Pattern.compile("^(?:true|True|TRUE|false|False|FALSE)$");
    private static final Pattern INT = Pattern.compile("^[-+]?(?:0|[1-9][0-9]*)$");
    private static final Pattern FLOAT = Pattern.compile(
        "^(?:[-+]?(?:\\.[0-9]+|(?:0|[1-9][0-9]*)(?:\\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
            + "|[-+]?\\.(?:inf|Inf|INF)|\\.(?:nan|NaN|NAN))$");
    private static final Pattern NULL = Pattern.compile("^(?:~|null|Null|NULL|)$");

    @Override
    protected void addImplicitResolvers() {
      addImplicitResolver(Tag.BOOL, BOOL, "tTfF");
      // an integer is tried before a float: both patterns match "3"
      addImplicitResolver(Tag.INT, INT, "-+0123456789");
      addImplicitResolver(Tag.FLOAT, FLOAT, "-+0123456789.");
      addImplicitResolver(Tag.NULL, NULL, "~nN\0");
      addImplicitResolver(Tag.NULL, Resolver.EMPTY, null);
    }
  }
}
