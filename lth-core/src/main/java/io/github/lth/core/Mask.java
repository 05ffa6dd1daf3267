package io.github.lth.core;

import static com.google.common.base.Preconditions.checkArgument;

import com.google.common.collect.ImmutableMap;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.SplittableRandom;

/**
 * Immutable binary masks, one per prunable parameter, kept in the order the model lists its
 * parameters. A set bit means the weight is kept; a clear bit means it is pruned.
 *
 * <p>Bits are stored as {@code long} words (bit {@code i} of a layer lives in word {@code i >>> 6}
 * at position {@code i & 63}, the {@link java.util.BitSet} layout), so set algebra and counting
 * run a word at a time. Flat indices are in C (row-major) order, as in numpy.
 *
 * <pre>{@code
 * Mask dense = Mask.dense(Map.of("fc1.weight", new long[] {300, 784}));
 * Mask pruned = Pruner.pruneTo(dense, PruningCriteria.magnitude().score(Subnetwork.of(dense, w)),
 *     PruningScope.GLOBAL, 0.8);
 * System.out.printf("%.2f%% sparse, IoU with a random mask %.3f%n", 100 * pruned.sparsity(),
 *     pruned.iou(pruned.randomLike(7)));
 * }</pre>
 */
public final class Mask {

  private final ImmutableMap<String, Layer> layers;
  private final long size;
  private final long kept;

  private Mask(ImmutableMap<String, Layer> layers) {
    this.layers = layers;
    long s = 0;
    long k = 0;
    for (Layer layer : layers.values()) {
      s += layer.size;
      k += layer.kept;
    }
    this.size = s;
    this.kept = k;
  }

  /** A mask that keeps every weight of the given parameters (iteration order is kept). */
  public static Mask dense(Map<String, long[]> shapes) {
    Builder b = builder();
    shapes.forEach((name, shape) -> {
      long n = Shapes.size(shape);
      long[] words = new long[wordCount(n)];
      Arrays.fill(words, -1L);
      clearTail(words, n);
      b.putWords(name, shape, words);
    });
    return b.build();
  }

  /** Starts a mask built layer by layer, in model order. */
  public static Builder builder() {
    return new Builder();
  }

  /** The parameter names in model order. */
  public List<String> layers() {
    return layers.keySet().asList();
  }

  /** Whether this mask covers the named parameter. */
  public boolean contains(String layer) {
    return layers.containsKey(layer);
  }

  /** The shape of a parameter (a copy). */
  public long[] shape(String layer) {
    return layer(layer).shape.clone();
  }

  /** Number of weights covered. */
  public long size() {
    return size;
  }

  /** Number of weights of one parameter. */
  public long size(String layer) {
    return layer(layer).size;
  }

  /** Number of weights kept (bits set). */
  public long kept() {
    return kept;
  }

  /** Number of weights kept in one parameter. */
  public long kept(String layer) {
    return layer(layer).kept;
  }

  /** Number of weights pruned. */
  public long pruned() {
    return size - kept;
  }

  /** Fraction of pruned weights over all covered parameters; 0 for an empty mask. */
  public double sparsity() {
    return size == 0 ? 0 : (double) (size - kept) / size;
  }

  /** Fraction of pruned weights in one parameter. */
  public double sparsity(String layer) {
    Layer l = layer(layer);
    return l.size == 0 ? 0 : (double) (l.size - l.kept) / l.size;
  }

  /** Per-parameter sparsity in model order. */
  public ImmutableMap<String, Double> layerSparsities() {
    ImmutableMap.Builder<String, Double> b = ImmutableMap.builder();
    for (String name : layers.keySet()) {
      b.put(name, sparsity(name));
    }
    return b.build();
  }

  /** Whether the weight at a flat (C-order) index is kept. */
  public boolean isKept(String layer, long flatIndex) {
    Layer l = layer(layer);
    Objects.checkIndex(flatIndex, l.size);
    return (l.words[(int) (flatIndex >>> 6)] & (1L << flatIndex)) != 0;
  }

  /** The bits of one parameter as booleans in C order (true = kept). */
  public boolean[] toBooleans(String layer) {
    Layer l = layer(layer);
    boolean[] out = new boolean[Math.toIntExact(l.size)];
    for (int i = 0; i < out.length; i++) {
      out[i] = (l.words[i >>> 6] & (1L << i)) != 0;
    }
    return out;
  }

  /** A copy of the bit words of one parameter ({@link java.util.BitSet} layout). */
  public long[] words(String layer) {
    return layer(layer).words.clone();
  }

  /**
   * Zeroes, in place, the pruned entries of {@code values} (C order) of one parameter: each
   * becomes exactly {@code +0.0} and kept entries keep their bits (NaN payloads too). Large
   * layers use every processor.
   */
  public void applyTo(String layer, float[] values) {
    Layer l = layer(layer);
    checkArgument(values.length == l.size, "layer %s: %s values for a mask of %s", layer,
        values.length, l.size);
    MaskApply.apply(l.words, values);
  }

  /** Keeps a weight where both masks keep it. */
  public Mask and(Mask other) {
    return combine(other, Op.AND);
  }

  /** Keeps a weight where either mask keeps it. */
  public Mask or(Mask other) {
    return combine(other, Op.OR);
  }

  /** Keeps a weight where this mask keeps it and {@code other} does not. */
  public Mask andNot(Mask other) {
    return combine(other, Op.AND_NOT);
  }

  /** The complement mask m<sup>c</sup>: keeps exactly what this mask prunes. */
  public Mask not() {
    Builder b = builder();
    for (Map.Entry<String, Layer> e : layers.entrySet()) {
      Layer l = e.getValue();
      long[] words = new long[l.words.length];
      for (int i = 0; i < words.length; i++) {
        words[i] = ~l.words[i];
      }
      clearTail(words, l.size);
      b.putWords(e.getKey(), l.shape, words);
    }
    return b.build();
  }

  /**
   * Intersection over union of the kept weights, |m₁ ∧ m₂| / |m₁ ∨ m₂|, over all parameters.
   * Two masks that keep nothing have IoU 1.
   */
  public double iou(Mask other) {
    checkSameLayout(other);
    long inter = 0;
    long union = 0;
    for (Map.Entry<String, Layer> e : layers.entrySet()) {
      long[] a = e.getValue().words;
      long[] b = other.layers.get(e.getKey()).words;
      for (int i = 0; i < a.length; i++) {
        inter += Long.bitCount(a[i] & b[i]);
        union += Long.bitCount(a[i] | b[i]);
      }
    }
    return union == 0 ? 1.0 : (double) inter / union;
  }

  /** IoU of the kept weights of one parameter. */
  public double iou(Mask other, String layer) {
    checkSameLayout(other);
    long[] a = layer(layer).words;
    long[] b = other.layer(layer).words;
    long inter = 0;
    long union = 0;
    for (int i = 0; i < a.length; i++) {
      inter += Long.bitCount(a[i] & b[i]);
      union += Long.bitCount(a[i] | b[i]);
    }
    return union == 0 ? 1.0 : (double) inter / union;
  }

  /**
   * Counts fully pruned kernels ({@code [out, in, :, :]} all zero) and filters ({@code [out, :,
   * :, :]} all zero) of a parameter. A parameter of rank 2 counts rows as filters and single
   * weights as kernels; rank 1 counts every weight as its own kernel and filter.
   */
  public KernelStats kernels(String layer) {
    Layer l = layer(layer);
    long[] shape = l.shape;
    long filters = shape.length == 0 ? 1 : shape[0];
    long inChannels = shape.length < 2 ? 1 : shape[1];
    long kernelSize = filters == 0 || inChannels == 0 ? 0 : l.size / (filters * inChannels);
    long zeroKernels = 0;
    long zeroFilters = 0;
    for (long f = 0; f < filters; f++) {
      boolean filterEmpty = true;
      for (long c = 0; c < inChannels; c++) {
        long start = (f * inChannels + c) * kernelSize;
        boolean kernelEmpty = !anySet(l.words, start, start + kernelSize);
        if (kernelEmpty) {
          zeroKernels++;
        } else {
          filterEmpty = false;
        }
      }
      if (filterEmpty) {
        zeroFilters++;
      }
    }
    return new KernelStats(layer, filters * inChannels, zeroKernels, filters, zeroFilters);
  }

  /**
   * A random mask with exactly the same number of kept weights in every parameter (the m_r
   * baseline). The same seed gives the same mask.
   */
  public Mask randomLike(long seed) {
    Builder b = builder();
    int index = 0;
    for (Map.Entry<String, Layer> e : layers.entrySet()) {
      Layer l = e.getValue();
      SplittableRandom rng = layerRandom(seed, index++);
      int n = Math.toIntExact(l.size);
      int[] order = shuffledIndices(n, rng);
      long[] words = new long[l.words.length];
      for (int i = 0; i < l.kept; i++) {
        words[order[i] >>> 6] |= 1L << order[i];
      }
      b.putWords(e.getKey(), l.shape, words);
    }
    return b.build();
  }

  /**
   * The perturbed mask m + Δm: in every parameter, flips {@code fraction} of the kept weights to
   * pruned and the same number of pruned weights to kept (fewer if the layer has fewer pruned
   * weights), so per-layer sparsity is unchanged. Counts round half to even.
   */
  public Mask perturb(double fraction, long seed) {
    checkArgument(fraction >= 0 && fraction <= 1, "perturbation fraction must be in [0, 1]: %s",
        fraction);
    Builder b = builder();
    int index = 0;
    for (Map.Entry<String, Layer> e : layers.entrySet()) {
      Layer l = e.getValue();
      SplittableRandom rng = layerRandom(seed, index++);
      long flips = Math.min((long) Math.rint(fraction * l.kept), l.size - l.kept);
      int n = Math.toIntExact(l.size);
      int[] ones = new int[Math.toIntExact(l.kept)];
      int[] zeros = new int[n - ones.length];
      int o = 0;
      int z = 0;
      for (int i = 0; i < n; i++) {
        if ((l.words[i >>> 6] & (1L << i)) != 0) {
          ones[o++] = i;
        } else {
          zeros[z++] = i;
        }
      }
      long[] words = l.words.clone();
      partialShuffle(ones, (int) flips, rng);
      partialShuffle(zeros, (int) flips, rng);
      for (int i = 0; i < flips; i++) {
        words[ones[i] >>> 6] &= ~(1L << ones[i]);
        words[zeros[i] >>> 6] |= 1L << zeros[i];
      }
      b.putWords(e.getKey(), l.shape, words);
    }
    return b.build();
  }

  /** Whether both masks cover the same parameters with the same shapes, in the same order. */
  public boolean sameLayout(Mask other) {
    if (!layers().equals(other.layers())) {
      return false;
    }
    for (String name : layers.keySet()) {
      if (!Arrays.equals(layers.get(name).shape, other.layers.get(name).shape)) {
        return false;
      }
    }
    return true;
  }

  /** The shapes of all parameters, in model order. */
  public ImmutableMap<String, long[]> shapes() {
    Map<String, long[]> out = new LinkedHashMap<>();
    layers.forEach((k, v) -> out.put(k, v.shape.clone()));
    return ImmutableMap.copyOf(out);
  }

  @Override
  public boolean equals(Object o) {
    if (!(o instanceof Mask other) || !sameLayout(other)) {
      return false;
    }
    for (String name : layers.keySet()) {
      if (!Arrays.equals(layers.get(name).words, other.layers.get(name).words)) {
        return false;
      }
    }
    return true;
  }

  @Override
  public int hashCode() {
    int h = 1;
    for (Map.Entry<String, Layer> e : layers.entrySet()) {
      h = 31 * h + e.getKey().hashCode();
      h = 31 * h + Arrays.hashCode(e.getValue().words);
    }
    return h;
  }

  @Override
  public String toString() {
    return String.format(java.util.Locale.ROOT, "Mask[%d layers, %d/%d kept, %.4f sparse]", layers.size(), kept, size,
        sparsity());
  }

  private Layer layer(String name) {
    Layer l = layers.get(name);
    checkArgument(l != null, "no layer '%s' in mask (layers: %s)", name, layers.keySet());
    return l;
  }

  private void checkSameLayout(Mask other) {
    if (!sameLayout(other)) {
      throw new IllegalArgumentException(describeLayoutMismatch(other));
    }
  }

  private String describeLayoutMismatch(Mask other) {
    for (String name : layers.keySet()) {
      if (!other.layers.containsKey(name)) {
        return "masks differ: layer '" + name + "' is missing from the other mask";
      }
      if (!Arrays.equals(layers.get(name).shape, other.layers.get(name).shape)) {
        return "masks differ: layer '" + name + "' has shape "
            + Arrays.toString(layers.get(name).shape) + " vs "
            + Arrays.toString(other.layers.get(name).shape);
      }
    }
    for (String name : other.layers.keySet()) {
      if (!layers.containsKey(name)) {
        return "masks differ: layer '" + name + "' is only in the other mask";
      }
    }
    return "masks list their layers in a different order: " + layers() + " vs " + other.layers();
  }

  private enum Op { AND, OR, AND_NOT }

  private Mask combine(Mask other, Op op) {
    checkSameLayout(other);
    Builder b = builder();
    for (Map.Entry<String, Layer> e : layers.entrySet()) {
      long[] x = e.getValue().words;
      long[] y = other.layers.get(e.getKey()).words;
      long[] out = new long[x.length];
      for (int i = 0; i < x.length; i++) {
        out[i] = switch (op) {
          case AND -> x[i] & y[i];
          case OR -> x[i] | y[i];
          case AND_NOT -> x[i] & ~y[i];
        };
      }
      b.putWords(e.getKey(), e.getValue().shape, out);
    }
    return b.build();
  }

  private static boolean anySet(long[] words, long from, long to) {
    for (long i = from; i < to; i++) {
      if ((words[(int) (i >>> 6)] & (1L << i)) != 0) {
        return true;
      }
    }
    return false;
  }

  private static SplittableRandom layerRandom(long seed, int layerIndex) {
    return new SplittableRandom(seed * 0x9E3779B97F4A7C15L + layerIndex);
  }

  private static int[] shuffledIndices(int n, SplittableRandom rng) {
    int[] order = new int[n];
    for (int i = 0; i < n; i++) {
      order[i] = i;
    }
    partialShuffle(order, n, rng);
    return order;
  }

  /** Fisher–Yates on the first {@code count} positions: they become a uniform random sample. */
  private static void partialShuffle(int[] a, int count, SplittableRandom rng) {
    for (int i = 0; i < count; i++) {
      int j = i + rng.nextInt(a.length - i);
      int t = a[i];
      a[i] = a[j];
      a[j] = t;
    }
  }

  static int wordCount(long size) {
    return Math.toIntExact((size + 63) >>> 6);
  }

  private static void clearTail(long[] words, long size) {
    int rem = (int) (size & 63);
    if (rem != 0 && words.length > 0) {
      words[words.length - 1] &= (1L << rem) - 1;
    }
  }

  private static final class Layer {
    final long[] shape;
    final long size;
    final long[] words;
    final long kept;

    Layer(long[] shape, long[] words) {
      this.shape = shape;
      this.size = Shapes.size(shape);
      this.words = words;
      long k = 0;
      for (long w : words) {
        k += Long.bitCount(w);
      }
      this.kept = k;
    }
  }

  /** Builds a {@link Mask} layer by layer; layers keep the order they are put in. */
  public static final class Builder {
    private final LinkedHashMap<String, Layer> layers = new LinkedHashMap<>();

    private Builder() {}

    /** Adds a layer from booleans in C order (true = kept). */
    public Builder put(String name, long[] shape, boolean[] kept) {
      long n = Shapes.size(shape);
      checkArgument(kept.length == n, "layer %s: %s bits for shape %s", name, kept.length,
          Arrays.toString(shape));
      long[] words = new long[wordCount(n)];
      for (int i = 0; i < kept.length; i++) {
        if (kept[i]) {
          words[i >>> 6] |= 1L << i;
        }
      }
      return putWords(name, shape, words);
    }

    /** Adds a layer from bit words in {@link java.util.BitSet} layout (copied). */
    public Builder putWords(String name, long[] shape, long[] words) {
      checkArgument(name != null && !name.isEmpty(), "layer name must not be empty");
      checkArgument(!layers.containsKey(name), "layer '%s' given twice", name);
      long n = Shapes.size(shape);
      checkArgument(words.length == wordCount(n), "layer %s: %s words for %s bits", name,
          words.length, n);
      long[] copy = words.clone();
      int rem = (int) (n & 63);
      checkArgument(rem == 0 || copy.length == 0 || (copy[copy.length - 1] >>> rem) == 0,
          "layer %s: bits set beyond the layer's %s weights", name, n);
      layers.put(name, new Layer(shape.clone(), copy));
      return this;
    }

    public Mask build() {
      return new Mask(ImmutableMap.copyOf(layers));
    }
  }
}
