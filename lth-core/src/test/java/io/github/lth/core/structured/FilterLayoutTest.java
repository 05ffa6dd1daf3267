package io.github.lth.core.structured;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.lth.core.Mask;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class FilterLayoutTest {

  private static Map<String, long[]> shapes(Object... nameShape) {
    Map<String, long[]> out = new LinkedHashMap<>();
    for (int i = 0; i < nameShape.length; i += 2) {
      out.put((String) nameShape[i], (long[]) nameShape[i + 1]);
    }
    return out;
  }

  @Test
  void groupsFilterLayersWithTheRankOneLayersThatFollowThem() {
    Mask m = Mask.dense(shapes(
        "conv1_weight", new long[] {4, 3, 3, 3}, "conv1_bias", new long[] {4},
        "bn1_gamma", new long[] {4}, "bn1_beta", new long[] {4},
        "conv2_weight", new long[] {5, 4, 1, 1},
        "fc1_weight", new long[] {6, 20}, "fc1_bias", new long[] {6}));
    FilterLayout layout = FilterLayout.of(m);
    assertThat(layout.groups()).containsExactly(
        new FilterLayout.Group("conv1_weight", 4, 27,
            List.of("conv1_bias", "bn1_gamma", "bn1_beta")),
        new FilterLayout.Group("conv2_weight", 5, 4, List.of()),
        new FilterLayout.Group("fc1_weight", 6, 20, List.of("fc1_bias")));
    assertThat(layout.totalFilters()).isEqualTo(15);
    assertThat(layout.keptFilters(m, "conv2_weight")).containsOnly(true).hasSize(5);
    assertThat(FilterLayout.of(Mask.dense(Map.of())).groups()).isEmpty();
  }

  @Test
  void aFilterIsKeptWhileAnyOfItsRowOrCompanionEntriesIsKept() {
    // 3 filters of 70 weights (rows cross 64-bit words): row 0 empty but its bias kept, row 1
    // keeps only its last weight, row 2 and its bias entirely pruned
    boolean[] w = new boolean[210];
    w[139] = true;
    Mask m = Mask.builder()
        .put("w", new long[] {3, 7, 10}, w)
        .put("b", new long[] {3}, new boolean[] {true, false, false})
        .build();
    FilterLayout layout = FilterLayout.of(m);
    assertThat(layout.keptFilters(m, "w")).containsExactly(true, true, false);
    assertThat(layout.keptFilterCount(m, "w")).isEqualTo(2);
    w[139] = false;
    w[140] = true;
    Mask other = Mask.builder()
        .put("w", new long[] {3, 7, 10}, w)
        .put("b", new long[] {3}, new boolean[] {false, false, false})
        .build();
    assertThat(layout.keptFilters(other, "w")).containsExactly(false, false, true);
  }

  @Test
  void aRankOneLayerBeforeAnyFilterLayerIsRefusedByName() {
    Mask m = Mask.dense(shapes("b", new long[] {4}, "w", new long[] {4, 2}));
    assertThatThrownBy(() -> FilterLayout.of(m))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("layer b of shape (4,) follows no layer of rank >= 2: a rank-1 layer can only"
            + " be pruned with the filters of the layer before it");
  }

  @Test
  void aRankOneLayerOfAnotherLengthIsRefusedByName() {
    Mask m = Mask.dense(shapes("w", new long[] {4, 2}, "b", new long[] {4},
        "gamma", new long[] {2}));
    assertThatThrownBy(() -> FilterLayout.of(m))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("layer gamma of shape (2,) does not match the 4 filters of w, the layer of"
            + " rank >= 2 before it");
  }

  @Test
  void aScalarLayerIsRefusedByName() {
    Mask m = Mask.dense(shapes("w", new long[] {4, 2}, "scale", new long[] {}));
    assertThatThrownBy(() -> FilterLayout.of(m))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("layer scale is a scalar: filter pruning needs layers of rank >= 2 and their"
            + " rank-1 companions");
  }

  @Test
  void keptFiltersRefusesOtherLayersAndMasks() {
    Mask m = Mask.dense(shapes("w", new long[] {4, 2}, "b", new long[] {4}));
    FilterLayout layout = FilterLayout.of(m);
    assertThatThrownBy(() -> layout.keptFilters(m, "b"))
        .hasMessage("layer b is not a filter layer of this layout (filter layers: [w])");
    Mask other = Mask.dense(shapes("w", new long[] {4, 3}, "b", new long[] {4}));
    assertThatThrownBy(() -> layout.keptFilters(other, "w"))
        .hasMessage("layer w: mask shape (4, 3) but the filter layout has (4, 2)");
  }
}
