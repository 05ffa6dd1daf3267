package io.github.lth.cli;

import ai.djl.engine.EngineException;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.regex.Pattern;
import picocli.CommandLine;
import picocli.CommandLine.IExecutionExceptionHandler;
import picocli.CommandLine.IExecutionStrategy;
import picocli.CommandLine.IParameterExceptionHandler;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParseResult;
import picocli.CommandLine.RunLast;
import picocli.CommandLine.UnmatchedArgumentException;

/**
 * Turns every failure into one line on standard error, prefixed by the command that failed.
 * Bad input (picocli parse errors, {@link IllegalArgumentException}, I/O errors on the user's
 * files) exits with 2; so does running out of memory, Java's or PyTorch's, with the line saying
 * what the command was doing ({@link Phase}) and how to give it more; anything else is a bug or
 * an environment problem and exits with 1. A library message names its parameter in words;
 * {@link FlagNames} puts the command's flag for it in front.
 *
 * <pre>{@code
 * new CommandLine(new Lth()).setParameterExceptionHandler(reporter)
 *     .setExecutionExceptionHandler(reporter).setExecutionStrategy(reporter);
 * // prints e.g.:  lth mask: --sparsity must be in [0, 1): 1.0
 * //               lth imp: --lr: learning rate must be positive: 0.0
 * //               lth mask: out of memory while reading --weights w.npz (Java heap limit
 * //                   64 MB); give Java more memory, e.g. JAVA_OPTS=-Xmx1g ./lth mask ...
 * }</pre>
 *
 * <p>It is also the execution strategy because picocli 4.7 hands only {@link Exception}s to an
 * execution exception handler: an {@link Error} thrown by a command's {@code call()} or
 * {@code run()} passes through {@link CommandLine#execute} to the caller.
 */
final class ErrorReporter
    implements IParameterExceptionHandler, IExecutionExceptionHandler, IExecutionStrategy {

  /** Exit code for bad input. */
  static final int BAD_INPUT = CommandLine.ExitCode.USAGE;

  /** Exit code for unexpected failures. */
  static final int FAILURE = CommandLine.ExitCode.SOFTWARE;

  /**
   * Heap held while a command runs and let go when memory runs out, so that building and
   * printing the line has room even when a field still holds the command's big arrays.
   */
  private static final int RESERVE_BYTES = 256 * 1024;

  private static final long MB = 1L << 20;
  private static final long GB = 1L << 30;

  /** PyTorch's allocators' words for running out (CPU, CUDA, MPS; C++'s own). */
  private static final Pattern NATIVE_OUT_OF_MEMORY = Pattern.compile(
      "out of memory|can't allocate memory|not enough memory|bad_alloc",
      Pattern.CASE_INSENSITIVE);

  /** The location and condition PyTorch's checks put before their message. */
  private static final Pattern ENFORCE_PREFIX =
      Pattern.compile("^\\[enforce fail at [^\\]]*\\]\\s*(?:[^.:]*\\.\\s+)?");

  // written, never read: its only use is to be let go
  private byte[] reserve;

  /**
   * Runs the command as picocli's default strategy does and turns an {@link OutOfMemoryError}
   * into one line and exit code 2.
   */
  @Override
  public int execute(ParseResult parseResult) {
    List<CommandLine> parsed = parseResult.asCommandLineList();
    CommandLine cl = parsed.get(parsed.size() - 1);
    // in hand before the command runs: after an OutOfMemoryError only small strings are built
    String name = cl.getCommandSpec().qualifiedName();
    PrintWriter err = cl.getErr();
    long heapLimit = Runtime.getRuntime().maxMemory();
    String fallback = outOfMemoryLine(name, null, null, heapLimit, 0);
    RunLast strategy = new RunLast();
    // reset here, not after: the execution exception handler still reads the phase
    Phase.reset();
    reserve = new byte[RESERVE_BYTES];
    try {
      return strategy.execute(parseResult);
    } catch (OutOfMemoryError e) {
      reserve = null;
      // the command's frames are gone with the throw: what only they held can be collected
      String line = fallback;
      try {
        line = outOfMemoryLine(name, Phase.doing(), e.getMessage(), heapLimit,
            Phase.inputBytes());
      } catch (OutOfMemoryError again) {
        // something else still holds the heap: the line made before the command ran
      }
      try {
        err.println(line);
        err.flush();
      } catch (OutOfMemoryError again) {
        // nothing more can be said; the exit code still says it
      }
      return BAD_INPUT;
    } finally {
      reserve = null;
    }
  }

  @Override
  public int handleParseException(ParameterException ex, String[] args) {
    CommandLine cl = ex.getCommandLine();
    String name = cl.getCommandSpec().qualifiedName();
    String hint = "";
    if (ex instanceof UnmatchedArgumentException unmatched
        && !unmatched.getSuggestions().isEmpty()) {
      hint = "; did you mean " + String.join(" or ", unmatched.getSuggestions()) + "?";
    }
    print(cl, name + ": " + oneLine(ex.getMessage()) + hint + " (see '" + name + " --help')");
    return BAD_INPUT;
  }

  @Override
  public int handleExecutionException(Exception ex, CommandLine cl, ParseResult parseResult) {
    String name = cl.getCommandSpec().qualifiedName();
    OutOfMemoryError heap = cause(ex, OutOfMemoryError.class);
    if (heap != null) {
      print(cl, outOfMemoryLine(name, Phase.doing(), heap.getMessage(),
          Runtime.getRuntime().maxMemory(), Phase.inputBytes()));
      return BAD_INPUT;
    }
    EngineException engine = cause(ex, EngineException.class);
    if (engine != null && engine.getMessage() != null
        && NATIVE_OUT_OF_MEMORY.matcher(engine.getMessage()).find()) {
      print(cl, nativeOutOfMemoryLine(name, Phase.doing(), engine.getMessage(),
          cl.getCommandSpec().findOption("--batch-size") != null,
          cl.getCommandSpec().findOption("--device") != null));
      return BAD_INPUT;
    }
    if (isBadInput(ex)) {
      String message = ex.getMessage() != null ? ex.getMessage() : String.valueOf(ex);
      print(cl, name + ": " + oneLine(FlagNames.mention(cl.getCommandSpec(), message)));
      return BAD_INPUT;
    }
    print(cl, name + ": unexpected failure: " + oneLine(String.valueOf(ex)));
    return FAILURE;
  }

  /**
   * The line for Java running out of memory, e.g. {@code lth mask: out of memory while reading
   * --weights w.npz (Java heap limit 64 MB); give Java more memory, e.g. JAVA_OPTS=-Xmx1g ./lth
   * mask ...}. Built with a {@link StringBuilder}, not {@code +}, whose first use at a call site
   * links a bootstrap method and allocates far more than the line.
   *
   * @param command the command's qualified name, {@code lth mask}
   * @param doing the {@link Phase}, or null
   * @param reason the error's message; shown unless it is the usual {@code Java heap space}
   * @param heapLimit {@link Runtime#maxMemory()}
   * @param inputBytes the bytes of the input files read, 0 when unknown
   */
  static String outOfMemoryLine(String command, String doing, String reason, long heapLimit,
      long inputBytes) {
    StringBuilder b = new StringBuilder(160 + (doing == null ? 0 : doing.length()));
    b.append(command).append(": out of memory");
    if (doing != null) {
      b.append(" while ").append(doing);
    }
    b.append(" (");
    if (reason != null && !reason.isBlank() && !reason.equals("Java heap space")) {
      b.append(reason).append("; ");
    }
    b.append("Java heap limit ");
    appendSize(b, heapLimit);
    b.append("); give Java more memory, e.g. JAVA_OPTS=-Xmx")
        .append(suggestedHeapGb(heapLimit, inputBytes)).append("g ./").append(command)
        .append(" ...");
    return b.toString();
  }

  /**
   * The heap to suggest, in GB: a power of two, at least twice the limit that did not do, and at
   * least four times the input files (their arrays, the scores or copies made from them, and
   * the reader's buffers).
   */
  static long suggestedHeapGb(long heapLimit, long inputBytes) {
    long needed = Math.max(saturatedMultiply(heapLimit, 2), saturatedMultiply(inputBytes, 4));
    long gb = 1;
    while (gb < (1L << 20) && gb * GB < needed) {
      gb *= 2;
    }
    return gb;
  }

  private static long saturatedMultiply(long value, int factor) {
    return value > Long.MAX_VALUE / factor ? Long.MAX_VALUE : value * factor;
  }

  /** {@code 24 MB} below a gigabyte, {@code 4 GB} or {@code 1.5 GB} from there. */
  private static void appendSize(StringBuilder b, long bytes) {
    if (bytes < GB) {
      b.append(Math.round(bytes / (double) MB)).append(" MB");
      return;
    }
    long tenths = Math.round(bytes * 10 / (double) GB);
    b.append(tenths / 10);
    if (tenths % 10 != 0) {
      b.append('.').append(tenths % 10);
    }
    b.append(" GB");
  }

  /**
   * The line for PyTorch running out of memory, e.g. {@code lth imp: PyTorch ran out of memory
   * while training round 2/5: CUDA out of memory. Tried to allocate 20.00 MiB; use a smaller
   * --batch-size or another --device}. PyTorch allocates outside the Java heap, so a larger
   * {@code -Xmx} does not help; the command's own flags might.
   *
   * @param message the {@link EngineException}'s message: its first line, without PyTorch's
   *     source location, goes into the line
   */
  static String nativeOutOfMemoryLine(String command, String doing, String message,
      boolean hasBatchSize, boolean hasDevice) {
    String first = message.strip().lines().findFirst().orElse("").strip();
    first = ENFORCE_PREFIX.matcher(first).replaceFirst("");
    String advice;
    if (hasBatchSize && hasDevice) {
      advice = "use a smaller --batch-size or another --device";
    } else if (hasBatchSize) {
      advice = "use a smaller --batch-size";
    } else if (hasDevice) {
      advice = "use another --device";
    } else {
      advice = "free memory on this machine (PyTorch allocates outside the Java heap, so -Xmx"
          + " does not help)";
    }
    return command + ": PyTorch ran out of memory" + (doing == null ? "" : " while " + doing)
        + ": " + first + "; " + advice;
  }

  /** {@code t} or its first cause of {@code type}, or null. */
  private static <T extends Throwable> T cause(Throwable t, Class<T> type) {
    // bounded: a cause chain may loop
    for (int depth = 0; t != null && depth < 32; t = t.getCause(), depth++) {
      if (type.isInstance(t)) {
        return type.cast(t);
      }
    }
    return null;
  }

  private static boolean isBadInput(Exception ex) {
    return ex instanceof IllegalArgumentException
        || ex instanceof IOException
        || ex instanceof UncheckedIOException;
  }

  private static void print(CommandLine cl, String line) {
    PrintWriter err = cl.getErr();
    err.println(line);
    err.flush();
  }

  /** Library messages sometimes span lines; the contract is one line per error. */
  static String oneLine(String message) {
    if (message == null || message.isBlank()) {
      return "(no message)";
    }
    return message.strip().replaceAll("\\s*[\\r\\n]+\\s*", " ");
  }
}
