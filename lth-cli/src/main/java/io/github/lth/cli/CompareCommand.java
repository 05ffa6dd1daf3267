package io.github.lth.cli;

import com.google.gson.GsonBuilder;
import io.github.lth.core.KernelStats;
import io.github.lth.core.Mask;
import io.github.lth.core.Shapes;
import io.github.lth.core.analysis.MaskComparison;
import io.github.lth.core.analysis.MaskPlots;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code lth compare}: how alike two or more masks over the same layers are. Prints each mask's
 * sparsity per layer, fully pruned kernels and filters of rank-4 (convolution) layers, and the
 * matrices of IoU (|a ∧ b| / |a ∨ b|) and Hamming distance; for two masks the first table also
 * gives the weights both and either keep and the IoU per layer (the output this command has
 * always had). {@code --json} prints the {@link MaskComparison} as JSON instead; {@code --plots}
 * writes PNG pictures. Masks may list their layers in any order.
 *
 * <p>Everything is read and checked before anything is written: a missing or unreadable file,
 * or masks of different layers or shapes, end with one line on standard error, exit code 2 and
 * no plot directory.
 *
 * <pre>{@code
 * lth compare runs/seed1/round-05/mask.npz runs/seed2/round-05/mask.npz
 * lth compare runs/x@all --plots plots/x
 * }</pre>
 */
@Command(
    name = "compare",
    mixinStandardHelpOptions = true,
    versionProvider = VersionProvider.class,
    sortOptions = false,
    description = {
        // one line in the command list of 'lth --help'
        "Compare two or more masks: sparsity, IoU, Hamming, pruned kernels.",
        "",
        "Every mask must cover the same layers with the same shapes (in any order). A mask is"
            + " named by a file (.npz or .safetensors of bool arrays), a round directory"
            + " (runs/x/round-05: its mask.npz), or rounds of a run: RUN@N (round N), RUN@N..M"
            + " (rounds N to M) or RUN@all (every complete round).",
        "Prints per-layer sparsity of each mask (for two masks also the weights both and either"
            + " keep and their IoU per layer), fully pruned kernels and filters of rank-4 layers,"
            + " and the IoU and Hamming-distance matrices over all layers. Masks are named A, B,"
            + " C, ... in the order given.",
    },
    footer = {
        "",
        "Plots (--plots DIR): iou.png (IoU heat map), layer-sparsity.png (bars: layer x mask),"
            + " kernels-LAYER-A.png for every rank-4 layer and mask (kernels fully pruned, partly"
            + " kept, fully kept; characters of LAYER other than letters, digits, '.', '-' and"
            + " '_' become '_'), and with three or more masks sparsity-across.png and"
            + " iou-consecutive.png (masks in the order given). DIR is created if missing; its"
            + " parent must exist.",
        "",
        "Examples:",
        "  # are the tickets two seeds find the same?",
        "  lth compare runs/seed1/round-05/mask.npz runs/seed2/round-05/mask.npz",
        "  # the same with the run@round syntax, three seeds, machine readable",
        "  lth compare runs/seed1@5 runs/seed2@5 runs/seed3@5 --json",
        "  # how the mask of one run changes from round to round, with pictures",
        "  lth compare runs/seed1@all --plots plots/seed1",
        "  # rounds 3 to 6 only, against a mask saved by numpy",
        "  lth compare runs/seed1@3..6 other.npz",
    })
final class CompareCommand implements Callable<Integer> {

  @Spec
  CommandSpec spec;

  @Parameters(index = "0", paramLabel = "A",
      description = "First mask: FILE.npz, a round directory, RUN@N, RUN@N..M or RUN@all.")
  String first;

  // optional for picocli: RUN@all or RUN@N..M alone names several masks; call() asks for B
  // when A names only one
  @Parameters(index = "1", paramLabel = "B", arity = "0..1",
      description = "Second mask (same forms); may be left out when A names several rounds.")
  String second;

  @Parameters(index = "2..*", paramLabel = "C", arity = "0..*",
      description = "More masks (same forms).")
  List<String> more = new ArrayList<>();

  @Option(names = "--json",
      description = "Print only the comparison as JSON (labels, layers, IoU, Hamming, sparsity,"
          + " kernels and filters) on standard output.")
  boolean json;

  @Option(names = "--plots", paramLabel = "DIR",
      description = "Write PNG plots into DIR (see below) and print their paths (not with"
          + " --json).")
  Path plots;

  @Override
  public Integer call() throws IOException {
    List<String> arguments = new ArrayList<>();
    arguments.add(first);
    if (second != null) {
      arguments.add(second);
    }
    arguments.addAll(more);
    List<List<Inputs.MaskSource>> sources = new ArrayList<>();
    for (int a = 0; a < arguments.size(); a++) {
      sources.add(Inputs.maskSources(MaskComparison.letter(a), arguments.get(a)));
    }
    if (second == null && sources.get(0).size() < 2) {
      throw new ParameterException(spec.commandLine(), "Missing required parameter: 'B'"
          + (sources.get(0).get(0).file().equals(Path.of(first)) ? "" : " (" + first
          + " names one mask)"));
    }
    List<String> labels = new ArrayList<>();
    List<Mask> masks = new ArrayList<>();
    for (int a = 0; a < arguments.size(); a++) {
      for (Inputs.MaskSource source : sources.get(a)) {
        labels.add(source.label());
        masks.add(Inputs.readMask(MaskComparison.letter(a), source.file()));
      }
    }
    Phase.set("comparing the masks");
    MaskComparison c = MaskComparison.of(labels, masks);
    Map<Path, byte[]> pictures = plots == null ? Map.of() : render(c);

    // all input is valid and every picture drawn: only now is anything written
    List<Path> written = new ArrayList<>();
    if (plots != null) {
      Files.createDirectories(plots);
      for (Map.Entry<Path, byte[]> e : pictures.entrySet()) {
        MaskPlots.writePng(e.getValue(), e.getKey());
        written.add(e.getKey());
      }
    }

    PrintWriter out = spec.commandLine().getOut();
    if (json) {
      out.println(new GsonBuilder().setPrettyPrinting().disableHtmlEscaping().create()
          .toJson(c.toJson()));
    } else {
      printTables(out, c);
      if (!written.isEmpty()) {
        out.println();
        out.println("plots:");
        written.forEach(p -> out.println("  " + p));
      }
    }
    out.flush();
    return 0;
  }

  private void printTables(PrintWriter out, MaskComparison c) {
    int n = c.labels().size();
    for (int i = 0; i < n; i++) {
      out.printf("%s: %s (%s sparse)%n", MaskComparison.letter(i), c.labels().get(i),
          Table.percent(c.sparsity(i)));
    }
    if (n == 2) {
      printPairTable(out, c);
    } else {
      printSparsityTable(out, c);
    }
    printKernelTable(out, c);

    out.println();
    out.println("IoU of kept weights over all layers (|a and b| / |a or b|):");
    double[][] iou = c.iou();
    Table iouTable = new Table(matrixHeader(n)).rightAlignFrom(1);
    for (int i = 0; i < n; i++) {
      String[] row = new String[n + 1];
      row[0] = MaskComparison.letter(i);
      for (int j = 0; j < n; j++) {
        row[j + 1] = Table.ratio(iou[i][j]);
      }
      iouTable.row(row);
    }
    iouTable.print(out);

    out.println();
    out.printf("Hamming distance: weights kept by one mask and pruned by the other (of %s):%n",
        Table.count(c.masks().get(0).size()));
    long[][] hamming = c.hamming();
    Table hammingTable = new Table(matrixHeader(n)).rightAlignFrom(1);
    for (int i = 0; i < n; i++) {
      String[] row = new String[n + 1];
      row[0] = MaskComparison.letter(i);
      for (int j = 0; j < n; j++) {
        row[j + 1] = Table.count(hamming[i][j]);
      }
      hammingTable.row(row);
    }
    hammingTable.print(out);
  }

  /** The two-mask table, unchanged from the first version of this command. */
  private static void printPairTable(PrintWriter out, MaskComparison c) {
    Mask a = c.masks().get(0);
    Mask b = c.masks().get(1);
    Mask both = a.and(b);
    Mask either = a.or(b);
    Table table = new Table("layer", "shape", "sparsity A", "sparsity B", "kept by both",
        "kept by either", "IoU").rightAlignFrom(2);
    for (String layer : c.layers()) {
      table.row(layer, Shapes.format(a.shape(layer)), Table.percent(a.sparsity(layer)),
          Table.percent(b.sparsity(layer)), Table.count(both.kept(layer)),
          Table.count(either.kept(layer)), Table.ratio(c.iou(layer)[0][1]));
    }
    table.row("overall", "", Table.percent(a.sparsity()), Table.percent(b.sparsity()),
        Table.count(both.kept()), Table.count(either.kept()), Table.ratio(c.iou()[0][1]));
    table.print(out);
  }

  private static void printSparsityTable(PrintWriter out, MaskComparison c) {
    int n = c.labels().size();
    String[] header = new String[n + 2];
    header[0] = "layer";
    header[1] = "shape";
    for (int i = 0; i < n; i++) {
      header[i + 2] = "sparsity " + MaskComparison.letter(i);
    }
    Table table = new Table(header).rightAlignFrom(2);
    for (String layer : c.layers()) {
      String[] row = new String[n + 2];
      row[0] = layer;
      row[1] = Shapes.format(c.shape(layer));
      for (int i = 0; i < n; i++) {
        row[i + 2] = Table.percent(c.sparsity(i, layer));
      }
      table.row(row);
    }
    String[] overall = new String[n + 2];
    overall[0] = "overall";
    overall[1] = "";
    for (int i = 0; i < n; i++) {
      overall[i + 2] = Table.percent(c.sparsity(i));
    }
    table.row(overall);
    table.print(out);
  }

  private static void printKernelTable(PrintWriter out, MaskComparison c) {
    int n = c.labels().size();
    String[] header = new String[2 * n + 3];
    header[0] = "layer";
    header[1] = "kernels";
    header[n + 2] = "filters";
    for (int i = 0; i < n; i++) {
      header[i + 2] = "zero in " + MaskComparison.letter(i);
      header[n + 3 + i] = "zero in " + MaskComparison.letter(i);
    }
    Table kernels = new Table(header).rightAlignFrom(1);
    boolean any = false;
    for (String layer : c.layers()) {
      if (c.shape(layer).length != 4) {
        continue;
      }
      any = true;
      String[] row = new String[2 * n + 3];
      row[0] = layer;
      for (int i = 0; i < n; i++) {
        KernelStats k = c.kernels(i, layer);
        row[1] = Table.count(k.kernels());
        row[n + 2] = Table.count(k.filters());
        row[i + 2] = share(k.zeroKernels(), k.zeroKernelShare());
        row[n + 3 + i] = share(k.zeroFilters(), k.zeroFilterShare());
      }
      kernels.row(row);
    }
    if (any) {
      out.println();
      out.println("fully pruned kernels [out, in, :, :] and filters [out, :, :, :]:");
      kernels.print(out);
    }
  }

  private static String[] matrixHeader(int n) {
    String[] header = new String[n + 1];
    header[0] = "";
    for (int i = 0; i < n; i++) {
      header[i + 1] = MaskComparison.letter(i);
    }
    return header;
  }

  private static String share(long count, double fraction) {
    return Table.count(count) + " (" + Table.percent(fraction) + ")";
  }

  /**
   * Every picture, drawn in memory and keyed by the file it goes to, after checking that the
   * directory can be made: so a bad --plots writes nothing.
   */
  private Map<Path, byte[]> render(MaskComparison c) {
    if (Files.exists(plots) && !Files.isDirectory(plots)) {
      throw new IllegalArgumentException("--plots: " + plots + " is a file, not a directory");
    }
    Path parent = plots.toAbsolutePath().getParent();
    if (!Files.isDirectory(plots) && (parent == null || !Files.isDirectory(parent))) {
      throw new IllegalArgumentException("--plots: directory " + parent + " does not exist (for "
          + plots + ")");
    }
    Phase.set("drawing the plots");
    Map<Path, byte[]> out = new LinkedHashMap<>();
    out.put(plots.resolve("iou.png"), MaskPlots.iouHeatMap(c));
    out.put(plots.resolve("layer-sparsity.png"), MaskPlots.layerSparsityBars(c));
    int n = c.labels().size();
    if (n >= 3) {
      out.put(plots.resolve("sparsity-across.png"), MaskPlots.layerSparsityAcrossMasks(c));
      out.put(plots.resolve("iou-consecutive.png"), MaskPlots.consecutiveIou(c));
    }
    Set<String> taken = new HashSet<>();
    for (String layer : c.layers()) {
      if (c.shape(layer).length != 4) {
        continue;
      }
      String stem = uniqueStem("kernels-" + safe(layer), taken);
      for (int i = 0; i < n; i++) {
        out.put(plots.resolve(stem + "-" + MaskComparison.letter(i) + ".png"),
            MaskPlots.kernelHeatMap(c.masks().get(i), layer));
      }
    }
    return out;
  }

  /**
   * A layer name as part of a file name: {@code features.0.weight} stays, {@code a/b:c} becomes
   * {@code a_b_c}; long names are cut so the file name stays within file-system limits.
   */
  static String safe(String layer) {
    String s = layer.replaceAll("[^A-Za-z0-9._-]", "_");
    return s.length() > 150 ? s.substring(0, 150) : s;
  }

  /**
   * {@code stem}, or {@code stem~2}, ... when two layer names become the same file name (say
   * {@code a/b} and {@code a_b}); {@code ~} is never left in a name by {@link #safe}, so a
   * numbered stem cannot meet another layer's.
   */
  private static String uniqueStem(String stem, Set<String> taken) {
    String s = stem;
    for (int k = 2; taken.contains(s); k++) {
      s = stem + "~" + k;
    }
    taken.add(s);
    return s;
  }
}
