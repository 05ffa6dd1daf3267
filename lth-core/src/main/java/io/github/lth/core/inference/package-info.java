/**
 * CPU inference of models pruned without structure, in plain Java: {@link
 * io.github.lth.core.inference.CsrMatrix} keeps only the kept weights of a linear layer in
 * compressed sparse row form, and {@link io.github.lth.core.inference.SparseMlp} chains such
 * layers with ReLU into a multilayer perceptron such as LeNet-300-100, so that the work of a
 * forward pass shrinks with the mask instead of multiplying zeros as a masked dense model does.
 * The {@code InferenceSpeed} benchmark in lth-benchmarks measures it against DJL's dense and
 * masked forward passes.
 *
 * <pre>{@code
 * SparseMlp mlp = SparseMlp.of(weights, mask);      // fc1_weight, fc1_bias, ... fc3_bias
 * float[] logits = mlp.forward(images, 64);         // [64, 784] -> [64, 10]
 * }</pre>
 */
package io.github.lth.core.inference;
