package io.github.lth.djl.transfer;

import java.util.Locale;

/**
 * How a subnetwork is trained on the target task.
 *
 * <pre>{@code
 * TransferMode mode = TransferMode.parse("linear");
 * }</pre>
 */
public enum TransferMode {
  /** Every unpruned weight trains, with a fresh head sized to the target ({@link Transfer}). */
  FULL,
  /** Only a linear classifier trains, on the frozen sparse backbone's features ({@link LinearProbe}). */
  LINEAR;

  /** {@code full} or {@code linear}. */
  public static TransferMode parse(String text) {
    for (TransferMode m : values()) {
      if (m.label().equals(text.trim().toLowerCase(Locale.ROOT))) {
        return m;
      }
    }
    throw new IllegalArgumentException("transfer mode must be full or linear: '" + text + "'");
  }

  /** The lower-case name used in files and on the command line. */
  public String label() {
    return name().toLowerCase(Locale.ROOT);
  }
}
