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
 * <p>The mask math itself (selection, counting, IoU, apply on the heap) stays in plain Java on
 * {@link io.github.lth.core.Mask}'s bit words: measured against ND4J in lth-benchmarks'
 * {@code Nd4jKernelBenchmark}, where ND4J was not the faster one.
 */
package io.github.lth.core.nd4j;
