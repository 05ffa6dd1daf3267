package io.github.lth.djl.transfer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.Device;
import ai.djl.ndarray.types.Shape;
import io.github.lth.core.Mask;
import io.github.lth.core.Metrics;
import io.github.lth.core.ParameterInfo;
import io.github.lth.core.Weights;
import io.github.lth.djl.DjlModel;
import io.github.lth.djl.data.DataSources;
import io.github.lth.djl.data.ImageDataset;
import io.github.lth.djl.data.TrainTestSplit;
import io.github.lth.djl.models.Models;
import io.github.lth.djl.train.ClassificationTask;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class TransferTest {
  static final int[] TARGET_CLASSES = {5, 6, 7, 8, 9};
  static TrainTestSplit target;

  @BeforeAll
  static void data() throws IOException {
    TrainTestSplit all = DataSources.load("embedded");
    // a small class-split target: 5 classes, 100 training and 40 test images each
    target = new TrainTestSplit(all.train().classSubset(TARGET_CLASSES).samplePerClass(100, 1),
        all.test().classSubset(TARGET_CLASSES).samplePerClass(40, 1));
  }

  private static DjlModel lenet(int classes, long seed) {
    return DjlModel.create(Models.lenet300(classes), new Shape(1, 1, 28, 28), Device.cpu(), seed);
  }

  /** The source model's weights (10 classes) and a half-sparse random mask of its backbone. */
  private static Weights source() {
    try (DjlModel source = lenet(10, 3)) {
      return source.state();
    }
  }

  /** Keeps every second weight of each layer (exact counts). */
  private static Mask halfOf(Mask dense) {
    Mask.Builder b = Mask.builder();
    for (String layer : dense.layers()) {
      boolean[] kept = new boolean[(int) dense.size(layer)];
      for (int i = 0; i < kept.length; i += 2) {
        kept[i] = true;
      }
      b.put(layer, dense.shape(layer), kept);
    }
    return b.build();
  }

  private static List<String> backbone(DjlModel m) {
    return m.parameters().stream().filter(p -> !p.inHead()).map(ParameterInfo::name).toList();
  }

  private static Weights masked(Weights w, Mask mask, List<String> names) {
    Weights.Builder b = Weights.builder();
    for (String n : names) {
      float[] v = w.values(n);
      if (mask.contains(n)) {
        mask.applyTo(n, v);
      }
      b.put(n, w.shape(n), v);
    }
    return b.build();
  }

  @Test
  void fineTuningTrainsTheMaskedBackboneAndAFreshHeadSizedToTheTarget() {
    Weights start = source();
    try (DjlModel model = lenet(TARGET_CLASSES.length, 11);
        ClassificationTask task = ClassificationTask.builder().setTrainData(target.train())
            .setTestData(target.test()).optValidation(0.2, 1).optSteps(30).build()) {
      Mask mask = halfOf(Mask.dense(shapesOf(model)));
      List<ParameterInfo> head = model.parameters().stream().filter(ParameterInfo::inHead)
          .toList();
      assertThat(head).isNotEmpty();
      assertThat(head.get(0).shape()[0]).isEqualTo(TARGET_CLASSES.length);
      Weights freshHead = model.weights(head.stream().map(ParameterInfo::name).toList());

      Transfer.prepare(model, start, mask);
      assertThat(model.weights(backbone(model))).isEqualTo(masked(start, mask, backbone(model)));
      assertThat(model.weights(freshHead.names())).isEqualTo(freshHead);

      Metrics m = Transfer.fineTune(model, start, mask, task, 5);
      assertThat(m.names()).contains("val_accuracy", "test_accuracy", "test_mean_class_accuracy");
      Weights trained = model.weights(backbone(model));
      assertThat(trained).isNotEqualTo(masked(start, mask, backbone(model)));
      for (String layer : mask.layers()) {
        float[] v = trained.values(layer);
        boolean[] kept = mask.toBooleans(layer);
        for (int i = 0; i < v.length; i++) {
          if (!kept[i]) {
            assertThat(v[i]).as("%s[%s] is pruned", layer, i).isZero();
          }
        }
      }
    }
  }

  @Test
  void linearProbeLeavesTheBackboneBitIdenticalAndIsReproducible() {
    Weights start = source();
    ImageDataset train = target.train();
    LinearProbe probe = LinearProbe.builder().setTrainData(train).optTestData(target.test())
        .optEpochs(3).build();
    Metrics first;
    try (DjlModel model = lenet(TARGET_CLASSES.length, 11)) {
      Mask mask = halfOf(Mask.dense(shapesOf(model)));
      Weights all = model.state();
      first = probe.run(model, start, mask, 7);
      assertThat(model.weights(backbone(model))).isEqualTo(masked(start, mask, backbone(model)));
      List<String> head = model.parameters().stream().filter(ParameterInfo::inHead)
          .map(ParameterInfo::name).toList();
      // the model's own head is not what trains: the probe's classifier is separate
      Weights.Builder before = Weights.builder();
      head.forEach(n -> before.put(n, all.shape(n), all.values(n)));
      assertThat(model.weights(head)).isEqualTo(before.build());
    }
    assertThat(first.get("test_accuracy")).isGreaterThan(1.0 / TARGET_CLASSES.length);
    try (DjlModel model = lenet(TARGET_CLASSES.length, 11)) {
      Metrics again = probe.run(model, start, halfOf(Mask.dense(shapesOf(model))), 7);
      assertThat(again.asMap()).isEqualTo(first.asMap());
      Metrics other = probe.run(model, start, halfOf(Mask.dense(shapesOf(model))), 8);
      assertThat(other.asMap()).isNotEqualTo(first.asMap());
    }
  }

  @Test
  void startWeightsAndMasksThatDoNotFitAreNamed() {
    Weights start = source();
    try (DjlModel model = lenet(TARGET_CLASSES.length, 11)) {
      String firstBackbone = backbone(model).get(0);
      Weights.Builder partial = Weights.builder();
      for (String n : start.names()) {
        if (!n.equals(firstBackbone)) {
          partial.put(n, start.shape(n), start.values(n));
        }
      }
      Mask mask = halfOf(Mask.dense(shapesOf(model)));
      assertThatThrownBy(() -> Transfer.prepare(model, partial.build(), mask))
          .hasMessage("the starting weights lack backbone parameter " + firstBackbone);
      ParameterInfo head = model.parameters().stream().filter(ParameterInfo::inHead)
          .findFirst().orElseThrow();
      Mask withHead = Mask.dense(Map.of(head.name(), head.shape()));
      assertThatThrownBy(() -> Transfer.prepare(model, start, withHead))
          .hasMessage("the mask covers " + head.name() + ", a parameter of the head the"
              + " transfer replaces");
    }
  }

  private static Map<String, long[]> shapesOf(DjlModel model) {
    Map<String, long[]> shapes = new LinkedHashMap<>();
    for (ParameterInfo p : model.parameters()) {
      if (!p.inHead() && p.shape().length == 2) {
        shapes.put(p.name(), p.shape());
      }
    }
    return shapes;
  }
}
