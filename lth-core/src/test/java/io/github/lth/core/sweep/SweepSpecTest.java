package io.github.lth.core.sweep;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableMap;
import com.google.common.hash.Hashing;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class SweepSpecTest {
  @TempDir
  Path tmp;

  private static final String JSON = """
      {"command": "imp",
       "settings": {"data": "embedded", "model": "lenet300", "target-sparsity": 0.36,
                    "epochs": 3, "classes": [5, 6, 7], "quiet": true, "cpu": false},
       "axes": {"rewind": ["init", "step:500", "reinit"], "seed": [0, 1]}}
      """;

  /** The same sweep as {@link #JSON}, its keys in other orders. */
  private static final String YAML = """
      # the sweep of JSON, written the YAML way
      axes:
        rewind: [init, "step:500", reinit]
        seed:
          - 0
          - 1
      command: imp
      settings:
        epochs: 3
        model: lenet300
        data: embedded
        target-sparsity: 0.36
        classes: [5, 6, 7]
        quiet: true
        cpu: false
      """;

  private Path write(String name, String text) throws IOException {
    Path file = tmp.resolve(name);
    Files.writeString(file, text);
    return file;
  }

  private static String sha256(String text) {
    return Hashing.sha256().hashString(text, StandardCharsets.UTF_8).toString();
  }

  /** An ordered map (Map.of has no order); V is whatever the call needs. */
  @SuppressWarnings("unchecked")
  private static <V> Map<String, V> map(Object... keysAndValues) {
    Map<String, V> m = new LinkedHashMap<>();
    for (int i = 0; i < keysAndValues.length; i += 2) {
      m.put((String) keysAndValues[i], (V) keysAndValues[i + 1]);
    }
    return m;
  }

  @Test
  void pointsAreTheProductFirstAxisSlowest() throws IOException {
    SweepSpec spec = SweepSpec.read(write("s.json", JSON));
    assertThat(spec.command()).isEqualTo("imp");
    assertThat(spec.size()).isEqualTo(6);
    assertThat(spec.points()).extracting(SweepPoint::index).containsExactly(0, 1, 2, 3, 4, 5);
    assertThat(spec.points()).extracting(p -> p.axisValues().toString()).containsExactly(
        "{rewind=init, seed=0}", "{rewind=init, seed=1}",
        "{rewind=step:500, seed=0}", "{rewind=step:500, seed=1}",
        "{rewind=reinit, seed=0}", "{rewind=reinit, seed=1}");
    SweepPoint p = spec.points().get(3);
    assertThat(p.settings().keySet()).containsExactly("data", "model", "target-sparsity",
        "epochs", "classes", "quiet", "cpu", "rewind", "seed");
    assertThat(p.settings().get("seed")).isEqualTo(1L);
    assertThat(p.settings().get("epochs")).isEqualTo(3L);
    assertThat(p.settings().get("target-sparsity")).isEqualTo(0.36);
    assertThat(p.settings().get("classes")).isEqualTo(List.of(5L, 6L, 7L));
  }

  @Test
  void idsHashTheCommandAndTheSortedSettings() throws IOException {
    SweepSpec spec = SweepSpec.read(write("s.json", JSON));
    String fixed = "\"classes\":[5,6,7],\"cpu\":false,\"data\":\"embedded\",\"epochs\":3,"
        + "\"model\":\"lenet300\",\"quiet\":true,";
    String[] rewinds = {"init", "step:500", "reinit"};
    for (int r = 0; r < 3; r++) {
      for (int s = 0; s < 2; s++) {
        String canonical = "{\"command\":\"imp\",\"settings\":{" + fixed + "\"rewind\":\""
            + rewinds[r] + "\",\"seed\":" + s + ",\"target-sparsity\":0.36}}";
        assertThat(spec.points().get(2 * r + s).id())
            .isEqualTo(sha256(canonical).substring(0, 12));
      }
    }
    assertThat(spec.points()).extracting(SweepPoint::id).doesNotHaveDuplicates();
  }

  @Test
  void fingerprintHashesTheCanonicalSpec() {
    SweepSpec spec = SweepSpec.of("train", map("epochs", 2, "lr", 0.1f),
        map("seed", List.of(1, 0)));
    assertThat(spec.fingerprint()).isEqualTo(sha256(
        "{\"axes\":{\"seed\":[1,0]},\"command\":\"train\",\"settings\":{\"epochs\":2,\"lr\":0.1}}"));
    // the order of an axis's values orders the points, so it is part of the sweep
    assertThat(SweepSpec.of("train", map("epochs", 2, "lr", 0.1f), map("seed", List.of(0, 1)))
        .fingerprint()).isNotEqualTo(spec.fingerprint());
  }

  @Test
  void jsonAndYamlGiveTheSameSweep() throws IOException {
    SweepSpec json = SweepSpec.read(write("s.json", JSON));
    SweepSpec yaml = SweepSpec.read(write("s.yaml", YAML));
    SweepSpec yml = SweepSpec.read(write("s.YML", YAML));
    assertThat(yaml).isEqualTo(json);
    assertThat(yml).isEqualTo(json);
    assertThat(yaml.fingerprint()).isEqualTo(json.fingerprint());
    assertThat(yaml.points()).extracting(SweepPoint::id)
        .containsExactlyElementsOf(json.points().stream().map(SweepPoint::id).toList());
    // the file's order is kept: YAML lists epochs first
    assertThat(yaml.settings().keySet()).containsExactly("epochs", "model", "data",
        "target-sparsity", "classes", "quiet", "cpu");
    assertThat(yaml.settings().get("target-sparsity")).isEqualTo(0.36);
    assertThat(yaml.settings().get("epochs")).isEqualTo(3L);
  }

  @Test
  void yamlScalarsMeanWhatTheyMeanInJson() throws IOException {
    SweepSpec spec = SweepSpec.read(write("s.yaml", """
        command: train
        settings: {a: off, b: yes, c: 012, d: 0x1F, e: 2024-01-02, f: 1e-5, g: 3.0, h: -4}
        """));
    assertThat(spec.settings()).containsExactly(Map.entry("a", "off"), Map.entry("b", "yes"),
        Map.entry("c", "012"), Map.entry("d", "0x1F"), Map.entry("e", "2024-01-02"),
        Map.entry("f", 1.0e-5), Map.entry("g", 3.0), Map.entry("h", -4L));
    assertThat(spec.points().get(0).arguments()).containsExactly("--a", "off", "--b", "yes",
        "--c", "012", "--d", "0x1F", "--e", "2024-01-02", "--f", "1.0E-5", "--g", "3.0",
        "--h", "-4");
  }

  @Test
  void argumentsFollowTheSettingsOrder() throws IOException {
    SweepSpec spec = SweepSpec.read(write("s.json", JSON));
    assertThat(spec.points().get(3).arguments()).containsExactly("--data", "embedded",
        "--model", "lenet300", "--target-sparsity", "0.36", "--epochs", "3",
        "--classes", "5,6,7", "--quiet", "--rewind", "step:500", "--seed", "1");
    SweepSpec javaValues = SweepSpec.of("branch",
        map("n", 7, "big", 1L << 40, "x", 2.5, "f", 0.1f, "s", "a b", "t", true, "no", false,
            "mixed", List.of("a", 2, 0.5, true)),
        Map.of());
    assertThat(javaValues.size()).isEqualTo(1);
    assertThat(javaValues.points().get(0).arguments()).containsExactly("--n", "7",
        "--big", "1099511627776", "--x", "2.5", "--f", "0.1", "--s", "a b", "--t",
        "--mixed", "a,2,0.5,true");
  }

  @Test
  void labelIsTheAxisValuesButTheSeed() throws IOException {
    SweepSpec spec = SweepSpec.read(write("s.json", JSON));
    assertThat(spec.points()).extracting(SweepPoint::label).containsExactly(
        "rewind=init", "rewind=init", "rewind=step:500", "rewind=step:500",
        "rewind=reinit", "rewind=reinit");
    SweepSpec two = SweepSpec.of("imp", Map.of(),
        map("rewind", List.of("init"), "seed", List.of(0), "lr", List.of(0.01), "bn", List.of(
            true)));
    assertThat(two.points().get(0).label()).isEqualTo("rewind=init,lr=0.01,bn=true");
    assertThat(SweepSpec.of("imp", Map.of(), map("seed", List.of(0, 1))).points())
        .extracting(SweepPoint::label).containsExactly("all", "all");
    assertThat(SweepSpec.of("imp", Map.of("epochs", 1), Map.of()).points())
        .extracting(SweepPoint::label).containsExactly("all");
  }

  @Test
  void noAxesIsOnePoint() {
    SweepSpec spec = SweepSpec.of("train", map("epochs", 1), Map.of());
    assertThat(spec.size()).isEqualTo(1);
    assertThat(spec.points()).hasSize(1);
    assertThat(spec.points().get(0).axisValues()).isEmpty();
    assertThat(spec.points().get(0).settings()).isEqualTo(ImmutableMap.of("epochs", 1L));
  }

  @Test
  void sizeSaturatesInsteadOfOverflowing() {
    List<Integer> big = java.util.stream.IntStream.range(0, 1 << 16).boxed().toList();
    SweepSpec spec = SweepSpec.of("imp", Map.of(),
        map("a", big, "b", big, "c", big, "d", big, "e", big));
    assertThat(spec.size()).isEqualTo(Long.MAX_VALUE);
    assertThatThrownBy(spec::points).isInstanceOf(IllegalStateException.class)
        .hasMessage("a sweep of 9223372036854775807 points is too large to list");
  }

  @Test
  void toJsonRoundTripsThroughAFile() throws IOException {
    SweepSpec spec = SweepSpec.of("transfer", map("lr", 1.0e-5, "g", 3.0, "n", 3,
        "classes", List.of(1, 2)), map("seed", List.of(0, 1), "sparse", List.of(true, false)));
    assertThat(spec.toJson().toString()).isEqualTo("{\"command\":\"transfer\",\"settings\":"
        + "{\"lr\":1.0E-5,\"g\":3.0,\"n\":3,\"classes\":[1,2]},\"axes\":{\"seed\":[0,1],"
        + "\"sparse\":[true,false]}}");
    SweepSpec back = SweepSpec.read(write("back.json", spec.toJson().toString()));
    assertThat(back).isEqualTo(spec);
    assertThat(back.settings().get("g")).isEqualTo(3.0);
    assertThat(back.fingerprint()).isEqualTo(spec.fingerprint());
  }

  static Stream<Arguments> invalidFiles() {
    return Stream.of(
        Arguments.of("a.json", "{\"command\": \"imp\", \"seeds\": [1]}",
            "unknown key \"seeds\"; a sweep has command, settings and axes"),
        Arguments.of("a.json", "{\"settings\": {}}",
            "no command; expected one of imp, train, branch, transfer"),
        Arguments.of("a.json", "{\"command\": \"prune\"}",
            "command \"prune\" is not one of imp, train, branch, transfer"),
        Arguments.of("a.yaml", "command: 3",
            "command 3 is not one of imp, train, branch, transfer"),
        Arguments.of("a.json", "{\"command\": \"imp\", \"settings\": [1]}",
            "settings is [1], not an object of option: value"),
        Arguments.of("a.json", "{\"command\": \"imp\", \"axes\": \"seed\"}",
            "axes is \"seed\", not an object of option: [values]"),
        Arguments.of("a.json", "{\"command\": \"imp\", \"axes\": {\"seed\": []}}",
            "axis \"seed\" is empty"),
        Arguments.of("a.json", "{\"command\": \"imp\", \"axes\": {\"seed\": 3}}",
            "axis \"seed\" is 3, not a list of values"),
        Arguments.of("a.json",
            "{\"command\": \"imp\", \"settings\": {\"seed\": 1}, \"axes\": {\"seed\": [1, 2]}}",
            "\"seed\" is both a setting and an axis"),
        Arguments.of("a.json", "{\"command\": \"imp\", \"settings\": {\"model\": {\"a\": 1}}}",
            "setting \"model\" is {\"a\":1}; expected a string, number, boolean or a list of"
                + " them"),
        Arguments.of("a.yaml", "command: imp\nsettings:\n  model:\n",
            "setting \"model\" is null; expected a string, number, boolean or a list of them"),
        Arguments.of("a.json", "{\"command\": \"imp\", \"settings\": {\"classes\": [[1]]}}",
            "setting \"classes\" holds [1]; a list may hold strings, numbers and booleans"),
        Arguments.of("a.json", "{\"command\": \"imp\", \"settings\": {\"classes\": []}}",
            "setting \"classes\" is an empty list"),
        Arguments.of("a.json", "{\"command\": \"imp\", \"axes\": {\"rewind\": [\"init\", [1]]}}",
            "axis \"rewind\" holds [1]; an axis holds strings, numbers and booleans"),
        Arguments.of("a.json", "{\"command\": \"imp\", \"axes\": {\"seed\": [0, 1, 0]}}",
            "axis \"seed\" lists 0 twice"),
        Arguments.of("a.json", "{\"command\": \"imp\", \"axes\": {\"lr\": [1, 0.5, 1.0]}}",
            "axis \"lr\" lists 1 and 1.0, the same value"),
        Arguments.of("a.yaml", "command: imp\naxes: {seed: [1, \"1\"]}",
            "axis \"seed\" lists 1 and \"1\", the same value"),
        Arguments.of("a.json", "{\"command\": \"imp\", \"settings\": {\"--seed\": 1}}",
            "setting \"--seed\" is not an option name (letters, digits and '-', without the"
                + " leading dashes)"),
        Arguments.of("a.yaml", "command: imp\naxes: {3: [1]}",
            "axis 3 is not an option name (letters, digits and '-', without the leading"
                + " dashes)"),
        Arguments.of("a.yaml", "command: imp\nsettings: {lr: .nan}",
            "setting \"lr\" is NaN, not a finite number"),
        Arguments.of("a.yaml", "command: imp\naxes: {lr: [0.1, -.inf]}",
            "axis \"lr\" holds -Infinity, not a finite number"),
        Arguments.of("a.json",
            "{\"command\": \"imp\", \"settings\": {\"n\": 123456789012345678901}}",
            "setting \"n\" is 123456789012345678901, beyond a 64-bit integer"),
        Arguments.of("a.json", "[1, 2]", "not an object with command, settings and axes"),
        Arguments.of("a.json", "  \n", "it is empty"),
        Arguments.of("a.toml", "command = \"imp\"", "a sweep file is .json, .yaml or .yml"),
        Arguments.of("a.json", "{\"command\": \"imp\", \"axes\": {\"seed\": [1], \"seed\": [2]}}",
            "not valid JSON (duplicate key at $.axes.seed)"),
        Arguments.of("a.json", "{\"command\": \"imp\",}",
            "not valid JSON (Expected name at line 1 column 20 path $.command)"),
        Arguments.of("a.json", "{\"command\": \"imp\", \"axes\": {\"seed\": [1,",
            "not valid JSON (End of input at line 1 column 40 path $.axes.seed[1])"),
        Arguments.of("a.json", "{\"command\": \"imp\"} {}",
            "not valid JSON (more text after the object)"),
        Arguments.of("a.yaml", "command: imp\naxes:\n  seed: [1]\n  seed: [2]\n",
            "not valid YAML (while constructing a mapping, found duplicate key seed at line 4,"
                + " column 3)"),
        Arguments.of("a.yaml", "command: imp\nsettings: {a: [1, 2}\n",
            "not valid YAML (while parsing a flow sequence, expected ',' or ']', but got } at"
                + " line 2, column 20)"),
        Arguments.of("a.yaml", "command: imp\n---\ncommand: train\n",
            "not valid YAML (expected a single document in the stream, but found another"
                + " document at line 2, column 1)"));
  }

  @ParameterizedTest
  @MethodSource("invalidFiles")
  void invalidFilesAreRefusedOnOneLine(String name, String text, String reason)
      throws IOException {
    Path file = write(name, text);
    assertThatThrownBy(() -> SweepSpec.read(file)).isInstanceOf(IOException.class)
        .hasMessage("cannot read " + file + ": " + reason);
  }

  @Test
  void yamlAliasesAreCapped() throws IOException {
    StringBuilder b = new StringBuilder("command: imp\nsettings:\n  a: &a [x, x]\n");
    for (int i = 0; i < 60; i++) {
      b.append("  k").append(i).append(": *a\n");
    }
    Path file = write("a.yaml", b.toString());
    assertThatThrownBy(() -> SweepSpec.read(file)).isInstanceOf(IOException.class)
        .hasMessage("cannot read " + file + ": not valid YAML (Number of aliases for non-scalar"
            + " nodes exceeds the specified max=50)");
  }

  @Test
  void largeFilesAreRefusedBeforeParsing() throws IOException {
    Path file = write("big.yaml", "command: imp\n#" + "x".repeat(1 << 20) + "\n");
    assertThatThrownBy(() -> SweepSpec.read(file)).isInstanceOf(IOException.class)
        .hasMessage("cannot read " + file + ": 1048591 bytes, more than a sweep file may hold"
            + " (1048576)");
  }

  @Test
  void aMissingFileIsOneLine() {
    Path file = tmp.resolve("none.yaml");
    assertThatThrownBy(() -> SweepSpec.read(file)).isInstanceOf(IOException.class)
        .hasMessage("cannot read " + file + ": no such file or directory");
  }

  @Test
  void ofRefusesLikeRead() {
    assertThatThrownBy(() -> SweepSpec.of("imp", Map.of("seed", 1), Map.of("seed", List.of(1))))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("\"seed\" is both a setting and an axis");
    assertThatThrownBy(() -> SweepSpec.of("fit", Map.of(), Map.of()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("command \"fit\" is not one of imp, train, branch, transfer");
    assertThatThrownBy(() -> SweepSpec.of("imp", Map.of("x", new Object() {
      @Override
      public String toString() {
        return "thing";
      }
    }), Map.of())).isInstanceOf(IllegalArgumentException.class)
        .hasMessage("setting \"x\" is \"thing\"; expected a string, number, boolean or a list"
            + " of them");
    assertThat(SweepSpec.of("imp", Map.of(), Map.of("seed", ImmutableList.of(2, 1))).axes())
        .isEqualTo(ImmutableMap.of("seed", List.of(2L, 1L)));
  }
}
