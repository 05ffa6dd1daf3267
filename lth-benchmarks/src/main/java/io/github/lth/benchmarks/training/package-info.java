/**
 * Programs (not JMH, not tests) that time whole training epochs of LeNet-300-100 on
 * Fashion-MNIST: lth4j's {@code MaskedTrainer} (masked, dense-masked and unmasked, Adam and SGD)
 * against a plain DJL {@code Trainer} loop, and IMP end to end. {@code
 * lth-benchmarks/scripts/training/run.sh} runs {@link
 * io.github.lth.benchmarks.training.TrainingSpeed} (next to a plain PyTorch peer when one is
 * installed) and prints the ratios. {@link
 * io.github.lth.benchmarks.training.SparseMethodSpeed} times the sparse training methods (GMP,
 * AC/DC, RigL, WoodFisher) against a plain masked step, and isolates RigL's update and
 * WoodFisher's pruning step.
 *
 * <pre>{@code
 * java -Dai.djl.offline=true -cp lth-benchmarks/target/benchmarks.jar \
 *     io.github.lth.benchmarks.training.TrainingSpeed --data fashion-mnist --repetitions 3
 * }</pre>
 */
package io.github.lth.benchmarks.training;
