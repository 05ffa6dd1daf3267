package io.github.lth.core.internal;

import java.io.PrintStream;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Named instants in a run's writes (and a command's training steps) where a crash test can
 * freeze the process, so it can be killed exactly there rather than at a random moment. Set the
 * environment variable {@value #ENVIRONMENT} to a point's name, optionally with {@code #n} for
 * its n-th time: the process prints {@code lth: paused at NAME (pid P)} on standard error and
 * waits until it is killed. Unset (always, outside such tests), a point costs one comparison.
 *
 * <p>The points name what has just been made durable and not yet committed, e.g. {@code write
 * mask.npz} (the temporary file is on disk, the rename is next), {@code commit round-02} (the
 * round's files are on disk under a temporary directory name), {@code round-01 step 5}.
 * docs/RELIABILITY.md lists them.
 *
 * <pre>{@code
 * LTH_PAUSE_AT='write results.csv#2' ./lth imp --out runs/a &   # then: kill -9 %1
 * }</pre>
 */
public final class KillPoints {
  /** The environment variable naming the point to pause at. */
  public static final String ENVIRONMENT = "LTH_PAUSE_AT";

  private static final String NAME;
  private static final int OCCURRENCE;
  private static final AtomicInteger SEEN = new AtomicInteger();

  static {
    String spec = System.getenv(ENVIRONMENT);
    if (spec == null || spec.isBlank()) {
      NAME = null;
      OCCURRENCE = 0;
    } else {
      // "#n" counts occurrences only when n is a number; otherwise '#' is part of the name
      int hash = spec.lastIndexOf('#');
      boolean counted = hash >= 0 && spec.substring(hash + 1).strip().matches("[1-9][0-9]{0,8}");
      NAME = counted ? spec.substring(0, hash).strip() : spec.strip();
      OCCURRENCE = counted ? Integer.parseInt(spec.substring(hash + 1).strip()) : 1;
    }
  }

  private KillPoints() {}

  /** Whether a point is armed in this process (then callers may build point names). */
  public static boolean armed() {
    return NAME != null;
  }

  /** Pauses for good if {@code point} is the armed one and this is its chosen occurrence. */
  public static void reach(String point) {
    if (NAME == null || !NAME.equals(point) || SEEN.incrementAndGet() != OCCURRENCE) {
      return;
    }
    PrintStream err = System.err;
    err.println("lth: paused at " + point + " (pid " + ProcessHandle.current().pid() + ")");
    err.flush();
    while (true) {
      try {
        Thread.sleep(Long.MAX_VALUE);
      } catch (InterruptedException e) {
        // only a kill ends the pause: that is the point of it
      }
    }
  }
}
