package io.github.lth.core.analysis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.common.collect.Lists;
import io.github.lth.core.KernelStats;
import io.github.lth.core.Mask;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Every expected IoU, Hamming distance, sparsity and kernel count is computed here from plain
 * boolean arrays, never by asking {@link Mask}.
 */
class MaskComparisonTest {
  private static final boolean T = true;
  private static final boolean F = false;

  @Test
  void iouOfAMaskWithItselfIsOneAndWithItsComplementZero() {
    Map<String, long[]> shapes = RandomMasks.shapes();
    Mask m = RandomMasks.mask(shapes, RandomMasks.bits(shapes, 0.4, 11));
    MaskComparison c = MaskComparison.of(List.of("m", "m again", "complement"),
        List.of(m, m, m.not()));

    assertThat(c.iou()[0][1]).isEqualTo(1.0);
    assertThat(c.iou()[0][2]).isEqualTo(0.0);
    assertThat(c.iou()[2][0]).isEqualTo(0.0);
    assertThat(c.hamming()[0][1]).isZero();
    assertThat(c.hamming()[0][2]).isEqualTo(m.size());
    for (String layer : shapes.keySet()) {
      long size = m.size(layer);
      assertThat(c.hamming(layer)[0][2]).as(layer).isEqualTo(size);
      assertThat(c.iou(layer)[0][1]).as(layer).isEqualTo(1.0);
      // an empty layer is kept by neither mask: identical, IoU 1, as Mask.iou has it
      assertThat(c.iou(layer)[0][2]).as(layer).isEqualTo(size == 0 ? 1.0 : 0.0);
    }
  }

  @Test
  void iouAndHammingMatchABooleanBruteForceOnRandomMasks() {
    Map<String, long[]> shapes = RandomMasks.shapes();
    double[] densities = {0.1, 0.5, 0.9, 0.5};
    List<Map<String, boolean[]>> bits = new ArrayList<>();
    List<Mask> masks = new ArrayList<>();
    List<String> labels = new ArrayList<>();
    for (int i = 0; i < densities.length; i++) {
      bits.add(RandomMasks.bits(shapes, densities[i], 100 + i));
      masks.add(RandomMasks.mask(shapes, bits.get(i)));
      labels.add("m" + i);
    }
    MaskComparison c = MaskComparison.of(labels, masks);
    int n = masks.size();

    double[][] iou = c.iou();
    long[][] hamming = c.hamming();
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < n; j++) {
        long inter = 0;
        long union = 0;
        long differ = 0;
        for (String layer : shapes.keySet()) {
          boolean[] a = bits.get(i).get(layer);
          boolean[] b = bits.get(j).get(layer);
          long[] counts = counts(a, b);
          inter += counts[0];
          union += counts[1];
          differ += counts[2];
          assertThat(c.iou(layer)[i][j]).as("%s [%s][%s]", layer, i, j)
              .isEqualTo(counts[1] == 0 ? 1.0 : (double) counts[0] / counts[1]);
          assertThat(c.hamming(layer)[i][j]).as("%s [%s][%s]", layer, i, j)
              .isEqualTo(counts[2]);
        }
        assertThat(iou[i][j]).as("[%s][%s]", i, j).isEqualTo((double) inter / union);
        assertThat(hamming[i][j]).as("[%s][%s]", i, j).isEqualTo(differ);
        assertThat(iou[i][j]).isEqualTo(iou[j][i]);
        assertThat(hamming[i][j]).isEqualTo(hamming[j][i]);
      }
      assertThat(iou[i][i]).isEqualTo(1.0);
      assertThat(hamming[i][i]).isZero();
    }
    // the masks really differ, or the checks above would prove little
    assertThat(hamming[0][2]).isGreaterThan(50);
    assertThat(iou[0][2]).isBetween(0.05, 0.95);
  }

  @Test
  void sparsityAndKernelsMatchABooleanBruteForce() {
    Map<String, long[]> shapes = RandomMasks.shapes();
    Map<String, boolean[]> a = RandomMasks.bits(shapes, 0.3, 5);
    Map<String, boolean[]> b = RandomMasks.bits(shapes, 0.7, 6);
    MaskComparison c = MaskComparison.of(List.of("a", "b"),
        List.of(RandomMasks.mask(shapes, a), RandomMasks.mask(shapes, b)));

    List<Map<String, boolean[]>> all = List.of(a, b);
    for (int m = 0; m < 2; m++) {
      long pruned = 0;
      long size = 0;
      for (String layer : shapes.keySet()) {
        boolean[] bits = all.get(m).get(layer);
        long p = 0;
        for (boolean kept : bits) {
          p += kept ? 0 : 1;
        }
        pruned += p;
        size += bits.length;
        assertThat(c.sparsity(m, layer)).as(layer)
            .isEqualTo(bits.length == 0 ? 0.0 : (double) p / bits.length);
        long[] shape = shapes.get(layer);
        if (shape.length == 4) {
          long[] expected = zeroKernelsAndFilters(bits, shape);
          KernelStats k = c.kernels(m, layer);
          assertThat(k.kernels()).isEqualTo(shape[0] * shape[1]);
          assertThat(k.filters()).isEqualTo(shape[0]);
          assertThat(k.zeroKernels()).as(layer).isEqualTo(expected[0]);
          assertThat(k.zeroFilters()).as(layer).isEqualTo(expected[1]);
          assertThat(c.kernelMap(m, layer).count(KernelMap.State.PRUNED))
              .isEqualTo(expected[0]);
        }
      }
      assertThat(c.sparsity(m)).isEqualTo((double) pruned / size);
    }
  }

  @Test
  void layersAreMatchedByNameWhateverTheirOrder() {
    Map<String, long[]> shapes = RandomMasks.shapes();
    Mask a = RandomMasks.mask(shapes, RandomMasks.bits(shapes, 0.3, 1));
    Mask b = RandomMasks.mask(shapes, RandomMasks.bits(shapes, 0.6, 2));
    List<String> names = new ArrayList<>(shapes.keySet());
    Mask.Builder reversed = Mask.builder();
    for (int i = names.size() - 1; i >= 0; i--) {
      reversed.putWords(names.get(i), b.shape(names.get(i)), b.words(names.get(i)));
    }
    Mask bReversed = reversed.build();

    MaskComparison straight = MaskComparison.of(List.of("a", "b"), List.of(a, b));
    MaskComparison swapped = MaskComparison.of(List.of("a", "b"), List.of(a, bReversed));

    assertThat(swapped.layers()).containsExactlyElementsOf(names);
    assertThat(swapped.masks().get(1).layers()).containsExactlyElementsOf(names);
    assertThat(swapped.masks().get(1)).isEqualTo(b);
    assertThat(swapped.iou()).isDeepEqualTo(straight.iou());
    assertThat(swapped.hamming()).isDeepEqualTo(straight.hamming());
    for (String layer : names) {
      assertThat(swapped.iou(layer)).isDeepEqualTo(straight.iou(layer));
    }
    assertThat(swapped.toJson()).isEqualTo(straight.toJson());
    // the first mask decides the order
    assertThat(MaskComparison.of(List.of("b", "a"), List.of(bReversed, a)).layers())
        .containsExactlyElementsOf(Lists.reverse(names));
  }

  @Test
  void shapeMismatchNamesTheLayerAndBothLabels() {
    Mask a = Mask.builder().put("conv", new long[] {2, 1, 1, 1}, new boolean[2])
        .put("fc", new long[] {2, 3}, new boolean[6]).build();
    Mask b = Mask.builder().put("conv", new long[] {2, 1, 1, 1}, new boolean[2])
        .put("fc", new long[] {3, 2}, new boolean[6]).build();

    assertThatThrownBy(() -> MaskComparison.of(List.of("seed-1", "seed-2"), List.of(a, b)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("layer fc has shape (2, 3) in seed-1 but (3, 2) in seed-2");
  }

  @Test
  void missingAndExtraLayersAreNamedWithBothLabels() {
    Mask a = Mask.builder().put("conv", new long[] {2}, new boolean[2])
        .put("fc", new long[] {3}, new boolean[3]).build();
    Mask fcOnly = Mask.builder().put("fc", new long[] {3}, new boolean[3]).build();
    Mask more = Mask.builder().put("fc", new long[] {3}, new boolean[3])
        .put("conv", new long[] {2}, new boolean[2])
        .put("head", new long[] {1}, new boolean[1]).build();

    assertThatThrownBy(() -> MaskComparison.of(List.of("A", "B", "C"), List.of(a, a, fcOnly)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("layer conv is in A but not in C");
    assertThatThrownBy(() -> MaskComparison.of(List.of("A", "B"), List.of(a, more)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("layer head is in B but not in A");
  }

  @Test
  void rejectsNoMasksAndMismatchedLabels() {
    Mask m = Mask.builder().put("fc", new long[] {1}, new boolean[1]).build();
    assertThatThrownBy(() -> MaskComparison.of(List.of(), List.of()))
        .isInstanceOf(IllegalArgumentException.class).hasMessage("no masks to compare");
    assertThatThrownBy(() -> MaskComparison.of(List.of("a"), List.of(m, m)))
        .isInstanceOf(IllegalArgumentException.class).hasMessage("1 labels for 2 masks");
    MaskComparison c = MaskComparison.of(List.of("a"), List.of(m));
    assertThatThrownBy(() -> c.iou("conv"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("no layer 'conv' in the compared masks (layers: [fc])");
    assertThatThrownBy(() -> c.sparsity(1, "fc")).isInstanceOf(IndexOutOfBoundsException.class);
  }

  @Test
  void oneMaskIsAOneByOneComparison() {
    Mask m = Mask.builder().put("fc", new long[] {4}, new boolean[] {T, F, F, F}).build();
    MaskComparison c = MaskComparison.of(List.of("only"), List.of(m));
    assertThat(c.iou()).isDeepEqualTo(new double[][] {{1.0}});
    assertThat(c.hamming()).isDeepEqualTo(new long[][] {{0}});
    assertThat(c.sparsity(0)).isEqualTo(0.75);
  }

  @Test
  void masksThatKeepNothingAreIdentical() {
    Mask none = Mask.builder().put("fc", new long[] {3}, new boolean[3]).build();
    MaskComparison c = MaskComparison.of(List.of("x", "y"), List.of(none, none));
    assertThat(c.iou()).isDeepEqualTo(new double[][] {{1.0, 1.0}, {1.0, 1.0}});
    assertThat(c.hamming()).isDeepEqualTo(new long[][] {{0, 0}, {0, 0}});
  }

  @Test
  void lettersCountLikeSpreadsheetColumns() {
    assertThat(MaskComparison.letter(0)).isEqualTo("A");
    assertThat(MaskComparison.letter(1)).isEqualTo("B");
    assertThat(MaskComparison.letter(25)).isEqualTo("Z");
    assertThat(MaskComparison.letter(26)).isEqualTo("AA");
    assertThat(MaskComparison.letter(27)).isEqualTo("AB");
    assertThat(MaskComparison.letter(51)).isEqualTo("AZ");
    assertThat(MaskComparison.letter(52)).isEqualTo("BA");
    assertThat(MaskComparison.letter(701)).isEqualTo("ZZ");
    assertThat(MaskComparison.letter(702)).isEqualTo("AAA");
  }

  @Test
  void jsonOfAHandCheckedPairIsExact() {
    // conv (2,1,2,2): a keeps {4,6,7}, b keeps {0,4,5}: both {4}, either 5, differ 4;
    //   a's kernel 0 (= filter 0) is empty, b has no empty kernel.
    // fc (2,3): a keeps {0,1,4}, b keeps {0,3,4,5}: both {0,4}, either 5, differ 3.
    // overall: both 3, either 10 (IoU 0.3), differ 7; a prunes 8 of 14, b 7 of 14.
    Mask a = Mask.builder()
        .put("conv", new long[] {2, 1, 2, 2}, new boolean[] {F, F, F, F, T, F, T, T})
        .put("fc", new long[] {2, 3}, new boolean[] {T, T, F, F, T, F})
        .build();
    Mask b = Mask.builder()
        .put("conv", new long[] {2, 1, 2, 2}, new boolean[] {T, F, F, F, T, T, F, F})
        .put("fc", new long[] {2, 3}, new boolean[] {T, F, F, T, T, T})
        .build();

    String json = MaskComparison.of(List.of("a.npz", "b.npz"), List.of(a, b)).toJson()
        .toString();

    assertThat(json).isEqualTo("""
        {"labels":["a.npz","b.npz"],"size":14,"sparsity":[0.5714285714285714,0.5],
         "iou":[[1.0,0.3],[0.3,1.0]],"hamming":[[0,7],[7,0]],
         "layers":[
          {"name":"conv","shape":[2,1,2,2],"size":8,"sparsity":[0.625,0.625],
           "iou":[[1.0,0.2],[0.2,1.0]],"hamming":[[0,4],[4,0]],
           "kernels":{"count":2,"zero":[1,0],"share":[0.5,0.0]},
           "filters":{"count":2,"zero":[1,0],"share":[0.5,0.0]}},
          {"name":"fc","shape":[2,3],"size":6,"sparsity":[0.5,0.3333333333333333],
           "iou":[[1.0,0.4],[0.4,1.0]],"hamming":[[0,3],[3,0]]}]}
        """.replaceAll("\\s", ""));
  }

  /** {@code [|a ∧ b|, |a ∨ b|, |a ⊕ b|]}. */
  private static long[] counts(boolean[] a, boolean[] b) {
    long[] out = new long[3];
    for (int i = 0; i < a.length; i++) {
      out[0] += a[i] && b[i] ? 1 : 0;
      out[1] += a[i] || b[i] ? 1 : 0;
      out[2] += a[i] != b[i] ? 1 : 0;
    }
    return out;
  }

  /** {@code [zero kernels, zero filters]} of a rank-4 layer from its booleans. */
  static long[] zeroKernelsAndFilters(boolean[] bits, long[] shape) {
    int out = (int) shape[0];
    int in = (int) shape[1];
    int k = (int) (shape[2] * shape[3]);
    long kernels = 0;
    long filters = 0;
    for (int o = 0; o < out; o++) {
      boolean filterEmpty = true;
      for (int i = 0; i < in; i++) {
        boolean kernelEmpty = true;
        for (int w = 0; w < k; w++) {
          if (bits[(o * in + i) * k + w]) {
            kernelEmpty = false;
          }
        }
        kernels += kernelEmpty ? 1 : 0;
        filterEmpty &= kernelEmpty;
      }
      filters += filterEmpty ? 1 : 0;
    }
    return new long[] {kernels, filters};
  }
}
