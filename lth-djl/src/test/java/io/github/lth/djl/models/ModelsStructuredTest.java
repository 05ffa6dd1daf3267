package io.github.lth.djl.models;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.Device;
import ai.djl.ndarray.types.Shape;
import io.github.lth.core.Mask;
import io.github.lth.core.ParameterInfo;
import io.github.lth.core.structured.FilterLayout;
import io.github.lth.djl.DjlModel;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * {@link Models#structuredPrunable}: for every built-in model, exactly the filter layers whose
 * channels can be removed, each followed by its companions, against the parameter names the
 * models really have ({@link ModelsTest#expectedNames} spells them out independently).
 */
class ModelsStructuredTest {

  /** The expected groups of a model: filter layer, then its companions, one list per group. */
  private static List<List<String>> expectedGroups(String model) {
    List<List<String>> groups = new ArrayList<>();
    switch (model) {
      case "lenet300" -> {
        groups.add(List.of("fc1_weight", "fc1_bias"));
        groups.add(List.of("fc2_weight", "fc2_bias"));
      }
      case "vgg16" -> {
        for (int i = 1; i <= 13; i++) {
          groups.add(List.of("conv" + i + "_weight", "conv" + i + "_bias", "bn" + i + "_gamma",
              "bn" + i + "_beta"));
        }
      }
      case "resnet20", "resnet18" -> {
        boolean deep = model.equals("resnet18");
        for (int stage = 1; stage <= (deep ? 4 : 3); stage++) {
          for (int b = 0; b < (deep ? 2 : 3); b++) {
            String p = "stage" + stage + "_block" + b + "_";
            groups.add(List.of(p + "conv1_weight", p + "bn1_gamma", p + "bn1_beta"));
          }
        }
      }
      default -> {
        int convs = Integer.parseInt(model.substring(4));
        for (int i = 1; i <= convs; i++) {
          groups.add(List.of("conv" + i + "_weight", "conv" + i + "_bias"));
        }
        groups.add(List.of("fc1_weight", "fc1_bias"));
        groups.add(List.of("fc2_weight", "fc2_bias"));
      }
    }
    return groups;
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource({"lenet300, 28, 1", "conv2, 16, 3", "conv4, 16, 3", "conv6, 16, 3",
      "resnet20, 8, 3", "resnet18, 8, 3", "vgg16, 32, 3"})
  void selectsFilterLayersWithTheirCompanionsInModelOrder(String name, int size, int channels) {
    try (DjlModel model = DjlModel.create(Models.create(name, channels, size, size, 10),
        new Shape(1, channels, size, size), Device.cpu(), 1)) {
      List<String> all = model.parameters().stream().map(ParameterInfo::name).toList();
      assertThat(all).as("the names the expectations are written against")
          .containsExactlyElementsOf(ModelsTest.expectedNames(name));
      List<ParameterInfo> chosen = Models.structuredPrunable(name).select(model.parameters());
      Map<String, long[]> shapes = new LinkedHashMap<>();
      chosen.forEach(p -> shapes.put(p.name(), p.shape()));
      List<List<String>> groups = expectedGroups(name);
      assertThat(shapes.keySet()).containsExactlyElementsOf(
          groups.stream().flatMap(List::stream).toList());
      FilterLayout layout = FilterLayout.of(Mask.dense(shapes));
      assertThat(layout.groups()).hasSize(groups.size());
      for (int g = 0; g < groups.size(); g++) {
        FilterLayout.Group group = layout.groups().get(g);
        assertThat(group.layer()).isEqualTo(groups.get(g).get(0));
        assertThat(group.companions()).containsExactlyElementsOf(
            groups.get(g).subList(1, groups.get(g).size()));
        assertThat((long) group.filters()).isEqualTo(shapes.get(group.layer())[0]);
      }
      assertThat(Models.structuredPresets()).containsKey(name);
    }
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource({"vgg19"})
  void unknownModelsAreRefused(String name) {
    assertThatThrownBy(() -> Models.structuredPrunable(name))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("model: unknown model 'vgg19' (known: ");
    assertThatThrownBy(() -> Models.structuredPresetDescription(name))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
