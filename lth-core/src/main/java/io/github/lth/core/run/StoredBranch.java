package io.github.lth.core.run;

import static com.google.common.base.Preconditions.checkArgument;

import com.google.common.collect.ImmutableList;
import com.google.gson.JsonObject;
import io.github.lth.core.Round;
import io.github.lth.core.Weights;
import io.github.lth.core.io.WeightsIO;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A branch (control) of a run as stored under {@code runs/X/branches/NAME/}: its settings (the
 * control, its seed, the run it branches from) and the rounds trained so far, each the same files
 * as a run's round.
 *
 * <pre>{@code
 * for (StoredBranch b : StoredRun.open(dir).branches()) {
 *   System.out.println(b.name() + " (" + b.control() + "): rounds " + b.roundIndices());
 * }
 * }</pre>
 *
 * @param name the directory name, e.g. {@code reinit} or {@code perturbed-10}
 * @param directory the branch directory
 * @param settings the branch's settings (control, seed, run fingerprint)
 * @param rounds the branch's complete rounds, by round index ascending; each round's index is
 *     the run round whose mask it was derived from
 */
public record StoredBranch(String name, Path directory, JsonObject settings,
    ImmutableList<Round> rounds) {

  /** The control's specification, e.g. {@code random-mask} or {@code perturbed:10}. */
  public String control() {
    return settings.get("control").getAsString();
  }

  /** The round indices this branch has, ascending. */
  public ImmutableList<Integer> roundIndices() {
    return rounds.stream().map(Round::index).collect(ImmutableList.toImmutableList());
  }

  /**
   * The trained weights of the branch's round {@code index} (its weights.npz).
   *
   * <pre>{@code
   * Weights w = run.branches().get(0).trainedWeights(3);
   * }</pre>
   *
   * @throws IllegalArgumentException if the branch has no such round or its weights.npz is
   *     missing
   */
  public Weights trainedWeights(int index) throws IOException {
    round(index);
    Path f = directory.resolve(RunStore.roundDirectoryName(index))
        .resolve(RunStore.TRAINED_WEIGHTS);
    checkArgument(Files.isRegularFile(f), "branch directory %s lacks %s", directory,
        directory.relativize(f));
    return WeightsIO.read(f);
  }

  /**
   * The branch's round derived from run round {@code index}.
   *
   * <pre>{@code
   * Mask m = branch.round(3).mask();
   * }</pre>
   *
   * @throws IllegalArgumentException naming the rounds there are, if the branch has no such round
   */
  public Round round(int index) {
    return rounds.stream().filter(r -> r.index() == index).findFirst().orElseThrow(
        () -> new IllegalArgumentException(String.format("branch %s has no round %s (it has %s)",
            name, index, roundIndices())));
  }

  /** Reads a branch directory ({@code runs/X/branches/NAME}). */
  public static StoredBranch read(Path dir) throws IOException {
    JsonObject config = RunStore.readJson(dir.resolve(RunStore.CONFIG));
    JsonObject settings = config.has("settings") ? config.getAsJsonObject("settings")
        : new JsonObject();
    return new StoredBranch(dir.getFileName().toString(), dir, settings,
        ImmutableList.copyOf(RunStore.readStoredRounds(dir)));
  }
}
