package io.github.lth.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import com.google.gson.JsonObject;
import io.github.lth.core.Imp;
import io.github.lth.core.Mask;
import io.github.lth.core.Pruner;
import io.github.lth.core.Scores;
import io.github.lth.core.Weights;
import io.github.lth.core.prune.ParameterSelectors;
import io.github.lth.core.prune.PruningCriteria;
import io.github.lth.core.prune.PruningScope;
import io.github.lth.core.rewind.Rewinds;
import io.github.lth.core.run.RunStore;
import io.github.lth.core.schedule.PruningSchedules;
import io.github.lth.djl.Devices;
import io.github.lth.djl.data.DataSources;
import io.github.lth.djl.models.Models;
import io.github.lth.djl.train.ClassificationTask;
import io.github.lth.djl.train.LrSchedules;
import io.github.lth.djl.train.OptimizerSpec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;

/**
 * Library messages name parameters in words; each must come out on the command line with the
 * flag of the command that failed.
 */
class FlagNamesTest {
  private static final CommandSpec IMP = new CommandLine(new ImpCommand()).getCommandSpec();
  private static final CommandSpec MASK = new CommandLine(new MaskCommand()).getCommandSpec();
  private static final CommandSpec COMPARE =
      new CommandLine(new CompareCommand()).getCommandSpec();

  @TempDir
  static Path tmp;

  /** A library call that fails on a bad value, and the flag lth imp names it by. */
  record Failure(String label, ThrowingCall call, String flag) {
    @Override
    public String toString() {
      return label;
    }
  }

  @FunctionalInterface
  interface ThrowingCall {
    void run() throws Exception;
  }

  static Stream<Failure> impFailures() {
    return Stream.of(
        new Failure("criterion", () -> PruningCriteria.byName("largest", 0), "--criterion"),
        new Failure("include", () -> ParameterSelectors.matching("fc(["), "--include"),
        new Failure("exclude", () -> ParameterSelectors.excluding("fc(["), "--exclude"),
        new Failure("rate", () -> PruningSchedules.imp(0, 0.9), "--rate"),
        new Failure("target sparsity", () -> PruningSchedules.imp(0.5, 0.2),
            "--target-sparsity"),
        new Failure("rewind", () -> Rewinds.parse("bogus"), "--rewind"),
        new Failure("rewind step", () -> Rewinds.toStep(-1), "--rewind"),
        new Failure("run directory", () -> RunStore.open(Files.createTempFile(tmp, "run", ""),
            new JsonObject(), Map.of(), false), "--out"),
        new Failure("resume", () -> Imp.builder().setSchedule(PruningSchedules.imp(0.2, 0.9))
            .optResume(true).build(), "--resume"),
        new Failure("data", () -> DataSources.load(tmp.resolve("none").toString()), "--data"),
        new Failure("data directory", () -> DataSources.directory(
            Files.createTempDirectory(tmp, "idx")), "--data"),
        new Failure("validation", () -> DataSources.embedded().train().splitValidation(1.5, 0),
            "--validation"),
        new Failure("model", () -> Models.create("vgg19", 1, 28, 28, 10), "--model"),
        new Failure("model too large", () -> Models.create("conv6", 1, 4, 4, 10), "--model"),
        new Failure("device", () -> Devices.parse("tpu"), "--device"),
        new Failure("epochs", () -> ClassificationTask.builder().optEpochs(0), "--epochs"),
        new Failure("steps", () -> ClassificationTask.builder().optSteps(0), "--steps"),
        new Failure("batch size", () -> ClassificationTask.builder().optBatchSize(0),
            "--batch-size"),
        new Failure("optimizer", () -> OptimizerSpec.kindOf("rmsprop"), "--optimizer"),
        new Failure("learning rate", () -> ClassificationTask.builder().optLearningRate(-1),
            "--lr"),
        new Failure("learning rate of the spec", () -> OptimizerSpec.adam(0), "--lr"),
        new Failure("momentum", () -> ClassificationTask.builder().optMomentum(1), "--momentum"),
        new Failure("nesterov momentum", () -> OptimizerSpec.sgd(0.1, 0).withNesterov(true),
            "--momentum"),
        new Failure("weight decay", () -> ClassificationTask.builder().optWeightDecay(-1),
            "--weight-decay"),
        new Failure("learning-rate schedule", () -> LrSchedules.parse("linear"),
            "--lr-schedule"),
        new Failure("learning-rate schedule gamma", () -> LrSchedules.parse("step:10:2"),
            "--lr-schedule"),
        new Failure("learning-rate schedule missing",
            () -> ClassificationTask.builder().optLrSchedule(null), "--lr-schedule"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("impFailures")
  void everyLibraryMessageOfLthImpGetsItsFlag(Failure failure) {
    String message = messageOf(failure.call());

    assertThat(message).doesNotStartWith("--");
    assertThat(FlagNames.mention(IMP, message)).startsWith(failure.flag() + ": ")
        .doesNotStartWith(failure.flag() + ": " + failure.flag());
  }

  @Test
  void lthMaskNamesItsOwnFlags() {
    Mask dense = Mask.dense(Map.of("fc", new long[] {2, 2}));
    Weights w = Weights.builder().put("fc", new long[] {2, 2}, new float[] {1, 2, 3, 4}).build();
    Mask half = Pruner.pruneTo(dense, Scores.of(w), PruningScope.GLOBAL, 0.5);
    String sparser = messageOf(() -> Pruner.pruneTo(half, Scores.of(w), PruningScope.GLOBAL,
        0.25));
    String sparserLayer = messageOf(() -> Pruner.pruneTo(half, Scores.of(w), PruningScope.LAYER,
        0.25));

    assertThat(FlagNames.mention(MASK, sparser))
        .isEqualTo("--previous-mask: previous mask is already 0.5 sparse, more than the 0.25"
            + " asked for");
    assertThat(FlagNames.mention(MASK, sparserLayer))
        .startsWith("--previous-mask: previous mask layer fc is already 0.5 sparse");
    assertThat(FlagNames.mention(MASK, "sparsity must be in [0, 1): 1.5"))
        .isEqualTo("--sparsity: sparsity must be in [0, 1): 1.5");
    assertThat(FlagNames.mention(MASK, messageOf(() -> PruningCriteria.byName("taylor", 0))))
        .startsWith("--criterion: unknown criterion 'taylor' (known: ");
    assertThat(FlagNames.mention(MASK, messageOf(() -> ParameterSelectors.excluding("fc(["))))
        .startsWith("--exclude: not a valid regular expression 'fc(['");
  }

  @Test
  void aLeadingLabelBecomesTheFlagAndALeadingPhraseStays() {
    assertThat(FlagNames.mention(IMP, "learning-rate schedule: unknown schedule 'linear'"))
        .isEqualTo("--lr-schedule: unknown schedule 'linear'");
    assertThat(FlagNames.mention(IMP, "learning rate must be positive: 0.0"))
        .isEqualTo("--lr: learning rate must be positive: 0.0");
    assertThat(FlagNames.mention(IMP, "rewind step:50 is step 50, but training ends after 3"
        + " steps")).isEqualTo("--rewind: rewind step:50 is step 50, but training ends after 3"
        + " steps");
  }

  @Test
  void aPhraseNamesAFlagOnlyOnACommandThatHasIt() {
    assertThat(FlagNames.mention(IMP, "sparsity must be in [0, 1): 1.5"))
        .isEqualTo("sparsity must be in [0, 1): 1.5");
    assertThat(FlagNames.mention(MASK, "target sparsity must be in (0, 1): 1.0"))
        .isEqualTo("target sparsity must be in (0, 1): 1.0");
    assertThat(FlagNames.mention(COMPARE, "criterion: unknown criterion 'x'"))
        .isEqualTo("criterion: unknown criterion 'x'");
  }

  @Test
  void onlyWholeLeadingWordsCount() {
    assertThat(FlagNames.mention(IMP, "models differ")).isEqualTo("models differ");
    assertThat(FlagNames.mention(IMP, "the learning rate must be positive: 0.0"))
        .isEqualTo("the learning rate must be positive: 0.0");
    assertThat(FlagNames.mention(IMP, "Momentum must be in [0, 1): 1.0"))
        .isEqualTo("--momentum: Momentum must be in [0, 1): 1.0");
  }

  @Test
  void aMessageNamingAFlagAlreadyOrNothingKnownIsLeftAlone() {
    assertThat(FlagNames.mention(IMP, "--epochs must be positive: 0"))
        .isEqualTo("--epochs must be positive: 0");
    assertThat(FlagNames.mention(MASK, "no layer of w.npz is selected for pruning"))
        .isEqualTo("no layer of w.npz is selected for pruning");
    assertThat(FlagNames.mention(IMP, null)).isNull();
  }

  private static String messageOf(ThrowingCall call) {
    Throwable t = catchThrowable(call::run);
    assertThat(t).isInstanceOf(IllegalArgumentException.class);
    return t.getMessage();
  }
}
