package io.github.lth.core.scale;

import static com.google.common.base.Preconditions.checkArgument;

import io.github.lth.core.Mask;
import io.github.lth.core.Pruner;
import io.github.lth.core.Shapes;
import io.github.lth.core.io.MaskIO;
import io.github.lth.core.io.TensorFile;
import io.github.lth.core.prune.PruningScope;
import io.github.lth.core.schedule.PruningSchedule;
import io.github.lth.core.schedule.PruningSchedules;
import io.github.lth.core.select.LowestSelections;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;

/**
 * Magnitude pruning of weights larger than the heap: the mask {@link Pruner#pruneTo} with
 * {@link io.github.lth.core.prune.PruningCriteria#magnitude()} and {@link
 * LowestSelections#exact()} would give, bit for bit, computed by streaming the weights from a
 * {@link TensorFile} and streaming the mask to its file ({@link MaskIO#writeStreamed}, atomic).
 * Heap use is a histogram (2 MB), a bounded candidate buffer and a read buffer, whatever the
 * size of the model, plus one bit per weight of a previous mask when one is given.
 *
 * <p>The selection is exact in two passes over the data:
 *
 * <ol>
 *   <li>Pass 1 reads every eligible magnitude key ({@code |w|}'s float32 bits without the sign:
 *       order-preserving, {@code -0.0 == 0.0}) into a histogram of the keys' upper 18 bits,
 *       and checks that every weight of the file is finite. For float16 and bfloat16 weights a
 *       bucket holds one key value, so the histogram alone gives the threshold key {@code t}
 *       and how many elements equal to {@code t} go. For float32/float64 weights a random
 *       sample drawn first brackets the threshold, pass 1 counts the keys below the bracket and
 *       gathers those inside it, and the threshold is selected among them exactly; when the
 *       bracket misses or its buffer overflows, one refinement pass histograms the low bits of
 *       the threshold's bucket (three passes, still exact).
 *   <li>Pass 2 decides and writes the mask tensor by tensor, in file order: key {@code < t}
 *       pruned, key {@code == t} pruned for the first {@code ties} elements in (layer, flat
 *       index) order, others kept; weights the previous mask pruned stay pruned.
 * </ol>
 *
 * <p>Counts are {@link Pruner#pruneTo}'s: each group (all layers for a global scope, each layer
 * for a layer scope) keeps {@code total − round(sparsity × total)} weights. A non-finite weight
 * anywhere in the file is an {@link IllegalArgumentException} naming its layer and flat index,
 * as {@link io.github.lth.core.Weights#checkFinite()} words it. Layers are taken in file order,
 * which is also the order of the written mask and the order ties are broken in.
 *
 * <pre>{@code
 * try (TensorFile w = TensorFile.open(Path.of("llm.safetensors"))) {
 *   StreamingPruner.Result r = StreamingPruner.pruneTo(w, List.of("l0.w", "l1.w"), null,
 *       PruningScope.GLOBAL, 0.8, Path.of("mask.npz"));
 *   System.out.println(r.kept() + " of " + r.size() + " kept");
 * }
 * }</pre>
 */
public final class StreamingPruner {
  /** Values read at a time. */
  private static final int CHUNK = 1 << 13;
  /** Contiguous values per sample read: one positional read fetches a few. */
  private static final int SAMPLE_BLOCK = 8;
  /** Half-width of the bracket in standard deviations of the sample quantile. */
  private static final double Z = 5;

  private StreamingPruner() {}

  /**
   * Tuning of the float32/float64 bracket; the answer is exact whatever they are.
   *
   * @param sampleSize values sampled to draw the bracket
   * @param candidateCapacity most keys gathered inside the bracket (4 bytes each); a group with
   *     at most this many eligible weights gathers them all and needs no sample
   * @param seed the sample's seed
   */
  public record Options(int sampleSize, int candidateCapacity, long seed) {
    public Options {
      checkArgument(sampleSize > 0 && candidateCapacity > 0, "sample %s, capacity %s",
          sampleSize, candidateCapacity);
    }

    /** 2^20 samples, candidates in an eighth of the heap (at least 64 Ki, at most 256 Mi). */
    public static Options defaults() {
      long byHeap = Runtime.getRuntime().maxMemory() / 8 / Integer.BYTES;
      return new Options(1 << 20, (int) Math.max(1 << 16, Math.min(1 << 28, byHeap)), 12);
    }
  }

  /** Hears how far each pass is (values read); for a progress bar. */
  public interface Progress {
    /** A pass over {@code values} weights begins, e.g. {@code "pass 1: threshold"}. */
    void start(String pass, long values);

    /** {@code values} more weights were read. */
    void advance(long values);

    /** The pass ended. */
    void end();

    /** Hears nothing. */
    Progress NONE = new Progress() {
      @Override
      public void start(String pass, long values) {}

      @Override
      public void advance(long values) {}

      @Override
      public void end() {}
    };
  }

  /** One written mask layer: what {@code lth mask} reports per layer. */
  public record LayerCount(String name, long[] shape, long kept, long size) {
    /** Fraction pruned; 0 for an empty layer. */
    public double sparsity() {
      return size == 0 ? 0 : (double) (size - kept) / size;
    }
  }

  /** What was written: layers in file order, and how many passes over the data it took. */
  public record Result(List<LayerCount> layers, int passes) {
    /** Weights kept over all layers. */
    public long kept() {
      return layers.stream().mapToLong(LayerCount::kept).sum();
    }

    /** Weights over all layers. */
    public long size() {
      return layers.stream().mapToLong(LayerCount::size).sum();
    }

    /** Fraction pruned over all layers. */
    public double sparsity() {
      long size = size();
      return size == 0 ? 0 : (double) (size - kept()) / size;
    }
  }

  /** {@link #pruneTo(TensorFile, List, Mask, PruningScope, double, Path, Options, Progress)}. */
  public static Result pruneTo(TensorFile weights, List<String> layers, Mask previous,
      PruningScope scope, double sparsity, Path out) throws IOException {
    return pruneTo(weights, layers, previous, scope, sparsity, out, Options.defaults(),
        Progress.NONE);
  }

  /**
   * Prunes {@code layers} of {@code weights} by magnitude to {@code sparsity} and writes the
   * mask (.npz or .safetensors of bool arrays, the layers in file order) to {@code out}.
   *
   * @param previous null, or a mask over some of {@code layers} (same shapes): its pruned
   *     weights stay pruned and are not eligible
   * @throws IllegalArgumentException on a non-finite weight (naming layer and flat index), an
   *     unknown layer, a previous mask that does not fit or is already sparser than asked
   * @throws IOException {@code cannot read FILE: ...} or {@code cannot write OUT: ...}; the
   *     output is then left as it was
   */
  public static Result pruneTo(TensorFile weights, List<String> layers, Mask previous,
      PruningScope scope, double sparsity, Path out, Options options, Progress progress)
      throws IOException {
    checkArgument(sparsity >= 0 && sparsity < 1, "sparsity must be in [0, 1): %s", sparsity);
    Plan plan = new Plan(weights, layers, previous, scope, sparsity);
    return plan.run(out, options, progress);
  }

  /** The file's tensors, which of them are pruned in which group, and the group's counts. */
  private static final class Plan {
    final TensorFile file;
    final List<TensorFile.Tensor> tensors;
    /** Per tensor of the file: its group index, or -1 when it is not pruned. */
    final int[] groupOf;
    /** Per tensor: eligibility words (null: all eligible). */
    final long[][] eligible;
    final long[] groupCount;
    final long[] groupEligible;
    final int groups;
    final GroupScan.Threshold[] thresholds;
    final List<Integer> prunable = new ArrayList<>();
    /** Groups whose threshold pass 1 could only place in a histogram bucket. */
    final Map<Integer, GroupScan.Refinement> refinements = new TreeMap<>();

    Plan(TensorFile file, List<String> layers, Mask previous, PruningScope scope,
        double sparsity) {
      this.file = file;
      this.tensors = file.tensors();
      checkArgument(!layers.isEmpty(), "no layer to prune");
      this.groupOf = new int[tensors.size()];
      this.eligible = new long[tensors.size()][];
      Arrays.fill(groupOf, -1);
      for (String layer : layers) {
        TensorFile.Tensor t = file.tensor(layer);
        checkArgument(t != null, "layer %s is not in %s", layer, file.path());
        groupOf[tensors.indexOf(t)] = 0;
      }
      if (previous != null) {
        for (String layer : previous.layers()) {
          TensorFile.Tensor t = file.tensor(layer);
          checkArgument(t != null && groupOf[tensors.indexOf(t)] == 0,
              "previous mask layer %s is not among the layers pruned", layer);
          checkArgument(Arrays.equals(previous.shape(layer), t.shape()),
              "previous mask layer %s has shape %s but the weights have %s", layer,
              Shapes.format(previous.shape(layer)), Shapes.format(t.shape()));
          eligible[tensors.indexOf(t)] = previous.words(layer);
        }
      }
      PruningSchedule schedule = PruningSchedules.oneShot(sparsity);
      int g = 0;
      long size = 0;
      long kept = 0;
      List<Long> counts = new ArrayList<>();
      List<Long> keptPer = new ArrayList<>();
      for (int i = 0; i < tensors.size(); i++) {
        if (groupOf[i] < 0) {
          continue;
        }
        prunable.add(i);
        TensorFile.Tensor t = tensors.get(i);
        long layerSize = t.size();
        long layerKept = previous != null && previous.contains(t.name())
            ? previous.kept(t.name()) : layerSize;
        if (scope == PruningScope.LAYER) {
          if (layerSize - (long) Math.rint(sparsity * layerSize) > layerKept) {
            throw new IllegalArgumentException(String.format(
                "previous mask layer %s is already %s sparse, more than the %s asked for",
                t.name(), previous.sparsity(t.name()), sparsity));
          }
          groupOf[i] = g++;
          counts.add(layerKept - schedule.keptAfter(1, layerKept, layerSize));
          keptPer.add(layerKept);
        }
        size += layerSize;
        kept += layerKept;
      }
      if (scope == PruningScope.GLOBAL) {
        double current = size == 0 ? 0 : (double) (size - kept) / size;
        checkArgument(size - (long) Math.rint(sparsity * size) <= kept,
            "previous mask is already %s sparse, more than the %s asked for", current,
            sparsity);
        g = 1;
        counts.add(kept - schedule.keptAfter(1, kept, size));
        keptPer.add(kept);
      }
      this.groups = g;
      this.groupCount = counts.stream().mapToLong(Long::longValue).toArray();
      this.groupEligible = keptPer.stream().mapToLong(Long::longValue).toArray();
      this.thresholds = new GroupScan.Threshold[g];
    }

    Result run(Path out, Options options, Progress progress) throws IOException {
      file.checkReadable();
      int passes = firstPass(options, progress);
      List<MaskIO.StreamedLayer> layers = new ArrayList<>();
      long[] kept = new long[tensors.size()];
      long[] ties = new long[groups];
      for (int g = 0; g < groups; g++) {
        ties[g] = thresholds[g].ties();
      }
      long total = prunable.stream().mapToLong(i -> tensors.get(i).size()).sum();
      String name = "pass " + (passes + 1) + ": writing the mask";
      progress.start(name, total);
      for (int i : prunable) {
        TensorFile.Tensor t = tensors.get(i);
        long[] tiesAtStart = new long[1];
        boolean[] opened = new boolean[1];
        layers.add(new MaskIO.StreamedLayer(t.name(), t.shape(), () -> {
          int g = groupOf[i];
          // a format that reads a layer twice must see the same ties both times
          if (!opened[0]) {
            tiesAtStart[0] = ties[g];
            opened[0] = true;
          }
          ties[g] = tiesAtStart[0];
          kept[i] = 0;
          return new Decider(t, eligible[i], thresholds[g], ties, g, kept, i, progress);
        }));
      }
      MaskIO.writeStreamed(layers, out);
      progress.end();
      List<LayerCount> counts = new ArrayList<>();
      for (int i : prunable) {
        TensorFile.Tensor t = tensors.get(i);
        counts.add(new LayerCount(t.name(), t.shape(), kept[i], t.size()));
      }
      return new Result(counts, passes + 1);
    }

    /** Pass 1 (and the refinement pass when needed); returns the number of passes made. */
    private int firstPass(Options options, Progress progress) throws IOException {
      GroupScan[] scans = new GroupScan[groups];
      long all = tensors.stream().mapToLong(TensorFile.Tensor::size).sum();
      progress.start("pass 1: threshold", all);
      int[] keys = new int[CHUNK];
      float[] values = new float[CHUNK];
      for (int i = 0; i < tensors.size(); i++) {
        int g = groupOf[i];
        if (g >= 0 && scans[g] == null) {
          scans[g] = newScan(g, options);
        }
        TensorFile.Tensor t = tensors.get(i);
        long[] words = eligible[i];
        try (TensorFile.Cursor c = t.open()) {
          long index = 0;
          for (int n; (n = c.read(values, 0, CHUNK)) > 0; index += n) {
            int m = 0;
            for (int j = 0; j < n; j++) {
              int k = MagnitudeKeys.key(values[j]);
              if (k >= MagnitudeKeys.NON_FINITE) {
                throw new IllegalArgumentException(String.format(
                    "layer %s holds a non-finite value (%s at flat index %d)", t.name(),
                    values[j], index + j));
              }
              long at = index + j;
              if (g >= 0 && isEligible(words, at)) {
                keys[m++] = k;
              }
            }
            if (m > 0) {
              scans[g].add(keys, m);
            }
            progress.advance(n);
          }
        }
        if (g >= 0 && isLastOfGroup(i)) {
          GroupScan.Outcome r = scans[g].finish(groupCount[g]);
          scans[g] = null; // done with its histogram
          if (r instanceof GroupScan.Threshold th) {
            thresholds[g] = th;
          } else if (r instanceof GroupScan.Refinement refinement) {
            refinements.put(g, refinement);
          }
        }
      }
      progress.end();
      if (refinements.isEmpty()) {
        return 1;
      }
      refine(progress);
      return 2;
    }

    private boolean isLastOfGroup(int i) {
      for (int j = i + 1; j < tensors.size(); j++) {
        if (groupOf[j] == groupOf[i]) {
          return false;
        }
      }
      return true;
    }

    /** One more pass over the groups whose threshold pass 1 could only place in a bucket. */
    private void refine(Progress progress) throws IOException {
      Map<Integer, GroupScan.Refinement.Scan> scans = new HashMap<>();
      long values = 0;
      for (var e : refinements.entrySet()) {
        scans.put(e.getKey(), e.getValue().new Scan());
      }
      for (int i : prunable) {
        if (scans.containsKey(groupOf[i])) {
          values += tensors.get(i).size();
        }
      }
      progress.start("pass 2: refining the threshold", values);
      int[] keys = new int[CHUNK];
      float[] buf = new float[CHUNK];
      for (int i : prunable) {
        GroupScan.Refinement.Scan scan = scans.get(groupOf[i]);
        if (scan == null) {
          continue;
        }
        long[] words = eligible[i];
        try (TensorFile.Cursor c = tensors.get(i).open()) {
          long index = 0;
          for (int n; (n = c.read(buf, 0, CHUNK)) > 0; index += n) {
            int m = 0;
            for (int j = 0; j < n; j++) {
              long at = index + j;
              if (isEligible(words, at)) {
                keys[m++] = MagnitudeKeys.key(buf[j]);
              }
            }
            scan.add(keys, m);
            progress.advance(n);
          }
        }
      }
      progress.end();
      for (var e : scans.entrySet()) {
        thresholds[e.getKey()] = e.getValue().finish(groupCount[e.getKey()]);
      }
    }

    /**
     * The scan of group {@code g}: histogram only for 16-bit weights (exact by itself); for
     * wider weights also a bracket, around the threshold's sample quantile when the group is
     * larger than the candidate buffer and can be sampled, else around everything.
     */
    private GroupScan newScan(int g, Options options) throws IOException {
      List<Integer> memberIndices = new ArrayList<>();
      List<TensorFile.Tensor> members = new ArrayList<>();
      for (int i : prunable) {
        if (groupOf[i] == g) {
          memberIndices.add(i);
          members.add(tensors.get(i));
        }
      }
      if (members.stream().allMatch(t -> t.itemSize() == 2) || groupCount[g] == 0) {
        return new GroupScan();
      }
      if (groupEligible[g] <= options.candidateCapacity()) {
        return new GroupScan(0, MagnitudeKeys.NON_FINITE - 1, (int) groupEligible[g]);
      }
      if (!members.stream().allMatch(TensorFile.Tensor::randomAccess)) {
        return new GroupScan();
      }
      int[] sample = sample(g, memberIndices, options);
      if (sample.length == 0) {
        return new GroupScan();
      }
      Arrays.sort(sample);
      double q = (double) groupCount[g] / groupEligible[g];
      double m = sample.length;
      double spread = Z * Math.sqrt(m * q * (1 - q)) + SAMPLE_BLOCK;
      int lo = (int) Math.max(0, Math.floor(q * m - spread));
      int hi = (int) Math.min(m - 1, Math.ceil(q * m + spread));
      int loKey = lo == 0 ? 0 : sample[lo];
      int hiKey = hi == m - 1 ? MagnitudeKeys.NON_FINITE - 1 : sample[hi];
      return new GroupScan(loKey, hiKey, options.candidateCapacity());
    }

    /** Keys of eligible weights at random positions of the group, a few contiguous at a time. */
    private int[] sample(int g, List<Integer> members, Options options) throws IOException {
      long total = members.stream().mapToLong(i -> tensors.get(i).size()).sum();
      SplittableRandom random = new SplittableRandom(options.seed() + g);
      int blocks = Math.max(1, options.sampleSize() / SAMPLE_BLOCK);
      long[] starts = new long[blocks];
      for (int b = 0; b < blocks; b++) {
        starts[b] = random.nextLong(total);
      }
      Arrays.sort(starts); // in file order, so the reads move forward
      int[] out = new int[blocks * SAMPLE_BLOCK];
      int n = 0;
      float[] buf = new float[SAMPLE_BLOCK];
      int member = 0;
      long base = 0;
      for (long start : starts) {
        while (start >= base + tensors.get(members.get(member)).size()) {
          base += tensors.get(members.get(member++)).size();
        }
        TensorFile.Tensor t = tensors.get(members.get(member));
        long from = start - base;
        int len = (int) Math.min(SAMPLE_BLOCK, t.size() - from);
        t.read(from, buf, 0, len);
        long[] words = eligible[members.get(member)];
        for (int j = 0; j < len; j++) {
          long at = from + j;
          int k = MagnitudeKeys.key(buf[j]);
          if (k < MagnitudeKeys.NON_FINITE && isEligible(words, at)) {
            out[n++] = k;
          }
        }
      }
      return Arrays.copyOf(out, n);
    }
  }

  /** Whether element {@code at} may be pruned: {@code words} null means every element may. */
  private static boolean isEligible(long[] words, long at) {
    return words == null || (words[(int) (at >>> 6)] >>> at & 1) != 0;
  }

  /** Pass 2 for one layer: reads its weights and decides each element's bit. */
  private static final class Decider implements MaskIO.LayerValues {
    private final TensorFile.Cursor cursor;
    private final long size;
    private final long[] words;
    private final int t;
    private final long[] ties;
    private final int group;
    private final long[] kept;
    private final int layer;
    private final Progress progress;
    private final float[] values = new float[CHUNK];
    private long index;

    Decider(TensorFile.Tensor tensor, long[] words, GroupScan.Threshold threshold, long[] ties,
        int group, long[] kept, int layer, Progress progress) throws IOException {
      this.cursor = tensor.open();
      this.size = tensor.size();
      this.words = words;
      this.t = threshold.key();
      this.ties = ties;
      this.group = group;
      this.kept = kept;
      this.layer = layer;
      this.progress = progress;
    }

    @Override
    public void next(byte[] out, int n) throws IOException {
      int done = 0;
      long left = ties[group];
      long keptHere = 0;
      while (done < n) {
        int k = cursor.read(values, 0, Math.min(CHUNK, n - done));
        if (k == 0) {
          throw new IOException("the weights ended early (file changed while pruning?)");
        }
        for (int j = 0; j < k; j++) {
          long at = index + j;
          byte bit;
          if (!isEligible(words, at)) {
            bit = 0;
          } else {
            int key = MagnitudeKeys.key(values[j]);
            if (key < t) {
              bit = 0;
            } else if (key == t && left > 0) {
              bit = 0;
              left--;
            } else {
              bit = 1;
            }
          }
          out[done + j] = bit;
          keptHere += bit;
        }
        index += k;
        done += k;
      }
      ties[group] = left;
      kept[layer] += keptHere;
      progress.advance(n);
      if (index == size) {
        cursor.close();
      }
    }
  }
}
