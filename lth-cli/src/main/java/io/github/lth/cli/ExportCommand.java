package io.github.lth.cli;

import ai.djl.Device;
import io.github.lth.core.Mask;
import io.github.lth.core.ParameterInfo;
import io.github.lth.core.Round;
import io.github.lth.core.Weights;
import io.github.lth.core.io.AtomicWrite;
import io.github.lth.core.io.CompactWeights;
import io.github.lth.core.io.ExportSizes;
import io.github.lth.core.io.WeightsIO;
import io.github.lth.core.run.StoredRun;
import io.github.lth.djl.DjlModel;
import io.github.lth.djl.structured.ChannelRemoval;
import io.github.lth.djl.structured.RemovalPlan;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code lth export}: a round of a run as one file of its trained weights with the round's mask
 * applied: dense .npz or .safetensors (one float32 tensor per parameter, named as in mask.npz and
 * weights.npz) or the compact .lthc of {@link CompactWeights}; {@code --from} turns an .lthc
 * back into a dense file, {@code --shrink} writes a filter-pruned round as a smaller dense model
 * ({@link ChannelRemoval}), {@code --sizes} tabulates the sizes of every round. Every input is
 * checked before the output is written, atomically.
 *
 * <pre>{@code
 * lth export runs/lenet --out lenet.lthc            # last round, format from the extension
 * lth export --from lenet.lthc --out lenet.safetensors
 * lth export runs/lenet --sizes --out sizes.csv
 * }</pre>
 */
@Command(
    name = "export",
    mixinStandardHelpOptions = true,
    versionProvider = VersionProvider.class,
    sortOptions = false,
    description = {
        "Export a round's pruned weights as npz, safetensors or .lthc.",
        "",
        "Writes the round's trained weights (round-NN/weights.npz) with its mask applied, one"
            + " float32 tensor per parameter named as in mask.npz. npz and safetensors store"
            + " every weight (pruned ones as 0.0); compact (.lthc) stores each masked"
            + " parameter's mask as one bit per weight and only its kept values, about"
            + " (1 - s) * 32 + 1 bits per weight at sparsity s, and the other parameters"
            + " (heads, BatchNorm statistics) whole. Reading an .lthc back gives the dense"
            + " masked weights bit for bit. Prints the file written and its sizes in each"
            + " format.",
    },
    footer = {
        "",
        "Sizes (--sizes): per round, the sparsity of the mask, the bytes of the dense float32"
            + " .npz (as the npz format writes it), of the compact .lthc, of the .npz gzipped at"
            + " the default level, and the .lthc bits per masked weight next to (1 - s) * 32 +"
            + " 1. With --out the table is also written as CSV.",
        "",
        "The .lthc layout is documented in io.github.lth.core.io.CompactWeights; scripts/lthc.py"
            + " reads it with numpy.",
        "",
        "Examples:",
        "  # the last round, compact; then back to a dense file PyTorch reads",
        "  lth export runs/lenet --out lenet.lthc",
        "  lth export --from lenet.lthc --out lenet.safetensors",
        "  # round 3 as numpy arrays",
        "  lth export runs/lenet --round 3 --format npz --out lenet-r3.npz",
        "  # a filter-pruned run as a smaller dense model",
        "  lth export runs/conv4-filters --shrink --out conv4-small.safetensors",
        "  # how the sizes shrink round by round",
        "  lth export runs/lenet --sizes --out lenet-sizes.csv",
    })
final class ExportCommand implements Callable<Integer> {
  static final int DEFAULT_CHANNEL_MULTIPLE = 16;

  /** The formats, by the names --format takes. */
  enum Format {
    NPZ(".npz"), SAFETENSORS(".safetensors"), COMPACT(CompactWeights.EXTENSION);

    final String extension;

    Format(String extension) {
      this.extension = extension;
    }

    String flagName() {
      return name().toLowerCase(Locale.ROOT);
    }

    /** The format an output file's name asks for, or null. */
    static Format ofFile(Path file) {
      Path name = file.getFileName();
      String lower = name == null ? "" : name.toString().toLowerCase(Locale.ROOT);
      for (Format f : values()) {
        if (lower.endsWith(f.extension)) {
          return f;
        }
      }
      return null;
    }

    static Format parse(String text) {
      for (Format f : values()) {
        if (f.flagName().equals(text.toLowerCase(Locale.ROOT))) {
          return f;
        }
      }
      throw new IllegalArgumentException("--format: unknown format '" + text
          + "' (use npz, safetensors or compact)");
    }
  }

  @Spec
  CommandSpec spec;

  @Parameters(index = "0", arity = "0..1", paramLabel = "RUN_DIR",
      description = "The run directory (made by lth imp or lth train).")
  Path runDir;

  @Option(names = "--round", paramLabel = "N",
      description = "The round to export. Default: the last complete round.")
  Integer round;

  @Option(names = "--format", paramLabel = "FORMAT",
      description = "npz, safetensors or compact. Default: from --out's extension (.npz,"
          + " .safetensors, .lthc).")
  String format;

  @Option(names = "--out", paramLabel = "FILE",
      description = "The file to write; its directory must exist. With --sizes: a CSV file"
          + " (optional).")
  Path out;

  @Option(names = "--from", paramLabel = "FILE.lthc",
      description = "Convert this compact file to --format npz or safetensors instead of"
          + " exporting a run.")
  Path from;

  @Option(names = "--shrink",
      description = "Remove the channels a structured mask (lth imp --criterion filter-l1 or"
          + " filter-l2) zeroed and write the smaller dense model (npz or safetensors): the same"
          + " tensor names, fewer filters and the next layers' inputs cut to match. Rebuilds the"
          + " run's model, so the run's data set must be readable (for the image shape).")
  boolean shrink;

  @Option(names = "--channel-multiple", paramLabel = "N",
      description = "With --shrink: round each rebuilt width up to a multiple of N by keeping"
          + " zero channels (outputs unchanged); 1 removes every removable channel. Default:"
          + " 16, which suits SIMD kernels and avoids a PyTorch 2.7.1 CPU fault on AVX-512"
          + " machines (wrong convolutions over more than 16 input channels that are not a"
          + " multiple of 16).")
  Integer channelMultiple;

  @Option(names = "--sizes",
      description = "Print the sizes of every round in each format instead of exporting.")
  boolean sizes;

  @Override
  public Integer call() throws IOException {
    if (from != null) {
      return convert();
    }
    if (runDir == null) {
      throw new ParameterException(spec.commandLine(),
          "Missing required parameter: 'RUN_DIR' (or --from FILE.lthc)");
    }
    if (shrink) {
      return shrinkRound();
    }
    if (channelMultiple != null) {
      throw new IllegalArgumentException("--channel-multiple: applies with --shrink only");
    }
    return sizes ? tabulate() : export();
  }

  private int shrinkRound() throws IOException {
    if (sizes) {
      throw new IllegalArgumentException("--shrink: --sizes reports file sizes; leave one out");
    }
    int multiple = channelMultiple == null ? DEFAULT_CHANNEL_MULTIPLE : channelMultiple;
    if (multiple < 1) {
      throw new IllegalArgumentException("--channel-multiple: must be positive: " + multiple);
    }
    Path target = requireOut();
    Format chosen = resolveFormat(target);
    if (chosen == Format.COMPACT) {
      throw new IllegalArgumentException("--format: --shrink writes a dense model; use npz or"
          + " safetensors");
    }
    Inputs.checkWritable("--out", target);
    StoredRun run = StoredRun.open(runDir);
    ChosenRound source = chooseRound(run);
    RunSetup setup = RunSetup.fromRun(run.settings(), runDir);
    RemovalPlan plan;
    Weights small;
    try (DjlModel model = setup.model(setup.loadData(), Device.cpu())) {
      model.load(source.trained());
      model.applyMask(source.mask());
      Phase.set("removing the pruned channels");
      plan = ChannelRemoval.plan(model, multiple);
      try (DjlModel shrunk = ChannelRemoval.shrink(model, multiple)) {
        small = shrunk.weights(shrunk.parameters().stream().map(ParameterInfo::name).toList());
      } catch (IllegalStateException e) {
        throw new IllegalArgumentException("--shrink: " + e.getMessage()
            + " (--channel-multiple " + DEFAULT_CHANNEL_MULTIPLE + ")", e);
      }
    }
    Phase.set("writing --out " + target);
    WeightsIO.write(small, target);
    PrintWriter w = spec.commandLine().getOut();
    w.printf(Locale.ROOT, "wrote %s (%s): round %d of %s with its removable channels removed"
        + "%s%n", target, chosen.flagName(), source.index(), runDir, plan.removesNothing()
        ? " (none: the mask zeroes no whole channel; see lth imp --criterion filter-l1)" : "");
    w.println(plan);
    w.flush();
    return 0;
  }

  private int export() throws IOException {
    Path target = requireOut();
    Format chosen = resolveFormat(target);
    Inputs.checkWritable("--out", target);
    ChosenRound source = chooseRound(StoredRun.open(runDir));
    Mask mask = source.mask();
    Weights trained = source.trained();
    Phase.set("measuring the sizes of round " + source.index());
    ExportSizes measured = ExportSizes.of(trained, mask);
    Phase.set("writing --out " + target);
    if (chosen == Format.COMPACT) {
      CompactWeights.write(trained, mask, target);
    } else {
      WeightsIO.write(trained.masked(mask), target);
    }
    PrintWriter w = spec.commandLine().getOut();
    w.printf(Locale.ROOT, "wrote %s (%s): round %d of %s, %s sparse; %d tensors, %d masked%n",
        target, chosen.flagName(), source.index(), runDir, Table.percent(mask.sparsity()),
        trained.count(), mask.layers().size());
    w.printf(Locale.ROOT, "sizes: dense %s bytes, compact %s bytes, gzip %s bytes; compact"
        + " %.2f bits per masked weight ((1 - s) * 32 + 1 = %.2f)%n",
        Table.count(measured.denseBytes()), Table.count(measured.compactBytes()),
        Table.count(measured.gzipBytes()), measured.compactBitsPerMaskedWeight(),
        measured.idealBitsPerMaskedWeight());
    w.flush();
    return 0;
  }

  private int tabulate() throws IOException {
    if (round != null) {
      throw new IllegalArgumentException("--round: --sizes reports every round; leave --round"
          + " out");
    }
    if (format != null) {
      throw new IllegalArgumentException("--format: --sizes reports every format; leave"
          + " --format out");
    }
    if (out != null) {
      Inputs.checkWritable("--out", out);
    }
    StoredRun run = StoredRun.open(runDir);
    Table table = new Table("round", "sparsity", "dense bytes", "compact bytes", "gzip bytes",
        "compact bits/weight", "(1-s)*32+1").rightAlignFrom(0);
    StringBuilder csv = new StringBuilder("round,sparsity,dense_bytes,compact_bytes,gzip_bytes,"
        + "compact_bits_per_masked_weight,ideal_bits_per_masked_weight\n");
    for (Round r : run.rounds()) {
      Phase.set("measuring the sizes of round " + r.index());
      ExportSizes s = ExportSizes.of(run.trainedWeights(r.index()), r.mask());
      table.row(Integer.toString(r.index()), Table.percent(s.sparsity()),
          Table.count(s.denseBytes()), Table.count(s.compactBytes()), Table.count(s.gzipBytes()),
          String.format(Locale.ROOT, "%.2f", s.compactBitsPerMaskedWeight()),
          String.format(Locale.ROOT, "%.2f", s.idealBitsPerMaskedWeight()));
      csv.append(String.format(Locale.ROOT, "%d,%.6f,%d,%d,%d,%.4f,%.4f%n", r.index(),
          s.sparsity(), s.denseBytes(), s.compactBytes(), s.gzipBytes(),
          s.compactBitsPerMaskedWeight(), s.idealBitsPerMaskedWeight()));
    }
    if (out != null) {
      AtomicWrite.text(out, csv.toString());
    }
    PrintWriter w = spec.commandLine().getOut();
    table.print(w);
    if (out != null) {
      w.println("wrote " + out);
    }
    w.flush();
    return 0;
  }

  private int convert() throws IOException {
    if (runDir != null) {
      throw new IllegalArgumentException("--from: give RUN_DIR or --from, not both");
    }
    if (round != null || sizes) {
      throw new IllegalArgumentException("--from: " + (sizes ? "--sizes" : "--round")
          + " applies to a run directory, not to an .lthc file");
    }
    Inputs.checkReadable("--from", from);
    if (Format.ofFile(from) != Format.COMPACT) {
      throw new IllegalArgumentException("--from: " + from + " is not an .lthc file (export a"
          + " run's round with: lth export RUN_DIR --round N --out FILE)");
    }
    Path target = requireOut();
    Format chosen = resolveFormat(target);
    if (chosen == Format.COMPACT) {
      throw new IllegalArgumentException("--format: " + from + " is compact already; convert it"
          + " to npz or safetensors");
    }
    Inputs.checkWritable("--out", target);
    Inputs.checkNotSame("--out", target, "--from", from);
    Phase.reading("--from", from);
    CompactWeights.Contents contents = CompactWeights.read(from);
    Phase.set("writing --out " + target);
    WeightsIO.write(contents.weights(), target);
    PrintWriter w = spec.commandLine().getOut();
    w.printf(Locale.ROOT, "wrote %s (%s): %d tensors from %s, %d masked, %s sparse%n", target,
        chosen.flagName(), contents.weights().count(), from, contents.mask().layers().size(),
        Table.percent(contents.mask().sparsity()));
    w.flush();
    return 0;
  }

  /** A round of a run with its mask and trained weights. */
  private record ChosenRound(int index, Mask mask, Weights trained) {}

  /** --round, or the last complete round; its mask and trained weights. */
  private ChosenRound chooseRound(StoredRun run) throws IOException {
    int index = round != null ? round : run.rounds().size() - 1;
    Phase.set("reading round " + index + " of " + runDir);
    return new ChosenRound(index, run.round(index).mask(), run.trainedWeights(index));
  }

  private Path requireOut() {
    if (out == null) {
      throw new ParameterException(spec.commandLine(), "Missing required option: '--out=FILE'");
    }
    return out;
  }

  /** --format if given (it must agree with a known extension of --out), else the extension. */
  private Format resolveFormat(Path target) {
    Format byName = Format.ofFile(target);
    if (format == null) {
      if (byName == null) {
        throw new IllegalArgumentException("--format: cannot tell the format from --out "
            + target + " (name it .npz, .safetensors or .lthc, or give --format)");
      }
      return byName;
    }
    Format asked = Format.parse(format);
    if (byName != null && byName != asked) {
      throw new IllegalArgumentException("--format " + asked.flagName() + " does not match --out "
          + target + "; name it " + asked.extension);
    }
    if (byName == null && asked != Format.COMPACT) {
      throw new IllegalArgumentException("--format " + asked.flagName() + " needs --out ending"
          + " in " + asked.extension + " (got " + target + ")");
    }
    return asked;
  }
}
