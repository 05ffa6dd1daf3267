package io.github.lth.core.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.entry;

import io.github.lth.core.Weights;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Mapping files parse strictly, and applying one renames keys without touching the values. */
class KeyMappingTest {
  @TempDir Path dir;

  /** DJL's parameter order for the MLP of the mapping resources. */
  private static final List<String> DJL = List.of("02Linear_weight", "02Linear_bias",
      "04Linear_weight", "04Linear_bias");

  private static final Map<String, String> MLP = Map.of("features.1.weight", "02Linear_weight",
      "features.1.bias", "02Linear_bias", "features.3.weight", "04Linear_weight",
      "features.3.bias", "04Linear_bias");

  @Test
  void textFileTakesAllThreeSeparatorsAndSkipsCommentsAndBlankLines() throws Exception {
    KeyMapping m = KeyMapping.read(resource("mlp.txt"));

    assertThat(m.renames()).containsExactly(
        entry("features.1.weight", "02Linear_weight"),
        entry("features.1.bias", "02Linear_bias"),
        entry("features.3.weight", "04Linear_weight"),
        entry("features.3.bias", "04Linear_bias"));
  }

  @Test
  void jsonFileKeepsItsOrder() throws Exception {
    KeyMapping m = KeyMapping.read(resource("mlp.json"));

    assertThat(m.renames()).containsExactly(
        entry("features.1.weight", "02Linear_weight"),
        entry("features.1.bias", "02Linear_bias"),
        entry("features.3.weight", "04Linear_weight"),
        entry("features.3.bias", "04Linear_bias"));
  }

  @Test
  void extensionChoosesTheFormat() throws IOException {
    Path text = write("map.txt", "a -> b\n");
    Path json = write("map.json", "a -> b\n");

    assertThat(KeyMapping.read(text).renames()).containsExactly(entry("a", "b"));
    assertThatThrownBy(() -> KeyMapping.read(json)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("key mapping " + json + " is not a JSON object of names: ");
    assertThat(KeyMapping.read(write("MAP.JSON", "{\"a\": \"b\"}")).renames())
        .containsExactly(entry("a", "b"));
  }

  @Test
  void windowsLineEndingsAndByteOrderMark() throws IOException {
    Path f = write("map.txt", "\uFEFFa b\r\n# c d\r\ne -> f\r\n");

    assertThat(KeyMapping.read(f).renames()).containsExactly(entry("a", "b"), entry("e", "f"));
  }

  @Test
  void renamingKeepsValuesAndShapesExactlyInModelOrder() {
    float[] w1 = {0.5f, -1.25f, Float.MIN_VALUE, 3e-8f, -0f, 7f};
    float[] b1 = {1f, 2f};
    float[] w3 = {9f, -9f};
    float[] b3 = {0.125f};
    // The file's order differs from the model's: the result must follow the model.
    Weights file = Weights.builder()
        .put("features.3.bias", new long[] {1}, b3)
        .put("features.1.weight", new long[] {2, 3}, w1)
        .put("features.3.weight", new long[] {1, 2}, w3)
        .put("features.1.bias", new long[] {2}, b1)
        .build();

    Weights out = KeyMapping.of(MLP).apply(file, DJL);

    assertThat(out.names()).containsExactlyElementsOf(DJL);
    assertThat(out.values("02Linear_weight")).containsExactly(w1);
    assertThat(out.shape("02Linear_weight")).containsExactly(2, 3);
    assertThat(out.values("02Linear_bias")).containsExactly(b1);
    assertThat(out.shape("02Linear_bias")).containsExactly(2);
    assertThat(out.values("04Linear_weight")).containsExactly(w3);
    assertThat(out.shape("04Linear_weight")).containsExactly(1, 2);
    assertThat(out.values("04Linear_bias")).containsExactly(b3);
    assertThat(out.shape("04Linear_bias")).containsExactly(1);
    // -0f must stay negative zero: the bits are copied, not recomputed.
    assertThat(Float.floatToRawIntBits(out.values("02Linear_weight")[4]))
        .isEqualTo(Float.floatToRawIntBits(-0f));
  }

  @Test
  void fileKeysNotExpectedAreDroppedAndUnmappedExpectedKeysKeepTheirName() {
    Weights file = Weights.builder()
        .put("fc1.weight", new long[] {1}, new float[] {1})
        .put("shared", new long[] {1}, new float[] {2})
        .put("optimizer.step", new long[] {1}, new float[] {3})
        .put("fc2.weight", new long[] {1}, new float[] {4})
        .build();
    KeyMapping m = KeyMapping.of(Map.of("fc1.weight", "01Linear_weight", "fc2.weight", "head"));

    Weights out = m.apply(file, List.of("shared", "01Linear_weight"));

    assertThat(out).isEqualTo(Weights.builder()
        .put("shared", new long[] {1}, new float[] {2})
        .put("01Linear_weight", new long[] {1}, new float[] {1})
        .build());
  }

  @Test
  void applyWithoutExpectedRenamesAndKeepsEverythingInFileOrder() {
    Weights file = Weights.builder()
        .put("fc1.weight", new long[] {1}, new float[] {1})
        .put("optimizer.step", new long[] {1}, new float[] {3})
        .build();

    Weights out = KeyMapping.of(Map.of("fc1.weight", "01Linear_weight")).apply(file);

    assertThat(out).isEqualTo(Weights.builder()
        .put("01Linear_weight", new long[] {1}, new float[] {1})
        .put("optimizer.step", new long[] {1}, new float[] {3})
        .build());
  }

  @Test
  void renamingIsSimultaneousSoTwoNamesCanSwap() {
    Weights file = Weights.builder()
        .put("a", new long[] {1}, new float[] {1})
        .put("b", new long[] {1}, new float[] {2})
        .build();
    Map<String, String> swap = new LinkedHashMap<>();
    swap.put("a", "b");
    swap.put("b", "a");

    Weights out = KeyMapping.of(swap).apply(file, List.of("a", "b"));

    assertThat(out.values("a")).containsExactly(2);
    assertThat(out.values("b")).containsExactly(1);
  }

  @Test
  void identityKeepsNamesButStillSelects() {
    Weights file = Weights.builder()
        .put("a", new long[] {1}, new float[] {1})
        .put("b", new long[] {1}, new float[] {2})
        .build();

    assertThat(KeyMapping.identity().renames()).isEmpty();
    assertThat(KeyMapping.identity().apply(file)).isEqualTo(file);
    assertThat(KeyMapping.identity().apply(file, List.of("b")).names()).containsExactly("b");
    assertThat(KeyMapping.of(Map.of()).apply(file)).isEqualTo(file);
  }

  @Test
  void missingParametersAreAllListedSortedWithTheUnusedFileKeys() throws IOException {
    Path f = write("map.txt", "fc1.weight 02Linear_weight\nfc3.weight 04Linaer_weight\n");
    Weights file = Weights.builder()
        .put("fc9.weight", new long[] {1}, new float[] {1})
        .put("fc1.weight", new long[] {1}, new float[] {2})
        .put("fc3.weight", new long[] {1}, new float[] {3})
        .put("fc1.bias", new long[] {1}, new float[] {4})
        .build();
    KeyMapping m = KeyMapping.read(f);

    assertThatThrownBy(() -> m.apply(file, DJL)).isInstanceOf(IllegalArgumentException.class)
        .hasMessage("key mapping " + f + " leaves model parameters unmatched: 02Linear_bias, "
            + "04Linear_bias, 04Linear_weight (file keys not used: fc1.bias, "
            + "fc3.weight -> 04Linaer_weight, fc9.weight)");
  }

  @Test
  void missingParametersFromMappingMadeInCodeSaySoAndOmitAnEmptyHint() {
    Weights file = Weights.builder().put("fc1.weight", new long[] {1}, new float[] {1}).build();
    KeyMapping m = KeyMapping.of(Map.of("fc1.weight", "01Linear_weight"));

    assertThatThrownBy(() -> m.apply(file, List.of("01Linear_weight", "01Linear_bias")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("key mapping leaves model parameters unmatched: 01Linear_bias");
  }

  @Test
  void mappedKeyTheWeightsLackIsAnError() {
    Weights file = Weights.builder()
        .put("fc1.weight", new long[] {1}, new float[] {1})
        .put("fc.bias", new long[] {1}, new float[] {1})
        .build();
    Map<String, String> renames = new LinkedHashMap<>();
    renames.put("fc1.weight", "w");
    renames.put("fc1.bias", "b");
    renames.put("fc0.bias", "c");
    KeyMapping m = KeyMapping.of(renames);

    String message = "key mapping names file keys the weights do not hold: fc0.bias, fc1.bias "
        + "(unmapped file keys: fc.bias)";
    assertThatThrownBy(() -> m.apply(file, List.of("w"))).isInstanceOf(
        IllegalArgumentException.class).hasMessage(message);
    assertThatThrownBy(() -> m.apply(file)).isInstanceOf(IllegalArgumentException.class)
        .hasMessage(message);
  }

  @Test
  void renamingOntoAnUnmappedKeyIsAnErrorNamingBoth() {
    Weights file = Weights.builder()
        .put("01Linear_weight", new long[] {1}, new float[] {1})
        .put("fc1.weight", new long[] {1}, new float[] {2})
        .build();
    KeyMapping m = KeyMapping.of(Map.of("fc1.weight", "01Linear_weight"));
    String message = "key mapping renames file key fc1.weight to 01Linear_weight, which the file "
        + "already holds as an unmapped key";

    assertThatThrownBy(() -> m.apply(file)).isInstanceOf(IllegalArgumentException.class)
        .hasMessage(message);
    assertThatThrownBy(() -> m.apply(file, List.of("01Linear_weight")))
        .isInstanceOf(IllegalArgumentException.class).hasMessage(message);
    // The same with the mapped key first in the file.
    Weights reversed = Weights.builder()
        .put("fc1.weight", new long[] {1}, new float[] {2})
        .put("01Linear_weight", new long[] {1}, new float[] {1})
        .build();
    assertThatThrownBy(() -> m.apply(reversed)).isInstanceOf(IllegalArgumentException.class)
        .hasMessage(message);
  }

  @Test
  void duplicateFileKeyInTextNamesBothLines() throws IOException {
    Path f = write("map.txt", "# header\na x\n\nb y\na -> z\n");

    assertThatThrownBy(() -> KeyMapping.read(f)).isInstanceOf(IllegalArgumentException.class)
        .hasMessage("key mapping " + f + ": file key a given twice (lines 2 and 5)");
  }

  @Test
  void duplicateTargetInTextNamesBothKeysAndLines() throws IOException {
    Path f = write("map.txt", "a x\nb y\nc=x\n");

    assertThatThrownBy(() -> KeyMapping.read(f)).isInstanceOf(IllegalArgumentException.class)
        .hasMessage("key mapping " + f + ": file keys a and c both map to x (lines 1 and 3)");
  }

  @Test
  void duplicatesInJsonNameBothKeys() throws IOException {
    Path key = write("key.json", "{\"a\": \"x\", \"b\": \"y\", \"a\": \"z\"}");
    Path target = write("target.json", "{\"a\": \"x\", \"b\": \"x\"}");

    assertThatThrownBy(() -> KeyMapping.read(key)).isInstanceOf(IllegalArgumentException.class)
        .hasMessage("key mapping " + key + ": file key a given twice");
    assertThatThrownBy(() -> KeyMapping.read(target))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("key mapping " + target + ": file keys a and b both map to x");
  }

  @Test
  void duplicateTargetMadeInCode() {
    Map<String, String> renames = new LinkedHashMap<>();
    renames.put("a", "x");
    renames.put("b", "x");

    assertThatThrownBy(() -> KeyMapping.of(renames)).isInstanceOf(IllegalArgumentException.class)
        .hasMessage("key mapping: file keys a and b both map to x");
  }

  @ParameterizedTest
  @ValueSource(strings = {"fc1.weight", "a b c", "a -> b -> c", "a = b = c", "a -> ", "= b",
      "a -> b=c", "a x -> b"})
  void badLineNamesFileAndLineAndShowsIt(String bad) throws IOException {
    Path f = write("map.txt", "ok.a ok.b\n\n# fine\n" + bad + "  \nok.c ok.d\n");

    assertThatThrownBy(() -> KeyMapping.read(f)).isInstanceOf(IllegalArgumentException.class)
        .hasMessage("key mapping " + f + ", line 4: expected 'file_key model_parameter' (or -> "
            + "or = between them), got '" + bad.strip() + "'");
  }

  @Test
  void emptyMappingFileIsAnError() throws IOException {
    Path text = write("map.txt", "# nothing yet\n\n");
    Path json = write("map.json", "{}");

    assertThatThrownBy(() -> KeyMapping.read(text)).isInstanceOf(IllegalArgumentException.class)
        .hasMessage("key mapping " + text + " holds no mappings");
    assertThatThrownBy(() -> KeyMapping.read(json)).isInstanceOf(IllegalArgumentException.class)
        .hasMessage("key mapping " + json + " holds no mappings");
  }

  @Test
  void badJsonIsAnErrorNamingTheFile() throws IOException {
    Path number = write("n.json", "{\"a\": 3}");
    Path array = write("a.json", "[\"a\", \"b\"]");
    Path trailing = write("t.json", "{\"a\": \"b\"} {}");
    Path cut = write("c.json", "{\"a\": \"b\",");

    assertThatThrownBy(() -> KeyMapping.read(number)).isInstanceOf(IllegalArgumentException.class)
        .hasMessage("key mapping " + number + ": the value of 'a' must be a string");
    assertThatThrownBy(() -> KeyMapping.read(array)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("key mapping " + array + " is not a JSON object of names: ")
        .hasMessageNotContaining("\n").hasMessageNotContaining("https:");
    assertThatThrownBy(() -> KeyMapping.read(trailing))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("key mapping " + trailing + " is not a JSON object of names: ");
    assertThatThrownBy(() -> KeyMapping.read(cut)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("key mapping " + cut + " is not a JSON object of names: ");
    assertThatThrownBy(() -> KeyMapping.read(write("m.json", "a -> b")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageMatching("key mapping .*m\\.json is not a JSON object of names: malformed JSON "
            + "at line 1 column 1 path \\$");
  }

  @Test
  void missingFileIsAnIoExceptionNamingIt() {
    Path f = dir.resolve("nope.txt");

    assertThatThrownBy(() -> KeyMapping.read(f)).isInstanceOf(IOException.class)
        .hasMessage("cannot read " + f + ": no such file or directory");
  }

  @Test
  void toStringShowsFileAndRenames() throws IOException {
    Path f = write("map.txt", "a b\nc d\n");

    assertThat(KeyMapping.read(f)).hasToString("KeyMapping[" + f + ": a -> b, c -> d]");
    assertThat(KeyMapping.of(Map.of("a", "b"))).hasToString("KeyMapping[a -> b]");
    assertThat(KeyMapping.identity()).hasToString("KeyMapping[identity]");
  }

  @ParameterizedTest
  @ValueSource(strings = {"npz", "safetensors"})
  void pytorchStateDictFileLoadsUnderDjlNames(String ext) throws Exception {
    float[] w1 = {0.1f, -0.2f, 0.3f, -0.4f, 0.5f, -0.6f};
    float[] b1 = {0.01f, -0.02f};
    float[] w3 = {1.5f, -2.5f};
    float[] b3 = {-0.75f};
    Weights pytorch = Weights.builder()
        .put("features.1.weight", new long[] {2, 3}, w1)
        .put("features.1.bias", new long[] {2}, b1)
        .put("features.3.weight", new long[] {1, 2}, w3)
        .put("features.3.bias", new long[] {1}, b3)
        .put("num_batches_tracked", new long[] {}, new float[] {12})
        .build();
    Weights expected = Weights.builder()
        .put("02Linear_weight", new long[] {2, 3}, w1)
        .put("02Linear_bias", new long[] {2}, b1)
        .put("04Linear_weight", new long[] {1, 2}, w3)
        .put("04Linear_bias", new long[] {1}, b3)
        .build();
    Path file = dir.resolve("state_dict." + ext);
    WeightsIO.write(pytorch, file);
    Weights loaded = WeightsIO.read(file);

    for (String mapping : List.of("mlp.txt", "mlp.json")) {
      Weights out = KeyMapping.read(resource(mapping)).apply(loaded, expected.names());
      assertThat(out).as(mapping).isEqualTo(expected);
    }
  }

  private Path write(String name, String content) throws IOException {
    return Files.writeString(dir.resolve(name), content, StandardCharsets.UTF_8);
  }

  private static Path resource(String name) throws URISyntaxException {
    return Path.of(KeyMappingTest.class.getResource("/keymap/" + name).toURI());
  }
}
