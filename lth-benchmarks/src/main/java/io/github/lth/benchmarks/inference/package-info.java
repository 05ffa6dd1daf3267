/**
 * JMH benchmarks of inference on the CPU with one thread: {@link
 * io.github.lth.benchmarks.inference.InferenceSpeed} times LeNet-300-100 dense, masked (DJL) and
 * as a {@link io.github.lth.core.inference.SparseMlp} at sparsities up to 98 %, {@link
 * io.github.lth.benchmarks.inference.ConvInferenceSpeed} Conv-4 dense and masked, and {@link
 * io.github.lth.benchmarks.inference.CsrBatchLayout} the batch layout of the sparse path. {@code
 * lth-benchmarks/scripts/inference.sh} runs the first two and prints the speed-up table of
 * lth-benchmarks/README.md.
 *
 * <pre>{@code
 * lth-benchmarks/scripts/inference.sh
 * }</pre>
 */
package io.github.lth.benchmarks.inference;
