package io.github.lth.core.analysis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.lth.core.Mask;
import io.github.lth.core.analysis.KernelMap.State;
import java.util.EnumMap;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Kernel states checked against a brute force over the boolean array of each layer. */
class KernelMapTest {

  @Test
  void statesMatchABruteForceOverTheBooleans() {
    Map<String, long[]> shapes = RandomMasks.shapes();
    for (long seed = 0; seed < 5; seed++) {
      Map<String, boolean[]> bits = RandomMasks.bits(shapes, 0.5, seed);
      Mask mask = RandomMasks.mask(shapes, bits);
      for (String layer : shapes.keySet()) {
        long[] shape = shapes.get(layer);
        if (shape.length != 4) {
          continue;
        }
        KernelMap map = KernelMap.of(mask, layer);
        boolean[] b = bits.get(layer);
        int k = (int) (shape[2] * shape[3]);
        Map<State, Long> counts = new EnumMap<>(State.class);
        assertThat(map.outChannels()).isEqualTo(shape[0]);
        assertThat(map.inChannels()).isEqualTo(shape[1]);
        assertThat(map.kernelSize()).isEqualTo(k);
        for (int o = 0; o < shape[0]; o++) {
          for (int i = 0; i < shape[1]; i++) {
            int kept = 0;
            for (int w = 0; w < k; w++) {
              kept += b[(int) ((o * shape[1] + i) * k + w)] ? 1 : 0;
            }
            State expected = kept == 0 ? State.PRUNED : kept == k ? State.KEPT : State.PARTIAL;
            assertThat(map.state(o, i)).as("%s seed %s [%s, %s]", layer, seed, o, i)
                .isEqualTo(expected);
            counts.merge(expected, 1L, Long::sum);
          }
        }
        for (State s : State.values()) {
          assertThat(map.count(s)).as("%s %s", layer, s).isEqualTo(counts.getOrDefault(s, 0L));
        }
        assertThat(map.count(State.PRUNED)).isEqualTo(mask.kernels(layer).zeroKernels());
      }
    }
  }

  @Test
  void randomMasksHitEveryState() {
    // guards the test above: with one state missing it would check little
    Map<String, long[]> shapes = RandomMasks.shapes();
    Mask mask = RandomMasks.mask(shapes, RandomMasks.bits(shapes, 0.5, 0));
    KernelMap map = KernelMap.of(mask, "conv2.weight");
    for (State s : State.values()) {
      assertThat(map.count(s)).as(s.name()).isPositive();
    }
  }

  @Test
  void aKernelWithoutWeightsCountsAsPruned() {
    Mask mask = Mask.builder().put("conv", new long[] {2, 3, 0, 3}, new boolean[0]).build();
    KernelMap map = KernelMap.of(mask, "conv");
    assertThat(map.count(State.PRUNED)).isEqualTo(6);
    assertThat(map.state(1, 2)).isEqualTo(State.PRUNED);
    assertThat(mask.kernels("conv").zeroKernels()).isEqualTo(6);
  }

  @Test
  void onlyRankFourLayersHaveAKernelMap() {
    Mask mask = Mask.builder().put("fc.weight", new long[] {2, 3}, new boolean[6]).build();
    assertThatThrownBy(() -> KernelMap.of(mask, "fc.weight"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("layer fc.weight has shape (2, 3): a kernel map needs a rank-4 convolution"
            + " weight [out, in, kh, kw]");
    assertThatThrownBy(() -> KernelMap.of(mask, "conv"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("no layer 'conv' in mask");
  }

  @Test
  void stateRejectsIndicesOutsideTheGrid() {
    Mask mask = Mask.builder().put("conv", new long[] {2, 3, 1, 1}, new boolean[6]).build();
    KernelMap map = KernelMap.of(mask, "conv");
    assertThatThrownBy(() -> map.state(2, 0)).isInstanceOf(IndexOutOfBoundsException.class);
    assertThatThrownBy(() -> map.state(0, 3)).isInstanceOf(IndexOutOfBoundsException.class);
  }

  @Test
  void countBitsMatchesABruteForceOnEveryRange() {
    SplittableRandom rng = new SplittableRandom(3);
    long[] words = new long[4];
    boolean[] bits = new boolean[256];
    for (int i = 0; i < bits.length; i++) {
      bits[i] = rng.nextBoolean();
      if (bits[i]) {
        words[i >>> 6] |= 1L << i;
      }
    }
    for (int from = 0; from <= 256; from++) {
      for (int to = from; to <= 256; to++) {
        long expected = 0;
        for (int i = from; i < to; i++) {
          expected += bits[i] ? 1 : 0;
        }
        assertThat(KernelMap.countBits(words, from, to)).as("[%s, %s)", from, to)
            .isEqualTo(expected);
      }
    }
  }
}
