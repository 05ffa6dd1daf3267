package io.github.lth.djl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.Device;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;
import io.github.lth.core.Mask;
import io.github.lth.core.Pruner;
import io.github.lth.core.Snapshot;
import io.github.lth.core.Subnetwork;
import io.github.lth.core.Weights;
import io.github.lth.core.prune.ParameterSelectors;
import io.github.lth.core.prune.PruningCriteria;
import io.github.lth.core.prune.PruningCriterion;
import io.github.lth.core.prune.PruningScope;
import io.github.lth.core.prune.PruningStep;
import io.github.lth.core.schedule.PruningSchedule;
import io.github.lth.core.schedule.PruningSchedules;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The device pruning path gives exactly the masks of lth-core's host Pruner. */
class DevicePruneTest {
  private static final float[] TIED = {0f, -0f, 0.25f, -0.25f, 0.5f, -0.5f, 1f, -1f, 2f};
  private static final PruningSchedule IMP = PruningSchedules.imp(0.2, 0.9);

  /** Three prunable weights: conv (4,1,3,3), linear (3,64) and a second net's shapes. */
  private static DjlModel model(long seed) {
    return DjlModel.create(TestBlocks.convNet(3), new Shape(1, 1, 6, 6), Device.cpu(), seed);
  }

  private static DjlModel mlp3(long seed) {
    SequentialBlock b = TestBlocks.mlp(20, 7).add(Linear.builder().setUnits(3).build());
    return DjlModel.create(b, new Shape(1, 1, 4, 4), Device.cpu(), seed);
  }

  /** Random weights for every prunable layer, drawn from few values (ties) or continuous. */
  private static void scramble(DjlModel m, Mask mask, SplittableRandom rng, boolean ties) {
    Weights.Builder b = Weights.builder();
    for (String layer : mask.layers()) {
      float[] v = new float[(int) mask.size(layer)];
      for (int i = 0; i < v.length; i++) {
        v[i] = ties ? TIED[rng.nextInt(TIED.length)] : (float) rng.nextGaussian();
      }
      b.put(layer, mask.shape(layer), v);
    }
    m.load(b.build());
  }

  private static Mask host(DjlModel m, Mask current, PruningCriterion c, PruningScope scope,
      int round, Weights reference) {
    Weights w = m.weights(current.layers());
    Subnetwork s = reference == null ? Subnetwork.of(current, w)
        : Subnetwork.of(current, w, reference.select(current.layers()));
    return Pruner.prune(current, c.score(s), scope, IMP, round);
  }

  @ParameterizedTest
  @EnumSource(PruningScope.class)
  void magnitudeMatchesHostOverRoundsWithTies(PruningScope scope) {
    for (boolean ties : new boolean[] {true, false}) {
      for (boolean reloadEachRound : new boolean[] {false, true}) {
        try (DjlModel m = mlp3(1)) {
          SplittableRandom rng = new SplittableRandom(ties ? 11 : 12);
          Mask mask = TestBlocks.denseLayerWeights(m);
          assertThat(mask.layers()).hasSize(3);
          scramble(m, mask, rng, ties);
          for (int round = 1; round <= 6; round++) {
            if (reloadEachRound) {
              scramble(m, mask, rng, ties);
            }
            Mask device = m.pruneOnDevice(new PruningStep(mask, PruningCriteria.magnitude(), scope, IMP,
                round, null));
            Mask expected = host(m, mask, PruningCriteria.magnitude(), scope, round, null);
            assertThat(device).isEqualTo(expected);
            if (scope == PruningScope.GLOBAL) {
              assertThat(device.kept()).isEqualTo(IMP.keptAfter(round, mask.kept(), mask.size()));
            }
            assertThat(device.andNot(mask).kept()).isZero();
            mask = device;
            m.applyMask(mask);
          }
          assertThat(mask.sparsity()).isBetween(0.7, 0.75);
        }
      }
    }
  }

  @Test
  void convAndLinearLayersMatchHost() {
    try (DjlModel m = model(3)) {
      SplittableRandom rng = new SplittableRandom(5);
      Mask mask = TestBlocks.denseLayerWeights(m);
      for (int round = 1; round <= 4; round++) {
        scramble(m, mask, rng, true);
        for (PruningScope scope : PruningScope.values()) {
          Mask device = m.pruneOnDevice(new PruningStep(mask, PruningCriteria.magnitude(), scope, IMP,
              round, null));
          assertThat(device).isEqualTo(host(m, mask, PruningCriteria.magnitude(), scope, round,
              null));
        }
        mask = m.pruneOnDevice(new PruningStep(mask, PruningCriteria.magnitude(), PruningScope.GLOBAL,
            IMP, round, null));
        m.applyMask(mask);
      }
    }
  }

  @ParameterizedTest
  @EnumSource(PruningScope.class)
  void magnitudeChangeMatchesHostWithDeviceAndHostReferences(PruningScope scope) {
    try (DjlModel m = mlp3(2); DjlModel other = mlp3(3)) {
      SplittableRandom rng = new SplittableRandom(21);
      Mask mask = TestBlocks.denseLayerWeights(m);
      scramble(m, mask, rng, true);
      try (Snapshot init = m.snapshot(); Snapshot foreign = other.snapshot()) {
        for (int round = 1; round <= 4; round++) {
          scramble(m, mask, rng, true);
          Mask device = m.pruneOnDevice(new PruningStep(mask, PruningCriteria.magnitudeChange(), scope,
              IMP, round, init));
          assertThat(device).isEqualTo(host(m, mask, PruningCriteria.magnitudeChange(), scope,
              round, init.toWeights()));
          Mask viaHostRef = m.pruneOnDevice(new PruningStep(mask, PruningCriteria.magnitudeChange(),
              scope, IMP, round, foreign));
          assertThat(viaHostRef).isEqualTo(host(m, mask, PruningCriteria.magnitudeChange(),
              scope, round, foreign.toWeights()));
          mask = device;
          m.applyMask(mask);
        }
      }
    }
  }

  @Test
  void otherCriteriaTakeTheHostPath() {
    try (DjlModel m = mlp3(4)) {
      Mask mask = TestBlocks.denseLayerWeights(m);
      PruningCriterion random = PruningCriteria.random(9);
      Mask device = m.prune(new PruningStep(mask, random, PruningScope.GLOBAL, IMP, 1, null));
      assertThat(device).isEqualTo(host(m, mask, random, PruningScope.GLOBAL, 1, null));
      assertThatThrownBy(() -> m.pruneOnDevice(new PruningStep(mask, random, PruningScope.GLOBAL,
          IMP, 1, null))).hasMessageStartingWith("criterion random(9) has no device path");
      assertThat(device.kept()).isEqualTo(mask.size() - Math.round(0.2 * mask.size()));
    }
  }

  @Test
  void nonFiniteWeightIsRefusedLikeOnTheHost() {
    try (DjlModel m = mlp3(5)) {
      Mask mask = TestBlocks.dense(ParameterSelectors.layerWeights().select(m.parameters()));
      float[] w = m.weights(List.of("04Linear_weight")).values("04Linear_weight");
      w[17] = Float.NaN;
      m.load(Weights.builder().put("04Linear_weight", new long[] {7, 20}, w).build());
      PruningStep step = new PruningStep(mask, PruningCriteria.magnitude(), PruningScope.GLOBAL,
          IMP, 1, null);
      assertThatThrownBy(() -> host(m, mask, PruningCriteria.magnitude(), PruningScope.GLOBAL, 1,
          null)).hasMessage("layer 04Linear_weight holds a non-finite score (NaN at flat index 17)");
      assertThatThrownBy(() -> m.pruneOnDevice(step)).isInstanceOf(IllegalArgumentException.class)
          .hasMessage("layer 04Linear_weight holds a non-finite score (NaN at flat index 17)");
      assertThatThrownBy(() -> m.prune(step)).isInstanceOf(IllegalArgumentException.class)
          .hasMessage("layer 04Linear_weight holds a non-finite score (NaN at flat index 17)");
      // a pruned NaN is ignored, as on the host
      Mask.Builder b = Mask.builder();
      for (String layer : mask.layers()) {
        boolean[] bits = mask.toBooleans(layer);
        if (layer.equals("04Linear_weight")) {
          bits[17] = false;
        }
        b.put(layer, mask.shape(layer), bits);
      }
      Mask withoutNan = b.build();
      Mask device = m.pruneOnDevice(new PruningStep(withoutNan, PruningCriteria.magnitude(),
          PruningScope.GLOBAL, IMP, 1, null));
      assertThat(device).isEqualTo(host(m, withoutNan, PruningCriteria.magnitude(),
          PruningScope.GLOBAL, 1, null));
    }
  }
}
