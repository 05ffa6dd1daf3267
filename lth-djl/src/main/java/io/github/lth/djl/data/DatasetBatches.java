package io.github.lth.djl.data;

import static com.google.common.base.Preconditions.checkArgument;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.training.dataset.Batch;
import ai.djl.training.dataset.RandomAccessDataset;
import ai.djl.training.dataset.Record;
import ai.djl.training.dataset.Sampler;
import ai.djl.translate.Batchifier;
import ai.djl.translate.TranslateException;
import com.google.common.base.Suppliers;
import com.google.common.hash.Hasher;
import com.google.common.hash.Hashing;
import com.google.common.primitives.Longs;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Objects;
import java.util.function.IntUnaryOperator;
import java.util.function.Supplier;

/**
 * A {@link BatchSource} over any DJL {@link RandomAccessDataset} (an {@code ArrayDataset}, a
 * DJL basic data set, your own), or over a subset of its samples.
 *
 * <p>Each batch is made by the data set itself: {@code dataset.getData(manager, sampler)} with a
 * sampler that yields exactly the batch's indices, so the data set's own batchifiers, data and
 * target pipelines and device apply as in a DJL {@code Trainer} (DJL keeps them in protected
 * fields, so calling {@code dataset.get} and stacking here would lose them). For a generic data
 * set that means {@code dataset.get(manager, index)} per sample and one batchify; an {@code
 * ArrayDataset} with stacking batchifiers gathers the whole batch at once. Data and labels are
 * then moved to the requested device if they are not there. Unlike {@link ImageBatches} this
 * path may copy every batch from the host, as the data set dictates.
 *
 * <p>The data set's {@code prepare()} runs before every batch (DJL's {@code getData} calls it);
 * data sets that prepare once and remember it, as DJL's do, pay nothing for that.
 *
 * <pre>{@code
 * ArrayDataset set = new ArrayDataset.Builder()
 *     .setData(images).optLabels(labels).setSampling(60, false).build();
 * DatasetBatches source = DatasetBatches.builder().setDataset(set).optName("my-set").build();
 * ValidationSplit<DatasetBatches> split = source.splitValidation(0.1, 42, labelOf);
 * }</pre>
 */
public final class DatasetBatches implements BatchSource {
  private static final String FINGERPRINT_VERSION = "lth4j DatasetBatches fingerprint 1";

  private final RandomAccessDataset dataset;
  private final String name;
  // Dataset index of each position; null for all of the data set in its own order.
  private final int[] indices;
  private final int size;
  private final Supplier<String> fingerprint;

  private DatasetBatches(RandomAccessDataset dataset, String name, int[] indices, int size,
      Supplier<String> fingerprint) {
    this.dataset = dataset;
    this.name = name;
    this.indices = indices;
    this.size = size;
    this.fingerprint = Suppliers.memoize(fingerprint::get);
  }

  public static Builder builder() {
    return new Builder();
  }

  /** The underlying data set (all of it, also for a subset). */
  public RandomAccessDataset dataset() {
    return dataset;
  }

  /** Index in {@link #dataset()} of the sample at {@code position}. */
  public long datasetIndex(int position) {
    checkArgument(position >= 0 && position < size, "%s: position %s is outside [0, %s)", name,
        position, size);
    return indices == null ? position : indices[position];
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public int size() {
    return size;
  }

  /**
   * The fingerprint given to the builder, or else SHA-256 of a description that is cheap for any
   * data set: the data set's class name, its size and the content (data type, shape and bytes of
   * every data and label array) of its first and last record. Hashing every record would read
   * all of a possibly large, disk-backed data set; the cost of this choice is that two data sets
   * of one class and size that differ only in their inner records share a fingerprint. A subset
   * hashes its parent's fingerprint and its dataset indices in order.
   */
  @Override
  public String fingerprint() {
    return fingerprint.get();
  }

  /**
   * The samples at the given positions of this source, in that order (positions may repeat).
   *
   * @throws IllegalArgumentException if a position is outside {@code [0, size())} or there are
   *     none
   */
  public DatasetBatches subset(String subsetName, int[] positions) {
    Objects.requireNonNull(subsetName, "subsetName");
    BatchSources.checkOrder(positions, size, name);
    checkArgument(positions.length > 0, "%s: subset %s is empty", name, subsetName);
    int[] picked = new int[positions.length];
    for (int k = 0; k < positions.length; k++) {
      picked[k] = indices == null ? positions[k] : indices[positions[k]];
    }
    return new DatasetBatches(dataset, subsetName, picked, picked.length,
        () -> subsetFingerprint(fingerprint(), picked));
  }

  /**
   * Holds out a seeded random {@code Math.round(fraction × size())} samples (rounding half up)
   * for validation; see {@link #splitValidation(double, long, IntUnaryOperator)}.
   */
  public ValidationSplit<DatasetBatches> splitValidation(double fraction, long seed) {
    return splitValidation(fraction, seed, position -> 0);
  }

  /**
   * Holds out a seeded, stratified fraction for validation, with the rule of {@link
   * ImageDataset#splitValidation}: the samples are grouped by {@code labelOf(position)}, each
   * group gives exactly {@code Math.round(fraction × its size)} samples (rounding half up) to
   * validation, chosen by one {@link java.util.SplittableRandom} seeded with {@code seed} that
   * shuffles the groups in increasing label order. Both parts keep this source's order, are
   * disjoint and together hold every position once; they are named {@code <name>[train 90% seed
   * S]} and {@code <name>[val 10% seed S]}. An {@link ImageDataset} and a source over the same
   * images with the same labels hold out the same positions.
   *
   * @param labelOf the label of the sample at a position of this source (read once per sample)
   * @throws IllegalArgumentException if the fraction is not in {@code (0, 1)} (0 means no
   *     validation set), or it holds out no sample or every sample
   */
  public ValidationSplit<DatasetBatches> splitValidation(double fraction, long seed,
      IntUnaryOperator labelOf) {
    Objects.requireNonNull(labelOf, "labelOf");
    Splits.checkFraction(fraction, name);
    int[] labels = new int[size];
    for (int i = 0; i < size; i++) {
      labels[i] = labelOf.applyAsInt(i);
    }
    int[][] parts = Splits.validationPositions(labels, fraction, seed, name);
    String[] names = Splits.partNames(name, fraction, seed);
    return new ValidationSplit<>(subset(names[0], parts[0]), subset(names[1], parts[1]));
  }

  @Override
  public Epoch epoch(NDManager scope, Device device, int[] order) {
    Objects.requireNonNull(scope, "scope");
    Objects.requireNonNull(device, "device");
    BatchSources.checkOrder(order, size, name);
    int n = order.length;
    long[] ids = new long[n];
    for (int k = 0; k < n; k++) {
      ids[k] = indices == null ? order[k] : indices[order[k]];
    }
    return (batchScope, from, to) -> {
      BatchSources.checkRange(from, to, n);
      return fetch(batchScope, device, Longs.asList(Arrays.copyOfRange(ids, from, to)), to, n);
    };
  }

  private Batch fetch(NDManager batchScope, Device device, List<Long> ids, int progress,
      int total) {
    NDManager owner = batchScope.newSubManager(device);
    try {
      Batch fetched;
      try {
        // Only next(): DJL's iterator closes its manager, and the batch with it, when hasNext()
        // finds the end.
        fetched = dataset.getData(owner, new OneBatch(ids)).iterator().next();
      } catch (IOException e) {
        throw new UncheckedIOException(
            String.format("%s: cannot read samples %s: %s", name, ids, e.getMessage()), e);
      } catch (TranslateException e) {
        throw new IllegalStateException(
            String.format("%s: cannot batch samples %s: %s", name, ids, e.getMessage()), e);
      }
      NDList data = fetched.getData().toDevice(device, false);
      NDList labels = fetched.getLabels().toDevice(device, false);
      // Batch hides its batchifiers; only Batch.split uses them, and STACK splits on axis 0.
      return new Batch(owner, data, labels, ids.size(), Batchifier.STACK, Batchifier.STACK,
          progress, total, ids);
    } catch (RuntimeException e) {
      owner.close();
      throw e;
    }
  }

  @Override
  public String toString() {
    return String.format("%s: %d samples of %s", name, size, dataset.getClass().getName());
  }

  private static String describe(RandomAccessDataset dataset, long size) {
    Hasher h = Hashing.sha256().newHasher();
    h.putString(FINGERPRINT_VERSION, StandardCharsets.UTF_8).putByte((byte) 0);
    h.putString(dataset.getClass().getName(), StandardCharsets.UTF_8).putByte((byte) 0);
    h.putLong(size);
    try (NDManager manager = NDManager.newBaseManager()) {
      putRecord(h, dataset.get(manager, 0));
      putRecord(h, dataset.get(manager, size - 1));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read a record to fingerprint "
          + dataset.getClass().getName() + ": " + e.getMessage(), e);
    }
    return h.hash().toString();
  }

  private static void putRecord(Hasher h, Record record) {
    putList(h, record.getData());
    putList(h, record.getLabels());
  }

  private static void putList(Hasher h, NDList list) {
    h.putInt(list == null ? -1 : list.size());
    if (list == null) {
      return;
    }
    for (NDArray array : list) {
      h.putString(array.getDataType().name(), StandardCharsets.UTF_8).putByte((byte) 0);
      long[] shape = array.getShape().getShape();
      h.putInt(shape.length);
      for (long d : shape) {
        h.putLong(d);
      }
      byte[] bytes = array.toByteArray();
      h.putInt(bytes.length).putBytes(bytes);
    }
  }

  private static String subsetFingerprint(String parent, int[] picked) {
    Hasher h = Hashing.sha256().newHasher();
    h.putString(FINGERPRINT_VERSION + " subset", StandardCharsets.UTF_8).putByte((byte) 0);
    h.putString(parent, StandardCharsets.UTF_8).putInt(picked.length);
    for (int index : picked) {
      h.putInt(index);
    }
    return h.hash().toString();
  }

  /** A sampler that yields one batch of fixed indices. */
  private static final class OneBatch implements Sampler {
    private final List<Long> ids;

    OneBatch(List<Long> ids) {
      this.ids = ids;
    }

    @Override
    public Iterator<List<Long>> sample(RandomAccessDataset dataset) {
      return List.of(ids).iterator();
    }

    @Override
    public int getBatchSize() {
      return ids.size();
    }
  }

  /**
   * Builds a {@link DatasetBatches}. Required: the data set. Defaults: named after the data
   * set's class, fingerprint as described at {@link DatasetBatches#fingerprint()}.
   */
  public static final class Builder {
    private RandomAccessDataset dataset;
    private String name;
    private String fingerprint;

    private Builder() {}

    public Builder setDataset(RandomAccessDataset value) {
      this.dataset = Objects.requireNonNull(value, "dataset");
      return this;
    }

    /** The name recorded in a run's config. */
    public Builder optName(String value) {
      checkArgument(value != null && !value.isBlank(), "data set name must not be blank: '%s'",
          value);
      this.name = value;
      return this;
    }

    /**
     * A fingerprint known to identify the data better than the default (for example a hash of
     * the files it was read from); any non-blank string.
     */
    public Builder optFingerprint(String value) {
      checkArgument(value != null && !value.isBlank(),
          "data set fingerprint must not be blank: '%s'", value);
      this.fingerprint = value;
      return this;
    }

    /**
     * @throws IllegalArgumentException if the data set is missing, empty, or holds more than
     *     {@code Integer.MAX_VALUE} samples
     */
    public DatasetBatches build() {
      checkArgument(dataset != null, "DatasetBatches needs a data set (setDataset)");
      long size = dataset.size();
      String n = name != null ? name : defaultName(dataset);
      checkArgument(size > 0, "data set %s is empty", n);
      checkArgument(size <= Integer.MAX_VALUE,
          "data set %s has %s samples, more than the %s a BatchSource can address", n, size,
          Integer.MAX_VALUE);
      RandomAccessDataset d = dataset;
      String given = fingerprint;
      return new DatasetBatches(d, n, null, (int) size,
          given != null ? () -> given : () -> describe(d, size));
    }

    private static String defaultName(RandomAccessDataset dataset) {
      String simple = dataset.getClass().getSimpleName();
      return simple.isEmpty() ? dataset.getClass().getName() : simple;
    }
  }
}
