package io.github.lth.cli;

import static com.google.common.base.Preconditions.checkArgument;

import io.github.lth.core.KernelStats;
import io.github.lth.core.Mask;
import io.github.lth.core.Shapes;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code lth compare}: how alike two masks over the same layers are. Prints, per layer and
 * overall, both sparsities, the weights both keep, the weights either keeps and their IoU
 * (|a ∧ b| / |a ∨ b|); for rank-4 (convolution) layers also the fully pruned kernels and filters
 * of each mask. The second mask may list its layers in another order.
 *
 * <pre>{@code
 * lth compare runs/seed1/round-05/mask.npz runs/seed2/round-05/mask.npz
 * }</pre>
 */
@Command(
    name = "compare",
    mixinStandardHelpOptions = true,
    versionProvider = VersionProvider.class,
    description = {
        "Compare two masks: sparsity, IoU and fully pruned kernels.",
        "",
        "Both .npz files of bool arrays must cover the same layers with the same shapes (in any"
            + " order). Prints per-layer and overall sparsity, the weights both and either keep,"
            + " their intersection over union, and fully pruned kernels and filters of rank-4"
            + " layers.",
    },
    footer = {
        "",
        "Examples:",
        "  # are the tickets two seeds find the same?",
        "  lth compare runs/seed1/round-05/mask.npz runs/seed2/round-05/mask.npz",
        "  # how far does a later round move from an earlier one?",
        "  lth compare m_round3.npz m_round6.npz",
    })
final class CompareCommand implements Callable<Integer> {

  @Spec
  CommandSpec spec;

  @Parameters(index = "0", paramLabel = "A", description = "First mask (.npz).")
  Path fileA;

  @Parameters(index = "1", paramLabel = "B", description = "Second mask (.npz).")
  Path fileB;

  @Override
  public Integer call() throws Exception {
    Mask a = Inputs.readMask("A", fileA);
    Mask b = inOrderOf(a, Inputs.readMask("B", fileB));
    Mask both = a.and(b);
    Mask either = a.or(b);

    PrintWriter out = spec.commandLine().getOut();
    out.printf("A: %s (%s sparse)%n", fileA, Table.percent(a.sparsity()));
    out.printf("B: %s (%s sparse)%n", fileB, Table.percent(b.sparsity()));
    Table table = new Table("layer", "shape", "sparsity A", "sparsity B", "kept by both",
        "kept by either", "IoU").rightAlignFrom(2);
    for (String layer : a.layers()) {
      table.row(layer, Shapes.format(a.shape(layer)), Table.percent(a.sparsity(layer)),
          Table.percent(b.sparsity(layer)), Table.count(both.kept(layer)),
          Table.count(either.kept(layer)), Table.ratio(a.iou(b, layer)));
    }
    table.row("overall", "", Table.percent(a.sparsity()), Table.percent(b.sparsity()),
        Table.count(both.kept()), Table.count(either.kept()), Table.ratio(a.iou(b)));
    table.print(out);

    Table kernels = new Table("layer", "kernels", "zero in A", "zero in B", "filters",
        "zero in A", "zero in B").rightAlignFrom(1);
    boolean any = false;
    for (String layer : a.layers()) {
      if (a.shape(layer).length != 4) {
        continue;
      }
      any = true;
      KernelStats ka = a.kernels(layer);
      KernelStats kb = b.kernels(layer);
      kernels.row(layer, Table.count(ka.kernels()), share(ka.zeroKernels(), ka.zeroKernelShare()),
          share(kb.zeroKernels(), kb.zeroKernelShare()), Table.count(ka.filters()),
          share(ka.zeroFilters(), ka.zeroFilterShare()),
          share(kb.zeroFilters(), kb.zeroFilterShare()));
    }
    if (any) {
      out.println();
      out.println("fully pruned kernels [out, in, :, :] and filters [out, :, :, :]:");
      kernels.print(out);
    }
    out.flush();
    return 0;
  }

  private static String share(long count, double fraction) {
    return Table.count(count) + " (" + Table.percent(fraction) + ")";
  }

  /** {@code b} with its layers in {@code a}'s order, after checking both cover the same shapes. */
  private Mask inOrderOf(Mask a, Mask b) {
    for (String layer : a.layers()) {
      checkArgument(b.contains(layer), "layer %s is in %s but not in %s", layer, fileA, fileB);
      checkArgument(Arrays.equals(a.shape(layer), b.shape(layer)),
          "layer %s has shape %s in %s but %s in %s", layer, Shapes.format(a.shape(layer)), fileA,
          Shapes.format(b.shape(layer)), fileB);
    }
    for (String layer : b.layers()) {
      checkArgument(a.contains(layer), "layer %s is in %s but not in %s", layer, fileB, fileA);
    }
    Mask.Builder reordered = Mask.builder();
    for (String layer : a.layers()) {
      reordered.putWords(layer, b.shape(layer), b.words(layer));
    }
    return reordered.build();
  }
}
