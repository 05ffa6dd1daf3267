package io.github.lth.core;

/**
 * What one training run did.
 *
 * @param steps optimizer steps taken by this run ({@code T − startStep})
 * @param epochs epochs completed by this run
 * @param finalLoss mean training loss of the last epoch
 * @param startStep the step the run started at (above 0 after late rewinding)
 * @param finalMask the mask in force after the last step (the controller may have changed it);
 *     null when the task does not report it
 */
public record TrainingSummary(long steps, int epochs, double finalLoss, long startStep,
    Mask finalMask) {

  /** A run from step 0 whose mask is not reported. */
  public TrainingSummary(long steps, int epochs, double finalLoss) {
    this(steps, epochs, finalLoss, 0, null);
  }

  /** The global step the run ended at. */
  public long endStep() {
    return startStep + steps;
  }
}
