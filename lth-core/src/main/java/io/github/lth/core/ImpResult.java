package io.github.lth.core;

import static com.google.common.base.Preconditions.checkState;

import com.google.common.collect.ImmutableList;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * What an IMP run found: one {@link Round} per sparsity level, round 0 being the dense network.
 *
 * <pre>{@code
 * ImpResult r = Imp.run(model, task, PruningSchedules.imp(0.2, 0.9));
 * Round best = r.sparsestWithin(0.01);          // sparsest ticket within 1 point of dense
 * MaskIO.write(best.mask(), Path.of("ticket.npz"));
 * }</pre>
 */
public final class ImpResult {
  private final ImmutableList<Round> rounds;
  private final String primaryMetric;
  private final boolean higherIsBetter;
  private final Path runDirectory;

  ImpResult(List<Round> rounds, String primaryMetric, boolean higherIsBetter,
      Path runDirectory) {
    checkState(!rounds.isEmpty(), "an IMP result needs at least the dense round");
    this.rounds = ImmutableList.copyOf(rounds);
    this.primaryMetric = primaryMetric;
    this.higherIsBetter = higherIsBetter;
    this.runDirectory = runDirectory;
  }

  /** All rounds, dense first. */
  public ImmutableList<Round> rounds() {
    return rounds;
  }

  /** Round 0, the dense network. */
  public Round dense() {
    return rounds.get(0);
  }

  /** The last (sparsest) round. */
  public Round last() {
    return rounds.get(rounds.size() - 1);
  }

  /** The metric the task names as its main one, e.g. {@code accuracy}. */
  public String primaryMetric() {
    return primaryMetric;
  }

  /** Where the run was written, if it was. */
  public Optional<Path> runDirectory() {
    return Optional.ofNullable(runDirectory);
  }

  /**
   * The sparsest round whose primary metric is at most {@code tolerance} worse than the dense
   * round's (below it for accuracy, above it for a metric where lower is better, as the task
   * says); the dense round if none is.
   */
  public Round sparsestWithin(double tolerance) {
    double dense = dense().metrics().get(primaryMetric);
    Round best = dense();
    for (Round r : rounds) {
      double v = r.metrics().get(primaryMetric);
      boolean within = higherIsBetter ? v >= dense - tolerance : v <= dense + tolerance;
      if (within && r.sparsity() > best.sparsity()) {
        best = r;
      }
    }
    return best;
  }

  /** The sparsity of each round, in order. */
  public double[] sparsities() {
    return rounds.stream().mapToDouble(Round::sparsity).toArray();
  }
}
