package io.github.lth.core.transfer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;
import org.junit.jupiter.api.Test;

class VerdictsTest {
  private static final String ACC = "test_accuracy";
  private static final String LOSS = "test_loss";

  @Test
  void aMeanExactlyOnTheBoundaryMatchesAndJustBelowItDoesNot() {
    // dense 0.42, 0.50, 0.58: mean 0.5, std 0.08, boundary 0.42
    Verdicts v = Verdicts.builder().setMetric(ACC)
        .addAll(group("full", "dense", 0, 0, ACC, 0.42, 0.50, 0.58))
        .addAll(group("full", "imp", 1, 0.2, ACC, 0.42, 0.42))
        .addAll(group("full", "imp", 2, 0.36, ACC, 0.4199, 0.4199))
        .addAll(group("full", "imp", 3, 0.488, ACC, 0.55, 0.51))
        .build();

    Verdict dense = v.get("full", "dense", 0).orElseThrow();
    Verdict boundary = v.get("full", "imp", 1).orElseThrow();
    // in doubles 0.5 - 0.08 rounds above 0.42: only the tolerance makes the boundary count
    assertThat(boundary.stats().mean())
        .isLessThan(dense.stats().mean() - dense.stats().std());
    assertThat(boundary.matching()).isTrue();
    assertThat(v.get("full", "imp", 2).orElseThrow().matching()).isFalse();
    assertThat(v.get("full", "imp", 3).orElseThrow().matching()).isTrue();
    assertThat(dense.matching()).isTrue();
    assertThat(dense.delta()).isZero();
  }

  @Test
  void forALossLowerIsBetter() {
    // dense loss 0.43, 0.51, 0.59: mean 0.51, std 0.08, boundary 0.59
    Verdicts v = Verdicts.builder().setMetric(LOSS)
        .addAll(group("full", "dense", 0, 0, LOSS, 0.43, 0.51, 0.59))
        .addAll(group("full", "imp", 1, 0.2, LOSS, 0.59, 0.59))
        .addAll(group("full", "imp", 2, 0.36, LOSS, 0.40, 0.40))
        .addAll(group("full", "imp", 3, 0.488, LOSS, 0.6, 0.6))
        .build();

    Verdict dense = v.get("full", "dense", 0).orElseThrow();
    Verdict boundary = v.get("full", "imp", 1).orElseThrow();
    assertThat(boundary.stats().mean())
        .isGreaterThan(dense.stats().mean() + dense.stats().std());
    assertThat(boundary.matching()).isTrue();
    assertThat(v.get("full", "imp", 2).orElseThrow().matching()).isTrue();
    assertThat(v.get("full", "imp", 3).orElseThrow().matching()).isFalse();
    assertThat(v.higherIsBetter()).isFalse();
    // δ of a loss is its relative increase: (0.40 - 0.51) / 0.51 = -11/51
    assertThat(v.get("full", "imp", 2).orElseThrow().delta()).isCloseTo(-11.0 / 51, within(1e-12));
    assertThat(v.get("full", "imp", 3).orElseThrow().delta()).isCloseTo(9.0 / 51, within(1e-12));
    assertThat(v.toJson()).contains("\"matching\": \"mean <= dense mean + dense std\"");
  }

  @Test
  void theMetricNameDecidesTheDirection() {
    assertThat(Verdicts.higherIsBetter("val_accuracy")).isTrue();
    assertThat(Verdicts.higherIsBetter("Top1_Accuracy")).isTrue();
    assertThat(Verdicts.higherIsBetter("val_loss")).isFalse();
    assertThat(Verdicts.higherIsBetter("top5_error")).isFalse();
    assertThatThrownBy(() -> Verdicts.builder().setMetric("f1")
        .addAll(group("full", "dense", 0, 0, "f1", 0.8, 0.9)).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("cannot tell whether higher or lower is better for metric f1: choose an"
            + " accuracy, loss or error metric (a name containing \"accuracy\", \"loss\" or"
            + " \"error\")");
  }

  @Test
  void deltaIsTheRelativeIncreaseInError() {
    // dense accuracy 0.90 (error 0.10), sparse 0.88 (error 0.12): δ = 0.02 / 0.10 = 0.2
    Verdicts v = Verdicts.builder().setMetric(ACC)
        .addAll(group("full", "dense", 0, 0, ACC, 0.89, 0.91))
        .addAll(group("full", "imp", 1, 0.2, ACC, 0.88, 0.88))
        .addAll(group("full", "imp", 2, 0.36, ACC, 0.92, 0.92))
        .build();

    assertThat(v.get("full", "dense", 0).orElseThrow().stats().mean())
        .isCloseTo(0.90, within(1e-15));
    assertThat(v.get("full", "imp", 1).orElseThrow().delta()).isCloseTo(0.2, within(1e-12));
    // better than dense: the error falls by a fifth
    assertThat(v.get("full", "imp", 2).orElseThrow().delta()).isCloseTo(-0.2, within(1e-12));
  }

  @Test
  void aPerfectReferenceLeavesDeltaUndefined() {
    Verdicts v = Verdicts.builder().setMetric(ACC)
        .addAll(group("full", "dense", 0, 0, ACC, 1.0, 1.0))
        .addAll(group("full", "imp", 1, 0.2, ACC, 0.99, 0.99))
        .build();

    assertThat(v.get("full", "imp", 1).orElseThrow().delta()).isNaN();
    assertThat(v.get("full", "dense", 0).orElseThrow().delta()).isZero();
    JsonArray verdicts = JsonParser.parseString(v.toJson()).getAsJsonObject()
        .getAsJsonArray("verdicts");
    JsonObject imp = verdicts.get(1).getAsJsonObject();
    assertThat(imp.get("configuration").getAsString()).isEqualTo("imp");
    assertThat(imp.has("delta")).isTrue();
    assertThat(imp.get("delta").isJsonNull()).isTrue();
    assertThat(verdicts.get(0).getAsJsonObject().get("delta").getAsDouble()).isZero();
    assertThat(v.csv()).endsWith("\nfull,imp,1,0.2,2,0.99,0.0,false,\n");
  }

  @Test
  void aReferenceWithOneSeedIsRefused() {
    assertThatThrownBy(() -> Verdicts.builder().setMetric(ACC)
        .addAll(group("full", "dense", 0, 0, ACC, 0.9))
        .addAll(group("full", "imp", 1, 0.2, ACC, 0.88, 0.89))
        .build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("a verdict needs at least 2 seeds; full dense has 1");
  }

  @Test
  void aTargetNeedsExactlyOneReferenceGroup() {
    assertThatThrownBy(() -> Verdicts.builder().setMetric(ACC)
        .addAll(group("full", "dense", 0, 0, ACC, 0.9, 0.91))
        .addAll(group("full", "dense", 1, 0, ACC, 0.9, 0.91))
        .build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("target full has 2 dense groups (rounds [0, 1]); a verdict needs exactly one"
            + " reference per target");
    assertThatThrownBy(() -> Verdicts.builder().setMetric(ACC)
        .addAll(group("full", "dense", 0, 0, ACC, 0.9, 0.91))
        .addAll(group("linear", "imp", 1, 0.2, ACC, 0.9, 0.91))
        .build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("target linear has no dense result: every target needs its reference"
            + " (optReference chooses another configuration)");
  }

  @Test
  void anotherReferenceCanBeChosen() {
    Verdicts v = Verdicts.builder().setMetric(ACC).optReference("pretrained")
        .addAll(group("full", "pretrained", 0, 0, ACC, 0.89, 0.91))
        .addAll(group("full", "imp", 1, 0.2, ACC, 0.88, 0.88))
        .build();

    assertThat(v.reference()).isEqualTo("pretrained");
    assertThat(v.get("full", "imp", 1).orElseThrow().matching()).isFalse();
    assertThat(v.toJson()).contains("\"matching\": \"mean >= pretrained mean - pretrained std\"");
  }

  @Test
  void universalNeedsMatchingOnEveryTarget() {
    Verdicts v = Verdicts.builder().setMetric(ACC)
        .addAll(group("full", "dense", 0, 0, ACC, 0.89, 0.91))
        .addAll(group("linear", "dense", 0, 0, ACC, 0.79, 0.81))
        .addAll(group("full", "imp", 1, 0.2, ACC, 0.90, 0.90))
        .addAll(group("linear", "imp", 1, 0.2, ACC, 0.80, 0.80))
        // round 2 matches on full only
        .addAll(group("full", "imp", 2, 0.36, ACC, 0.90, 0.90))
        .addAll(group("linear", "imp", 2, 0.36, ACC, 0.70, 0.70))
        // round 3 matches on full, but linear was not trained there
        .addAll(group("full", "imp", 3, 0.488, ACC, 0.90, 0.90))
        .build();

    assertThat(v.universal("imp", 1)).isTrue();
    assertThat(v.universal("imp", 2)).isFalse();
    assertThat(v.universal("imp", 3)).isFalse();
    assertThat(v.universal("imp", 4)).isFalse();
    assertThat(v.universal("dense", 0)).isTrue();
    assertThat(v.sparsestUniversal("imp")).isEqualTo(OptionalDouble.of(0.2));
    assertThat(v.sparsestMatching("full", "imp")).isEqualTo(OptionalDouble.of(0.488));
    assertThat(v.sparsestMatching("linear", "imp")).isEqualTo(OptionalDouble.of(0.2));
    assertThatThrownBy(() -> v.universal("lmp", 1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("no results for configuration lmp; the configurations are [dense, imp]");

    JsonObject universal = JsonParser.parseString(v.toJson()).getAsJsonObject()
        .getAsJsonObject("universal");
    assertThat(universal.getAsJsonArray("imp")).containsExactly(json(0.2));
    assertThat(universal.getAsJsonArray("dense")).containsExactly(json(0.0));
  }

  @Test
  void noRoundIsUniversalWhenOneTargetFailsEverywhere() {
    Verdicts v = Verdicts.builder().setMetric(ACC)
        .addAll(group("full", "dense", 0, 0, ACC, 0.89, 0.91))
        .addAll(group("linear", "dense", 0, 0, ACC, 0.79, 0.81))
        .addAll(group("full", "imp", 1, 0.2, ACC, 0.90, 0.90))
        .addAll(group("linear", "imp", 1, 0.2, ACC, 0.70, 0.70))
        .build();

    assertThat(v.universal("imp", 1)).isFalse();
    assertThat(v.sparsestUniversal("imp")).isEmpty();
    assertThat(v.sparsestMatching("linear", "imp")).isEmpty();
  }

  @Test
  void sparsestMatchingSkipsAFailedLowerSparsity() {
    // matching at 20 %, not at 36 %, again at 48.8 %, not at 59 %: the answer is 48.8 %
    Verdicts v = Verdicts.builder().setMetric(ACC)
        .addAll(group("full", "dense", 0, 0, ACC, 0.89, 0.91))
        .addAll(group("full", "imp", 1, 0.2, ACC, 0.90, 0.90))
        .addAll(group("full", "imp", 2, 0.36, ACC, 0.85, 0.86))
        .addAll(group("full", "imp", 3, 0.488, ACC, 0.895, 0.893))
        .addAll(group("full", "imp", 4, 0.59, ACC, 0.80, 0.81))
        .addAll(group("full", "random", 1, 0.2, ACC, 0.70, 0.71))
        .build();

    assertThat(v.sparsestMatching("full", "imp")).isEqualTo(OptionalDouble.of(0.488));
    assertThat(v.sparsestMatching("full", "random")).isEmpty();
    assertThat(v.sparsestMatching("full", "dense")).isEqualTo(OptionalDouble.of(0));
    assertThatThrownBy(() -> v.sparsestMatching("fill", "imp"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("no results for target fill; the targets are [full]");
    JsonObject sparsest = JsonParser.parseString(v.toJson()).getAsJsonObject()
        .getAsJsonObject("sparsest_matching").getAsJsonObject("full");
    assertThat(sparsest.get("imp").getAsDouble()).isEqualTo(0.488);
    assertThat(sparsest.get("random").isJsonNull()).isTrue();
  }

  @Test
  void csvListsEveryGroupInTargetConfigurationRoundOrder() {
    assertThat(tiny().csv()).isEqualTo("""
        target,configuration,round,sparsity,seeds,mean,std,matching,delta
        full,dense,0,0.0,3,0.5,0.25,true,0.0
        full,imp,1,0.5,2,0.375,0.0,true,0.25
        full,imp,2,0.75,1,0.125,0.0,false,0.75
        linear,dense,0,0.0,2,1.0,0.0,true,0.0
        linear,imp,1,0.5,2,0.5,0.0,false,
        """);
  }

  @Test
  void csvQuotesNamesWithCommas() {
    Verdicts v = Verdicts.builder().setMetric(ACC)
        .addAll(group("cifar-10, \"full\"", "dense", 0, 0, ACC, 0.25, 0.75))
        .build();
    assertThat(v.csv()).endsWith("\n\"cifar-10, \"\"full\"\"\",dense,0,0.0,2,0.5,"
        + "0.3535533905932738,true,0.0\n");
  }

  @Test
  void jsonReadsBackFieldByField() {
    String text = tiny().toJson();
    // no HTML escaping: a reader of the file sees >=, not \u003e=
    assertThat(text).contains("\"matching\": \"mean >= dense mean - dense std\"");
    JsonObject root = JsonParser.parseString(text).getAsJsonObject();

    assertThat(root.keySet()).containsExactly("metric", "reference", "std", "matching", "targets",
        "verdicts", "sparsest_matching", "universal");
    assertThat(root.get("metric").getAsString()).isEqualTo(ACC);
    assertThat(root.get("reference").getAsString()).isEqualTo("dense");
    assertThat(root.get("std").getAsString()).isEqualTo("sample (n-1)");
    assertThat(root.get("matching").getAsString()).isEqualTo("mean >= dense mean - dense std");
    assertThat(root.getAsJsonArray("targets")).containsExactly(json("full"), json("linear"));

    JsonArray verdicts = root.getAsJsonArray("verdicts");
    assertThat(verdicts).hasSize(5);
    JsonObject second = verdicts.get(1).getAsJsonObject();
    assertThat(second.keySet()).containsExactly("target", "configuration", "round", "sparsity",
        "seeds", "mean", "std", "matching", "delta");
    assertThat(second.get("target").getAsString()).isEqualTo("full");
    assertThat(second.get("configuration").getAsString()).isEqualTo("imp");
    assertThat(second.get("round").getAsInt()).isEqualTo(1);
    assertThat(second.get("sparsity").getAsDouble()).isEqualTo(0.5);
    assertThat(second.get("seeds").getAsInt()).isEqualTo(2);
    assertThat(second.get("mean").getAsDouble()).isEqualTo(0.375);
    assertThat(second.get("std").getAsDouble()).isEqualTo(0.0);
    assertThat(second.get("matching").getAsBoolean()).isTrue();
    assertThat(second.get("delta").getAsDouble()).isEqualTo(0.25);
    JsonObject first = verdicts.get(0).getAsJsonObject();
    assertThat(first.get("configuration").getAsString()).isEqualTo("dense");
    assertThat(first.get("seeds").getAsInt()).isEqualTo(3);
    assertThat(first.get("std").getAsDouble()).isEqualTo(0.25);
    JsonObject third = verdicts.get(2).getAsJsonObject();
    assertThat(third.get("round").getAsInt()).isEqualTo(2);
    assertThat(third.get("matching").getAsBoolean()).isFalse();
    assertThat(third.get("delta").getAsDouble()).isEqualTo(0.75);
    JsonObject last = verdicts.get(4).getAsJsonObject();
    assertThat(last.get("target").getAsString()).isEqualTo("linear");
    assertThat(last.get("delta").isJsonNull()).isTrue();

    JsonObject sparsest = root.getAsJsonObject("sparsest_matching");
    assertThat(sparsest.keySet()).containsExactly("full", "linear");
    assertThat(sparsest.getAsJsonObject("full").get("dense").getAsDouble()).isEqualTo(0.0);
    assertThat(sparsest.getAsJsonObject("full").get("imp").getAsDouble()).isEqualTo(0.5);
    assertThat(sparsest.getAsJsonObject("linear").get("imp").isJsonNull()).isTrue();

    JsonObject universal = root.getAsJsonObject("universal");
    assertThat(universal.keySet()).containsExactly("dense", "imp");
    assertThat(universal.getAsJsonArray("dense")).containsExactly(json(0.0));
    assertThat(universal.getAsJsonArray("imp")).isEmpty();
  }

  @Test
  void queriesReportGroupsInFirstSeenOrder() {
    Verdicts v = tiny();
    assertThat(v.targets()).containsExactly("full", "linear");
    assertThat(v.configurations()).containsExactly("dense", "imp");
    assertThat(v.all()).extracting(Verdict::round).containsExactly(0, 1, 2, 0, 1);
    assertThat(v.get("full", "imp", 2).orElseThrow())
        .isEqualTo(new Verdict("full", "imp", 2, 0.75, new SeedStatistics(1, 0.125, 0), false,
            0.75));
    assertThat(v.get("linear", "imp", 2)).isEmpty();
    assertThat(v.metric()).isEqualTo(ACC);
  }

  @Test
  void badInputsAreRefusedClearly() {
    assertThatThrownBy(() -> Verdicts.builder().addAll(group("full", "dense", 0, 0, ACC, 0.9, 1))
        .build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("a metric is required (setMetric), e.g. test_accuracy");
    assertThatThrownBy(() -> Verdicts.builder().setMetric(ACC).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("no transfer results (add, addAll)");
    assertThatThrownBy(() -> Verdicts.builder().setMetric(LOSS)
        .addAll(group("full", "dense", 0, 0, ACC, 0.9, 1)).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("full dense round 0 seed 0 has no metric test_loss (it has [test_accuracy])");
    assertThatThrownBy(() -> Verdicts.builder().setMetric(ACC)
        .addAll(group("full", "dense", 0, 0, ACC, 89.5, 90.1)).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("test_accuracy of full dense round 0 seed 0 is 89.5; accuracies must be"
            + " fractions in [0, 1]");
    assertThatThrownBy(() -> Verdicts.builder().setMetric(ACC)
        .addAll(group("full", "dense", 0, 0, ACC, 0.9, 0.91))
        .add(result("full", "dense", 0, 0, 1, ACC, 0.92)).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("full dense round 0 has seed 1 twice");
    assertThatThrownBy(() -> Verdicts.builder().setMetric(ACC)
        .addAll(group("full", "dense", 0, 0, ACC, 0.9, 0.91))
        .add(result("full", "imp", 1, 0.2, 0, ACC, 0.9))
        .add(result("full", "imp", 1, 0.3, 1, ACC, 0.9)).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("full imp round 1 has sparsity 0.2 for seed 0 but 0.3 for seed 1; the seeds"
            + " of a round must share its mask");
  }

  /**
   * Two targets, every number exact in binary. full: dense 0.25, 0.5, 0.75 (mean 0.5, std 0.25,
   * error 0.5); imp round 1 at 0.375 twice (error 0.625, δ 0.25, matching) and round 2 at 0.125
   * once (error 0.875, δ 0.75, not matching). linear: dense 1.0 twice (error 0, δ undefined);
   * imp round 1 at 0.5. Added out of round order.
   */
  private static Verdicts tiny() {
    List<TransferResult> results = new ArrayList<>();
    results.addAll(group("full", "dense", 0, 0, ACC, 0.25, 0.5, 0.75));
    results.addAll(group("full", "imp", 2, 0.75, ACC, 0.125));
    results.addAll(group("linear", "dense", 0, 0, ACC, 1.0, 1.0));
    results.addAll(group("full", "imp", 1, 0.5, ACC, 0.375, 0.375));
    results.addAll(group("linear", "imp", 1, 0.5, ACC, 0.5, 0.5));
    return Verdicts.builder().setMetric(ACC).addAll(results).build();
  }

  /** One result per value, seeds 0, 1, ... */
  static List<TransferResult> group(String target, String configuration, int round,
      double sparsity, String metric, double... values) {
    List<TransferResult> out = new ArrayList<>();
    for (int seed = 0; seed < values.length; seed++) {
      out.add(result(target, configuration, round, sparsity, seed, metric, values[seed]));
    }
    return out;
  }

  private static TransferResult result(String target, String configuration, int round,
      double sparsity, int seed, String metric, double value) {
    return new TransferResult(target, configuration, round, sparsity, seed, Map.of(metric, value));
  }

  private static com.google.gson.JsonElement json(double d) {
    return new com.google.gson.JsonPrimitive(d);
  }

  private static com.google.gson.JsonElement json(String s) {
    return new com.google.gson.JsonPrimitive(s);
  }
}
