package io.github.lth.cli;

import static com.google.common.base.Preconditions.checkArgument;

import io.github.lth.core.Mask;
import io.github.lth.core.Pruner;
import io.github.lth.core.Scores;
import io.github.lth.core.Shapes;
import io.github.lth.core.Subnetwork;
import io.github.lth.core.Weights;
import io.github.lth.core.io.MaskIO;
import io.github.lth.core.io.TensorFile;
import io.github.lth.core.prune.PruningCriteria;
import io.github.lth.core.prune.PruningCriterion;
import io.github.lth.core.scale.StreamingPruner;
import io.github.lth.core.structured.FilterCriterion;
import io.github.lth.core.structured.FilterLayout;
import io.github.lth.core.structured.FilterPruner;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.function.Function;
import java.util.regex.Pattern;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code lth mask}: one-shot pruning of a weights file to a target sparsity. Reads the weights,
 * scores the prunable layers with a criterion, keeps exactly {@code total − round(sparsity ×
 * total)} weights (per group: all layers together, or each layer) and writes the mask as an .npz
 * of bool arrays. Everything is validated before the output file is written.
 *
 * <p>Prunable layers: by default every tensor of rank ≥ 2 in the file (layer weights, not
 * biases or normalization vectors); {@code --include} replaces that default with a regular
 * expression over the whole name, {@code --exclude} then removes names. With
 * {@code --previous-mask} and neither flag, the previous mask's layers are the prunable ones and
 * its pruned weights stay pruned. Layers are taken in the order of the weights file, which is
 * also the order ties are broken in (lower layer, then lower flat index, pruned first). A filter
 * criterion ({@code filter-l1}, {@code filter-l2}) prunes whole filters instead, and {@code
 * --sparsity} counts filters ({@link FilterPruner#pruneTo}).
 *
 * <p>The magnitude criterion (the default) never loads the weights: {@link StreamingPruner}
 * reads them memory-mapped in two passes and writes the mask as it is decided, the same bytes
 * the in-heap path writes, so a 2 GB bfloat16 checkpoint prunes in a 256 MB heap. Other criteria
 * and {@code --reference} load the weights into the heap; so does a file with a Fortran-order
 * array.
 *
 * <pre>{@code
 * lth mask --weights w.npz --sparsity 0.8 --exclude 'fc3\..*' --out m.npz
 * }</pre>
 */
@Command(
    name = "mask",
    mixinStandardHelpOptions = true,
    versionProvider = VersionProvider.class,
    sortOptions = false,
    description = {
        "Prune a weights file to a target sparsity and write the mask.",
        "",
        "Reads an .npz, .safetensors or .npy of float arrays (float16, bfloat16, float32,"
            + " float64), prunes in one shot and writes the mask as an .npz of bool arrays keyed"
            + " by layer (true = kept).",
        "By magnitude (the default) the weights are streamed, not loaded: the heap needed"
            + " does not grow with the model.",
        "Prunable layers: every tensor of rank >= 2 (weights, not biases), or those matching"
            + " --include, minus those matching --exclude; with --previous-mask alone, the"
            + " layers of that mask. Ties are broken by file order, then flat index.",
        "",
        "With --criterion filter-l1 or filter-l2 whole output filters (slices along axis 0)"
            + " are pruned and --sparsity counts filters: S of the filters of the selected"
            + " layers go. A selected rank-1 layer (bias, BatchNorm gamma or beta) right after a"
            + " layer with as many filters is pruned with them; pick such layers with --include.",
    },
    footer = {
        "",
        "Examples:",
        "  # 80%% of all layer weights, one global magnitude threshold",
        "  lth mask --weights w.npz --sparsity 0.8 --out m.npz",
        "  # each layer 50%% sparse, leave the classifier dense",
        "  lth mask --weights w.npz --sparsity 0.5 --scope layer \\",
        "      --exclude 'fc3\\..*' --out m.npz",
        "  # continue from an earlier mask (its pruned weights stay pruned)",
        "  lth mask --weights w1.npz --previous-mask m0.npz --sparsity 0.36 --out m1.npz",
        "  # prune by movement from the initial weights, or with your own class",
        "  lth mask --weights w1.npz --reference w0.npz --criterion magnitude-change \\",
        "      --sparsity 0.8 --out m.npz",
        "  lth mask --weights w.npz --criterion com.example.MyCriterion \\",
        "      --sparsity 0.8 --out m.npz",
        "  # structured: half of the filters of conv1 and conv2, biases with them",
        "  lth mask --weights w.npz --criterion filter-l1 --sparsity 0.5 \\",
        "      --include 'conv[12]_(weight|bias)' --out m.npz",
    })
final class MaskCommand implements Callable<Integer> {

  @Spec
  CommandSpec spec;

  @Option(names = "--weights", required = true, paramLabel = "FILE",
      description = "Weights to prune: .npz or .safetensors of float arrays keyed by parameter"
          + " name, or a .npy array (named by the file's stem).")
  Path weightsFile;

  @Option(names = "--sparsity", required = true, paramLabel = "S",
      description = "Target fraction of pruned weights over the prunable layers, in [0, 1)"
          + " (of pruned filters, for filter criteria).")
  double sparsity;

  @Mixin
  PruningOptions pruning;

  @Option(names = "--previous-mask", paramLabel = "FILE",
      description = "Start from this mask: its pruned weights stay pruned; its layers are the"
          + " prunable ones unless --include/--exclude are given.")
  Path previousMaskFile;

  @Option(names = "--reference", paramLabel = "FILE",
      description = "Reference weights (e.g. the initial weights) for magnitude-change and other"
          + " criteria that compare against them.")
  Path referenceFile;

  @Option(names = "--seed", defaultValue = "0", paramLabel = "S",
      description = "Seed for criteria that draw randomness (random). Default: ${DEFAULT-VALUE}.")
  long seed;

  @Option(names = "--out", required = true, paramLabel = "FILE",
      description = "Where to write the mask (.npz); its directory must exist.")
  Path outFile;

  @Override
  public Integer call() throws Exception {
    checkArgument(sparsity >= 0 && sparsity < 1, "--sparsity must be in [0, 1): %s", sparsity);
    Pattern includePattern = pruning.includePattern();
    Pattern excludePattern = pruning.excludePattern();
    PruningCriterion criterion = PruningCriteria.byName(pruning.criterion, seed);
    checkArgument(!(criterion instanceof PruningCriteria.MagnitudeChange) || referenceFile != null,
        "--criterion magnitude-change needs reference weights: add --reference w0.npz");
    Inputs.checkWritable("--out", outFile);
    Inputs.checkNotSame("--out", outFile, "--weights", weightsFile);
    Inputs.checkNotSame("--out", outFile, "--reference", referenceFile);

    if (criterion instanceof PruningCriteria.Magnitude && referenceFile == null) {
      Integer streamed = streamed(includePattern, excludePattern);
      if (streamed != null) {
        return streamed;
      }
    }
    Weights weights = Inputs.readWeights("--weights", weightsFile);
    checkFinite("--weights", weightsFile, weights);
    Mask previous = previousMaskFile == null ? null
        : Inputs.readMask("--previous-mask", previousMaskFile);
    Weights reference = null;
    if (referenceFile != null) {
      reference = Inputs.readWeights("--reference", referenceFile);
      checkFinite("--reference", referenceFile, reference);
    }

    Phase.set("computing the mask");
    List<String> prunable = selectLayers(weights.names(), weights::shape, previous,
        includePattern, excludePattern);
    if (reference != null) {
      checkCovers("--reference", referenceFile, reference, weights, prunable);
    }
    Mask current = startingMask(weights, previous, prunable);
    Subnetwork subnetwork = reference == null ? Subnetwork.of(current, weights)
        : Subnetwork.of(current, weights, reference);
    Mask next;
    FilterLayout filters = null;
    if (criterion instanceof FilterCriterion filterCriterion) {
      filters = filterLayout(current);
      next = FilterPruner.pruneTo(current, filterCriterion.scoreFilters(subnetwork),
          pruning.scope, sparsity);
    } else {
      Scores scores = criterion.score(subnetwork);
      next = Pruner.pruneTo(current, scores, pruning.scope, sparsity);
    }

    Phase.set("writing --out " + outFile);
    MaskIO.write(next, outFile);
    report(next, weights, filters);
    return 0;
  }

  /** The filters of the selected layers, or a one-line error naming the layer that does not fit. */
  private FilterLayout filterLayout(Mask current) {
    try {
      return FilterLayout.of(current);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("--criterion " + pruning.criterion + ": "
          + e.getMessage() + " (see --include/--exclude)", e);
    }
  }

  /**
   * Magnitude pruning without loading the weights ({@link StreamingPruner}): the same mask and
   * report as the in-heap path, in a heap that does not depend on the model's size. Null when
   * the file holds something only the in-heap reader takes (a Fortran-order array; a dtype that
   * is no float, which it then rejects with its message).
   */
  private Integer streamed(Pattern includePattern, Pattern excludePattern) throws IOException {
    Inputs.checkReadable("--weights", weightsFile);
    Phase.set("reading the headers of --weights " + weightsFile);
    try (TensorFile file = TensorFile.open(weightsFile)) {
      if (file.whyNotReadable() != null) {
        return null;
      }
      List<String> names = new ArrayList<>();
      Map<String, long[]> shapes = new HashMap<>();
      for (TensorFile.Tensor t : file.tensors()) {
        names.add(t.name());
        shapes.put(t.name(), t.shape());
      }
      Mask previous = previousMaskFile == null ? null
          : Inputs.readMask("--previous-mask", previousMaskFile);
      List<String> prunable = selectLayers(names, shapes::get, previous, includePattern,
          excludePattern);
      StreamingPruner.Result result;
      try (PassProgress progress = new PassProgress(weightsFile, System.err)) {
        result = StreamingPruner.pruneTo(file, prunable, previous, pruning.scope, sparsity,
            outFile, StreamingPruner.Options.defaults(), progress);
      } catch (IllegalArgumentException e) {
        if (e.getMessage() != null && e.getMessage().startsWith("layer ")) {
          throw new IllegalArgumentException("--weights " + weightsFile + ": " + e.getMessage(),
              e);
        }
        throw e;
      }
      List<Row> rows = new ArrayList<>();
      for (StreamingPruner.LayerCount l : result.layers()) {
        rows.add(new Row(l.name(), l.shape(), l.kept(), l.size(), l.sparsity(), ""));
      }
      report(rows, false, result.size() - result.kept(), result.size(), result.sparsity(),
          names);
      return 0;
    }
  }

  private List<String> selectLayers(List<String> names, Function<String, long[]> shapeOf,
      Mask previous, Pattern includePattern, Pattern excludePattern) {
    if (previous != null) {
      for (String layer : previous.layers()) {
        checkArgument(names.contains(layer),
            "--previous-mask %s: layer %s is not in the weights %s", previousMaskFile, layer,
            weightsFile);
        checkArgument(Arrays.equals(previous.shape(layer), shapeOf.apply(layer)),
            "--previous-mask %s: layer %s has shape %s but the weights %s have %s",
            previousMaskFile, layer, Shapes.format(previous.shape(layer)), weightsFile,
            Shapes.format(shapeOf.apply(layer)));
      }
    }
    boolean byPattern = includePattern != null || excludePattern != null;
    List<String> chosen = new ArrayList<>();
    for (String layer : names) {
      boolean candidate;
      if (includePattern != null) {
        candidate = includePattern.matcher(layer).matches();
      } else if (previous != null && !byPattern) {
        candidate = previous.contains(layer);
      } else {
        candidate = shapeOf.apply(layer).length >= 2;
      }
      if (candidate && (excludePattern == null || !excludePattern.matcher(layer).matches())) {
        chosen.add(layer);
      }
    }
    checkArgument(!chosen.isEmpty(),
        "no layer of %s is selected for pruning (layers: %s; by default those of rank >= 2;"
            + " see --include/--exclude)", weightsFile, String.join(", ", names));
    if (previous != null) {
      for (String layer : previous.layers()) {
        // Dropping a layer of the previous mask would silently bring its pruned weights back.
        checkArgument(chosen.contains(layer),
            "--previous-mask %s: layer %s is not selected by --include/--exclude", previousMaskFile,
            layer);
      }
    }
    return chosen;
  }

  private static Mask startingMask(Weights weights, Mask previous, List<String> prunable) {
    Mask.Builder b = Mask.builder();
    for (String layer : prunable) {
      long[] shape = weights.shape(layer);
      if (previous != null && previous.contains(layer)) {
        b.putWords(layer, shape, previous.words(layer));
      } else {
        boolean[] all = new boolean[Math.toIntExact(Shapes.size(shape))];
        Arrays.fill(all, true);
        b.put(layer, shape, all);
      }
    }
    return b.build();
  }

  private static void checkFinite(String flag, Path file, Weights weights) {
    try {
      weights.checkFinite();
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(flag + " " + file + ": " + e.getMessage(), e);
    }
  }

  private static void checkCovers(String flag, Path file, Weights reference, Weights weights,
      List<String> layers) {
    for (String layer : layers) {
      checkArgument(reference.contains(layer), "%s %s: layer %s is missing", flag, file, layer);
      checkArgument(Arrays.equals(reference.shape(layer), weights.shape(layer)),
          "%s %s: layer %s has shape %s but the weights have %s", flag, file, layer,
          Shapes.format(reference.shape(layer)), Shapes.format(weights.shape(layer)));
    }
  }

  /** One line of the per-layer table. */
  private record Row(String layer, long[] shape, long kept, long total, double sparsity,
      String filters) {}

  private void report(Mask mask, Weights weights, FilterLayout filters) {
    List<Row> rows = new ArrayList<>();
    for (String layer : mask.layers()) {
      boolean filterLayer = filters != null
          && filters.groups().stream().anyMatch(g -> g.layer().equals(layer));
      rows.add(new Row(layer, mask.shape(layer), mask.kept(layer), mask.size(layer),
          mask.sparsity(layer), filterLayer
              ? filters.keptFilterCount(mask, layer) + "/" + filters.group(layer).filters() : ""));
    }
    report(rows, filters != null, mask.pruned(), mask.size(), mask.sparsity(), weights.names());
  }

  private void report(List<Row> rows, boolean withFilters, long pruned, long size,
      double sparsityOverall, List<String> allNames) {
    PrintWriter out = spec.commandLine().getOut();
    Table table = !withFilters
        ? new Table("layer", "shape", "kept", "total", "sparsity").rightAlignFrom(2)
        : new Table("layer", "shape", "kept", "total", "sparsity", "filters kept")
            .rightAlignFrom(2);
    Set<String> masked = new HashSet<>();
    for (Row r : rows) {
      masked.add(r.layer());
      String shape = Shapes.format(r.shape());
      String kept = Table.count(r.kept());
      String total = Table.count(r.total());
      String sparse = Table.percent(r.sparsity());
      if (!withFilters) {
        table.row(r.layer(), shape, kept, total, sparse);
      } else {
        table.row(r.layer(), shape, kept, total, sparse, r.filters());
      }
    }
    table.print(out);
    out.printf("overall: %s of %s pruned (%s)%n", Table.count(pruned), Table.count(size),
        Table.percent(sparsityOverall));
    List<String> dense = new ArrayList<>();
    for (String layer : allNames) {
      if (!masked.contains(layer)) {
        dense.add(layer);
      }
    }
    if (!dense.isEmpty()) {
      out.println("not pruned: " + String.join(", ", dense));
    }
    out.printf("criterion %s, %s scope; wrote %s%n", pruning.criterion,
        pruning.scope.name().toLowerCase(Locale.ROOT), outFile);
    out.flush();
  }
}
