package io.github.lth.core.sweep;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.github.lth.core.sweep.SweepStore.PointState;
import io.github.lth.core.sweep.SweepStore.Status;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SweepStoreTest {
  @TempDir
  Path tmp;

  private static SweepSpec spec(List<Integer> seeds) {
    Map<String, Object> settings = new LinkedHashMap<>();
    settings.put("data", "embedded");
    settings.put("epochs", 1);
    settings.put("lr", 0.01);
    Map<String, List<?>> axes = new LinkedHashMap<>();
    axes.put("rewind", List.of("init", "step:2"));
    axes.put("seed", seeds);
    return SweepSpec.of("imp", settings, axes);
  }

  private static JsonObject readJson(Path file) throws IOException {
    return JsonParser.parseString(Files.readString(file)).getAsJsonObject();
  }

  private static List<String> names(Path dir) throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return s.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  @Test
  void createWritesSweepJson() throws IOException {
    Path dir = tmp.resolve("sweeps/a");
    SweepSpec spec = spec(List.of(0, 1));
    SweepStore store = SweepStore.create(dir, spec);
    assertThat(store.directory()).isEqualTo(dir);
    assertThat(store.spec()).isEqualTo(spec);
    assertThat(store.points()).isEqualTo(spec.points());
    assertThat(names(dir)).containsExactly("sweep.json");
    JsonObject json = readJson(dir.resolve("sweep.json"));
    assertThat(json.keySet()).containsExactly("format", "fingerprint", "spec", "points");
    assertThat(json.get("format").getAsString()).isEqualTo("lth4j-sweep/1");
    assertThat(json.get("fingerprint").getAsString()).isEqualTo(spec.fingerprint());
    assertThat(json.get("spec")).isEqualTo(spec.toJson());
    assertThat(json.getAsJsonArray("points")).hasSize(4);
    SweepPoint p = spec.points().get(2);
    assertThat(json.getAsJsonArray("points").get(2).toString()).isEqualTo("{\"index\":2,"
        + "\"id\":\"" + p.id() + "\",\"settings\":{\"data\":\"embedded\",\"epochs\":1,"
        + "\"lr\":0.01,\"rewind\":\"step:2\",\"seed\":0}}");
    assertThat(store.pointDirectory(p)).isEqualTo(dir.resolve("points").resolve(p.id()));
  }

  @Test
  void openAndCreateAgainGiveTheSameSweep() throws IOException {
    Path dir = tmp.resolve("a");
    SweepSpec spec = spec(List.of(0, 1));
    SweepStore.create(dir, spec);
    SweepStore opened = SweepStore.open(dir);
    assertThat(opened.spec()).isEqualTo(spec);
    assertThat(opened.points()).isEqualTo(spec.points());
    assertThat(opened.spec().settings().get("epochs")).isEqualTo(1L);
    assertThat(opened.spec().settings().get("lr")).isEqualTo(0.01);
    byte[] before = Files.readAllBytes(dir.resolve("sweep.json"));
    SweepStore again = SweepStore.create(dir, spec(List.of(0, 1)));
    assertThat(again.points()).isEqualTo(spec.points());
    assertThat(Files.readAllBytes(dir.resolve("sweep.json"))).isEqualTo(before);
  }

  @Test
  void createKeepsTheStoredOrderOfAnEqualSweep() throws IOException {
    Path dir = tmp.resolve("a");
    SweepSpec spec = spec(List.of(0, 1));
    SweepStore.create(dir, spec);
    // the same sweep with its axes listed the other way round: same runs, other order
    Map<String, List<?>> axes = new LinkedHashMap<>();
    axes.put("seed", List.of(0, 1));
    axes.put("rewind", List.of("init", "step:2"));
    SweepSpec swapped = SweepSpec.of("imp", spec.settings(), axes);
    assertThat(swapped.fingerprint()).isEqualTo(spec.fingerprint());
    assertThat(SweepStore.create(dir, swapped).points()).isEqualTo(spec.points());
  }

  @Test
  void anotherSweepIsRefused() throws IOException {
    Path dir = tmp.resolve("a");
    SweepStore.create(dir, spec(List.of(0, 1)));
    Map<String, Object> settings = new LinkedHashMap<>(spec(List.of(0)).settings());
    settings.put("epochs", 2);
    settings.remove("lr");
    settings.put("model", "lenet300");
    SweepSpec other = SweepSpec.of("imp", settings, Map.of("rewind", List.of("init", "step:2"),
        "seed", List.of(0, 1, 2)));
    assertThatThrownBy(() -> SweepStore.create(dir, other))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("SWEEP_DIR " + dir + " holds another sweep (settings.epochs: 1 -> 2;"
            + " settings.model: (none) -> \"lenet300\"; axes.seed: [0,1] -> [0,1,2]);"
            + " choose another --out");
    SweepSpec train = SweepSpec.of("train", spec(List.of(0)).settings(), spec(List.of(0, 1))
        .axes());
    assertThatThrownBy(() -> SweepStore.create(dir, train))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("SWEEP_DIR " + dir + " holds another sweep (command: \"imp\" -> \"train\");"
            + " choose another --out");
  }

  @Test
  void aDirectoryThatIsNotASweepIsRefused() throws IOException {
    Path dir = tmp.resolve("runs");
    Files.createDirectories(dir.resolve("x"));
    assertThatThrownBy(() -> SweepStore.create(dir, spec(List.of(0))))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("SWEEP_DIR " + dir + " exists and is not a sweep directory (no sweep.json)");
    assertThatThrownBy(() -> SweepStore.open(dir))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("SWEEP_DIR " + dir + " is not a sweep directory (no sweep.json)");
    assertThatThrownBy(() -> SweepStore.open(tmp.resolve("none")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("SWEEP_DIR " + tmp.resolve("none") + " does not exist");
    Path file = Files.writeString(tmp.resolve("file"), "x");
    assertThatThrownBy(() -> SweepStore.create(file, spec(List.of(0))))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("SWEEP_DIR " + file + " is a file, not a directory");
  }

  @Test
  void aCreateKilledBeforeItsRenameLeavesADirectoryCreateReuses() throws IOException {
    Path dir = Files.createDirectories(tmp.resolve("a"));
    Files.writeString(dir.resolve(".sweep.json.1234abcd.tmp"), "{\"form");
    SweepStore.create(dir, spec(List.of(0)));
    assertThat(names(dir)).containsExactly("sweep.json");
    SweepStore.create(Files.createDirectories(tmp.resolve("empty")), spec(List.of(0)));
    assertThat(names(tmp.resolve("empty"))).containsExactly("sweep.json");
  }

  @Test
  void aDamagedSweepJsonIsOneLine() throws IOException {
    Path dir = tmp.resolve("a");
    SweepStore.create(dir, spec(List.of(0, 1)));
    Path file = dir.resolve("sweep.json");
    String good = Files.readString(file);

    Files.writeString(file, good.replace("lth4j-sweep/1", "lth4j-sweep/9"));
    assertThatThrownBy(() -> SweepStore.open(dir)).isInstanceOf(IOException.class)
        .hasMessage("cannot read " + file + ": format is \"lth4j-sweep/9\", expected"
            + " lth4j-sweep/1");
    Files.writeString(file, good.replace("\"epochs\": 1", "\"epochs\": 5"));
    assertThatThrownBy(() -> SweepStore.open(dir)).isInstanceOf(IOException.class)
        .hasMessage("cannot read " + file + ": its fingerprint does not match its spec");
    JsonObject json = JsonParser.parseString(good).getAsJsonObject();
    json.getAsJsonArray("points").remove(3);
    Files.writeString(file, json.toString());
    assertThatThrownBy(() -> SweepStore.open(dir)).isInstanceOf(IOException.class)
        .hasMessage("cannot read " + file + ": its points do not match its spec");
    json = JsonParser.parseString(good).getAsJsonObject();
    json.getAsJsonObject("spec").getAsJsonObject("axes").add("seed", new JsonArray());
    Files.writeString(file, json.toString());
    assertThatThrownBy(() -> SweepStore.open(dir)).isInstanceOf(IOException.class)
        .hasMessage("cannot read " + file + ": spec: axis \"seed\" is empty");
    Files.writeString(file, good.substring(0, 40));
    assertThatThrownBy(() -> SweepStore.open(dir)).isInstanceOf(IOException.class)
        .hasMessageStartingWith("cannot read " + file + ": not valid JSON (")
        .hasMessageNotContaining("\n");
  }

  @Test
  void stateRoundTrips() throws IOException {
    Path dir = tmp.resolve("a");
    SweepStore store = SweepStore.create(dir, spec(List.of(0, 1)));
    SweepPoint p = store.points().get(1);
    SweepPoint q = store.points().get(2);
    assertThat(store.state(p)).isEqualTo(new PointState(Status.PENDING, 0, "", 0));

    store.markFailed(p, 137, "java.lang.OutOfMemoryError: Java heap space\n");
    assertThat(store.state(p)).isEqualTo(new PointState(Status.FAILED, 137,
        "java.lang.OutOfMemoryError: Java heap space", 1));
    Path file = dir.resolve("state").resolve(p.id() + ".json");
    assertThat(readJson(file).toString()).isEqualTo("{\"status\":\"failed\",\"exit_code\":137,"
        + "\"last_error\":\"java.lang.OutOfMemoryError: Java heap space\",\"attempts\":1}");

    store.markFailed(p, 1, "line one\nline two");
    assertThat(store.state(p)).isEqualTo(new PointState(Status.FAILED, 1,
        "line one\\u000aline two", 2));
    store.markDone(p);
    assertThat(store.state(p)).isEqualTo(new PointState(Status.DONE, 0, "", 2));
    assertThat(readJson(file).toString()).isEqualTo(
        "{\"status\":\"done\",\"exit_code\":0,\"last_error\":null,\"attempts\":2}");
    // a reopened store reads the same states; other points are untouched
    SweepStore reopened = SweepStore.open(dir);
    assertThat(reopened.state(p)).isEqualTo(new PointState(Status.DONE, 0, "", 2));
    assertThat(reopened.state(q)).isEqualTo(new PointState(Status.PENDING, 0, "", 0));
    store.markDone(q);
    assertThat(store.state(q)).isEqualTo(new PointState(Status.DONE, 0, "", 0));

    store.clearState(p);
    assertThat(store.state(p)).isEqualTo(new PointState(Status.PENDING, 0, "", 0));
    assertThat(names(dir.resolve("state"))).containsExactly(q.id() + ".json");
    store.clearState(p);
  }

  @Test
  void aDamagedStateFileIsOneLine() throws IOException {
    SweepStore store = SweepStore.create(tmp.resolve("a"), spec(List.of(0)));
    SweepPoint p = store.points().get(0);
    store.markFailed(p, 3, "x");
    Path file = tmp.resolve("a/state/" + p.id() + ".json");
    Files.writeString(file, "{\"status\":\"lost\",\"exit_code\":3,\"attempts\":1}");
    assertThatThrownBy(() -> store.state(p)).isInstanceOf(IOException.class)
        .hasMessage("cannot read " + file + ": status is \"lost\", expected \"done\" or"
            + " \"failed\"");
    Files.writeString(file, "{\"status\":\"failed\",\"exit_code\":3,\"attempts\":-1}");
    assertThatThrownBy(() -> store.state(p)).isInstanceOf(IOException.class)
        .hasMessage("cannot read " + file + ": attempts is -1, expected a non-negative"
            + " integer");
    Files.writeString(file, "{\"status\":\"failed\",\"exit_code\":1.5,\"attempts\":1}");
    assertThatThrownBy(() -> store.state(p)).isInstanceOf(IOException.class)
        .hasMessage("cannot read " + file + ": exit_code is 1.5, expected an integer");
  }

  @Test
  void aPointOfAnotherSweepIsRefused() throws IOException {
    SweepStore store = SweepStore.create(tmp.resolve("a"), spec(List.of(0)));
    SweepPoint foreign = spec(List.of(7)).points().get(0);
    assertThatThrownBy(() -> store.markDone(foreign))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("point 0 (" + foreign.id() + ") is not a point of the sweep in "
            + tmp.resolve("a"));
  }
}
