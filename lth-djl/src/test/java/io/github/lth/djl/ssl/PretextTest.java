package io.github.lth.djl.ssl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.Device;
import ai.djl.ndarray.types.Shape;
import io.github.lth.core.ParameterInfo;
import io.github.lth.djl.DjlModel;
import io.github.lth.djl.data.DataSources;
import io.github.lth.djl.data.ImageDataset;
import io.github.lth.djl.models.HeadedBlock;
import io.github.lth.djl.models.Models;
import java.io.IOException;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class PretextTest {
  static ImageDataset train;

  @BeforeAll
  static void data() throws IOException {
    train = DataSources.load("embedded").train().samplePerClass(37, 3);   // 370 images
  }

  private static Map<String, long[]> shapes(Pretext p) {
    HeadedBlock block = p.attachHead(Models.lenet300(10), train.size());
    try (DjlModel m = DjlModel.create(block, new Shape(1, 1, 28, 28), Device.cpu(), 0)) {
      Map<String, long[]> out = new LinkedHashMap<>();
      for (ParameterInfo info : m.parameters()) {
        if (info.inHead()) {
          out.put(info.name(), info.shape());
        }
      }
      return out;
    }
  }

  @Test
  void defaultsFollowThePapers() {
    assertThat(Pretext.parse("simclr").temperature()).isEqualTo(0.5);
    assertThat(Pretext.parse("simclr").embeddingDimension()).isEqualTo(64);
    assertThat(Pretext.parse("npid").temperature()).isEqualTo(0.07);
    assertThat(Pretext.parse("npid").memoryMomentum()).isEqualTo(0.5);
    assertThat(Pretext.parse("npid").embeddingDimension()).isEqualTo(128);
    assertThat(Pretext.parse("S4L").labelledFraction()).isEqualTo(0.1);
    assertThat(Pretext.parse("rotnet").views().isNone()).isTrue();
    assertThat(Pretext.parse("exemplar").views()).isEqualTo(Views.defaults());
    assertThat(Pretext.parse("rotnet").primaryMetric()).isEqualTo("rotation_accuracy");
    assertThat(Pretext.parse("npid").primaryMetric()).isEqualTo("retrieval_accuracy");
    assertThat(Pretext.parse("s4l").primaryMetric()).isEqualTo("accuracy");
  }

  @Test
  void settingsHoldTheTasksKnobsOnly() {
    assertThat(Pretext.parse("rotnet").settings()).containsExactly(Map.entry("task", "rotnet"));
    assertThat(Pretext.parse("simclr").withTemperature(0.2).settings()).containsExactly(
        Map.entry("task", "simclr"), Map.entry("temperature", 0.2), Map.entry("dimension", 64),
        Map.entry("views", Views.defaults().spec()));
    assertThat(Pretext.parse("s4l").withLabelled(0.3, true).settings()).containsExactly(
        Map.entry("task", "s4l"), Map.entry("labelled", 0.3),
        Map.entry("labelled_by", "classes"));
    assertThat(Pretext.parse("npid").withMemoryMomentum(0.9)).isEqualTo(
        Pretext.parse("npid").withMemoryMomentum(0.9)).isNotEqualTo(Pretext.parse("npid"));
  }

  @Test
  void settingsReadBackAsTheSamePretext() {
    for (Pretext p : new Pretext[] {Pretext.parse("rotnet"),
        Pretext.parse("simclr").withTemperature(0.2).withEmbeddingDimension(16)
            .withViews(Views.parse("crop:0.5,flip")),
        Pretext.parse("exemplar").withViews(Views.none()),
        Pretext.parse("npid").withMemoryMomentum(0.9),
        Pretext.parse("s4l").withLabelled(0.3, true), Pretext.parse("s4l")}) {
      assertThat(Pretext.fromSettings(p.settings())).isEqualTo(p);
    }
    assertThatThrownBy(() -> Pretext.fromSettings(Map.of("task", "rotnet", "temperature", 0.5)))
        .hasMessage("temperature: applies to simclr and npid, not rotnet");
    assertThatThrownBy(() -> Pretext.fromSettings(Map.of("task", "simclr", "temperature", "hot")))
        .hasMessage("temperature: not a number: hot");
  }

  @Test
  void eachTaskPutsItsOwnHeadOnTheBackbone() {
    assertThat(shapes(Pretext.parse("rotnet"))).containsOnlyKeys("rotation_weight",
        "rotation_bias");
    assertThat(shapes(Pretext.parse("rotnet")).get("rotation_weight")).containsExactly(4, 100);
    Map<String, long[]> simclr = shapes(Pretext.parse("simclr").withEmbeddingDimension(16));
    assertThat(simclr.get("projection_fc1_weight")).containsExactly(32, 100);
    assertThat(simclr.get("projection_fc2_weight")).containsExactly(16, 32);
    assertThat(shapes(Pretext.parse("exemplar")).get("exemplar_weight"))
        .containsExactly(train.size(), 100);
    assertThat(shapes(Pretext.parse("npid")).get("embedding_weight")).containsExactly(128, 100);
    HeadedBlock s4l = Pretext.parse("s4l").attachHead(Models.lenet300(10), train.size());
    assertThat(s4l.heads()).containsExactly("fc3", "rotation");
    assertThat(s4l.activeHead()).contains("fc3");
  }

  @Test
  void s4lLabelsRoundTheFractionOfEachClass() {
    int[] labels = Pretext.parse("s4l").withLabelled(0.1, false).labelledLabels(train, 5);
    int[] perClass = new int[10];
    int[] original = train.labels();
    for (int i = 0; i < labels.length; i++) {
      if (labels[i] >= 0) {
        assertThat(labels[i]).isEqualTo(original[i]);
        perClass[labels[i]]++;
      }
    }
    // 37 images per class: round(3.7) = 4 labelled each
    assertThat(perClass).containsOnly(4);
    assertThat(Pretext.parse("s4l").withLabelled(0.1, false).labelledLabels(train, 5))
        .isEqualTo(labels);
  }

  @Test
  void s4lLabelsTheFirstClassesWhenCountingClasses() {
    int[] labels = Pretext.parse("s4l").withLabelled(0.2, true).labelledLabels(train, 5);
    int[] original = train.labels();
    for (int i = 0; i < labels.length; i++) {
      assertThat(labels[i]).isEqualTo(original[i] < 2 ? original[i] : -1);
    }
    assertThat(Arrays.stream(labels).filter(l -> l >= 0).count()).isEqualTo(74);
  }

  @Test
  void badSettingsNameWhatIsWrong() {
    assertThatThrownBy(() -> Pretext.parse("jigsaw")).hasMessage(
        "task: unknown self-supervised task 'jigsaw' (known: rotnet, simclr, exemplar, npid,"
            + " s4l)");
    assertThatThrownBy(() -> Pretext.parse("simclr").withTemperature(0))
        .hasMessage("temperature must be positive: 0.0");
    assertThatThrownBy(() -> Pretext.parse("simclr").withTemperature(Double.NaN))
        .hasMessage("temperature must be positive: NaN");
    assertThatThrownBy(() -> Pretext.parse("rotnet").withTemperature(0.5))
        .hasMessage("temperature: applies to simclr and npid, not rotnet");
    assertThatThrownBy(() -> Pretext.parse("rotnet").withViews(Views.defaults()))
        .hasMessage("views: apply to simclr, exemplar and npid, not rotnet");
    assertThatThrownBy(() -> Pretext.parse("npid").withMemoryMomentum(1))
        .hasMessage("memory-bank momentum must be in [0, 1): 1.0");
    assertThatThrownBy(() -> Pretext.parse("s4l").withLabelled(0, false))
        .hasMessage("labelled fraction must be in (0, 1]: 0.0");
    assertThatThrownBy(() -> Pretext.parse("simclr").withEmbeddingDimension(0))
        .hasMessage("embedding dimension must be positive: 0");
  }
}
