package io.github.lth.core.prune;

import io.github.lth.core.ParameterInfo;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Decides which parameters are prunable. It sees the whole ordered parameter list, so rules such
 * as "not the last layer" or "only the first n layers" can be expressed.
 *
 * <pre>{@code
 * ParameterSelector s = ParameterSelectors.defaults().and(ParameterSelectors.excluding("conv1\\..*"));
 * List<ParameterInfo> prunable = s.select(model.parameters());
 * }</pre>
 */
@FunctionalInterface
public interface ParameterSelector {

  /** The prunable parameters, a subsequence of {@code parameters} in the same order. */
  List<ParameterInfo> select(List<ParameterInfo> parameters);

  /** Parameters both selectors choose (the second sees only what the first chose). */
  default ParameterSelector and(ParameterSelector next) {
    return params -> next.select(select(params));
  }

  /** Parameters either selector chooses, in model order. */
  default ParameterSelector or(ParameterSelector other) {
    return params -> {
      Set<String> chosen = new LinkedHashSet<>();
      select(params).forEach(p -> chosen.add(p.name()));
      other.select(params).forEach(p -> chosen.add(p.name()));
      List<ParameterInfo> out = new ArrayList<>();
      for (ParameterInfo p : params) {
        if (chosen.contains(p.name())) {
          out.add(p);
        }
      }
      return out;
    };
  }
}
