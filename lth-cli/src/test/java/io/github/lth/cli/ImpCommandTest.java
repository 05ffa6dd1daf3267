package io.github.lth.cli;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.types.Shape;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.github.lth.core.Mask;
import io.github.lth.core.Weights;
import io.github.lth.core.io.MaskIO;
import io.github.lth.core.io.WeightsIO;
import io.github.lth.djl.DjlModel;
import io.github.lth.djl.models.Models;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@code lth imp} in process: a short real run on the embedded sample (LeNet-300-100, 30 steps
 * per round, two pruned rounds), resuming and refusing run directories, and every bad input of
 * the IMP issue: exit code 2, one line on standard error, and no run directory created.
 */
class ImpCommandTest {
  private static final Pattern ROW = Pattern.compile(
      "^\\s*(\\d+)\\s+(\\d+\\.\\d\\d)%\\s+([\\d,]+)\\s+(\\d+\\.\\d\\d)%(?:\\s+([+-]\\d+\\.\\d\\d))?"
          + "\\s+(\\d+\\.\\d\\d)%$");
  private static final String HEADER =
      "round  sparsity     kept  val_accuracy  vs dense  test_accuracy";

  @TempDir
  Path tmp;

  /** Runs the command line with {@link System#err} captured (the progress bars go there). */
  private static CliRun runCapturingBars(StringBuilder bars, String... args) {
    PrintStream original = System.err;
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
    try {
      return CliRun.of(args);
    } finally {
      System.setErr(original);
      bars.append(captured.toString(StandardCharsets.UTF_8));
    }
  }

  /** The closing table: its header and the rows after it. */
  private static List<String> table(String out) {
    List<String> lines = out.lines().toList();
    int at = lines.indexOf(HEADER);
    assertThat(at).as("closing table header in:%n%s", out).isNotNegative();
    List<String> t = new ArrayList<>();
    t.add(lines.get(at));
    for (int i = at + 1; i < lines.size() && ROW.matcher(lines.get(i)).matches(); i++) {
      t.add(lines.get(i));
    }
    return t;
  }

  /** Every file under a directory (except the lock) with its bytes and modification time. */
  private static Map<String, String> contents(Path dir) throws IOException {
    Map<String, String> m = new TreeMap<>();
    try (Stream<Path> walk = Files.walk(dir)) {
      for (Path p : walk.filter(Files::isRegularFile).toList()) {
        if (!p.getFileName().toString().equals(".lock")) {
          m.put(dir.relativize(p).toString(), Arrays.hashCode(Files.readAllBytes(p)) + "@"
              + Files.getLastModifiedTime(p).toMillis());
        }
      }
    }
    return m;
  }

  @Test
  void shortRunWritesTheRunDirectoryResumesWithoutTrainingAndRefusesOtherSettings()
      throws IOException {
    Path out = tmp.resolve("run");
    String[] args = {"imp", "--steps", "30", "--target-sparsity", "0.36", "--out", out.toString(),
        "--device", "cpu"};
    StringBuilder bars = new StringBuilder();
    CliRun run = runCapturingBars(bars, args);

    assertThat(run.exit()).as(run.err()).isZero();
    assertThat(run.err()).isEmpty();
    assertThat(run.out()).startsWith("lth imp: lenet300 on embedded (embedded-train: 6000 images"
        + " 1x28x28, 10 classes), classification, 2 rounds to 36.00% sparsity, 30 steps per round on cpu()\n"
        + "run directory: " + out + "\n");
    assertThat(bars.toString()).contains("round 0/2", "round 1/2", "round 2/2");

    // the closing table agrees with results.csv
    List<String> csv = Files.readAllLines(out.resolve("results.csv"));
    assertThat(csv).hasSize(1 + 3);
    assertThat(csv.get(0)).isEqualTo("round,sparsity,sparsity_percent,kept,prunable,"
        + "val_accuracy,val_mean_class_accuracy,val_loss,test_accuracy,test_mean_class_accuracy,"
        + "test_loss,start_step,steps_trained,epochs,train_loss");
    List<String> table = table(run.out());
    assertThat(table).hasSize(1 + 3);
    String[] sparsity = {"0.00", "20.00", "36.00"};
    String[] kept = {"265,200", "212,160", "169,728"};
    double dense = Double.parseDouble(csv.get(1).split(",")[5]);
    for (int r = 0; r < 3; r++) {
      Matcher row = ROW.matcher(table.get(1 + r));
      assertThat(row.matches()).isTrue();
      String[] cells = csv.get(1 + r).split(",");
      double accuracy = Double.parseDouble(cells[5]);
      assertThat(row.group(1)).isEqualTo(Integer.toString(r)).isEqualTo(cells[0]);
      assertThat(row.group(2)).isEqualTo(sparsity[r]).isEqualTo(cells[2]);
      assertThat(row.group(3)).isEqualTo(kept[r]).isEqualTo(String.format(Locale.ROOT, "%,d",
          Long.parseLong(cells[3])));
      assertThat(row.group(4)).isEqualTo(String.format(Locale.ROOT, "%.2f", 100 * accuracy));
      assertThat(row.group(5)).isEqualTo(r == 0 ? null
          : String.format(Locale.ROOT, "%+.2f", 100 * (accuracy - dense)));
      assertThat(row.group(6)).isEqualTo(String.format(Locale.ROOT, "%.2f",
          100 * Double.parseDouble(cells[8])));
      assertThat(cells[11]).as("start step of round %s", r).isEqualTo("0");
      assertThat(cells[12]).as("steps of round %s", r).isEqualTo("30");
    }
    assertThat(run.out()).contains("\nsparsest subnetwork within 1 point of dense: round ");

    // the run directory
    assertThat(out.resolve("config.json")).isRegularFile();
    JsonObject settings = JsonParser.parseString(Files.readString(out.resolve("config.json")))
        .getAsJsonObject().getAsJsonObject("settings");
    assertThat(settings.get("rounds").getAsInt()).isEqualTo(2);
    assertThat(settings.get("seed").getAsLong()).isZero();
    assertThat(settings.get("model").getAsString()).isEqualTo("lenet300");
    assertThat(settings.getAsJsonObject("task").get("steps").getAsLong()).isEqualTo(30);
    for (int r = 0; r < 3; r++) {
      Path round = out.resolve(String.format(Locale.ROOT, "round-%02d", r));
      assertThat(round.resolve("mask.npz")).isRegularFile();
      assertThat(round.resolve("metrics.json")).isRegularFile();
      assertThat(round.resolve("weights.npz")).isRegularFile();
      Mask mask = MaskIO.read(round.resolve("mask.npz"));
      assertThat(mask.layers()).containsExactly("fc1_weight", "fc2_weight");
      assertThat(String.format(Locale.ROOT, "%.2f", 100 * mask.sparsity())).isEqualTo(sparsity[r]);
      JsonObject metrics = JsonParser.parseString(Files.readString(round.resolve("metrics.json")))
          .getAsJsonObject();
      assertThat(metrics.get("round").getAsInt()).isEqualTo(r);
    }
    JsonObject summary = JsonParser.parseString(Files.readString(out.resolve("summary.json")))
        .getAsJsonObject();
    assertThat(summary.getAsJsonArray("rounds")).hasSize(3);
    byte[] png = Files.readAllBytes(out.resolve("curve.png"));
    assertThat(Arrays.copyOf(png, 8)).containsExactly(0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n');

    // --resume on the completed run: nothing trained, nothing rewritten, the same table
    Map<String, String> before = contents(out);
    List<String> withResume = new ArrayList<>(List.of(args));
    withResume.add("--resume");
    StringBuilder resumeBars = new StringBuilder();
    CliRun resumed = runCapturingBars(resumeBars, withResume.toArray(String[]::new));
    assertThat(resumed.exit()).as(resumed.err()).isZero();
    assertThat(resumed.err()).isEmpty();
    assertThat(resumed.out()).contains("resuming after round 2\n").doesNotContain("round  0  ");
    assertThat(resumeBars.toString()).doesNotContain("round 0/2", "round 1/2", "round 2/2");
    assertThat(table(resumed.out())).isEqualTo(table);
    assertThat(contents(out)).isEqualTo(before);

    // --resume with another seed: refused, config.json byte for byte as it was
    byte[] config = Files.readAllBytes(out.resolve("config.json"));
    List<String> otherSeed = new ArrayList<>(withResume);
    otherSeed.addAll(List.of("--seed", "5"));
    CliRun refused = CliRun.of(otherSeed.toArray(String[]::new));
    assertThat(refused.exit()).isEqualTo(2);
    assertOneLine(refused.err(), "other settings", "seed: 0 -> 5");
    assertThat(Files.readAllBytes(out.resolve("config.json"))).isEqualTo(config);
    assertThat(contents(out)).isEqualTo(before);

    // the same directory again without --resume: refused
    CliRun again = CliRun.of(args);
    assertThat(again.exit()).isEqualTo(2);
    assertOneLine(again.err(), "lth imp: --out " + out
        + " already holds a run; add --resume to continue it or choose another --out");
    assertThat(contents(out)).isEqualTo(before);
  }

  private static void assertOneLine(String err, String... fragments) {
    assertThat(err).startsWith("lth imp: ").endsWith("\n").contains(fragments);
    assertThat(err.lines().count()).as(err).isEqualTo(1);
  }

  // ---------------------------------------------------------------- bad input

  /** A bad command line: {@code args} is given the temporary directory to put files in. */
  record BadInput(String label, Args args, String... fragments) {
    @Override
    public String toString() {
      return label;
    }
  }

  @FunctionalInterface
  interface Args {
    List<String> in(Path dir) throws IOException;
  }

  /** Short-run settings plus {@code extra}; these runs must fail before any training. */
  private static List<String> small(String... extra) {
    List<String> a = new ArrayList<>(List.of(extra));
    if (!a.contains("--steps") && !a.contains("--epochs")) {
      a.addAll(List.of("--steps", "5"));
    }
    if (!a.contains("--target-sparsity")) {
      a.addAll(List.of("--target-sparsity", "0.2"));
    }
    return a;
  }

  static Stream<BadInput> badInputs() {
    return Stream.of(
        new BadInput("unknown model", d -> small("--model", "lenet5"),
            "--model: unknown model 'lenet5' (known: "),
        new BadInput("unknown data name", d -> small("--data", "mnist-deluxe"),
            "lth imp: --data: unknown data set 'mnist-deluxe'"),
        new BadInput("data directory holding no known data set",
            d -> small("--data", Files.createDirectories(d.resolve("empty")).toString()),
            "lth imp: --data: data set ", "no known data set; looked for IDX files",
            "CIFAR-10 files", "an image folder"),
        new BadInput("truncated IDX file", d -> small("--data", idxDirectory(d, 20, true)),
            "train-images-idx3-ubyte: truncated: the header announces 15680 data bytes"),
        new BadInput("empty data set", d -> small("--data", idxDirectory(d, 0, false)),
            "empty set (0 items)"),
        new BadInput("target sparsity 1", d -> small("--target-sparsity", "1.0"),
            "--target-sparsity must be in (0, 1): 1.0"),
        new BadInput("target sparsity 0", d -> small("--target-sparsity", "0"),
            "--target-sparsity must be in (0, 1): 0.0"),
        new BadInput("rate 0", d -> small("--rate", "0"), "--rate must be in (0, 1): 0.0"),
        new BadInput("rate 1", d -> small("--rate", "1"), "--rate must be in (0, 1): 1.0"),
        new BadInput("epochs 0", d -> small("--epochs", "0"), "--epochs must be positive: 0"),
        new BadInput("steps 0", d -> small("--steps", "0"), "--steps must be positive: 0"),
        new BadInput("epochs and steps", d -> small("--epochs", "1", "--steps", "5"),
            "--epochs and --steps exclude each other"),
        new BadInput("pre-trained weights that do not fit",
            d -> small("--rewind", "pretrained:" + misfitWeights(d)),
            "lth imp: --rewind: pre-trained weights do not fit the model: 'fc1_weight' has"
                + " shape (2, 2), model has (300, 784); unknown 'bogus'"),
        new BadInput("pre-trained file missing",
            d -> small("--rewind", "pretrained:" + d.resolve("nothing.npz")),
            "--rewind pretrained: file ", "nothing.npz not found"),
        new BadInput("device tpu", d -> small("--device", "tpu"),
            "lth imp: --device: unknown device 'tpu' (use auto, cpu or gpu)"),
        new BadInput("rewind bogus", d -> small("--rewind", "bogus"),
            "lth imp: --rewind: cannot read 'bogus' (use init, step:K, "),
        new BadInput("unknown criterion", d -> small("--criterion", "largest"),
            "lth imp: --criterion: unknown criterion 'largest'"),
        new BadInput("unknown scope", d -> small("--scope", "row"), "--scope"),
        new BadInput("unknown optimizer", d -> small("--optimizer", "rmsprop"),
            "lth imp: --optimizer: unknown optimizer 'rmsprop' (use adam, adamw"),
        new BadInput("batch size 0", d -> small("--batch-size", "0"),
            "lth imp: --batch-size: batch size must be positive: 0"),
        new BadInput("learning rate 0", d -> small("--lr", "0"),
            "lth imp: --lr: learning rate must be positive: 0.0"),
        new BadInput("momentum 1", d -> small("--optimizer", "sgd", "--momentum", "1"),
            "lth imp: --momentum: momentum must be in [0, 1): 1.0"),
        new BadInput("momentum with adam", d -> small("--momentum", "0.5"),
            "lth imp: --momentum: momentum applies to sgd and nesterov only, not adam: 0.5"),
        new BadInput("weight decay -1", d -> small("--weight-decay=-1"),
            "lth imp: --weight-decay: weight decay must not be negative: -1.0"),
        new BadInput("include not a regular expression", d -> small("--include", "fc(["),
            "lth imp: --include: not a valid regular expression 'fc(['"),
        new BadInput("target sparsity below one round", d -> small("--rate", "0.5"),
            "lth imp: --target-sparsity: target sparsity 0.2 is below one round at rate 0.5"),
        new BadInput("model too large for the images", d -> small("--model", "conv6",
            "--data", idxDirectory(d, 20, 4, false)),
            "lth imp: --model: model conv6: images of 4x4 are too small for 3 2x2 poolings"),
        new BadInput("validation 1", d -> small("--validation", "1"),
            "--validation must be in [0, 1): 1.0"),
        new BadInput("rewind fraction 1.5", d -> small("--rewind", "fraction:1.5"),
            "lth imp: --rewind: cannot read 'fraction:1.5'"),
        new BadInput("unknown learning-rate schedule", d -> small("--lr-schedule", "linear"),
            "lth imp: --lr-schedule: unknown schedule 'linear' (use constant, cosine,"),
        new BadInput("learning-rate schedule gamma 2", d -> small("--lr-schedule", "step:10:2"),
            "lth imp: --lr-schedule: learning-rate schedule step: gamma must be in (0, 1]: 2.0"),
        new BadInput("depth 0", d -> small("--depth", "0"),
            "lth imp: --depth: number of layers must be positive: 0"),
        new BadInput("unknown task", d -> small("--task", "jigsaw"),
            "lth imp: --task: unknown task 'jigsaw' (known: classification, rotnet, simclr,"
                + " exemplar, npid, s4l)"),
        new BadInput("simclr with a batch of one", d -> small("--task", "simclr",
            "--batch-size", "1"),
            "lth imp: --batch-size: simclr needs at least 2 images per batch, got 1"),
        new BadInput("temperature 0", d -> small("--task", "simclr", "--temperature", "0"),
            "lth imp: --temperature: temperature must be positive: 0.0"),
        new BadInput("temperature for rotnet", d -> small("--task", "rotnet", "--temperature",
            "0.5"), "lth imp: --temperature: applies to simclr and npid, not rotnet"),
        new BadInput("views for classification", d -> small("--views", "flip"),
            "lth imp: --views applies to the self-supervised tasks, not to --task"
                + " classification"),
        new BadInput("two task flags for classification", d -> small("--temperature", "0.5",
            "--labelled", "5"), "lth imp: --temperature, --labelled apply to the"
                + " self-supervised tasks, not to --task classification"),
        new BadInput("labelled classes for simclr", d -> small("--task", "simclr",
            "--labelled-classes", "20"), "lth imp: --labelled-classes applies to s4l, not"
                + " simclr"),
        new BadInput("a class the data set does not have", d -> small("--classes", "0,42"),
            "lth imp: --classes: classes [0, 42]: data set embedded-train: class 42 is outside"
                + " [0, 10)"),
        new BadInput("augmentation for simclr", d -> small("--task", "simclr", "--augment",
            "flip"), "lth imp: --augment: applies to classification, not to the simclr task"),
        new BadInput("views that do not parse", d -> small("--task", "simclr", "--views",
            "crop:2"), "lth imp: --views: views 'crop:2'"),
        new BadInput("labelled 0 %", d -> small("--task", "s4l", "--labelled", "0"),
            "lth imp: --labelled must be in (0, 100]: 0.0"),
        new BadInput("rotnet on images that are not square", d -> small("--task", "rotnet",
            "--data", wideImageFolder(d), "--validation", "0"), "lth imp: --data: data set ",
            " has 28x32 images; rotnet rotates images by 90 degrees and needs square images"));
  }

  /** An image folder of 28x32 (height x width) grey PNGs: two classes, two images each. */
  static String wideImageFolder(Path dir) throws IOException {
    Path root = dir.resolve("wide");
    for (String split : List.of("train", "test")) {
      for (String c : List.of("a", "b")) {
        Path d = Files.createDirectories(root.resolve(split).resolve(c));
        for (int i = 0; i < 2; i++) {
          BufferedImage image = new BufferedImage(32, 28, BufferedImage.TYPE_BYTE_GRAY);
          image.getRaster().setSample(i, i, 0, 200);
          ImageIO.write(image, "png", d.resolve(i + ".png").toFile());
        }
      }
    }
    return root.toString();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("badInputs")
  void badInputExitsWith2OneLineAndCreatesNoRunDirectory(BadInput bad) throws IOException {
    Path out = tmp.resolve("run");
    List<String> args = new ArrayList<>(List.of("imp", "--out", out.toString()));
    args.addAll(bad.args().in(tmp));
    CliRun run = CliRun.of(args.toArray(String[]::new));

    assertThat(run.exit()).as(run.err()).isEqualTo(2);
    assertOneLine(run.err(), bad.fragments());
    assertThat(out).doesNotExist();
  }

  @Test
  void gpuRequestedWithoutAGpuExitsWith2AndCreatesNoRunDirectory() {
    Assumptions.assumeTrue(Engine.getInstance().getGpuCount() == 0, "a GPU is present");
    Path out = tmp.resolve("run");
    CliRun run = CliRun.of("imp", "--out", out.toString(), "--steps", "5", "--target-sparsity",
        "0.2", "--device", "gpu");

    assertThat(run.exit()).isEqualTo(2);
    assertThat(run.err()).isEqualTo("lth imp: --device: no GPU found for 'gpu' (DJL sees 0 CUDA"
        + " devices); use cpu or auto\n");
    assertThat(out).doesNotExist();
  }

  @Test
  void pretrainedDjlParamsFileIsTheStartingPoint() throws IOException {
    Weights pretrained;
    try (DjlModel m = DjlModel.create(Models.lenet300(10), new Shape(1, 1, 28, 28),
        Device.cpu(), 77);
        Model model = Model.newInstance("lenet", Device.cpu())) {
      pretrained = m.state();
      model.setBlock(m.block());
      model.save(tmp, "lenet");
    }
    Path out = tmp.resolve("run");
    CliRun run = CliRun.of("imp", "--out", out.toString(), "--steps", "5", "--target-sparsity",
        "0.2", "--device", "cpu", "--rewind", "pretrained:" + tmp.resolve("lenet-0000.params"));

    assertThat(run.exit()).as(run.err()).isZero();
    assertThat(WeightsIO.read(out.resolve("initial.npz"))).isEqualTo(pretrained);
  }

  @Test
  void aKeyMapRenamesPyTorchStyleKeysOfPretrainedWeights() throws IOException {
    Weights pretrained;
    try (DjlModel m = DjlModel.create(Models.lenet300(10), new Shape(1, 1, 28, 28),
        Device.cpu(), 78)) {
      pretrained = m.state();
    }
    // the same values under PyTorch state_dict names fc0.weight, fc0.bias, ...
    Weights.Builder torch = Weights.builder();
    StringBuilder map = new StringBuilder("# state_dict key -> lth4j parameter\n");
    List<String> names = pretrained.names();
    for (int i = 0; i < names.size(); i++) {
      String key = "fc" + i / 2 + (i % 2 == 0 ? ".weight" : ".bias");
      torch.put(key, pretrained.shape(names.get(i)), pretrained.values(names.get(i)));
      map.append(key).append(" -> ").append(names.get(i)).append('\n');
    }
    Path file = tmp.resolve("state_dict.npz");
    WeightsIO.write(torch.build(), file);
    Path mapping = Files.writeString(tmp.resolve("keys.txt"), map.toString());
    Path out = tmp.resolve("mapped");
    CliRun run = CliRun.of("imp", "--out", out.toString(), "--steps", "5", "--target-sparsity",
        "0.2", "--device", "cpu", "--rewind", "pretrained:" + file, "--key-map",
        mapping.toString());
    assertThat(run.exit()).as(run.err()).isZero();
    assertThat(WeightsIO.read(out.resolve("initial.npz"))).isEqualTo(pretrained);

    // a mapping that leaves two parameters unmatched names them and writes nothing
    String partial = map.toString().lines().filter(l -> !l.startsWith("fc2."))
        .reduce("", (a, b) -> a + b + "\n");
    Path partialMap = Files.writeString(tmp.resolve("partial.txt"), partial);
    Path failed = tmp.resolve("unmatched");
    CliRun bad = CliRun.of("imp", "--out", failed.toString(), "--steps", "5",
        "--target-sparsity", "0.2", "--device", "cpu", "--rewind", "pretrained:" + file,
        "--key-map", partialMap.toString());
    assertThat(bad.exit()).isEqualTo(2);
    assertOneLine(bad.err(), "lth imp: --key-map: key mapping " + partialMap + " leaves model"
        + " parameters unmatched: " + String.join(", ", Stream.of(names.get(4), names.get(5))
        .sorted().toList()) + " (file keys not used: fc2.bias, fc2.weight)");
    assertThat(failed).doesNotExist();
  }

  @ParameterizedTest(name = "--rewind {0} with --steps 5")
  @CsvSource({"step:6, step 6", "epoch:1, step 90"})
  void rewindPointBeyondRound0ExitsWith2BeforeWritingAnything(String rewind, String step) {
    Path out = tmp.resolve("run");
    CliRun run = CliRun.of("imp", "--out", out.toString(), "--steps", "5", "--target-sparsity",
        "0.2", "--rewind", rewind);

    assertThat(run.exit()).as(run.err()).isEqualTo(2);
    assertOneLine(run.err(), "--rewind: rewind " + rewind + " is " + step
        + ", but training ends after 5 steps (90 per epoch)");
    assertThat(out).doesNotExist();
  }

  @Test
  void progressBarFillsWhenTrainingBySteps() {
    StringBuilder bars = new StringBuilder();
    CliRun run = runCapturingBars(bars, "imp", "--out", tmp.resolve("run").toString(), "--steps",
        "7", "--target-sparsity", "0.2", "--device", "cpu");

    assertThat(run.exit()).as(run.err()).isZero();
    assertThat(bars.toString()).contains("round 1/1", " 7/7 ").doesNotContain("/100 ");
  }

  /**
   * A directory with the four IDX files of {@code n} training and {@code n / 2} test images of
   * 28×28; if {@code truncate}, the training images file lacks its last 100 bytes.
   */
  private static String idxDirectory(Path parent, int n, boolean truncate) throws IOException {
    return idxDirectory(parent, n, 28, truncate);
  }

  /** The same with images of {@code side}×{@code side}. */
  private static String idxDirectory(Path parent, int n, int side, boolean truncate)
      throws IOException {
    Path d = Files.createDirectories(parent.resolve("idx-" + n + "-" + side
        + (truncate ? "-cut" : "")));
    int pixels = side * side;
    byte[] train = new byte[n * pixels];
    Arrays.fill(train, (byte) 17);
    writeIdx(d.resolve("train-images-idx3-ubyte"), new int[] {n, side, side},
        truncate ? Arrays.copyOf(train, train.length - 100) : train);
    writeIdx(d.resolve("train-labels-idx1-ubyte"), new int[] {n}, labels(n));
    writeIdx(d.resolve("t10k-images-idx3-ubyte"), new int[] {n / 2, side, side},
        new byte[n / 2 * pixels]);
    writeIdx(d.resolve("t10k-labels-idx1-ubyte"), new int[] {n / 2}, labels(n / 2));
    return d.toString();
  }

  private static byte[] labels(int n) {
    byte[] b = new byte[n];
    for (int i = 0; i < n; i++) {
      b[i] = (byte) (i % 10);
    }
    return b;
  }

  /** An IDX file of unsigned bytes, written byte by byte from the format's description. */
  private static void writeIdx(Path file, int[] dims, byte[] data) throws IOException {
    try (OutputStream raw = Files.newOutputStream(file);
        DataOutputStream out = new DataOutputStream(raw)) {
      out.writeByte(0);
      out.writeByte(0);
      out.writeByte(0x08);
      out.writeByte(dims.length);
      for (int dim : dims) {
        out.writeInt(dim);
      }
      out.write(data);
    }
  }

  /** fc1_weight with the wrong shape and a tensor LeNet-300-100 does not have. */
  private static Path misfitWeights(Path dir) throws IOException {
    Path f = dir.resolve("misfit.npz");
    WeightsIO.write(Weights.builder()
        .put("fc1_weight", new long[] {2, 2}, new float[] {1, 2, 3, 4})
        .put("bogus", new long[] {3}, new float[] {1, 2, 3})
        .build(), f);
    return f;
  }
}
