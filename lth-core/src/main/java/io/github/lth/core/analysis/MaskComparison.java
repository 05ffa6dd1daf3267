package io.github.lth.core.analysis;

import static com.google.common.base.Preconditions.checkArgument;
import static com.google.common.base.Preconditions.checkElementIndex;

import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableMap;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import io.github.lth.core.KernelStats;
import io.github.lth.core.Mask;
import io.github.lth.core.Shapes;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * Compares n ≥ 1 masks over the same layers: the n×n matrices of IoU (|a ∧ b| / |a ∨ b|) and of
 * Hamming distance (weights kept by one mask and pruned by the other), overall and per layer;
 * per-layer sparsity; and fully pruned kernels and filters of convolution layers. Immutable.
 *
 * <p>The masks must cover the same layer names with the same shapes; the order in which each
 * lists its layers does not matter (layers are matched by name and reported in the first mask's
 * order). Labels name the masks in messages and in {@link #toJson()}; they need not be unique.
 *
 * <p>All pairwise counts are computed once, word by word, when the comparison is made, so the
 * accessors are cheap.
 *
 * <pre>{@code
 * MaskComparison c = MaskComparison.of(List.of("seed 1", "seed 2", "seed 3"),
 *     List.of(MaskIO.read(a), MaskIO.read(b), MaskIO.read(c)));
 * System.out.printf("IoU(seed 1, seed 2) = %.3f%n", c.iou()[0][1]);
 * System.out.printf("conv1 of seed 3: %.1f%% sparse%n", 100 * c.sparsity(2, "conv1.weight"));
 * String json = c.toJson().toString();
 * }</pre>
 */
public final class MaskComparison {

  private final ImmutableList<String> labels;
  /** The masks, each rebuilt in the first mask's layer order. */
  private final ImmutableList<Mask> masks;
  private final ImmutableList<String> layers;
  private final ImmutableMap<String, Integer> layerIndex;
  /** {@code both[l][i][j]}: weights of layer {@code l} that masks i and j both keep. */
  private final long[][][] both;

  private MaskComparison(ImmutableList<String> labels, ImmutableList<Mask> masks) {
    this.labels = labels;
    this.masks = masks;
    this.layers = ImmutableList.copyOf(masks.get(0).layers());
    ImmutableMap.Builder<String, Integer> index = ImmutableMap.builder();
    for (int l = 0; l < layers.size(); l++) {
      index.put(layers.get(l), l);
    }
    this.layerIndex = index.build();
    int n = masks.size();
    this.both = new long[layers.size()][n][n];
    for (int l = 0; l < layers.size(); l++) {
      long[][] words = new long[n][];
      for (int i = 0; i < n; i++) {
        words[i] = masks.get(i).words(layers.get(l));
      }
      for (int i = 0; i < n; i++) {
        for (int j = i; j < n; j++) {
          long count = 0;
          long[] a = words[i];
          long[] b = words[j];
          for (int w = 0; w < a.length; w++) {
            count += Long.bitCount(a[w] & b[w]);
          }
          both[l][i][j] = count;
          both[l][j][i] = count;
        }
      }
    }
  }

  /**
   * Compares masks named by labels (file names, seeds, rounds: whatever the reader should see).
   *
   * @throws IllegalArgumentException if there are no masks, the counts of labels and masks
   *     differ, or a mask lacks a layer of the first, has a layer the first lacks or has a layer
   *     of another shape; the message names the layer and both labels, e.g. {@code layer fc has
   *     shape (2, 3) in a.npz but (3, 2) in b.npz}
   */
  public static MaskComparison of(List<String> labels, List<Mask> masks) {
    checkArgument(!masks.isEmpty(), "no masks to compare");
    checkArgument(labels.size() == masks.size(), "%s labels for %s masks", labels.size(),
        masks.size());
    ImmutableList<String> names = ImmutableList.copyOf(labels);   // rejects null labels
    Mask first = Objects.requireNonNull(masks.get(0), "mask 0 is null");
    ImmutableList.Builder<Mask> ordered = ImmutableList.builder();
    ordered.add(first);
    for (int i = 1; i < masks.size(); i++) {
      Mask m = Objects.requireNonNull(masks.get(i), "mask " + i + " is null");
      ordered.add(inOrderOf(first, names.get(0), m, names.get(i)));
    }
    return new MaskComparison(names, ordered.build());
  }

  /**
   * The name of mask {@code index} in tables and legends: A, B, ..., Z, AA, AB, ... (as
   * spreadsheet columns), short and unique where labels may be long or repeated.
   */
  public static String letter(int index) {
    checkArgument(index >= 0, "mask index must not be negative: %s", index);
    StringBuilder sb = new StringBuilder();
    for (int i = index + 1; i > 0; i = (i - 1) / 26) {
      sb.append((char) ('A' + (i - 1) % 26));
    }
    return sb.reverse().toString();
  }

  /** The labels, one per mask, in the order given. */
  public List<String> labels() {
    return labels;
  }

  /** The masks, in the order given, each listing its layers in the order of {@link #layers()}. */
  public List<Mask> masks() {
    return masks;
  }

  /** The layer names, in the first mask's order. */
  public List<String> layers() {
    return layers;
  }

  /** The shape of a layer (a copy). */
  public long[] shape(String layer) {
    return masks.get(0).shape(checkLayer(layer));
  }

  /** IoU of the kept weights over all layers, n×n and symmetric; masks that keep nothing: 1. */
  public double[][] iou() {
    return iou(allLayers());
  }

  /** IoU of the kept weights of one layer, n×n and symmetric. */
  public double[][] iou(String layer) {
    return iou(new int[] {layerIndex(layer)});
  }

  /** Number of weights, over all layers, that one mask keeps and the other prunes; n×n. */
  public long[][] hamming() {
    return hamming(allLayers());
  }

  /** Number of weights of one layer that one mask keeps and the other prunes; n×n. */
  public long[][] hamming(String layer) {
    return hamming(new int[] {layerIndex(layer)});
  }

  /** Fraction of pruned weights of mask {@code mask} over all layers. */
  public double sparsity(int mask) {
    return masks.get(checkElementIndex(mask, masks.size(), "mask")).sparsity();
  }

  /** Fraction of pruned weights of one layer of mask {@code mask}. */
  public double sparsity(int mask, String layer) {
    return masks.get(checkElementIndex(mask, masks.size(), "mask")).sparsity(checkLayer(layer));
  }

  /**
   * Fully pruned kernels and filters of one layer of mask {@code mask} (see
   * {@link Mask#kernels(String)}); meaningful for rank-4 (convolution) layers.
   */
  public KernelStats kernels(int mask, String layer) {
    return masks.get(checkElementIndex(mask, masks.size(), "mask")).kernels(checkLayer(layer));
  }

  /** The kernel map of a rank-4 layer of mask {@code mask}; see {@link KernelMap#of}. */
  public KernelMap kernelMap(int mask, String layer) {
    return KernelMap.of(masks.get(checkElementIndex(mask, masks.size(), "mask")),
        checkLayer(layer));
  }

  /**
   * Everything above as JSON, for scripts and reports. Matrices are arrays of rows; every
   * per-mask array follows {@link #labels()}. {@code kernels} and {@code filters} appear on
   * rank-4 layers only:
   *
   * <pre>{@code
   * {"labels": ["a", "b"], "size": 14, "sparsity": [0.57, 0.5],
   *  "iou": [[1.0, 0.3], [0.3, 1.0]], "hamming": [[0, 7], [7, 0]],
   *  "layers": [{"name": "conv", "shape": [2, 1, 2, 2], "size": 8, "sparsity": [0.625, 0.625],
   *              "iou": [[...]], "hamming": [[...]],
   *              "kernels": {"count": 2, "zero": [1, 0], "share": [0.5, 0.0]},
   *              "filters": {"count": 2, "zero": [1, 0], "share": [0.5, 0.0]}}, ...]}
   * }</pre>
   */
  public JsonObject toJson() {
    JsonObject root = new JsonObject();
    JsonArray labelArray = new JsonArray();
    labels.forEach(labelArray::add);
    root.add("labels", labelArray);
    root.addProperty("size", masks.get(0).size());
    JsonArray overall = new JsonArray();
    for (Mask m : masks) {
      overall.add(m.sparsity());
    }
    root.add("sparsity", overall);
    root.add("iou", matrix(iou()));
    root.add("hamming", matrix(hamming()));
    JsonArray layerArray = new JsonArray();
    for (String layer : layers) {
      JsonObject o = new JsonObject();
      o.addProperty("name", layer);
      JsonArray shape = new JsonArray();
      for (long d : shape(layer)) {
        shape.add(d);
      }
      o.add("shape", shape);
      o.addProperty("size", masks.get(0).size(layer));
      JsonArray sparsity = new JsonArray();
      for (Mask m : masks) {
        sparsity.add(m.sparsity(layer));
      }
      o.add("sparsity", sparsity);
      o.add("iou", matrix(iou(layer)));
      o.add("hamming", matrix(hamming(layer)));
      if (shape.size() == 4) {
        JsonObject kernels = new JsonObject();
        JsonObject filters = new JsonObject();
        JsonArray zeroKernels = new JsonArray();
        JsonArray kernelShare = new JsonArray();
        JsonArray zeroFilters = new JsonArray();
        JsonArray filterShare = new JsonArray();
        KernelStats k = null;
        for (Mask m : masks) {
          k = m.kernels(layer);
          zeroKernels.add(k.zeroKernels());
          kernelShare.add(k.zeroKernelShare());
          zeroFilters.add(k.zeroFilters());
          filterShare.add(k.zeroFilterShare());
        }
        kernels.addProperty("count", k.kernels());
        kernels.add("zero", zeroKernels);
        kernels.add("share", kernelShare);
        filters.addProperty("count", k.filters());
        filters.add("zero", zeroFilters);
        filters.add("share", filterShare);
        o.add("kernels", kernels);
        o.add("filters", filters);
      }
      layerArray.add(o);
    }
    root.add("layers", layerArray);
    return root;
  }

  @Override
  public String toString() {
    return "MaskComparison[" + labels + ", " + layers.size() + " layers]";
  }

  private double[][] iou(int[] layerIndices) {
    int n = masks.size();
    long[] kept = kept(layerIndices);
    double[][] out = new double[n][n];
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < n; j++) {
        long inter = both(layerIndices, i, j);
        long union = kept[i] + kept[j] - inter;
        // as Mask.iou: two masks that keep nothing are identical, not undefined
        out[i][j] = union == 0 ? 1.0 : (double) inter / union;
      }
    }
    return out;
  }

  private long[][] hamming(int[] layerIndices) {
    int n = masks.size();
    long[] kept = kept(layerIndices);
    long[][] out = new long[n][n];
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < n; j++) {
        // |a xor b| = |a| + |b| - 2 |a and b|
        out[i][j] = kept[i] + kept[j] - 2 * both(layerIndices, i, j);
      }
    }
    return out;
  }

  /** Weights each mask keeps in the given layers: the diagonal of {@code both}. */
  private long[] kept(int[] layerIndices) {
    long[] out = new long[masks.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = both(layerIndices, i, i);
    }
    return out;
  }

  private long both(int[] layerIndices, int i, int j) {
    long sum = 0;
    for (int l : layerIndices) {
      sum += both[l][i][j];
    }
    return sum;
  }

  private int[] allLayers() {
    int[] all = new int[layers.size()];
    Arrays.setAll(all, l -> l);
    return all;
  }

  private int layerIndex(String layer) {
    Integer l = layerIndex.get(layer);
    checkArgument(l != null, "no layer '%s' in the compared masks (layers: %s)", layer, layers);
    return l;
  }

  private String checkLayer(String layer) {
    layerIndex(layer);
    return layer;
  }

  private static JsonArray matrix(double[][] m) {
    JsonArray rows = new JsonArray();
    for (double[] r : m) {
      JsonArray row = new JsonArray();
      for (double v : r) {
        row.add(v);
      }
      rows.add(row);
    }
    return rows;
  }

  private static JsonArray matrix(long[][] m) {
    JsonArray rows = new JsonArray();
    for (long[] r : m) {
      JsonArray row = new JsonArray();
      for (long v : r) {
        row.add(v);
      }
      rows.add(row);
    }
    return rows;
  }

  /**
   * {@code other} with its layers in {@code first}'s order, after checking that both cover the
   * same layers with the same shapes. Layers are matched by name because masks saved by
   * different tools (numpy, PyTorch state dicts) need not list them in the same order.
   */
  private static Mask inOrderOf(Mask first, String firstLabel, Mask other, String otherLabel) {
    for (String layer : first.layers()) {
      checkArgument(other.contains(layer), "layer %s is in %s but not in %s", layer, firstLabel,
          otherLabel);
      checkArgument(Arrays.equals(first.shape(layer), other.shape(layer)),
          "layer %s has shape %s in %s but %s in %s", layer, Shapes.format(first.shape(layer)),
          firstLabel, Shapes.format(other.shape(layer)), otherLabel);
    }
    for (String layer : other.layers()) {
      checkArgument(first.contains(layer), "layer %s is in %s but not in %s", layer, otherLabel,
          firstLabel);
    }
    if (other.layers().equals(first.layers())) {
      return other;
    }
    Mask.Builder reordered = Mask.builder();
    for (String layer : first.layers()) {
      reordered.putWords(layer, other.shape(layer), other.words(layer));
    }
    return reordered.build();
  }
}
