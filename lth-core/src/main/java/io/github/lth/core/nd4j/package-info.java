/**
 * Interop with ND4J: masks and weights to and from {@code INDArray}, and a mask applied in place to
 * an {@code INDArray} of weights ({@link io.github.lth.core.nd4j.Nd4jArrays}).
 *
 * <p>ND4J is an optional dependency of lth-core: only this package refers to it, so a user who
 * never calls it needs no ND4J on the class path and loads none of it. A user who calls it adds
 * {@code org.nd4j:nd4j-native} (the CPU backend, version 1.0.0-M2.1) to their own build, plus the
 * native classifier of their platform or {@code nd4j-native-platform}.
 *
 * <pre>{@code
 * Map<String, INDArray> bits = Nd4jArrays.toArrays(mask);       // BOOL, one per layer, model order
 * Mask back = Nd4jArrays.toMask(bits);                           // equal to mask
 * INDArray w = Nd4jArrays.toArray(weights, "fc1.weight");         // FLOAT, C order
 * Nd4jArrays.applyTo(mask, "fc1.weight", w);                      // pruned entries become +0.0
 * }</pre>
 *
 * <p>The mask math itself (threshold selection, counting, IoU, apply) stays in plain Java on
 * {@link io.github.lth.core.Mask}'s bit words. lth-benchmarks' {@code Nd4jKernelBenchmark}
 * measures ND4J for each: its best exact threshold was 2 to 4 times slower than lth4j's, counting
 * and IoU over FLOAT masks about a hundred times slower than over bit words, and its in-place
 * multiply by a FLOAT mask no clear win over {@code Mask.applyTo} while needing 32 bits of mask
 * per weight instead of one.
 */
package io.github.lth.core.nd4j;
