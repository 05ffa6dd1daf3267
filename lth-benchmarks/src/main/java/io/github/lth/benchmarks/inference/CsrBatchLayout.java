package io.github.lth.benchmarks.inference;

import io.github.lth.core.Mask;
import io.github.lth.core.inference.SparseMlp;
import io.github.lth.djl.DjlModel;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The batch layout {@link SparseMlp} chose, measured on LeNet-300-100 at batch 64: {@code
 * featureMajor} is {@code forward(images, 64)}, which keeps activations as {@code [features,
 * batch]} so that each stored weight updates 64 contiguous floats (a loop the JIT vectorizes);
 * {@code samplePerSample} runs the 64 samples one by one through the gathered dot product of
 * batch 1, reading the weights 64 times.
 *
 * <pre>{@code
 * java -jar lth-benchmarks/target/benchmarks.jar 'inference.CsrBatchLayout'
 * }</pre>
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-Dai.djl.offline=true", "-Dai.djl.pytorch.num_threads=1",
    "-Dai.djl.pytorch.num_interop_threads=1"})
public class CsrBatchLayout {
  private static final int BATCH = 64;
  private static final int PIXELS = InferenceModels.SIDE * InferenceModels.SIDE;

  /** The sparse model and its input, split into samples as well. */
  @State(Scope.Benchmark)
  public static class Sparse {
    @Param({"0.5", "0.9", "0.98"})
    public double sparsity;

    SparseMlp mlp;
    float[] images;
    float[][] samples;

    @Setup(Level.Trial)
    public void setUp() {
      try (DjlModel model = InferenceModels.create(InferenceSpeed.MODEL)) {
        Mask mask = InferenceModels.magnitudeMask(model, InferenceSpeed.MODEL, sparsity);
        model.applyMask(mask);
        mlp = SparseMlp.of(InferenceModels.allWeights(model), mask);
      }
      images = InferenceModels.images(BATCH);
      samples = new float[BATCH][PIXELS];
      for (int s = 0; s < BATCH; s++) {
        System.arraycopy(images, s * PIXELS, samples[s], 0, PIXELS);
      }
    }
  }

  @Benchmark
  public float[] featureMajor(Sparse s) {
    return s.mlp.forward(s.images, BATCH);
  }

  @Benchmark
  public float[][] samplePerSample(Sparse s) {
    float[][] out = new float[BATCH][];
    for (int i = 0; i < BATCH; i++) {
      out[i] = s.mlp.forward(s.samples[i], 1);
    }
    return out;
  }
}
