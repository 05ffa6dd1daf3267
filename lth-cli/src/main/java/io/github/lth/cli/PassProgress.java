package io.github.lth.cli;

import io.github.lth.core.scale.StreamingPruner;
import java.io.PrintStream;
import java.nio.file.Path;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/**
 * The passes of {@code lth mask} over weights read without loading them: names each pass as
 * the {@link Phase} (so running out of memory says which pass), and shows a progress bar on
 * standard error once a pass has run for {@value #QUIET_MILLIS} ms, so short runs print nothing.
 *
 * <pre>{@code
 * try (PassProgress p = new PassProgress(weightsFile, System.err)) {
 *   StreamingPruner.pruneTo(file, layers, null, scope, 0.8, out, options, p);
 * }
 * }</pre>
 */
final class PassProgress implements StreamingPruner.Progress, AutoCloseable {
  private static final long QUIET_MILLIS = 2000;
  private static final long MB = 1L << 20;

  private final Path weights;
  private final PrintStream err;
  private String pass;
  private long total;
  private long done;
  private long startedAt;
  private ProgressBar bar;

  PassProgress(Path weights, PrintStream err) {
    this.weights = weights;
    this.err = err;
  }

  @Override
  public void start(String pass, long values) {
    end();
    this.pass = pass;
    this.total = values;
    this.done = 0;
    this.startedAt = System.nanoTime();
    Phase.set("reading --weights " + weights + " (" + pass + ")");
  }

  @Override
  public void advance(long values) {
    done += values;
    if (bar == null && pass != null
        && System.nanoTime() - startedAt > QUIET_MILLIS * 1_000_000L) {
      bar = new ProgressBarBuilder().setTaskName("lth mask " + pass).setInitialMax(total / MB)
          .setUnit(" M weights", 1).setStyle(ProgressBarStyle.ASCII)
          .setUpdateIntervalMillis(500).setConsumer(new ConsoleProgressBarConsumer(err))
          .build();
    }
    if (bar != null) {
      bar.stepTo(done / MB);
    }
  }

  @Override
  public void end() {
    if (bar != null) {
      bar.stepTo(total / MB);
      bar.close();
      bar = null;
    }
    pass = null;
  }

  @Override
  public void close() {
    end();
  }
}
