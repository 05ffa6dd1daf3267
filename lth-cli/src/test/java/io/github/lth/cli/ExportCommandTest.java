package io.github.lth.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.google.gson.JsonParser;
import io.github.lth.core.Mask;
import io.github.lth.core.Metrics;
import io.github.lth.core.Round;
import io.github.lth.core.TrainingSummary;
import io.github.lth.core.Weights;
import io.github.lth.core.io.CompactWeights;
import io.github.lth.core.io.MaskIO;
import io.github.lth.core.io.WeightsIO;
import io.github.lth.core.run.RunStore;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ExportCommandTest {
  /** conv1_weight and fc1_weight are masked; the biases and the head are not. */
  private static final Map<String, long[]> SHAPES = new LinkedHashMap<>();
  private static final List<String> MASKED = List.of("conv1_weight", "fc1_weight");
  private static final int ROUNDS = 3;

  static {
    SHAPES.put("conv1_weight", new long[] {4, 1, 3, 3});
    SHAPES.put("conv1_bias", new long[] {4});
    SHAPES.put("fc1_weight", new long[] {10, 37});
    SHAPES.put("fc1_bias", new long[] {10});
    SHAPES.put("head_weight", new long[] {3, 10});
  }

  @TempDir Path tmp;
  Path run;
  final List<Mask> masks = new ArrayList<>();
  final List<Weights> trained = new ArrayList<>();

  /**
   * A run of three rounds written through {@link RunStore}: round r keeps the weights whose
   * fixed random score is at least 1 - 0.5^r; every round has its own trained weights, with
   * -0.0 and a NaN with a payload among them.
   */
  @BeforeEach
  void writeRun() throws IOException {
    run = tmp.resolve("run");
    Random rng = new Random(42);
    Map<String, double[]> scores = new LinkedHashMap<>();
    for (String layer : MASKED) {
      double[] s = new double[size(SHAPES.get(layer))];
      for (int i = 0; i < s.length; i++) {
        s[i] = rng.nextDouble();
      }
      scores.put(layer, s);
    }
    try (RunStore store = RunStore.open(run, JsonParser.parseString(
        "{\"rounds\":" + (ROUNDS - 1) + ",\"seed\":1}").getAsJsonObject(), Map.of(), false)) {
      for (int r = 0; r < ROUNDS; r++) {
        double pruned = 1 - Math.pow(0.5, r);
        Mask.Builder mb = Mask.builder();
        for (String layer : MASKED) {
          double[] s = scores.get(layer);
          boolean[] kept = new boolean[s.length];
          for (int i = 0; i < s.length; i++) {
            kept[i] = s[i] >= pruned;
          }
          mb.put(layer, SHAPES.get(layer), kept);
        }
        Mask mask = mb.build();
        Weights.Builder wb = Weights.builder();
        SHAPES.forEach((name, shape) -> {
          float[] v = new float[size(shape)];
          for (int i = 0; i < v.length; i++) {
            v[i] = i % 7 == 3 ? -0.0f : (float) rng.nextGaussian();
          }
          wb.put(name, shape, v);
        });
        float[] head = new float[30];
        head[5] = Float.intBitsToFloat(0x7fc0abcd);
        head[6] = -0.0f;
        Weights w = wb.build();
        Weights.Builder withHead = Weights.builder();
        for (String n : w.names()) {
          withHead.put(n, w.shape(n), n.equals("head_weight") ? head : w.values(n));
        }
        Weights weights = withHead.build();
        store.writeRound(new Round(r, mask, Metrics.of(Map.of("val_accuracy", 0.9)),
            new TrainingSummary(10, 1, 0.5, 0, mask)), weights);
        masks.add(mask);
        trained.add(weights);
      }
    }
  }

  private static int size(long[] shape) {
    int n = 1;
    for (long d : shape) {
      n *= (int) d;
    }
    return n;
  }

  static void assertSameBits(Weights actual, Weights expected) {
    assertThat(actual.names()).isEqualTo(expected.names());
    for (String n : expected.names()) {
      assertThat(actual.shape(n)).as(n).isEqualTo(expected.shape(n));
      float[] a = actual.values(n);
      float[] e = expected.values(n);
      assertThat(a).as(n).hasSameSizeAs(e);
      for (int i = 0; i < e.length; i++) {
        assertThat(Float.floatToRawIntBits(a[i])).as("%s[%s]", n, i)
            .isEqualTo(Float.floatToRawIntBits(e[i]));
      }
    }
  }

  /** The sizes as this test computes them: from files written by WeightsIO and gzip. */
  private record Sizes(long dense, long compact, long gzip, double bitsPerMaskedWeight,
      double sparsity) {}

  private Sizes expectedSizes(int round) throws IOException {
    Mask mask = masks.get(round);
    Weights weights = trained.get(round);
    Path npz = Files.createTempFile(tmp, "dense", ".npz");
    WeightsIO.write(weights.masked(mask), npz);
    byte[] bytes = Files.readAllBytes(npz);
    Files.delete(npz);
    ByteArrayOutputStream gz = new ByteArrayOutputStream();
    try (GZIPOutputStream g = new GZIPOutputStream(gz)) {
      g.write(bytes);
    }
    long compact = 12;
    long maskedRecords = 0;
    for (String name : weights.names()) {
      long n = size(weights.shape(name));
      long head = 2 + name.length() + 1 + 1 + 8L * weights.shape(name).length + 4;
      if (mask.contains(name)) {
        long record = head + 8 + (n + 7) / 8 + 4 * mask.kept(name);
        compact += record;
        maskedRecords += record;
      } else {
        compact += head + 4 * n;
      }
    }
    return new Sizes(bytes.length, compact, gz.size(), 8.0 * maskedRecords / mask.size(),
        mask.sparsity());
  }

  private String sizesLine(Sizes s) {
    return String.format(Locale.ROOT, "sizes: dense %,d bytes, compact %,d bytes, gzip %,d"
        + " bytes; compact %.2f bits per masked weight ((1 - s) * 32 + 1 = %.2f)%n", s.dense(),
        s.compact(), s.gzip(), s.bitsPerMaskedWeight(), (1 - s.sparsity()) * 32 + 1);
  }

  @Test
  void compactExportOfTheLastRoundByDefaultRestoresTheMaskedWeights() throws IOException {
    Path out = tmp.resolve("model.lthc");
    CliRun cli = CliRun.of("export", run.toString(), "--out", out.toString());

    assertThat(cli.err()).isEmpty();
    assertThat(cli.exit()).isZero();
    CompactWeights.Contents c = CompactWeights.read(out);
    assertSameBits(c.weights(), trained.get(2).masked(masks.get(2)));
    assertThat(c.mask()).isEqualTo(MaskIO.read(run.resolve("round-02/mask.npz")));
    Sizes s = expectedSizes(2);
    assertThat(Files.size(out)).isEqualTo(s.compact());
    assertThat(cli.out()).isEqualTo(String.format(Locale.ROOT, "wrote %s (compact): round 2 of"
        + " %s, %.2f%% sparse; 5 tensors, 2 masked%n", out, run, 100 * masks.get(2).sparsity())
        + sizesLine(s));
    assertThat(masks.get(2).sparsity()).isBetween(0.7, 0.8);
  }

  @Test
  void npzAndSafetensorsHoldTheMaskedWeightsNamedAsInTheMask() throws IOException {
    Path npz = tmp.resolve("r1.npz");
    Path st = tmp.resolve("r1.safetensors");
    CliRun a = CliRun.of("export", run.toString(), "--round", "1", "--format", "npz", "--out",
        npz.toString());
    CliRun b = CliRun.of("export", run.toString(), "--round", "1", "--out", st.toString());

    assertThat(a.exit()).as(a.err()).isZero();
    assertThat(b.exit()).as(b.err()).isZero();
    Weights expected = trained.get(1).masked(masks.get(1));
    assertSameBits(WeightsIO.read(npz), expected);
    assertSameBits(WeightsIO.read(st), expected);
    assertThat(WeightsIO.read(npz).names()).containsSubsequence(
        MaskIO.read(run.resolve("round-01/mask.npz")).layers());
    assertThat(a.out()).startsWith("wrote " + npz + " (npz): round 1 of " + run + ", ");
    assertThat(b.out()).startsWith("wrote " + st + " (safetensors): round 1 of " + run + ", ")
        .endsWith(sizesLine(expectedSizes(1)));
  }

  /**
   * Reads the safetensors file as the specification describes it, independently of our reader
   * (no safetensors package here): an 8-byte little-endian header length, a JSON header of
   * dtype, shape and data_offsets per tensor (plus an optional string-to-string
   * __metadata__), then data the offsets cover exactly, without gaps. Also loads the .npz with
   * numpy. Both go back to .npz files for Java to compare bit for bit.
   */
  private static final String READ_AS_SPECIFIED = """
      import json, struct, sys, numpy as np
      st, npz, st_out, npz_out = sys.argv[1:5]
      data = open(st, "rb").read()
      (n,) = struct.unpack("<Q", data[:8])
      assert 8 + n <= len(data), "header longer than the file"
      text = data[8:8 + n].decode("utf-8")
      assert text.startswith("{"), "header is not a JSON object"
      header = json.loads(text)
      meta = header.pop("__metadata__", {})
      assert all(isinstance(k, str) and isinstance(v, str) for k, v in meta.items()), meta
      buf = data[8 + n:]
      assert (8 + n) % 8 == 0, "data not 8-byte aligned"
      arrays, end = {}, 0
      for name, t in sorted(header.items(), key=lambda kv: kv[1]["data_offsets"][0]):
          assert t["dtype"] == "F32", (name, t["dtype"])
          begin, stop = t["data_offsets"]
          assert begin == end, (name, "gap or overlap", begin, end)
          count = int(np.prod(t["shape"], dtype=np.int64))
          assert stop - begin == 4 * count, (name, t)
          arrays[name] = np.frombuffer(buf[begin:stop], dtype="<f4").reshape(t["shape"])
          end = stop
      assert end == len(buf), ("bytes after the data", end, len(buf))
      np.savez(st_out, **arrays)
      with np.load(npz, allow_pickle=False) as z:
          for k in z.files:
              assert z[k].dtype == np.dtype("<f4"), (k, z[k].dtype)
          np.savez(npz_out, **{k: z[k] for k in z.files})
      print(" ".join(header))
      """;

  @Test
  void pythonReadsBothExportsAsTheirSpecificationsSay() throws Exception {
    assumeTrue(Python.run("-c", "import numpy").exit() == 0, "python3 with numpy not found");
    Path npz = tmp.resolve("r2.npz");
    Path st = tmp.resolve("r2.safetensors");
    assertThat(CliRun.of("export", run.toString(), "--out", npz.toString()).exit()).isZero();
    assertThat(CliRun.of("export", run.toString(), "--out", st.toString()).exit()).isZero();
    Path stBack = tmp.resolve("st-by-python.npz");
    Path npzBack = tmp.resolve("npz-by-python.npz");

    Python.Result py = Python.run("-c", READ_AS_SPECIFIED, st.toString(), npz.toString(),
        stBack.toString(), npzBack.toString());

    assertThat(py.exit()).as(py.output()).isZero();
    assertThat(py.output().strip()).isEqualTo(String.join(" ", SHAPES.keySet()));
    Weights expected = trained.get(2).masked(masks.get(2));
    assertSameBits(WeightsIO.read(stBack), expected);
    assertSameBits(WeightsIO.read(npzBack), expected);
  }

  @Test
  void fromTurnsACompactFileBackIntoDenseFiles() throws IOException {
    Path lthc = tmp.resolve("r1.lthc");
    assertThat(CliRun.of("export", run.toString(), "--round", "1", "--format", "compact",
        "--out", lthc.toString()).exit()).isZero();
    Path npz = tmp.resolve("back.npz");
    Path st = tmp.resolve("back.bin.safetensors");

    CliRun a = CliRun.of("export", "--from", lthc.toString(), "--out", npz.toString());
    CliRun b = CliRun.of("export", "--from", lthc.toString(), "--format", "safetensors",
        "--out", st.toString());

    assertThat(a.err()).isEmpty();
    assertThat(a.exit()).isZero();
    assertThat(b.exit()).as(b.err()).isZero();
    Weights expected = trained.get(1).masked(masks.get(1));
    assertSameBits(WeightsIO.read(npz), expected);
    assertSameBits(WeightsIO.read(st), expected);
    assertThat(a.out()).isEqualTo(String.format(Locale.ROOT, "wrote %s (npz): 5 tensors from %s,"
        + " 2 masked, %.2f%% sparse%n", npz, lthc, 100 * masks.get(1).sparsity()));
  }

  @Test
  void sizesTabulateEveryRoundAndWriteCsv() throws IOException {
    Path csv = tmp.resolve("sizes.csv");
    CliRun cli = CliRun.of("export", run.toString(), "--sizes", "--out", csv.toString());

    assertThat(cli.err()).isEmpty();
    assertThat(cli.exit()).isZero();
    Table table = new Table("round", "sparsity", "dense bytes", "compact bytes", "gzip bytes",
        "compact bits/weight", "(1-s)*32+1").rightAlignFrom(0);
    StringBuilder expectedCsv = new StringBuilder("round,sparsity,dense_bytes,compact_bytes,"
        + "gzip_bytes,compact_bits_per_masked_weight,ideal_bits_per_masked_weight\n");
    for (int r = 0; r < ROUNDS; r++) {
      Sizes s = expectedSizes(r);
      double ideal = (1 - s.sparsity()) * 32 + 1;
      table.row(Integer.toString(r), String.format(Locale.ROOT, "%.2f%%", 100 * s.sparsity()),
          String.format(Locale.ROOT, "%,d", s.dense()),
          String.format(Locale.ROOT, "%,d", s.compact()),
          String.format(Locale.ROOT, "%,d", s.gzip()),
          String.format(Locale.ROOT, "%.2f", s.bitsPerMaskedWeight()),
          String.format(Locale.ROOT, "%.2f", ideal));
      expectedCsv.append(String.format(Locale.ROOT, "%d,%.6f,%d,%d,%d,%.4f,%.4f%n", r,
          s.sparsity(), s.dense(), s.compact(), s.gzip(), s.bitsPerMaskedWeight(), ideal));
    }
    StringWriter text = new StringWriter();
    table.print(new PrintWriter(text, true));
    assertThat(cli.out()).isEqualTo(text + "wrote " + csv + System.lineSeparator());
    assertThat(Files.readString(csv)).isEqualTo(expectedCsv.toString());
    // the dense file does not shrink with sparsity; the compact one does
    assertThat(expectedSizes(2).compact()).isLessThan(expectedSizes(1).compact());
    assertThat(expectedSizes(2).dense()).isEqualTo(expectedSizes(0).dense());
  }

  @Test
  void sizesWithoutOutOnlyPrint() throws IOException {
    CliRun cli = CliRun.of("export", run.toString(), "--sizes");
    assertThat(cli.exit()).as(cli.err()).isZero();
    assertThat(cli.out().lines().toList()).hasSize(1 + ROUNDS);
    assertThat(cli.out()).doesNotContain("wrote");
    assertThat(listing()).containsExactly("run");
  }

  private List<String> listing() throws IOException {
    try (Stream<Path> files = Files.list(tmp)) {
      return files.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  /** Exit 2, exactly {@code message} as the one line on stderr, and no file added or changed. */
  private void assertRefused(String message, String... args) throws IOException {
    Path keep = tmp.resolve("existing.npz");
    Files.writeString(keep, "old");
    List<String> before = listing();
    CliRun cli = CliRun.of(args);
    assertThat(cli.exit()).as(cli.err()).isEqualTo(2);
    assertThat(cli.err()).isEqualTo(message + "\n");
    assertThat(cli.out()).isEmpty();
    assertThat(listing()).isEqualTo(before);
    assertThat(Files.readString(keep)).isEqualTo("old");
  }

  @Test
  void badInputIsOneLineExitTwoAndWritesNothing() throws IOException {
    String r = run.toString();
    String existing = tmp.resolve("existing.npz").toString();
    assertRefused("lth export: round 7 does not exist in " + r + " (it has rounds 0 to 2)",
        "export", r, "--round", "7", "--out", existing);
    assertRefused("lth export: --format: unknown format 'zip' (use npz, safetensors or"
        + " compact)", "export", r, "--format", "zip", "--out", existing);
    Path bin = tmp.resolve("model.bin");
    assertRefused("lth export: --format: cannot tell the format from --out " + bin
        + " (name it .npz, .safetensors or .lthc, or give --format)",
        "export", r, "--out", bin.toString());
    assertRefused("lth export: --format npz needs --out ending in .npz (got " + bin + ")",
        "export", r, "--format", "npz", "--out", bin.toString());
    assertRefused("lth export: --format safetensors does not match --out " + existing
        + "; name it .safetensors", "export", r, "--format", "safetensors", "--out", existing);
    Path nowhere = tmp.resolve("no/such/dir/m.lthc");
    assertRefused("lth export: --out: directory " + nowhere.getParent() + " does not exist (for "
        + nowhere + ")", "export", r, "--out", nowhere.toString());
    assertRefused("lth export: run directory " + tmp.resolve("nope") + " not found",
        "export", tmp.resolve("nope").toString(), "--out", existing);
    assertRefused("lth export: Missing required option: '--out=FILE' (see 'lth export --help')",
        "export", r);
    assertRefused("lth export: Missing required parameter: 'RUN_DIR' (or --from FILE.lthc) (see"
        + " 'lth export --help')", "export", "--out", existing);
    assertRefused("lth export: --round: --sizes reports every round; leave --round out",
        "export", r, "--sizes", "--round", "1");
    assertRefused("lth export: --format: --sizes reports every format; leave --format out",
        "export", r, "--sizes", "--format", "npz");
  }

  @Test
  void badFromIsOneLineExitTwoAndWritesNothing() throws IOException {
    String existing = tmp.resolve("existing.npz").toString();
    Path lthc = tmp.resolve("m.lthc");
    CompactWeights.write(trained.get(1), masks.get(1), lthc);
    Path missing = tmp.resolve("missing.lthc");
    assertRefused("lth export: --from: no such file: " + missing,
        "export", "--from", missing.toString(), "--out", existing);
    Path weights = run.resolve("round-01/weights.npz");
    assertRefused("lth export: --from: " + weights + " is not an .lthc file (export a run's round"
        + " with: lth export RUN_DIR --round N --out FILE)",
        "export", "--from", weights.toString(), "--out", existing);
    assertRefused("lth export: --format: " + lthc + " is compact already; convert it to npz or"
        + " safetensors", "export", "--from", lthc.toString(), "--out",
        tmp.resolve("again.lthc").toString());
    assertRefused("lth export: --from: give RUN_DIR or --from, not both",
        "export", run.toString(), "--from", lthc.toString(), "--out", existing);
    assertRefused("lth export: --from: --round applies to a run directory, not to an .lthc file",
        "export", "--from", lthc.toString(), "--round", "1", "--out", existing);

    byte[] bytes = Files.readAllBytes(lthc);
    bytes[bytes.length - 10] ^= 4;
    Path corrupt = tmp.resolve("corrupt.lthc");
    Files.write(corrupt, bytes);
    assertRefused("lth export: cannot read " + corrupt + ": tensor 'head_weight' is corrupt (its"
        + " CRC-32 does not match its bytes)", "export", "--from", corrupt.toString(), "--out",
        existing);
    Path cut = tmp.resolve("cut.lthc");
    // 12 bytes of file header, then conv1_weight's name, kind and rank: its shape is cut
    Files.write(cut, java.util.Arrays.copyOf(Files.readAllBytes(lthc), 30));
    assertRefused("lth export: cannot read " + cut + ": tensor 'conv1_weight' is truncated (the"
        + " file ends inside it)", "export", "--from", cut.toString(), "--out", existing);
  }

  @Test
  void helpHasExamplesAndTheTopLevelListsExport() {
    CliRun help = CliRun.of("export", "--help");
    assertThat(help.exit()).isZero();
    assertThat(help.out()).startsWith("Usage: lth export").contains("\nExamples:\n",
        "lth export runs/lenet --out lenet.lthc", "--from", "--sizes", "--shrink",
        "lth export runs/conv4-filters --shrink --out conv4-small.safetensors");
    assertThat(help.out().replaceAll("\\s+", " ")).contains("Default: the last complete round.",
        "Default: 16, which suits SIMD kernels");
    assertThat(CliRun.of("--help").out()).containsPattern(
        "\\n  export +Export a round's pruned weights as npz, safetensors or .lthc.\\n");
  }
}
