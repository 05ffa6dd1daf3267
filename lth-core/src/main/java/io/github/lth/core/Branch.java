package io.github.lth.core;

import static com.google.common.base.Preconditions.checkArgument;

import com.google.common.collect.ImmutableList;
import com.google.gson.Gson;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import io.github.lth.core.branch.Control;
import io.github.lth.core.branch.ControlMasks;
import io.github.lth.core.rewind.Rewind;
import io.github.lth.core.rewind.Rewinds;
import io.github.lth.core.run.RunStore;
import io.github.lth.core.run.StoredRun;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * A branch of a finished IMP run: for each chosen round, trains a {@link Control} of the round's
 * ticket and stores it under {@code runs/X/branches/NAME/round-NN/} (the same files as a round,
 * written atomically). Running it again continues where it stopped; the run's results.csv and
 * curve.png gain the branch's column group and line.
 *
 * <p>Every control round trains exactly as the ticket's round did — the same steps, start step
 * (late rewinding continues from step k), learning rates and data order — and changes only
 * what the control names: the mask (random-mask, random-global, complement, perturbed,
 * natural-random), the starting weights (reinit: a fresh initialization instead of the rewind
 * point) or the data order (retrain).
 *
 * <pre>{@code
 * BranchResult controls = Branch.builder()
 *     .setRunDirectory(Path.of("runs/lenet"))
 *     .setControl(Control.parse("random-mask"))
 *     .optRounds(List.of(3, 5, 7))
 *     .build()
 *     .run(model, task);   // the model and task the run was made with
 * }</pre>
 */
public final class Branch {
  private final Path runDirectory;
  private final Control control;
  private final List<Integer> rounds;
  private final Long seed;
  private final String name;
  private final List<ImpListener> listeners;

  private Branch(Builder b) {
    this.runDirectory = b.runDirectory;
    this.control = b.control;
    this.rounds = b.rounds == null ? null : List.copyOf(b.rounds);
    this.seed = b.seed;
    this.name = b.name;
    this.listeners = List.copyOf(b.listeners);
  }

  public static Builder builder() {
    return new Builder();
  }

  /**
   * Trains the branch's missing rounds on {@code model} (changed in place) and {@code task},
   * which must be the run's: the task's settings and the model's prunable parameters are
   * checked against the run's config.json.
   *
   * @throws IllegalArgumentException if the run directory is missing or incomplete, a round
   *     does not exist or is round 0, or the model or task differ from the run's
   * @throws UncheckedIOException if the run cannot be read or the branch written
   */
  public <M extends PrunableModel> BranchResult run(M model, Task<? super M> task) {
    try {
      return execute(model, task);
    } catch (IOException e) {
      throw new UncheckedIOException(e.getMessage(), e);
    }
  }

  /** The branch directory name this branch uses in {@code run}. */
  public String name(StoredRun run) {
    if (name != null) {
      return name;
    }
    long s = seedFor(run);
    return control.directoryName() + (s == run.seed() ? "" : "-seed" + s);
  }

  /** The rounds this branch covers in {@code run}: the chosen ones, or every pruned round. */
  public List<Integer> rounds(StoredRun run) {
    List<Integer> out = new ArrayList<>();
    checkArgument(rounds == null || !rounds.isEmpty(), "no round chosen (leave the rounds out"
        + " for every pruned round)");
    if (rounds == null) {
      for (int r = 1; r < run.rounds().size(); r++) {
        out.add(r);
      }
      checkArgument(!out.isEmpty(), "run directory %s has only the dense round 0; a control"
          + " needs a pruned round", run.directory());
      return out;
    }
    for (int r : new TreeSet<>(rounds)) {
      checkArgument(r != 0, "round 0 is the dense network; a control needs a pruned round (1 to"
          + " %s)", run.rounds().size() - 1);
      run.round(r);
      out.add(r);
    }
    return out;
  }

  private long seedFor(StoredRun run) {
    return seed != null ? seed : run.seed();
  }

  private <M extends PrunableModel> BranchResult execute(M model, Task<? super M> task)
      throws IOException {
    StoredRun run = StoredRun.open(runDirectory);
    List<Integer> chosen = rounds(run);
    checkSameTask(run, task);
    checkPrunable(run, model);
    long branchSeed = seedFor(run);
    String branchName = name(run);
    checkArgument(!branchName.isEmpty() && !branchName.startsWith(".")
        && branchName.matches("[A-Za-z0-9._+-]+"), "branch name '%s' must be letters, digits,"
        + " '.', '_', '+' or '-'", branchName);
    String rewindSpec = run.rewind();
    // a pre-trained start is stored as the run's initial.npz: rewinding to it is rewinding to θ₀
    Rewind rewind = rewindSpec.startsWith("pretrained:") ? Rewinds.toInit()
        : Rewinds.parse(rewindSpec);
    long rewindStep = Imp.rewindStep(rewind, task.plan());

    // everything a round needs is read and every mask drawn before the branch directory is
    // made, so a run that lacks a file leaves no empty branch behind
    Weights initial = run.initialWeights();
    Weights rewindPoint = rewindStep > 0 ? run.rewindWeights().orElseThrow(() ->
        new IllegalArgumentException("run directory " + runDirectory + " lacks "
            + RunStore.REWIND_WEIGHTS + " for rewind " + rewindSpec)) : null;
    Weights denseTrained = control instanceof Control.NaturalRandom
        ? run.trainedWeights(0) : null;
    Map<Integer, Mask> masks = new TreeMap<>();
    for (int r : chosen) {
      Mask found = run.round(r).mask();
      Mask mask = ControlMasks.of(control, found,
          Seeds.derive(branchSeed, "branch:" + control.spec(), r), denseTrained);
      checkArgument(!(control instanceof Control.Perturbed) || !mask.equals(found),
          "control %s swaps no weight of round %s: the share of each layer's kept weights"
              + " rounds to 0", control.spec(), r);
      masks.put(r, mask);
      if (rewind instanceof Rewind.None && !(control instanceof Control.Reinit)) {
        run.trainedWeightsFile(r - 1);
      }
    }

    JsonObject settings = new JsonObject();
    settings.addProperty("control", control.spec());
    settings.addProperty("seed", branchSeed);
    if (control instanceof Control.NaturalRandom n) {
      settings.addProperty("natural_zero_threshold", n.threshold());
    }
    settings.addProperty("run_settings_sha256", run.settingsFingerprint());
    // the description is prose and may be reworded; settings are compared on resume
    Map<String, String> provenance = new LinkedHashMap<>(model.provenance());
    provenance.put("control_description", control.description());
    Path dir = runDirectory.resolve(RunStore.BRANCHES).resolve(branchName);
    List<Integer> trainedNow = new ArrayList<>();
    try (RunStore store = RunStore.open(dir, settings, provenance, true)) {
      Set<Integer> stored = new HashSet<>();
      List<Round> storedRounds = store.storedRounds();
      storedRounds.forEach(r -> stored.add(r.index()));
      if (!stored.isEmpty()) {
        store.writeSummaryIfStale(storedRounds, task.primaryMetric());
      }
      List<Integer> todo = chosen.stream().filter(r -> !stored.contains(r)).toList();
      int last = run.rounds().size() - 1;
      listeners.forEach(l -> l.onRunStart(last, 0));
      for (int r : todo) {
        Mask mask = masks.get(r);
        moveToStart(model, run, rewind, rewindStep, r, initial, rewindPoint, branchSeed);
        long dataSeed = control instanceof Control.Retrain
            ? Seeds.derive(branchSeed, "branch:retrain", r)
            : Imp.dataSeed(run.seed(), rewindStep, r);
        TrainingListener listener = TrainingListener.NONE;
        for (ImpListener l : listeners) {
          listener = listener.andThen(l.onRoundStart(r, mask));
        }
        model.applyMask(mask);
        TrainingSummary training = task.train(model, SparsityControllers.fixed(mask),
            new TrainingContext(r, dataSeed, listener, Imp.startStep(rewindStep, r)));
        Round round = new Round(r, mask, task.evaluate(model), training);
        store.writeRound(round, model.state());
        store.writeSummary(store.storedRounds(), task.primaryMetric());
        RunStore.rewriteSummary(runDirectory);
        trainedNow.add(r);
        listeners.forEach(l -> l.onRoundEnd(round));
      }
      if (todo.isEmpty()) {
        RunStore.rewriteSummary(runDirectory);
      }
      return new BranchResult(branchName, control, dir,
          ImmutableList.copyOf(store.storedRounds()), ImmutableList.copyOf(trainedNow));
    }
  }

  /**
   * Puts the weights where the ticket's round started (Imp's rewind rule), or draws fresh ones
   * for the reinit control.
   */
  private void moveToStart(PrunableModel model, StoredRun run, Rewind rewind, long rewindStep,
      int round, Weights initial, Weights rewindPoint, long branchSeed) throws IOException {
    if (control instanceof Control.Reinit) {
      model.reinitialize(Seeds.derive(branchSeed, "branch:reinit", round));
    } else if (rewindStep > 0) {
      model.load(rewindPoint);
    } else if (rewind instanceof Rewind.Reinit) {
      model.reinitialize(Seeds.derive(run.seed(), "reinit", round));
    } else if (rewind instanceof Rewind.None) {
      model.load(run.trainedWeights(round - 1));
    } else {
      model.load(initial);
    }
  }

  private void checkSameTask(StoredRun run, Task<?> task) {
    Gson gson = new Gson();
    JsonElement stored = run.settings().get("task");
    JsonObject given = gson.fromJson(gson.toJson(gson.toJsonTree(task.settings())),
        JsonElement.class).getAsJsonObject();
    checkArgument(given.equals(stored), "the task differs from the one run %s was made with"
        + " (%s)", runDirectory, RunStore.differences(stored, given));
    checkArgument(task.primaryMetric().equals(run.primaryMetric()), "the task measures %s, but"
        + " run %s selected by %s", task.primaryMetric(), runDirectory, run.primaryMetric());
  }

  private void checkPrunable(StoredRun run, PrunableModel model) {
    JsonObject prunable = run.settings().getAsJsonObject("prunable");
    Map<String, long[]> shapes = new HashMap<>();
    model.parameters().forEach(p -> shapes.put(p.name(), p.shape()));
    for (String layer : prunable.keySet()) {
      long[] stored = new Gson().fromJson(prunable.get(layer), long[].class);
      checkArgument(shapes.containsKey(layer), "the model has no parameter %s, which run %s"
          + " prunes", layer, runDirectory);
      checkArgument(Arrays.equals(shapes.get(layer), stored), "parameter %s has shape %s in the"
          + " model but %s in run %s", layer, Shapes.format(shapes.get(layer)),
          Shapes.format(stored), runDirectory);
    }
  }

  /** Configures a {@link Branch}; the run directory and the control are required. */
  public static final class Builder {
    private Path runDirectory;
    private Control control;
    private List<Integer> rounds;
    private Long seed;
    private String name;
    private final List<ImpListener> listeners = new ArrayList<>();

    private Builder() {}

    /** The finished (or stopped) IMP run to branch from. */
    public Builder setRunDirectory(Path runDirectory) {
      this.runDirectory = runDirectory;
      return this;
    }

    public Builder setControl(Control control) {
      this.control = control;
      return this;
    }

    /** The run rounds to train the control for; default every pruned round (1, 2, ...). */
    public Builder optRounds(List<Integer> rounds) {
      this.rounds = rounds;
      return this;
    }

    /**
     * Seed of the control's random draws (masks, re-initialization, retrain data order);
     * default the run's seed. Another seed makes another branch ({@code NAME-seedS}).
     */
    public Builder optSeed(long seed) {
      this.seed = seed;
      return this;
    }

    /** The branch directory's name; default the control's ({@code perturbed-10}, ...). */
    public Builder optName(String name) {
      this.name = name;
      return this;
    }

    /** Hears about each round (progress); {@code onRunEnd} is not called. */
    public Builder addListener(ImpListener listener) {
      listeners.add(listener);
      return this;
    }

    public Branch build() {
      checkArgument(runDirectory != null, "a run directory is required (setRunDirectory)");
      checkArgument(control != null, "a control is required (setControl)");
      return new Branch(this);
    }
  }
}
