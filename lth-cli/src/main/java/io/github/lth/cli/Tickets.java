package io.github.lth.cli;

import static com.google.common.base.Preconditions.checkArgument;

import io.github.lth.core.Mask;
import io.github.lth.core.Round;
import io.github.lth.core.Weights;
import io.github.lth.core.run.StoredBranch;
import io.github.lth.core.run.StoredRun;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * The tickets {@code lth transfer} trains on a target: the masks of a run's pruned rounds (or of
 * one of its branches) and the weights each starts from, either the run's rewind point or the
 * round's own trained weights.
 *
 * <pre>{@code
 * Tickets t = Tickets.of(run, dir, "reinit", true);   // the reinit branch's trained tickets
 * Transfer.checkFits(model, t.start(3), t.mask(3));
 * }</pre>
 */
final class Tickets {
  private final StoredRun run;
  private final StoredBranch branch;
  private final boolean trained;
  private final Weights rewindPoint;

  private Tickets(StoredRun run, StoredBranch branch, boolean trained, Weights rewindPoint) {
    this.run = run;
    this.branch = branch;
    this.trained = trained;
    this.rewindPoint = rewindPoint;
  }

  /**
   * @param branchName a branch of the run, or null for its own rounds
   * @param trained whether tickets start from their rounds' trained weights
   * @throws IllegalArgumentException if the branch does not exist, or the run re-initializes
   *     every round and the weights asked for are its rewind point
   */
  static Tickets of(StoredRun run, Path runDir, String branchName, boolean trained)
      throws IOException {
    StoredBranch branch = null;
    if (branchName != null) {
      List<StoredBranch> all = run.branches();
      branch = all.stream().filter(b -> b.name().equals(branchName)).findFirst().orElseThrow(
          () -> new IllegalArgumentException(String.format("--branch %s: %s has no such branch"
              + " (it has: %s)", branchName, runDir, all.isEmpty() ? "none"
              : String.join(", ", all.stream().map(StoredBranch::name).toList()))));
    }
    Weights rewindPoint = null;
    if (!trained) {
      checkArgument(!run.rewind().equals("reinit"), "--ticket %s re-initializes every round"
          + " (--rewind reinit): its masks have no weights to transfer with; use --weights"
          + " trained", runDir);
      rewindPoint = run.rewindWeights().isPresent() ? run.rewindWeights().get()
          : run.initialWeights();
    }
    return new Tickets(run, branch, trained, rewindPoint);
  }

  /** The pruned rounds there are tickets of, ascending. */
  List<Integer> available() {
    List<Round> rounds = branch != null ? branch.rounds() : run.rounds();
    return rounds.stream().map(Round::index).filter(i -> i >= 1).toList();
  }

  Mask mask(int round) {
    return branch != null ? branch.round(round).mask() : run.round(round).mask();
  }

  /** The weights the ticket of {@code round} starts from on the target. */
  Weights start(int round) throws IOException {
    if (!trained) {
      return rewindPoint;
    }
    return branch != null ? branch.trainedWeights(round) : run.trainedWeights(round);
  }

  /** The weights of the dense reference: the rewind point, or round 0 trained. */
  Weights denseStart() throws IOException {
    return trained ? run.trainedWeights(0) : rewindPoint;
  }
}
