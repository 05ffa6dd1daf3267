package io.github.lth.cli;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.engine.EngineException;
import io.github.lth.core.Mask;
import io.github.lth.core.Scores;
import io.github.lth.core.Subnetwork;
import io.github.lth.core.io.WeightsIO;
import io.github.lth.core.prune.PruningCriterion;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.zip.Deflater;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * Running out of memory, Java's or PyTorch's, is one line on standard error and exit code 2:
 * for real in a small-heap JVM running the CLI's main class, and in process for the lines' text.
 */
class OutOfMemoryTest {
  private static final long MB = 1L << 20;
  private static final long GB = 1L << 30;

  /** PyTorch's CPU allocator's message as DJL passes it on: location, condition, trace. */
  private static final String CPU_ALLOCATOR = "[enforce fail at alloc_cpu.cpp:75] err == 0."
      + " DefaultCPUAllocator: can't allocate memory: you tried to allocate 1099511627776 bytes."
      + " Error code 12 (Cannot allocate memory)\n"
      + "Exception raised from alloc_cpu at ../c10/core/impl/alloc_cpu.cpp:75 (most recent call"
      + " first):\nframe #0: c10::Error::Error(...) + 0x9c (0x7f in libc10.so)\n";

  @TempDir
  Path dir;

  @Test
  void runningOutOfHeapInTheRealCliIsOneLineAndWritesNothing() throws Exception {
    // 64 MiB of float32 in a JVM with 24 MiB of heap; random scores need the weights in the
    // heap (magnitude streams them and would fit: LargerThanHeapTest)
    writeFloat32Npz(dir.resolve("big.npz"), "fc.weight", 4096, 4096);

    List<String> command = List.of(Path.of(System.getProperty("java.home"), "bin", "java")
            .toString(), "-Xmx24m", "-Dai.djl.offline=true", "-cp", testClassPath(),
        Lth.class.getName(), "mask", "--weights", "big.npz", "--sparsity", "0.5", "--criterion",
        "random", "--out", "m.npz");
    ProcessBuilder pb = new ProcessBuilder(command).directory(dir.toFile())
        .redirectOutput(dir.resolve("stdout.txt").toFile())
        .redirectError(dir.resolve("stderr.txt").toFile());
    // each of these makes the JVM print a line of its own on standard error
    pb.environment().remove("JAVA_TOOL_OPTIONS");
    pb.environment().remove("JDK_JAVA_OPTIONS");
    pb.environment().remove("_JAVA_OPTIONS");
    Process p = pb.start();
    if (!p.waitFor(120, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError("lth mask did not finish in 120 s");
    }
    String err = Files.readString(dir.resolve("stderr.txt"));

    assertThat(p.exitValue()).as(err).isEqualTo(2);
    assertThat(err).matches("lth mask: out of memory while reading --weights big\\.npz \\(Java"
        + " heap limit \\d+ MB\\); give Java more memory, e\\.g\\. JAVA_OPTS=-Xmx1g \\./lth mask"
        + " \\.\\.\\.\n");
    int limitMb = Integer.parseInt(err.replaceAll("(?s).*heap limit (\\d+) MB.*", "$1"));
    assertThat(limitMb).isBetween(16, 24);
    assertThat(err).doesNotContain("\tat ", "Exception", "Error");
    assertThat(Files.readString(dir.resolve("stdout.txt"))).isEmpty();
    assertThat(dir.resolve("m.npz")).doesNotExist();
  }

  @Test
  void theHeapLineNamesThePhaseTheLimitAndALargerXmx() {
    assertThat(ErrorReporter.outOfMemoryLine("lth mask", "reading --weights big.npz",
        "Java heap space", 64 * MB, 10 * MB)).isEqualTo("lth mask: out of memory while reading"
        + " --weights big.npz (Java heap limit 64 MB); give Java more memory, e.g."
        + " JAVA_OPTS=-Xmx1g ./lth mask ...");
    assertThat(ErrorReporter.outOfMemoryLine("lth imp", "training round 2/5",
        "Direct buffer memory", 4 * GB, 3 * GB)).isEqualTo("lth imp: out of memory while"
        + " training round 2/5 (Direct buffer memory; Java heap limit 4 GB); give Java more"
        + " memory, e.g. JAVA_OPTS=-Xmx16g ./lth imp ...");
    assertThat(ErrorReporter.outOfMemoryLine("lth compare", null, null, 3 * GB / 2, 0))
        .isEqualTo("lth compare: out of memory (Java heap limit 1.5 GB); give Java more memory,"
            + " e.g. JAVA_OPTS=-Xmx4g ./lth compare ...");
  }

  @Test
  void theSuggestedHeapIsAPowerOfTwoAtLeastTwiceTheLimitAndFourTimesTheInputs() {
    assertThat(ErrorReporter.suggestedHeapGb(24 * MB, 0)).isEqualTo(1);
    assertThat(ErrorReporter.suggestedHeapGb(GB, 0)).isEqualTo(2);
    assertThat(ErrorReporter.suggestedHeapGb(3 * GB, 0)).isEqualTo(8);
    assertThat(ErrorReporter.suggestedHeapGb(64 * MB, 600 * MB)).isEqualTo(4);
    assertThat(ErrorReporter.suggestedHeapGb(Long.MAX_VALUE, 0)).isEqualTo(1L << 20);
  }

  @Test
  void anOutOfMemoryErrorFromACommandRunInProcessIsTheSameLine() throws IOException {
    Path w = dir.resolve("w.npz");
    WeightsIO.write(Fixtures.tiedWeights(1), w);
    Path out = dir.resolve("m.npz");

    CliRun run = CliRun.of("mask", "--weights", w.toString(), "--sparsity", "0.5", "--out",
        out.toString(), "--criterion", HeapExhaustingCriterion.class.getName());

    assertThat(run.err()).isEqualTo(ErrorReporter.outOfMemoryLine("lth mask",
        "computing the mask", null, Runtime.getRuntime().maxMemory(), Files.size(w)) + "\n");
    assertThat(run.err()).startsWith("lth mask: out of memory while computing the mask (Java"
        + " heap limit ");
    assertThat(run.exit()).isEqualTo(2);
    assertThat(out).doesNotExist();
  }

  @Test
  void pytorchRunningOutOfMemoryIsOneLineWithTheCommandsAdvice() throws IOException {
    Path w = dir.resolve("w.npz");
    WeightsIO.write(Fixtures.tiedWeights(1), w);

    CliRun mask = CliRun.of("mask", "--weights", w.toString(), "--sparsity", "0.5", "--out",
        dir.resolve("m.npz").toString(), "--criterion", NativeExhaustingCriterion.class.getName());

    assertThat(mask.err()).isEqualTo("lth mask: PyTorch ran out of memory while computing the"
        + " mask: DefaultCPUAllocator: can't allocate memory: you tried to allocate 1099511627776"
        + " bytes. Error code 12 (Cannot allocate memory); free memory on this machine (PyTorch"
        + " allocates outside the Java heap, so -Xmx does not help)\n");
    assertThat(mask.exit()).isEqualTo(2);

    // lth imp has --batch-size and --device; the message comes wrapped in another exception
    Phase.reset();
    StringWriter err = new StringWriter();
    CommandLine cli = Lth.commandLine().setErr(new PrintWriter(err));
    int exit = new ErrorReporter().handleExecutionException(new IllegalStateException("step 3",
        new EngineException("CUDA out of memory. Tried to allocate 20.00 MiB (GPU 0; 3.95 GiB"
            + " total capacity)\nException raised from malloc at CUDACachingAllocator.cpp:913")),
        cli.getSubcommands().get("imp"), null);
    assertThat(err.toString()).isEqualTo("lth imp: PyTorch ran out of memory: CUDA out of"
        + " memory. Tried to allocate 20.00 MiB (GPU 0; 3.95 GiB total capacity); use a smaller"
        + " --batch-size or another --device\n");
    assertThat(exit).isEqualTo(2);
  }

  @Test
  void theNativeLineTakesTheFirstLineWithoutPytorchsSourceLocation() {
    assertThat(ErrorReporter.nativeOutOfMemoryLine("lth branch", "training round 1/3",
        CPU_ALLOCATOR, false, true)).isEqualTo("lth branch: PyTorch ran out of memory while"
        + " training round 1/3: DefaultCPUAllocator: can't allocate memory: you tried to allocate"
        + " 1099511627776 bytes. Error code 12 (Cannot allocate memory); use another --device");
  }

  @Test
  void otherEngineFailuresStayUnexpected() {
    StringWriter err = new StringWriter();
    CommandLine cli = Lth.commandLine().setErr(new PrintWriter(err));
    int exit = new ErrorReporter().handleExecutionException(
        new EngineException("expected scalar type Float but found Double"),
        cli.getSubcommands().get("imp"), null);
    assertThat(err.toString()).isEqualTo("lth imp: unexpected failure:"
        + " ai.djl.engine.EngineException: expected scalar type Float but found Double\n");
    assertThat(exit).isEqualTo(1);
  }

  @Test
  void anOutOfMemoryErrorWrappedInAnExceptionIsTheSameLine() {
    Phase.reset();
    Phase.set("drawing the plots");
    StringWriter err = new StringWriter();
    CommandLine cli = Lth.commandLine().setErr(new PrintWriter(err));
    int exit = new ErrorReporter().handleExecutionException(
        new IllegalStateException(new OutOfMemoryError("Java heap space")),
        cli.getSubcommands().get("compare"), null);
    assertThat(err.toString()).isEqualTo(ErrorReporter.outOfMemoryLine("lth compare",
        "drawing the plots", null, Runtime.getRuntime().maxMemory(), 0) + "\n");
    assertThat(exit).isEqualTo(2);
  }

  @Test
  void aTrainingRunNamesItsRoundThroughItsProgressReporter() {
    Phase.reset();
    ProgressReporter progress = new ProgressReporter(System.err,
        new PrintWriter(new StringWriter()), "accuracy", 10);
    progress.onRunStart(5, 0);
    progress.onRoundStart(2, Mask.builder().put("a", new long[] {2}, new boolean[] {true, false})
        .build());
    assertThat(Phase.doing()).isEqualTo("training round 2/5");
  }

  /** Scoring runs out of heap, as a criterion over a large network might. */
  public static final class HeapExhaustingCriterion implements PruningCriterion {
    @Override
    public Scores score(Subnetwork s) {
      throw new OutOfMemoryError("Java heap space");
    }
  }

  /** Scoring runs out of PyTorch's memory, as a criterion computing on NDArrays might. */
  public static final class NativeExhaustingCriterion implements PruningCriterion {
    @Override
    public Scores score(Subnetwork s) {
      throw new EngineException(CPU_ALLOCATOR);
    }
  }

  /**
   * The forked test JVM's class path. Surefire names it in {@code surefire.test.class.path};
   * surefire 3.5 also sets {@code java.class.path} to it, but a JVM started from a manifest-only
   * jar may see only that jar there.
   */
  private static String testClassPath() {
    String surefire = System.getProperty("surefire.test.class.path");
    return surefire != null && !surefire.isBlank() ? surefire
        : System.getProperty("java.class.path");
  }

  /**
   * An .npz holding one float32 array of {@code rows x cols}, stored without compression, so the
   * file is as large as the array; written in chunks, without holding the array.
   */
  private static void writeFloat32Npz(Path file, String key, int rows, int cols)
      throws IOException {
    String dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (" + rows + ", " + cols
        + "), }";
    // magic (6) + version (2) + length (2) + dict, padded with spaces to 64 bytes, then '\n'
    int padded = (10 + dict.length() + 1 + 63) / 64 * 64 - 10;
    String header = dict + " ".repeat(padded - dict.length() - 1) + "\n";
    try (OutputStream raw = Files.newOutputStream(file);
        ZipOutputStream zip = new ZipOutputStream(raw)) {
      zip.setLevel(Deflater.NO_COMPRESSION);
      zip.putNextEntry(new ZipEntry(key + ".npy"));
      ByteBuffer head = ByteBuffer.allocate(10 + padded).order(ByteOrder.LITTLE_ENDIAN);
      head.put((byte) 0x93).put("NUMPY".getBytes(StandardCharsets.US_ASCII)).put((byte) 1)
          .put((byte) 0).putShort((short) padded).put(header.getBytes(StandardCharsets.US_ASCII));
      zip.write(head.array());
      ByteBuffer row = ByteBuffer.allocate(4 * cols).order(ByteOrder.LITTLE_ENDIAN);
      for (int c = 0; c < cols; c++) {
        row.putFloat((c % 97 - 48) / 64f);
      }
      for (int r = 0; r < rows; r++) {
        zip.write(row.array());
      }
      zip.closeEntry();
    }
    assertThat(Files.size(file)).isGreaterThan(4L * rows * cols);
  }
}
