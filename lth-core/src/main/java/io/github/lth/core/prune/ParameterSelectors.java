package io.github.lth.core.prune;

import static com.google.common.base.Preconditions.checkArgument;

import io.github.lth.core.ParameterInfo;
import io.github.lth.core.ParameterKind;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Factories for {@link ParameterSelector}.
 *
 * <pre>{@code
 * // conv and linear weights except the classifier, only the first three of them
 * ParameterSelector s = ParameterSelectors.defaults().and(ParameterSelectors.firstLayers(3));
 * }</pre>
 */
public final class ParameterSelectors {
  private ParameterSelectors() {}

  /**
   * The lottery-ticket default: convolution and linear weights outside the model's declared
   * heads (the classifier, a projection head). Biases and normalization parameters stay dense.
   * A model that declares no head at all (a plain block) is taken to end in its classifier: its
   * last convolution or linear weight stays dense.
   */
  public static ParameterSelector defaults() {
    return params -> params.stream().anyMatch(ParameterInfo::inHead)
        ? layerWeights().and(backbone()).select(params)
        : layerWeights().and(exceptLastLayer()).select(params);
  }

  /** Parameters outside every declared head. */
  public static ParameterSelector backbone() {
    return params -> params.stream().filter(p -> !p.inHead()).toList();
  }

  /** Every convolution and linear weight, the classifier included. */
  public static ParameterSelector layerWeights() {
    return params -> params.stream().filter(p -> p.kind().isLayerWeight()).toList();
  }

  /** Drops the last parameter of the list it is given (the classifier, after layerWeights). */
  public static ParameterSelector exceptLastLayer() {
    return params -> params.isEmpty() ? params : params.subList(0, params.size() - 1);
  }

  /** Parameters whose kind is one of the given kinds. */
  public static ParameterSelector ofKind(ParameterKind... kinds) {
    List<ParameterKind> wanted = List.of(kinds);
    return params -> params.stream().filter(p -> wanted.contains(p.kind())).toList();
  }

  /** Parameters whose whole name matches the regular expression. */
  public static ParameterSelector matching(String regex) {
    Pattern p = compile(regex, "include pattern");
    return params -> params.stream().filter(x -> p.matcher(x.name()).matches()).toList();
  }

  /** Parameters whose whole name does not match the regular expression. */
  public static ParameterSelector excluding(String regex) {
    Pattern p = compile(regex, "exclude pattern");
    return params -> params.stream().filter(x -> !p.matcher(x.name()).matches()).toList();
  }

  /** The first {@code n} parameters of the list it is given ("prune only the first n layers"). */
  public static ParameterSelector firstLayers(int n) {
    checkArgument(n > 0, "number of layers must be positive: %s", n);
    return params -> new ArrayList<>(params.subList(0, Math.min(n, params.size())));
  }

  /** Every parameter it is given. */
  public static ParameterSelector all() {
    return params -> params;
  }

  private static Pattern compile(String regex, String parameter) {
    try {
      return Pattern.compile(regex);
    } catch (java.util.regex.PatternSyntaxException e) {
      throw new IllegalArgumentException(
          parameter + ": not a valid regular expression '" + regex + "': " + e.getDescription());
    }
  }
}
