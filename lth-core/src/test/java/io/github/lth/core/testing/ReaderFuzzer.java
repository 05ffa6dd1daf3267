package io.github.lth.core.testing;

import static com.google.common.base.Preconditions.checkArgument;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Feeds a reader thousands of seeded variants of a valid file (truncated, bit-flipped, size
 * fields inflated, ranges inserted, deleted or repeated, random bytes) and holds it to the
 * library's contract for bad files:
 *
 * <ul>
 *   <li>it ends within a time bound (no hang, no quadratic blow-up on garbage);
 *   <li>it allocates at most {@code fixed + perByte × length} bytes on the heap, so no size read
 *       from the file is trusted before it is checked against the file's length;
 *   <li>it either succeeds or throws an {@link IOException} whose message is one line and names
 *       the file; anything else (a runtime exception, an error, a message without the file) is a
 *       finding.
 * </ul>
 *
 * <p>A finding stops the run with the variant's index and mutation, and the variant is saved
 * under {@code target/fuzz-findings/} so it can be replayed. The number of variants is
 * {@code -Dlth.fuzz.variants} (default {@value #DEFAULT_VARIANTS}, the CI budget). Each run
 * prints its {@link Report} (and with {@code -Dlth.fuzz.messages=true} every distinct message,
 * digits as N, with its count).
 *
 * <pre>{@code
 * ReaderFuzzer.Report r = ReaderFuzzer.forReader("npz", f -> MaskIO.read(f))
 *     .run(validBytes, tempDir.resolve("mask.npz"));
 * assertThat(r.rejected()).isPositive();
 * }</pre>
 */
public final class ReaderFuzzer {
  /** Variants per reader when {@code -Dlth.fuzz.variants} is not set. */
  public static final int DEFAULT_VARIANTS = 2000;

  /** A reader under test: reads {@code file} (and anything beside it it needs). */
  @FunctionalInterface
  public interface Reader {
    void read(Path file) throws Exception;
  }

  /** What a fuzz run saw. */
  public record Report(String reader, int validLength, int tried, int accepted, int rejected,
      Map<String, Integer> messages, long millis) {
    /** A line for logs and the reliability catalogue. */
    @Override
    public String toString() {
      return String.format("%s (%d-byte valid file): %d variants, %d read, %d rejected with a"
          + " message, %d distinct messages, %d ms", reader, validLength, tried, accepted,
          rejected, messages.size(), millis);
    }
  }

  private final String name;
  private final Reader reader;
  private int variants = Integer.getInteger("lth.fuzz.variants", DEFAULT_VARIANTS);
  private long seed = 20261202L;
  private Duration timeout = Duration.ofSeconds(10);
  private long fixedAllocation = 16L << 20;
  private long allocationPerByte = 16;

  private ReaderFuzzer(String name, Reader reader) {
    this.name = name;
    this.reader = reader;
  }

  /** A fuzzer for {@code reader}, named in reports and findings. */
  public static ReaderFuzzer forReader(String name, Reader reader) {
    return new ReaderFuzzer(name, reader);
  }

  public ReaderFuzzer optVariants(int n) {
    checkArgument(n > 0, "variants must be positive: %s", n);
    this.variants = n;
    return this;
  }

  public ReaderFuzzer optSeed(long s) {
    this.seed = s;
    return this;
  }

  /** Time one read may take (default 10 s, generous for a loaded 2-core machine). */
  public ReaderFuzzer optTimeout(Duration d) {
    this.timeout = d;
    return this;
  }

  /**
   * Heap one read may allocate: {@code fixed} bytes plus {@code perByte} per byte of the
   * variant (defaults 16 MiB and 16: room for decoding and copies, none for a trusted size).
   */
  public ReaderFuzzer optAllocationBound(long fixed, long perByte) {
    this.fixedAllocation = fixed;
    this.allocationPerByte = perByte;
    return this;
  }

  /**
   * Writes each variant of {@code valid} to {@code target} and reads it.
   *
   * @throws AssertionError at the first variant that breaks the contract
   */
  public Report run(byte[] valid, Path target) throws IOException {
    checkArgument(valid.length > 0, "the valid file must not be empty");
    long start = System.nanoTime();
    readValid(valid, target);
    SplittableRandom random = new SplittableRandom(seed);
    Map<String, Integer> messages = new LinkedHashMap<>();
    int accepted = 0;
    ExecutorService pool = Executors.newSingleThreadExecutor(r -> {
      Thread t = new Thread(r, "fuzz-" + name);
      t.setDaemon(true);
      return t;
    });
    try {
      for (int i = 0; i < variants; i++) {
        StringBuilder how = new StringBuilder();
        byte[] variant = mutate(valid, random, how);
        String failure = readVariant(pool, variant, target, messages);
        if (failure == null) {
          accepted++;
        } else if (!failure.isEmpty()) {
          Path saved = saveFinding(i, variant);
          throw new AssertionError(String.format("%s reader, variant %d (%s, seed %d, %d bytes,"
              + " saved as %s): %s", name, i, how, seed, variant.length, saved, failure));
        }
      }
    } finally {
      pool.shutdownNow();
    }
    int rejected = messages.values().stream().mapToInt(Integer::intValue).sum();
    Report report = new Report(name, valid.length, variants, accepted, rejected, messages,
        (System.nanoTime() - start) / 1_000_000);
    System.out.println("fuzz " + report);
    if (Boolean.getBoolean("lth.fuzz.messages")) {
      messages.forEach((m, n) -> System.out.printf("  %5d  %s%n", n, m));
    }
    return report;
  }

  /** Null when the read succeeded, "" when it failed as it should, else what went wrong. */
  private String readVariant(ExecutorService pool, byte[] variant, Path target,
      Map<String, Integer> messages) throws IOException {
    Files.write(target, variant);
    long bound = fixedAllocation + allocationPerByte * variant.length;
    Future<Outcome> f = pool.submit(() -> readMeasured(target));
    Outcome o;
    try {
      o = f.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      f.cancel(true);
      return "did not finish within " + timeout;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    } catch (ExecutionException e) {
      throw new IllegalStateException(e.getCause());
    }
    if (o.allocated() > bound) {
      return String.format("allocated %,d bytes for a %,d-byte file (bound %,d): a size in the"
          + " file was trusted%s", o.allocated(), variant.length, bound,
          o.thrown() == null ? "" : " (then threw " + o.thrown() + ")");
    }
    Throwable t = o.thrown();
    if (t == null) {
      return null;
    }
    String problem = contractBreach(t, target);
    if (problem != null) {
      return problem;
    }
    String key = t.getMessage().replace(target.toString(), "FILE")
        .replaceAll("[0-9]+", "N");
    messages.merge(key, 1, Integer::sum);
    return "";
  }

  private void readValid(byte[] bytes, Path target) throws IOException {
    Files.write(target, bytes);
    try {
      reader.read(target);
    } catch (Exception e) {
      throw new AssertionError(name + " reader fails on the valid file itself: " + e, e);
    }
  }

  private record Outcome(long allocated, Throwable thrown) {}

  private Outcome readMeasured(Path target) {
    com.sun.management.ThreadMXBean bean =
        (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    long before = bean.getCurrentThreadAllocatedBytes();
    Throwable thrown = null;
    try {
      reader.read(target);
    } catch (Throwable t) {
      thrown = t;
    }
    return new Outcome(bean.getCurrentThreadAllocatedBytes() - before, thrown);
  }

  /** Why {@code t} breaks the contract, or null when it is a proper rejection. */
  static String contractBreach(Throwable t, Path target) {
    if (!(t instanceof IOException)) {
      return "threw " + describe(t) + " instead of an IOException";
    }
    String m = t.getMessage();
    if (m == null || m.isBlank()) {
      return "threw " + describe(t) + " without a message";
    }
    if (m.contains("\n") || m.contains("\r")) {
      return "message spans lines: " + describe(t);
    }
    if (!m.contains(target.getFileName().toString())) {
      return "message does not name the file " + target.getFileName() + ": " + describe(t);
    }
    return null;
  }

  private static String describe(Throwable t) {
    StackTraceElement[] s = t.getStackTrace();
    return t + (s.length > 0 ? " at " + s[0] : "");
  }

  private Path saveFinding(int index, byte[] variant) {
    try {
      Path dir = Path.of("target", "fuzz-findings");
      Files.createDirectories(dir);
      Path f = dir.resolve(name + "-" + index + ".bin");
      Files.write(f, variant);
      return f.toAbsolutePath();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  // ---- mutations ----

  private static final long[] INTERESTING = {0, 1, -1, 0x7f, 0x80, 0xff, 0x7fff, 0xffff,
      0x7fffffffL, 0x80000000L, 0xffffffffL, 1L << 32, Long.MAX_VALUE, Long.MIN_VALUE};

  /** One to three stacked mutations of {@code valid}; {@code how} records them. */
  static byte[] mutate(byte[] valid, SplittableRandom random, StringBuilder how) {
    byte[] b = valid;
    int steps = 1 + (random.nextInt(4) == 0 ? random.nextInt(1, 3) : 0);
    for (int s = 0; s < steps; s++) {
      if (how.length() > 0) {
        how.append(", then ");
      }
      b = mutateOnce(b.length == 0 ? valid : b, random, how);
    }
    return b;
  }

  private static byte[] mutateOnce(byte[] in, SplittableRandom random, StringBuilder how) {
    int n = in.length;
    // the first bytes hold the headers, where sizes live: aim there more often
    int headerEnd = Math.min(n, 512);
    switch (random.nextInt(10)) {
      case 0 -> {
        int len = random.nextInt(n);
        how.append("truncated to ").append(len);
        return Arrays.copyOf(in, len);
      }
      case 1 -> {
        byte[] out = in.clone();
        int flips = 1 + random.nextInt(8);
        how.append(flips).append(" bits flipped");
        for (int i = 0; i < flips; i++) {
          int at = random.nextBoolean() ? random.nextInt(headerEnd) : random.nextInt(n);
          out[at] ^= (byte) (1 << random.nextInt(8));
        }
        return out;
      }
      case 2 -> {
        byte[] out = in.clone();
        int count = 1 + random.nextInt(16);
        how.append(count).append(" bytes replaced");
        for (int i = 0; i < count; i++) {
          out[random.nextInt(headerEnd)] = (byte) random.nextInt(256);
        }
        return out;
      }
      case 3, 4 -> {
        byte[] out = in.clone();
        int width = random.nextBoolean() ? 4 : (random.nextBoolean() ? 8 : 2);
        if (n < width) {
          return out;
        }
        int at = random.nextInt(Math.max(1, headerEnd - width + 1));
        long v = INTERESTING[random.nextInt(INTERESTING.length)];
        if (random.nextInt(4) == 0) {
          v = n + random.nextInt(-2, 3);
        }
        boolean little = random.nextBoolean();
        how.append(String.format("%d-byte %s-endian %d written at %d", width,
            little ? "little" : "big", v, at));
        for (int i = 0; i < width; i++) {
          int shift = 8 * (little ? i : width - 1 - i);
          out[at + i] = (byte) (v >>> shift);
        }
        return out;
      }
      case 5 -> {
        int at = random.nextInt(n + 1);
        byte[] extra = new byte[1 + random.nextInt(64)];
        random.nextBytes(extra);
        how.append(extra.length).append(" random bytes inserted at ").append(at);
        return splice(in, at, at, extra);
      }
      case 6 -> {
        int from = random.nextInt(n);
        int to = Math.min(n, from + 1 + random.nextInt(Math.max(1, n / 4)));
        how.append("bytes ").append(from).append("..").append(to).append(" deleted");
        return splice(in, from, to, new byte[0]);
      }
      case 7 -> {
        int from = random.nextInt(n);
        int to = Math.min(n, from + 1 + random.nextInt(Math.max(1, n / 4)));
        int at = random.nextInt(n + 1);
        how.append("bytes ").append(from).append("..").append(to).append(" repeated at ")
            .append(at);
        return splice(in, at, at, Arrays.copyOfRange(in, from, to));
      }
      case 8 -> {
        byte[] out = new byte[random.nextInt(2 * n + 1)];
        random.nextBytes(out);
        // keep the magic bytes now and then, so the reader gets past its first check
        int keep = random.nextBoolean() ? Math.min(out.length, Math.min(n, 16)) : 0;
        System.arraycopy(in, 0, out, 0, keep);
        how.append(out.length).append(" random bytes (first ").append(keep).append(" kept)");
        return out;
      }
      default -> {
        int extra = 1 + random.nextInt(1024);
        how.append(extra).append(" bytes appended");
        byte[] out = Arrays.copyOf(in, n + extra);
        if (random.nextBoolean()) {
          byte[] tail = new byte[extra];
          random.nextBytes(tail);
          System.arraycopy(tail, 0, out, n, extra);
        }
        return out;
      }
    }
  }

  private static byte[] splice(byte[] in, int from, int to, byte[] insert) {
    byte[] out = new byte[in.length - (to - from) + insert.length];
    System.arraycopy(in, 0, out, 0, from);
    System.arraycopy(insert, 0, out, from, insert.length);
    System.arraycopy(in, to, out, from + insert.length, in.length - to);
    return out;
  }
}
