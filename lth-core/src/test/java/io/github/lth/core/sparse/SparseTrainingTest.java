package io.github.lth.core.sparse;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.common.io.MoreFiles;
import com.google.common.io.RecursiveDeleteOption;
import io.github.lth.core.Imp;
import io.github.lth.core.ImpResult;
import io.github.lth.core.Mask;
import io.github.lth.core.SparseTraining;
import io.github.lth.core.io.MaskIO;
import io.github.lth.core.run.RunStore;
import io.github.lth.core.run.StoredRun;
import io.github.lth.core.schedule.PruningSchedules;
import io.github.lth.core.testing.ToyModel;
import io.github.lth.core.testing.ToyTask;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SparseTrainingTest {
  @TempDir
  Path tmp;

  private static SparseTraining.Builder gmp(Path dir) {
    return SparseTraining.builder()
        .setController(() -> GradualMagnitudePruning.builder(0.8).optPruningSteps(3).build())
        .optSeed(4).optRunDirectory(dir).optSetting("model", "toy");
  }

  @Test
  void writesTheDenseReferenceAndTheSparseModelAsRoundsZeroAndOne() throws IOException {
    Path dir = tmp.resolve("gmp");
    ToyModel model = ToyModel.mlp(12, 8, 6, 3, 1);
    ToyTask task = new ToyTask(2, 10);
    ImpResult r = gmp(dir).build().run(model, task);

    assertThat(r.rounds()).hasSize(2);
    assertThat(r.dense().sparsity()).isZero();
    long n = r.dense().mask().size();
    assertThat(r.last().mask().kept()).isEqualTo(n - Math.round(0.8 * n));
    // both rounds start from the same initial weights and data order
    assertThat(task.startWeights().get(1)).isEqualTo(task.startWeights().get(0));
    assertThat(task.contexts().get(1).seed()).isEqualTo(task.contexts().get(0).seed());

    StoredRun run = StoredRun.open(dir);
    assertThat(run.settings().get("method").getAsString()).isEqualTo("gmp");
    assertThat(run.settings().getAsJsonObject("method_settings").get("target_sparsity")
        .getAsDouble()).isEqualTo(0.8);
    assertThat(run.isFinished()).isTrue();
    assertThat(MaskIO.read(dir.resolve("round-01").resolve(RunStore.MASK)))
        .isEqualTo(r.last().mask());
    assertThat(run.trainedWeights(1)).isEqualTo(model.state());
    assertThat(Files.exists(dir.resolve(RunStore.RESULTS))).isTrue();
    assertThat(Files.exists(dir.resolve(RunStore.CURVE))).isTrue();
  }

  @Test
  void resumeRetrainsOnlyTheMissingRoundAndEndsWithTheSameMask() throws IOException {
    Path full = tmp.resolve("full");
    Mask uninterrupted = gmp(full).build().run(ToyModel.mlp(12, 8, 6, 3, 1),
        new ToyTask(2, 10)).last().mask();

    Path dir = tmp.resolve("cut");
    gmp(dir).build().run(ToyModel.mlp(12, 8, 6, 3, 1), new ToyTask(2, 10));
    MoreFiles.deleteRecursively(dir.resolve("round-01"), RecursiveDeleteOption.ALLOW_INSECURE);
    ToyTask task = new ToyTask(2, 10);
    // another initialization: the stored initial weights must win
    ImpResult resumed = gmp(dir).optResume(true).build().run(ToyModel.mlp(12, 8, 6, 3, 99), task);
    assertThat(task.contexts()).hasSize(1);
    assertThat(resumed.last().mask()).isEqualTo(uninterrupted);
    assertThat(resumed.rounds()).hasSize(2);
  }

  @Test
  void aRunStoppedBeforeItsLastSummaryGetsItOnResumeWithoutTraining() throws IOException {
    Path dir = tmp.resolve("summary");
    gmp(dir).build().run(ToyModel.mlp(12, 8, 6, 3, 1), new ToyTask(2, 10));
    byte[] summary = Files.readAllBytes(dir.resolve(RunStore.SUMMARY));
    byte[] table = Files.readAllBytes(dir.resolve(RunStore.RESULTS));
    // as if killed after round 1 was stored, before its summary
    Files.delete(dir.resolve(RunStore.SUMMARY));
    Files.writeString(dir.resolve(RunStore.RESULTS), "round 0 only\n");
    ToyTask task = new ToyTask(2, 10);
    gmp(dir).optResume(true).build().run(ToyModel.mlp(12, 8, 6, 3, 1), task);
    assertThat(task.contexts()).isEmpty();
    assertThat(Files.readAllBytes(dir.resolve(RunStore.SUMMARY))).isEqualTo(summary);
    assertThat(Files.readAllBytes(dir.resolve(RunStore.RESULTS))).isEqualTo(table);
  }

  @Test
  void aDenseReferenceFromAnImpRunOfTheSameNetworkIsTakenInsteadOfRetrained() throws IOException {
    Path imp = tmp.resolve("imp");
    ImpResult lth = Imp.builder().setSchedule(PruningSchedules.imp(0.5, 0.6)).optSeed(4)
        .optRunDirectory(imp).optSetting("model", "toy").build()
        .run(ToyModel.mlp(12, 8, 6, 3, 1), new ToyTask(2, 10));

    Path dir = tmp.resolve("acdc");
    ToyTask task = new ToyTask(2, 10);
    ImpResult r = SparseTraining.builder()
        .setController(() -> AcDc.builder(0.7).build()).optSeed(4).optRunDirectory(dir)
        .optSetting("model", "toy").optDenseFrom(imp).build()
        .run(ToyModel.mlp(12, 8, 6, 3, 1), task);
    assertThat(task.contexts()).hasSize(1);
    assertThat(r.dense().metrics()).isEqualTo(lth.dense().metrics());
    StoredRun stored = StoredRun.open(dir);
    assertThat(stored.trainedWeights(0)).isEqualTo(StoredRun.open(imp).trainedWeights(0));
    // the same as training it here
    ImpResult trained = SparseTraining.builder()
        .setController(() -> AcDc.builder(0.7).build()).optSeed(4)
        .optSetting("model", "toy").build().run(ToyModel.mlp(12, 8, 6, 3, 1), new ToyTask(2, 10));
    assertThat(trained.dense().metrics()).isEqualTo(r.dense().metrics());
    assertThat(trained.last().mask()).isEqualTo(r.last().mask());
  }

  @Test
  void aDenseReferenceOfAnotherNetworkIsRefusedNamingWhatDiffers() {
    Path imp = tmp.resolve("imp-seed-5");
    Imp.builder().setSchedule(PruningSchedules.imp(0.5, 0.6)).optSeed(5).optRunDirectory(imp)
        .optSetting("model", "toy").build().run(ToyModel.mlp(12, 8, 6, 3, 1), new ToyTask(2, 10));
    assertThatThrownBy(() -> gmp(tmp.resolve("x")).optDenseFrom(imp).build()
        .run(ToyModel.mlp(12, 8, 6, 3, 1), new ToyTask(2, 10)))
        .hasMessage("dense reference %s: its seed differs from this run's (5, here 4)", imp);
    // refused before anything was written
    assertThat(Files.exists(tmp.resolve("x"))).isFalse();
    Path other = tmp.resolve("imp-other-init");
    Imp.builder().setSchedule(PruningSchedules.imp(0.5, 0.6)).optSeed(4).optRunDirectory(other)
        .optSetting("model", "toy").build().run(ToyModel.mlp(12, 8, 6, 3, 2), new ToyTask(2, 10));
    assertThatThrownBy(() -> gmp(tmp.resolve("y")).optDenseFrom(other).build()
        .run(ToyModel.mlp(12, 8, 6, 3, 1), new ToyTask(2, 10)))
        .hasMessage("dense reference %s: its initial weights differ from this run's", other);
  }

  /** A controller that holds something to free. */
  private static final class ClosingGmp implements io.github.lth.core.SparsityController,
      AutoCloseable {
    private final GradualMagnitudePruning inner = GradualMagnitudePruning.builder(0.5).build();
    boolean closed;

    @Override
    public Mask start(io.github.lth.core.TrainingState state) {
      return inner.start(state);
    }

    @Override
    public Mask afterStep(io.github.lth.core.TrainingState state) {
      return inner.afterStep(state);
    }

    @Override
    public void close() {
      closed = true;
    }
  }

  @Test
  void aControllerThatHoldsResourcesIsClosedAfterItsRun() {
    ClosingGmp controller = new ClosingGmp();
    SparseTraining.builder().setController(() -> controller).build()
        .run(ToyModel.mlp(12, 8, 6, 3, 1), new ToyTask(1, 10));
    assertThat(controller.closed).isTrue();
  }
}
