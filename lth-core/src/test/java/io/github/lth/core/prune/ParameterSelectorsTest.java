package io.github.lth.core.prune;

import static io.github.lth.core.ParameterKind.BIAS;
import static io.github.lth.core.ParameterKind.CONV_WEIGHT;
import static io.github.lth.core.ParameterKind.LINEAR_WEIGHT;
import static io.github.lth.core.ParameterKind.NORMALIZATION;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.lth.core.ParameterInfo;
import java.util.List;
import org.junit.jupiter.api.Test;

class ParameterSelectorsTest {

  /** A small CNN with BatchNorm, in model order. */
  private static final List<ParameterInfo> CNN = List.of(
      new ParameterInfo("conv1.weight", new long[] {16, 3, 3, 3}, CONV_WEIGHT),
      new ParameterInfo("bn1.gamma", new long[] {16}, NORMALIZATION),
      new ParameterInfo("bn1.beta", new long[] {16}, NORMALIZATION),
      new ParameterInfo("conv2.weight", new long[] {32, 16, 3, 3}, CONV_WEIGHT),
      new ParameterInfo("fc1.weight", new long[] {64, 512}, LINEAR_WEIGHT),
      new ParameterInfo("fc1.bias", new long[] {64}, BIAS),
      new ParameterInfo("fc2.weight", new long[] {10, 64}, LINEAR_WEIGHT),
      new ParameterInfo("fc2.bias", new long[] {10}, BIAS));

  private static List<String> names(ParameterSelector s) {
    return names(s.select(CNN));
  }

  private static List<String> names(List<ParameterInfo> ps) {
    return ps.stream().map(ParameterInfo::name).toList();
  }

  @Test
  void defaultsAreConvAndLinearWeightsWithoutTheClassifier() {
    assertThat(names(ParameterSelectors.defaults()))
        .containsExactly("conv1.weight", "conv2.weight", "fc1.weight");
    // the selector hands back the same ParameterInfo objects
    assertThat(ParameterSelectors.defaults().select(CNN).get(0)).isSameAs(CNN.get(0));
  }

  @Test
  void layerWeightsIncludeTheClassifier() {
    assertThat(names(ParameterSelectors.layerWeights()))
        .containsExactly("conv1.weight", "conv2.weight", "fc1.weight", "fc2.weight");
  }

  @Test
  void exceptLastLayerDropsTheLastOfWhatItIsGiven() {
    assertThat(names(ParameterSelectors.exceptLastLayer()))
        .containsExactly("conv1.weight", "bn1.gamma", "bn1.beta", "conv2.weight", "fc1.weight",
            "fc1.bias", "fc2.weight");
    assertThat(ParameterSelectors.exceptLastLayer().select(List.of())).isEmpty();
    assertThat(ParameterSelectors.defaults().select(CNN.subList(1, 3))).isEmpty();
    assertThat(names(ParameterSelectors.defaults().select(CNN.subList(0, 1)))).isEmpty();
  }

  @Test
  void ofKindKeepsModelOrder() {
    assertThat(names(ParameterSelectors.ofKind(BIAS, NORMALIZATION)))
        .containsExactly("bn1.gamma", "bn1.beta", "fc1.bias", "fc2.bias");
    assertThat(names(ParameterSelectors.ofKind(LINEAR_WEIGHT)))
        .containsExactly("fc1.weight", "fc2.weight");
    assertThat(names(ParameterSelectors.ofKind())).isEmpty();
  }

  @Test
  void matchingAndExcludingMatchTheWholeName() {
    assertThat(names(ParameterSelectors.matching("fc1"))).isEmpty();
    assertThat(names(ParameterSelectors.matching("weight"))).isEmpty();
    assertThat(names(ParameterSelectors.matching("fc1\\..*")))
        .containsExactly("fc1.weight", "fc1.bias");
    assertThat(names(ParameterSelectors.matching(".*\\.weight")))
        .containsExactly("conv1.weight", "conv2.weight", "fc1.weight", "fc2.weight");
    assertThat(names(ParameterSelectors.excluding("bn1"))).hasSize(CNN.size());
    assertThat(names(ParameterSelectors.excluding("bn1\\..*|.*bias")))
        .containsExactly("conv1.weight", "conv2.weight", "fc1.weight", "fc2.weight");
    assertThat(names(ParameterSelectors.defaults().and(ParameterSelectors.excluding("conv1.*"))))
        .containsExactly("conv2.weight", "fc1.weight");
  }

  @Test
  void anInvalidRegexNamesTheFlag() {
    assertThatThrownBy(() -> ParameterSelectors.matching("conv(1"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("include pattern: not a valid regular expression 'conv(1': Unclosed group");
    assertThatThrownBy(() -> ParameterSelectors.excluding("*.bias"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("exclude pattern: not a valid regular expression '*.bias':"
            + " Dangling meta character '*'");
  }

  @Test
  void firstLayersComposesAfterDefaults() {
    assertThat(names(ParameterSelectors.defaults().and(ParameterSelectors.firstLayers(2))))
        .containsExactly("conv1.weight", "conv2.weight");
    assertThat(names(ParameterSelectors.defaults().and(ParameterSelectors.firstLayers(10))))
        .containsExactly("conv1.weight", "conv2.weight", "fc1.weight");
    // order matters: the first two parameters, then the defaults of those
    assertThat(names(ParameterSelectors.firstLayers(2).and(ParameterSelectors.defaults())))
        .isEmpty();
    assertThat(names(ParameterSelectors.firstLayers(3))).containsExactly("conv1.weight",
        "bn1.gamma", "bn1.beta");
  }

  @Test
  void firstLayersRefusesZeroOrFewer() {
    assertThatThrownBy(() -> ParameterSelectors.firstLayers(0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("number of layers must be positive: 0");
    assertThatThrownBy(() -> ParameterSelectors.firstLayers(-3))
        .hasMessage("number of layers must be positive: -3");
  }

  @Test
  void orKeepsModelOrderAndHasNoDuplicates() {
    ParameterSelector s = ParameterSelectors.ofKind(BIAS)
        .or(ParameterSelectors.matching("conv1\\..*"))
        .or(ParameterSelectors.matching("fc.*"));
    assertThat(names(s)).containsExactly("conv1.weight", "fc1.weight", "fc1.bias", "fc2.weight",
        "fc2.bias");
  }

  @Test
  void allReturnsEveryParameter() {
    assertThat(ParameterSelectors.all().select(CNN)).containsExactlyElementsOf(CNN);
    assertThat(ParameterSelectors.all().select(List.of())).isEmpty();
  }

  @Test
  void parameterInfoValidatesAndCopiesItsShape() {
    long[] shape = {2, 3};
    ParameterInfo p = new ParameterInfo("w", shape, LINEAR_WEIGHT);
    shape[0] = 9;
    assertThat(p.shape()).containsExactly(2, 3);
    p.shape()[0] = 9;
    assertThat(p.shape()).containsExactly(2, 3);
    assertThat(p.size()).isEqualTo(6);
    assertThat(p.toString()).isEqualTo("w(2, 3) LINEAR_WEIGHT");
    assertThat(p).isEqualTo(new ParameterInfo("w", new long[] {2, 3}, LINEAR_WEIGHT));
    assertThat(p).isNotEqualTo(new ParameterInfo("w", new long[] {2, 3}, CONV_WEIGHT));
    assertThatThrownBy(() -> new ParameterInfo("", new long[] {1}, BIAS))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("parameter name must not be empty");
    assertThatThrownBy(() -> new ParameterInfo("b", new long[] {1}, null))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("parameter b has no kind");
  }
}
