package io.github.lth.djl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.Device;
import ai.djl.ndarray.types.Shape;
import io.github.lth.core.Imp;
import io.github.lth.core.ImpListener;
import io.github.lth.core.ImpResult;
import io.github.lth.core.Mask;
import io.github.lth.core.Round;
import io.github.lth.core.Seeds;
import io.github.lth.core.TrainingListener;
import io.github.lth.core.Weights;
import io.github.lth.core.io.MaskIO;
import io.github.lth.core.rewind.Rewind;
import io.github.lth.core.rewind.Rewinds;
import io.github.lth.core.schedule.PruningSchedule;
import io.github.lth.core.schedule.PruningSchedules;
import io.github.lth.djl.data.DataSources;
import io.github.lth.djl.data.ImageDataset;
import io.github.lth.djl.data.TrainTestSplit;
import io.github.lth.djl.models.Models;
import io.github.lth.djl.train.ClassificationTask;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.DoubleSupplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * IMP end to end on the real stack: lth-core's {@link Imp} driving LeNet-300-100 on DJL's
 * PyTorch engine (CPU) over the embedded Fashion-MNIST sample. Training is kept to a few dozen
 * steps per round: what is checked is exactness (masks, rewind targets, counts, files), not
 * accuracy.
 */
class ImpOnDjlTest {
  private static final Shape INPUT = new Shape(1, 1, 28, 28);
  private static final long SEED = 7;
  /** Prunable weights of LeNet-300-100: fc1 (300×784) and fc2 (100×300); fc3 stays dense. */
  private static final long PRUNABLE = 300 * 784 + 100 * 300;

  private static TrainTestSplit data;

  @BeforeAll
  static void loadData() {
    data = DataSources.embedded();
  }

  private static DjlModel lenet(long seed) {
    return DjlModel.create(Models.lenet300(10), INPUT, Device.cpu(), seed);
  }

  private static ClassificationTask task(long steps, String optimizer) {
    return ClassificationTask.builder().setTrainData(data.train()).setTestData(data.test())
        .optSteps(steps).optOptimizer(optimizer).build();
  }

  private static Imp.Builder imp(PruningSchedule schedule, Rewind rewind, long seed) {
    return Imp.builder().setSchedule(schedule).optRewind(rewind).optSeed(seed);
  }

  // ---------------------------------------------------------------- determinism

  @Test
  void sameSeedGivesIdenticalRoundsAndAnotherSeedAnotherMask() {
    PruningSchedule schedule = PruningSchedules.imp(0.2, 0.36);
    try (ClassificationTask task = task(30, "adam")) {
      List<ImpResult> results = new ArrayList<>();
      List<Weights> finals = new ArrayList<>();
      for (long seed : new long[] {SEED, SEED, SEED + 1}) {
        try (DjlModel m = lenet(seed)) {
          results.add(imp(schedule, Rewinds.toInit(), seed).build().run(m, task));
          finals.add(m.state());
        }
      }
      ImpResult a = results.get(0);
      ImpResult b = results.get(1);
      ImpResult other = results.get(2);

      assertThat(a.rounds()).extracting(Round::index).containsExactly(0, 1, 2);
      for (int r = 0; r < 3; r++) {
        assertThat(b.rounds().get(r).mask()).as("mask of round %s", r)
            .isEqualTo(a.rounds().get(r).mask());
        assertThat(b.rounds().get(r).metrics()).as("metrics of round %s", r)
            .isEqualTo(a.rounds().get(r).metrics());
        assertThat(b.rounds().get(r).training()).isEqualTo(a.rounds().get(r).training());
      }
      assertThat(finals.get(1)).isEqualTo(finals.get(0));

      // Another seed prunes exactly as many weights, but other ones.
      assertThat(other.last().kept()).isEqualTo(a.last().kept()).isEqualTo(169_728);
      assertThat(other.last().mask()).isNotEqualTo(a.last().mask());
      assertThat(other.last().mask().iou(a.last().mask())).isLessThan(0.99);
    }
  }

  // ---------------------------------------------------------------- resume

  /** Thrown by a listener to stop a run the way a killed process would. */
  private static final class SimulatedCrash extends RuntimeException {
    SimulatedCrash(String where) {
      super("simulated crash " + where);
    }
  }

  /** Crashes in round {@code round}: at its start, or at its training step {@code step}. */
  private static ImpListener crashIn(int round, String point) {
    return new ImpListener() {
      @Override
      public TrainingListener onRoundStart(int r, Mask mask) {
        if (r == round && point.equals("round-start")) {
          throw new SimulatedCrash("at the start of round " + r);
        }
        if (r != round) {
          return TrainingListener.NONE;
        }
        return new TrainingListener() {
          @Override
          public void onStep(long step, int epoch, long batch, DoubleSupplier loss) {
            if (step == 15) {
              throw new SimulatedCrash("at step 15 of round " + r);
            }
          }
        };
      }
    };
  }

  @ParameterizedTest(name = "rewind {0}, crash at {1}")
  @CsvSource({
      "init, round-start",
      "step:10, mid-training",
      "none, round-start",
      "reinit, mid-training",
  })
  void resumeAfterACrashEndsExactlyAsAnUninterruptedRun(String rewindSpec, String crashPoint,
      @TempDir Path tmp) throws IOException {
    Rewind rewind = Rewinds.parse(rewindSpec);
    PruningSchedule schedule = PruningSchedules.imp(0.2, 0.49); // rounds 0..3
    Path dirA = tmp.resolve("a");
    Path dirB = tmp.resolve("b");
    try (ClassificationTask task = task(30, "adam")) {
      ImpResult full;
      Weights fullFinal;
      try (DjlModel m = lenet(SEED)) {
        full = imp(schedule, rewind, SEED).optRunDirectory(dirA).build().run(m, task);
        fullFinal = m.state();
      }
      assertThat(full.rounds()).hasSize(4);

      try (DjlModel m = lenet(SEED)) {
        Imp crashing = imp(schedule, rewind, SEED).optRunDirectory(dirB)
            .addListener(crashIn(2, crashPoint)).build();
        assertThatThrownBy(() -> crashing.run(m, task)).isInstanceOf(SimulatedCrash.class);
      }
      // Only the complete rounds are there; nothing of round 2, no temporary left.
      List<String> expected = new ArrayList<>(List.of("config.json", "initial.npz", "round-00",
          "round-01", "results.csv", "summary.json", "curve.png"));
      if (rewind instanceof Rewind.ToStep) {
        expected.add("rewind-point.npz");
      }
      assertThat(visibleEntries(dirB)).containsExactlyInAnyOrderElementsOf(expected);
      assertThat(hiddenEntries(dirB)).containsExactlyInAnyOrder(".lock", ".summary.lock");
      assertThat(Files.readAllLines(dirB.resolve("results.csv"))).hasSize(1 + 2);
      // What a crash while writing round 2 would leave behind: resume must discard it.
      Path leftover = Files.createDirectory(dirB.resolve(".round-02.tmp"));
      Files.writeString(leftover.resolve("mask.npz"), "half a file");

      List<Integer> trained = new ArrayList<>();
      int[] start = new int[2];
      ImpListener recorder = new ImpListener() {
        @Override
        public void onRunStart(int rounds, int firstRound) {
          start[0] = rounds;
          start[1] = firstRound;
        }

        @Override
        public TrainingListener onRoundStart(int round, Mask mask) {
          trained.add(round);
          return TrainingListener.NONE;
        }
      };
      ImpResult resumed;
      Weights resumedFinal;
      // A model drawn from another seed: θ₀ must come from the run directory.
      try (DjlModel m = lenet(SEED + 1000)) {
        resumed = imp(schedule, rewind, SEED).optRunDirectory(dirB).optResume(true)
            .addListener(recorder).build().run(m, task);
        resumedFinal = m.state();
      }

      assertThat(start).containsExactly(3, 2);
      assertThat(trained).containsExactly(2, 3);
      assertThat(resumed.rounds()).isEqualTo(full.rounds());
      assertThat(resumedFinal).isEqualTo(fullFinal);
      assertThat(hiddenEntries(dirB)).containsExactlyInAnyOrder(".lock", ".summary.lock");
      for (int r = 0; r <= 3; r++) {
        String round = String.format(Locale.ROOT, "round-%02d", r);
        assertThat(MaskIO.read(dirB.resolve(round).resolve("mask.npz")))
            .isEqualTo(full.rounds().get(r).mask());
        assertThat(dirB.resolve(round).resolve("metrics.json"))
            .hasSameTextualContentAs(dirA.resolve(round).resolve("metrics.json"));
      }
      assertThat(dirB.resolve("results.csv")).hasSameTextualContentAs(dirA.resolve("results.csv"));
      assertThat(dirB.resolve("summary.json"))
          .hasSameTextualContentAs(dirA.resolve("summary.json"));
    }
  }

  private static List<String> visibleEntries(Path dir) throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return s.map(p -> p.getFileName().toString()).filter(n -> !n.startsWith(".")).toList();
    }
  }

  private static List<String> hiddenEntries(Path dir) throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return s.map(p -> p.getFileName().toString()).filter(n -> n.startsWith(".")).toList();
    }
  }

  // ---------------------------------------------------------------- rewind kinds

  /** Records host copies of the whole model at the moments a rewind target is taken. */
  private static final class Probe implements ImpListener {
    private final DjlModel model;
    private final long captureStep;
    final Map<Integer, Weights> atTrainingStart = new HashMap<>();
    final Map<Integer, Mask> masks = new HashMap<>();
    Weights afterCaptureStep;
    Weights afterFirstEpoch;
    long firstEpochEndStep = -1;
    Weights trainedRound0;

    Probe(DjlModel model, long captureStep) {
      this.model = model;
      this.captureStep = captureStep;
    }

    @Override
    public TrainingListener onRoundStart(int round, Mask mask) {
      masks.put(round, mask);
      return new TrainingListener() {
        @Override
        public void onTrainingStart(int epochs, long stepsPerEpoch) {
          atTrainingStart.put(round, model.state());
        }

        @Override
        public void onStep(long step, int epoch, long batch, DoubleSupplier loss) {
          if (round == 0 && step == captureStep) {
            afterCaptureStep = model.state();
          }
        }

        @Override
        public void onEpochEnd(int epoch, long step) {
          if (round == 0 && epoch == 0) {
            afterFirstEpoch = model.state();
            firstEpochEndStep = step;
          }
        }

        @Override
        public void onTrainingEnd(long steps) {
          if (round == 0) {
            trainedRound0 = model.state();
          }
        }
      };
    }

    /** The mask of round 1, checked to be a real pruning of a fifth of the weights. */
    Mask round1Mask() {
      Mask m = masks.get(1);
      assertThat(m.kept()).isEqualTo(PRUNABLE - Math.round(0.2 * PRUNABLE));
      return m;
    }
  }

  /** The dense round and one pruned round (20%) with {@code rewind}; returns the probe. */
  private static Probe oneRound(Rewind rewind, ClassificationTask task, long captureStep,
      Weights[] initial) {
    try (DjlModel m = lenet(SEED)) {
      initial[0] = m.state();
      Probe probe = new Probe(m, captureStep);
      ImpResult r = imp(PruningSchedules.imp(0.2, 0.2), rewind, SEED).addListener(probe).build()
          .run(m, task);
      assertThat(r.rounds()).hasSize(2);
      assertThat(r.rounds().get(1).mask()).isEqualTo(probe.masks.get(1));
      return probe;
    }
  }

  @Test
  void rewindToInitStartsRound1FromTheMaskedInitialWeights() {
    try (ClassificationTask task = task(20, "adam")) {
      Weights[] theta0 = new Weights[1];
      Probe p = oneRound(Rewinds.toInit(), task, -1, theta0);
      Mask m1 = p.round1Mask();
      assertThat(p.atTrainingStart.get(0)).isEqualTo(theta0[0]);
      assertThat(p.atTrainingStart.get(1)).isEqualTo(theta0[0].masked(m1));
      assertThat(p.trainedRound0).isNotEqualTo(theta0[0]);
    }
  }

  @Test
  void rewindToStepStartsRound1FromTheMaskedWeightsAfterThatStepOfRound0() {
    try (ClassificationTask task = task(20, "adam")) {
      Weights[] theta0 = new Weights[1];
      Probe p = oneRound(Rewinds.toStep(5), task, 5, theta0);
      Mask m1 = p.round1Mask();
      assertThat(p.afterCaptureStep).isNotNull().isNotEqualTo(theta0[0])
          .isNotEqualTo(p.trainedRound0);
      assertThat(p.atTrainingStart.get(1)).isEqualTo(p.afterCaptureStep.masked(m1));
    }
  }

  @Test
  void rewindToEpochStartsRound1FromTheMaskedWeightsAfterThatEpochOfRound0() {
    // 30 images in batches of 10: an epoch is 3 steps; round 0 trains 2 epochs
    ImageDataset tiny = data.train().samplePerClass(3, 5);
    try (ClassificationTask task = ClassificationTask.builder().setTrainData(tiny)
        .setTestData(data.test()).optValidation(0, 0).optEpochs(2).optBatchSize(10).build()) {
      Weights[] theta0 = new Weights[1];
      Probe p = oneRound(Rewinds.toEpoch(1), task, -1, theta0);
      Mask m1 = p.round1Mask();
      assertThat(p.firstEpochEndStep).isEqualTo(3);
      assertThat(p.afterFirstEpoch).isNotNull().isNotEqualTo(theta0[0])
          .isNotEqualTo(p.trainedRound0);
      assertThat(p.atTrainingStart.get(1)).isEqualTo(p.afterFirstEpoch.masked(m1));
    }
  }

  @Test
  void reinitStartsRound1FromAFreshDrawOfTheDerivedSeedMasked() {
    try (ClassificationTask task = task(20, "adam")) {
      Weights[] theta0 = new Weights[1];
      Probe p = oneRound(Rewinds.reinit(), task, -1, theta0);
      Mask m1 = p.round1Mask();
      Weights fresh;
      try (DjlModel other = lenet(Seeds.derive(SEED, "reinit", 1))) {
        fresh = other.state();
      }
      assertThat(p.atTrainingStart.get(1)).isEqualTo(fresh.masked(m1))
          .isNotEqualTo(theta0[0].masked(m1));
    }
  }

  @Test
  void noRewindContinuesRound1FromTheMaskedTrainedWeightsOfRound0() {
    try (ClassificationTask task = task(20, "adam")) {
      Weights[] theta0 = new Weights[1];
      Probe p = oneRound(Rewinds.none(), task, -1, theta0);
      Mask m1 = p.round1Mask();
      assertThat(p.atTrainingStart.get(1)).isEqualTo(p.trainedRound0.masked(m1))
          .isNotEqualTo(theta0[0].masked(m1));
    }
  }

  @Test
  void pretrainedStartsRound0FromTheGivenWeightsAndRewindsRound1ToThemMasked() {
    Weights pretrained;
    try (DjlModel donor = lenet(99)) {
      pretrained = donor.state();
    }
    try (ClassificationTask task = task(20, "adam")) {
      Weights[] theta0 = new Weights[1];
      Probe p = oneRound(Rewinds.toPretrained("donor", pretrained), task, -1, theta0);
      Mask m1 = p.round1Mask();
      assertThat(pretrained).isNotEqualTo(theta0[0]);
      assertThat(p.atTrainingStart.get(0)).isEqualTo(pretrained);
      assertThat(p.atTrainingStart.get(1)).isEqualTo(pretrained.masked(m1));
    }
  }

  // ---------------------------------------------------------------- masking after every step

  @ParameterizedTest
  @ValueSource(strings = {"adam", "sgd"})
  void everyPrunedWeightIsPositiveZeroAfterEveryStepOfEveryPrunedRound(String optimizer) {
    int[] checkedSteps = new int[1];
    long[] nonZeroPruned = new long[1];
    long[] stepsWithoutChange = new long[1];
    long[] prunedSeen = new long[1];
    try (ClassificationTask task = task(20, optimizer); DjlModel m = lenet(SEED)) {
      ImpListener checker = new ImpListener() {
        @Override
        public TrainingListener onRoundStart(int round, Mask mask) {
          if (round == 0) {
            return TrainingListener.NONE;
          }
          return new TrainingListener() {
            private Weights previous;

            @Override
            public void onStep(long step, int epoch, long batch, DoubleSupplier loss) {
              Weights w = m.weights(mask.layers());
              boolean changed = false;
              for (String layer : mask.layers()) {
                boolean[] kept = mask.toBooleans(layer);
                float[] v = w.values(layer);
                float[] before = previous == null ? null : previous.values(layer);
                for (int i = 0; i < v.length; i++) {
                  if (!kept[i]) {
                    prunedSeen[0]++;
                    if (Float.floatToRawIntBits(v[i]) != 0) {
                      nonZeroPruned[0]++;
                    }
                  } else if (before != null && before[i] != v[i]) {
                    changed = true;
                  }
                }
              }
              if (previous != null && !changed) {
                stepsWithoutChange[0]++;
              }
              previous = w;
              checkedSteps[0]++;
            }
          };
        }
      };
      ImpResult r = imp(PruningSchedules.imp(0.2, 0.36), Rewinds.toInit(), SEED)
          .addListener(checker).build().run(m, task);
      assertThat(r.rounds()).hasSize(3);
    }
    assertThat(checkedSteps[0]).isEqualTo(2 * 20);
    // 20 steps with 53,040 pruned weights, then 20 with 95,472
    assertThat(prunedSeen[0]).isEqualTo(20L * 53_040 + 20L * 95_472);
    assertThat(nonZeroPruned[0]).isZero();
    assertThat(stepsWithoutChange[0]).as("steps in which no kept weight moved").isZero();
  }

  // ------------------------------------ native memory, exact sparsities, masks read by numpy

  @Test
  void tenRoundsKeepArrayCountsFlatFollowTheExactSequenceAndWriteMasksNumpyReads(
      @TempDir Path runDir) throws Exception {
    List<Integer> modelCounts = new ArrayList<>();
    List<Integer> engineCounts = new ArrayList<>();
    ImpResult result;
    try (ClassificationTask task = task(10, "adam"); DjlModel m = lenet(SEED)) {
      ImpListener counter = new ImpListener() {
        @Override
        public void onRoundEnd(Round round) {
          modelCounts.add(m.manager().getManagedArrays().size());
          engineCounts.add(m.manager().getParentManager().getManagedArrays().size());
        }
      };
      result = imp(PruningSchedules.imp(0.2, 0.9), Rewinds.toInit(), SEED)
          .optRunDirectory(runDir).addListener(counter).build().run(m, task);
    }

    assertThat(modelCounts).hasSize(11);
    assertThat(modelCounts.subList(2, 11)).as("model manager tree after rounds 0..10: %s",
        modelCounts).containsOnly(modelCounts.get(2));
    assertThat(engineCounts.subList(2, 11)).as("engine manager tree after rounds 0..10: %s",
        engineCounts).containsOnly(engineCounts.get(2));
    // 6 parameters + the θ₀ snapshot of them + one device mask per prunable layer (2)
    assertThat(modelCounts.get(10)).isEqualTo(6 + 6 + 2);

    List<String> percent = result.rounds().stream()
        .map(r -> String.format(Locale.ROOT, "%.2f", 100 * r.sparsity())).toList();
    assertThat(percent).containsExactly("0.00", "20.00", "36.00", "48.80", "59.04", "67.23",
        "73.79", "79.03", "83.22", "86.58", "89.26");
    long kept = PRUNABLE;
    for (Round r : result.rounds()) {
      if (r.index() > 0) {
        kept -= Math.round(0.2 * kept);
      }
      assertThat(r.kept()).as("kept after round %s", r.index()).isEqualTo(kept);
    }

    Assumptions.assumingThat(numpyAvailable(), () -> checkMasksWithNumpy(runDir, result));
  }

  private static boolean numpyAvailable() {
    try {
      Process p = new ProcessBuilder("python3", "-c", "import numpy").redirectErrorStream(true)
          .start();
      p.getInputStream().readAllBytes();
      return p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0;
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  /**
   * numpy reads every round's mask.npz as bool arrays of the parameter shapes, with the round's
   * pruned count per layer, and the same bits (SHA-256 of numpy's packbits, big-endian).
   */
  private static void checkMasksWithNumpy(Path runDir, ImpResult result) throws Exception {
    String script = String.join("\n",
        "import hashlib, sys",
        "import numpy as np",
        "for path in sys.argv[1:]:",
        "    with np.load(path) as z:",
        "        for k in z.files:",
        "            a = z[k]",
        "            bits = hashlib.sha256(np.packbits(a.ravel()).tobytes()).hexdigest()",
        "            shape = 'x'.join(str(d) for d in a.shape)",
        "            print(path, k, a.dtype, shape, a.size - int(np.count_nonzero(a)), bits)");
    List<String> command = new ArrayList<>(List.of("python3", "-c", script));
    List<String> expected = new ArrayList<>();
    for (Round r : result.rounds()) {
      Path file = runDir.resolve(String.format(Locale.ROOT, "round-%02d", r.index()))
          .resolve("mask.npz");
      command.add(file.toString());
      Mask mask = r.mask();
      for (String layer : mask.layers()) {
        StringBuilder shape = new StringBuilder();
        for (long d : mask.shape(layer)) {
          shape.append(shape.length() == 0 ? "" : "x").append(d);
        }
        expected.add(String.join(" ", file.toString(), layer, "bool", shape,
            Long.toString(mask.size(layer) - mask.kept(layer)),
            packbitsSha256(mask.toBooleans(layer))));
      }
    }
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(out).isZero();
    List<String> lines = out.lines().toList();
    assertThat(lines).containsExactlyElementsOf(expected);
    // numpy's own counts give each round's stated sparsity
    for (Round r : result.rounds()) {
      String prefix = runDir.resolve(String.format(Locale.ROOT, "round-%02d", r.index()))
          .resolve("mask.npz") + " ";
      long pruned = 0;
      long size = 0;
      for (String line : lines) {
        if (line.startsWith(prefix)) {
          String[] f = line.split(" ");
          pruned += Long.parseLong(f[4]);
          size += Arrays.stream(f[3].split("x")).mapToLong(Long::parseLong)
              .reduce(1, (x, y) -> x * y);
        }
      }
      assertThat(size).isEqualTo(PRUNABLE);
      assertThat(String.format(Locale.ROOT, "%.2f", 100.0 * pruned / size))
          .isEqualTo(String.format(Locale.ROOT, "%.2f", 100 * r.sparsity()));
    }
  }

  private static String packbitsSha256(boolean[] bits) throws NoSuchAlgorithmException {
    byte[] packed = new byte[(bits.length + 7) / 8];
    for (int i = 0; i < bits.length; i++) {
      if (bits[i]) {
        packed[i / 8] |= (byte) (1 << (7 - i % 8));
      }
    }
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(packed));
  }
}
