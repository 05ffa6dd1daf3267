package io.github.lth.cli;

import static com.google.common.base.Preconditions.checkArgument;

import ai.djl.Device;
import io.github.lth.djl.Devices;
import io.github.lth.djl.data.DataSources;
import io.github.lth.djl.data.TrainTestSplit;
import io.github.lth.djl.transfer.TransferMode;
import io.github.lth.djl.transfer.TransferRecord;
import io.github.lth.djl.transfer.TransferStudy;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code lth reproduce}: a miniature of Chen et al.'s ticket-transfer experiment on one data
 * set split by classes (see {@link TransferStudy}), written as results.csv, verdicts.json and a
 * plot per transfer mode.
 *
 * <pre>{@code
 * lth reproduce --quick --out runs/reproduce-quick
 * }</pre>
 */
@Command(
    name = "reproduce",
    mixinStandardHelpOptions = true,
    versionProvider = VersionProvider.class,
    sortOptions = false,
    description = {
        "Reproduce, in miniature, the transfer experiment of the lottery-ticket papers.",
        "",
        "Pre-trains LeNet-300-100 on Fashion-MNIST classes 0-4 (θp), finds tickets by IMP from"
            + " θp on classes 0-4 (mP) and on classes 5-9 (mT), and trains on classes 5-9, by"
            + " full fine-tuning and by a linear probe, over several seeds: (mP, θp), (mT, θp),"
            + " (mT, θ0), (mT, θ at 5 %), a layer-wise random mask and a random"
            + " re-initialization, against the dense θp. Writes results.csv, verdicts.json"
            + " (matching: mean within one standard deviation of dense) and a plot per mode.",
    },
    footer = {
        "",
        "Examples:",
        "  # the default (about 25 minutes on 2 cores; needs dataset-fashion-mnist)",
        "  lth reproduce --out runs/reproduce",
        "  # a few minutes on the embedded sample",
        "  lth reproduce --quick",
    })
final class ReproduceCommand implements Callable<Integer> {

  @Spec
  CommandSpec spec;

  @Option(names = "--quick", description = "200 images per class, 1 epoch per training, 50 %"
      + " per round to 75 %, 2 seeds, on the embedded sample unless --data is given.")
  boolean quick;

  @Option(names = "--data", paramLabel = "fashion-mnist|embedded|DIR",
      description = "Data set with at least 10 classes. Default: fashion-mnist (embedded with"
          + " --quick).")
  String data;

  @Option(names = "--out", paramLabel = "DIR",
      description = "Output directory. Default: runs/reproduce (runs/reproduce-quick with"
          + " --quick). The two IMP runs inside it resume.")
  Path out;

  @Option(names = "--seeds", paramLabel = "K",
      description = "Seeds per configuration, at least 2. Default: 3 (2 with --quick).")
  Integer seeds;

  @Option(names = "--mode", split = ",", paramLabel = "full|linear",
      description = "Transfer modes. Default: full,linear.")
  List<String> modes;

  @Option(names = "--configurations", paramLabel = "NAMES",
      description = "Which of dense, mP,θp (pruned during pre-training), mT,θp (pruned during"
          + " transfer), mT,θ0, mT,θ5%, random-mask, reinit to train; dense is always"
          + " trained. Separate with ';' when a name holds a comma, e.g."
          + " 'dense;mP,θp;mT,θp'. Default: all.")
  String configurations;

  @Option(names = "--low-shot", paramLabel = "X",
      description = "Transfers train on X % of each target class's training images"
          + " (0 < X <= 100).")
  Double lowShot;

  @Option(names = "--permute-labels",
      description = "Transfers train on the target with permuted labels.")
  boolean permuteLabels;

  @Mixin
  DeviceOption device;

  @Override
  public Integer call() throws Exception {
    PrintWriter stdout = spec.commandLine().getOut();
    TransferStudy.Settings settings = settings();
    String dataSpec = data != null ? data : quick ? "embedded" : "fashion-mnist";
    Path dir = out != null ? out : Path.of(quick ? "runs/reproduce-quick" : "runs/reproduce");
    checkArgument(!Files.exists(dir) || Files.isDirectory(dir), "--out %s is a file", dir);
    Device dev = Devices.parse(device.device);
    TrainTestSplit split = DataSources.load(dataSpec);
    checkArgument(split.classes() >= 10, "--data %s has %s classes; the study splits classes"
        + " 0-4 from 5-9", dataSpec, split.classes());
    Files.createDirectories(dir);
    stdout.printf("lth reproduce: %s on %s, classes 0-4 -> 5-9, %d seeds, into %s%n",
        settings.model(), dataSpec, settings.seeds(), dir);
    stdout.flush();
    Instant start = Instant.now();
    List<TransferRecord> records = TransferStudy.run(split, settings, dev, dir, line -> {
      stdout.println(line);
      stdout.flush();
    });
    Duration took = Duration.between(start, Instant.now());
    TransferOutputs.write(dir, records, settings.asMap(), "Fashion-MNIST classes 0-4 to 5-9,"
        + " " + settings.model(), stdout);
    stdout.printf(Locale.ROOT, "took %d min %02d s%n", took.toMinutes(), took.toSecondsPart());
    stdout.flush();
    return 0;
  }

  private TransferStudy.Settings settings() {
    TransferStudy.Settings s = quick ? TransferStudy.Settings.quick()
        : TransferStudy.Settings.defaults();
    if (seeds != null) {
      checkArgument(seeds >= 2, "--seeds %s: a verdict needs at least 2 seeds", seeds);
      s = s.withSeeds(seeds);
    }
    if (modes != null) {
      s = s.withModes(modes.stream().map(TransferMode::parse).distinct().toList());
    }
    if (configurations != null) {
      List<String> chosen = new ArrayList<>(List.of("dense"));
      for (String c : configurations.split(configurations.contains(";") ? ";" : ",")) {
        checkArgument(TransferStudy.CONFIGURATIONS.contains(c.trim()), "--configurations:"
            + " unknown configuration '%s' (known: %s)", c.trim(),
            String.join("; ", TransferStudy.CONFIGURATIONS));
        chosen.add(c.trim());
      }
      s = s.withConfigurations(chosen);
    }
    if (lowShot != null) {
      checkArgument(lowShot > 0 && lowShot <= 100, "--low-shot %s: x % must be in (0, 100]",
          lowShot);
    }
    return s.withTarget(lowShot != null ? lowShot : 100, permuteLabels);
  }
}
