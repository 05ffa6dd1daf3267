package io.github.lth.core.structured;

import static com.google.common.base.Preconditions.checkArgument;

import com.google.common.collect.ImmutableList;
import io.github.lth.core.Mask;
import io.github.lth.core.Shapes;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * How the layers of a mask group into filters: each filter layer (rank ≥ 2; its filters are the
 * slices along axis 0) with the rank-1 companions that follow it in mask order and have one
 * element per filter (bias, BatchNorm gamma and beta).
 *
 * <p>A filter counts as kept while any of its weights is kept: any weight of its row, or its
 * element in any companion. A mask pruned weight by weight therefore keeps a filter until all of
 * it is gone; {@link FilterPruner} always prunes a whole filter, row and companions together.
 *
 * <pre>{@code
 * FilterLayout layout = FilterLayout.of(mask);   // conv1_weight [64,3,3,3], conv1_bias [64], ...
 * for (FilterLayout.Group g : layout.groups()) {
 *   boolean[] kept = layout.keptFilters(mask, g.layer());
 * }
 * }</pre>
 */
public final class FilterLayout {

  /**
   * One filter layer: its name, number of filters (axis 0), weights per filter, and the rank-1
   * layers that follow it with one element per filter.
   */
  public record Group(String layer, int filters, long filterSize, List<String> companions) {
    public Group {
      companions = List.copyOf(companions);
    }
  }

  private final ImmutableList<Group> groups;
  private final Map<String, Group> byLayer;
  private final Map<String, long[]> shapes;

  private FilterLayout(List<Group> groups, Map<String, long[]> shapes) {
    this.groups = ImmutableList.copyOf(groups);
    this.byLayer = new LinkedHashMap<>();
    for (Group g : groups) {
      byLayer.put(g.layer(), g);
    }
    this.shapes = shapes;
  }

  /**
   * The filter groups of {@code mask}, in mask order.
   *
   * @throws IllegalArgumentException naming the layer, for a rank-1 layer that does not follow a
   *     filter layer with as many filters as it has elements, or a scalar layer
   */
  public static FilterLayout of(Mask mask) {
    List<Group> groups = new ArrayList<>();
    Map<String, long[]> shapes = new LinkedHashMap<>();
    String layer = null;
    int filters = 0;
    long filterSize = 0;
    List<String> companions = new ArrayList<>();
    for (String name : mask.layers()) {
      long[] shape = mask.shape(name);
      shapes.put(name, shape);
      checkArgument(shape.length >= 1, "layer %s is a scalar: filter pruning needs layers of"
          + " rank >= 2 and their rank-1 companions", name);
      if (shape.length >= 2) {
        if (layer != null) {
          groups.add(new Group(layer, filters, filterSize, companions));
        }
        checkArgument(shape[0] <= Integer.MAX_VALUE, "layer %s has too many filters: %s", name,
            shape[0]);
        layer = name;
        filters = (int) shape[0];
        filterSize = Shapes.size(Arrays.copyOfRange(shape, 1, shape.length));
        companions = new ArrayList<>();
      } else {
        checkArgument(layer != null, "layer %s of shape %s follows no layer of rank >= 2: a"
            + " rank-1 layer can only be pruned with the filters of the layer before it", name,
            Shapes.format(shape));
        checkArgument(shape[0] == filters, "layer %s of shape %s does not match the %s filters"
            + " of %s, the layer of rank >= 2 before it", name, Shapes.format(shape), filters,
            layer);
        companions.add(name);
      }
    }
    if (layer != null) {
      groups.add(new Group(layer, filters, filterSize, companions));
    }
    return new FilterLayout(groups, shapes);
  }

  /** The filter groups in mask order. */
  public List<Group> groups() {
    return groups;
  }

  /** The group of a filter layer. */
  public Group group(String filterLayer) {
    Group g = byLayer.get(filterLayer);
    checkArgument(g != null, "layer %s is not a filter layer of this layout (filter layers: %s)",
        filterLayer, byLayer.keySet());
    return g;
  }

  /** Total number of filters over all filter layers. */
  public long totalFilters() {
    long n = 0;
    for (Group g : groups) {
      n += g.filters();
    }
    return n;
  }

  /**
   * Which filters of a filter layer {@code mask} keeps: filter {@code f} is kept iff any weight
   * of row {@code f} or element {@code f} of any companion is kept.
   *
   * @throws IllegalArgumentException if {@code mask} has another layout than this one
   */
  public boolean[] keptFilters(Mask mask, String filterLayer) {
    Group g = group(filterLayer);
    checkFits(mask);
    boolean[] kept = new boolean[g.filters()];
    long[] words = mask.words(g.layer());
    for (int f = 0; f < g.filters(); f++) {
      kept[f] = anySet(words, f * g.filterSize(), (f + 1) * g.filterSize());
    }
    for (String companion : g.companions()) {
      long[] c = mask.words(companion);
      for (int f = 0; f < g.filters(); f++) {
        kept[f] |= (c[f >>> 6] & (1L << f)) != 0;
      }
    }
    return kept;
  }

  /** Number of kept filters of a filter layer (see {@link #keptFilters}). */
  public int keptFilterCount(Mask mask, String filterLayer) {
    int n = 0;
    for (boolean k : keptFilters(mask, filterLayer)) {
      n += k ? 1 : 0;
    }
    return n;
  }

  /** Whether {@code mask} has exactly the layers and shapes this layout was made from. */
  void checkFits(Mask mask) {
    checkArgument(mask.layers().equals(List.copyOf(shapes.keySet())),
        "the mask's layers %s are not those of the filter layout %s", mask.layers(),
        shapes.keySet());
    for (Map.Entry<String, long[]> e : shapes.entrySet()) {
      checkArgument(Arrays.equals(mask.shape(e.getKey()), e.getValue()),
          "layer %s: mask shape %s but the filter layout has %s", e.getKey(),
          Shapes.format(mask.shape(e.getKey())), Shapes.format(e.getValue()));
    }
  }

  static boolean anySet(long[] words, long from, long to) {
    if (from >= to) {
      return false;
    }
    int first = (int) (from >>> 6);
    int last = (int) ((to - 1) >>> 6);
    for (int w = first; w <= last; w++) {
      long bits = words[w];
      if (w == first) {
        bits &= -1L << from;
      }
      if (w == last) {
        bits &= -1L >>> (63 - ((to - 1) & 63));
      }
      if (bits != 0) {
        return true;
      }
    }
    return false;
  }

  static void clearRange(long[] words, long from, long to) {
    for (long i = from; i < to; i++) {
      words[(int) (i >>> 6)] &= ~(1L << i);
    }
  }

  @Override
  public String toString() {
    return "FilterLayout" + groups;
  }
}
