package io.github.lth.core;

import static com.google.common.base.Preconditions.checkArgument;

import com.google.common.collect.ImmutableMap;
import io.github.lth.core.prune.PruningCriterion;
import java.nio.FloatBuffer;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Immutable named float32 tensors in model order, held on the host: a model's weights, a
 * snapshot written to disk, or the scores a {@link PruningCriterion} gives.
 *
 * <p>Values are never exposed for writing: {@link #view} is a read-only buffer without a copy,
 * {@link #values} a fresh copy.
 *
 * <pre>{@code
 * Weights w = Weights.builder().put("fc.weight", new long[] {2, 2}, new float[] {1, -2, 0, 3}).build();
 * float first = w.view("fc.weight").get(0);
 * }</pre>
 */
public final class Weights {
  private final ImmutableMap<String, Entry> entries;

  private Weights(ImmutableMap<String, Entry> entries) {
    this.entries = entries;
  }

  public static Builder builder() {
    return new Builder();
  }

  /** Parameter names in model order. */
  public List<String> names() {
    return entries.keySet().asList();
  }

  public boolean contains(String name) {
    return entries.containsKey(name);
  }

  /** Shape of a tensor (a copy). */
  public long[] shape(String name) {
    return entry(name).shape.clone();
  }

  /** Read-only view of a tensor's values in C order, without copying. */
  public FloatBuffer view(String name) {
    return FloatBuffer.wrap(entry(name).values).asReadOnlyBuffer();
  }

  /** A copy of a tensor's values in C order. */
  public float[] values(String name) {
    return entry(name).values.clone();
  }

  /** The stored array itself, for kernels in this package that only read it. */
  float[] raw(String name) {
    return entry(name).values;
  }

  /** Number of tensors. */
  public int count() {
    return entries.size();
  }

  /** Total number of values over all tensors. */
  public long totalSize() {
    long n = 0;
    for (Entry e : entries.values()) {
      n += e.values.length;
    }
    return n;
  }

  /** Only the named tensors, in this object's order. */
  public Weights select(List<String> names) {
    Builder b = builder();
    for (String name : entries.keySet()) {
      if (names.contains(name)) {
        Entry e = entries.get(name);
        b.putOwned(name, e.shape, e.values);
      }
    }
    return b.build();
  }

  /** The shapes of all tensors in order. */
  public ImmutableMap<String, long[]> shapes() {
    Map<String, long[]> out = new LinkedHashMap<>();
    entries.forEach((k, v) -> out.put(k, v.shape.clone()));
    return ImmutableMap.copyOf(out);
  }

  /**
   * These weights with every pruned entry set to zero; tensors the mask does not cover are
   * unchanged.
   */
  public Weights masked(Mask mask) {
    Builder b = builder();
    for (Map.Entry<String, Entry> e : entries.entrySet()) {
      float[] v = e.getValue().values;
      if (mask.contains(e.getKey())) {
        v = v.clone();
        mask.applyTo(e.getKey(), v);
      }
      b.putOwned(e.getKey(), e.getValue().shape, v);
    }
    return b.build();
  }

  /**
   * Checks every value is finite.
   *
   * @throws IllegalArgumentException naming the first tensor and index holding NaN or infinity
   */
  public void checkFinite() {
    for (Map.Entry<String, Entry> e : entries.entrySet()) {
      float[] v = e.getValue().values;
      for (int i = 0; i < v.length; i++) {
        if (!Float.isFinite(v[i])) {
          throw new IllegalArgumentException(String.format(
              "layer %s holds a non-finite value (%s at flat index %d)", e.getKey(), v[i], i));
        }
      }
    }
  }

  @Override
  public boolean equals(Object o) {
    if (!(o instanceof Weights other) || !names().equals(other.names())) {
      return false;
    }
    for (String n : entries.keySet()) {
      Entry a = entries.get(n);
      Entry b = other.entries.get(n);
      if (!Arrays.equals(a.shape, b.shape) || !Arrays.equals(a.values, b.values)) {
        return false;
      }
    }
    return true;
  }

  @Override
  public int hashCode() {
    int h = 1;
    for (Map.Entry<String, Entry> e : entries.entrySet()) {
      h = 31 * h + e.getKey().hashCode();
      h = 31 * h + Arrays.hashCode(e.getValue().values);
    }
    return h;
  }

  @Override
  public String toString() {
    return "Weights" + names() + " (" + totalSize() + " values)";
  }

  private Entry entry(String name) {
    Entry e = entries.get(name);
    checkArgument(e != null, "no tensor '%s' (have: %s)", name, entries.keySet());
    return e;
  }

  private record Entry(long[] shape, float[] values) {}

  /** Builds {@link Weights}; tensors keep the order they are put in. */
  public static final class Builder {
    private final LinkedHashMap<String, Entry> entries = new LinkedHashMap<>();

    private Builder() {}

    /** Adds a tensor; the values are copied. */
    public Builder put(String name, long[] shape, float[] values) {
      return putOwned(name, shape, values.clone());
    }

    /**
     * Adds a tensor and takes ownership of {@code values} without copying: the caller must not
     * touch the array afterwards. For readers and models that produce large fresh arrays.
     */
    public Builder putOwned(String name, long[] shape, float[] values) {
      checkArgument(name != null && !name.isEmpty(), "tensor name must not be empty");
      checkArgument(!entries.containsKey(name), "tensor '%s' given twice", name);
      checkArgument(Shapes.size(shape) == values.length, "tensor %s: %s values for shape %s",
          name, values.length, Arrays.toString(shape));
      entries.put(name, new Entry(shape.clone(), values));
      return this;
    }

    public Weights build() {
      return new Weights(ImmutableMap.copyOf(entries));
    }
  }
}
