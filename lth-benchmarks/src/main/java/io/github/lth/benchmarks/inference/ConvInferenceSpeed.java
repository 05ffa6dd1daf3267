package io.github.lth.benchmarks.inference;

import static io.github.lth.benchmarks.inference.InferenceModels.forward;

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
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Inference of Conv-4 ({@code Models.create("conv4", 1, 28, 28, 10)}) on the CPU, one PyTorch
 * thread, from host images to host logits: {@code dense} (no mask) against {@code masked} (a
 * global magnitude mask of every convolution and of fc1, fc2 applied, the head fc3 dense). The
 * masked model does the dense model's work on zeros; there is no sparse path for convolutions.
 * {@code shrunk} is the model with that share of its filters pruned and physically removed.
 * Set up as {@link InferenceSpeed}, whose notes on threads and timing apply.
 *
 * <pre>{@code
 * java -jar lth-benchmarks/target/benchmarks.jar 'inference.ConvInferenceSpeed'
 * }</pre>
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-Dai.djl.offline=true", "-Dai.djl.pytorch.num_threads=1",
    "-Dai.djl.pytorch.num_interop_threads=1"})
public class ConvInferenceSpeed {
  static final String MODEL = "conv4";

  /** The input images, the same for every contender. */
  @State(Scope.Benchmark)
  public static class Images {
    @Param({"1", "64"})
    public int batch;

    float[] images;

    @Setup(Level.Trial)
    public void setUp() {
      images = InferenceModels.images(batch);
    }
  }

  /** The model without a mask. */
  @State(Scope.Benchmark)
  public static class Dense {
    DjlModel model;

    @Setup(Level.Trial)
    public void setUp() {
      model = InferenceModels.create(MODEL);
    }

    @TearDown(Level.Trial)
    public void close() {
      model.close();
    }
  }

  /** The same model with a global magnitude mask applied. */
  @State(Scope.Benchmark)
  public static class Masked {
    @Param({"0.5", "0.9"})
    public double sparsity;

    DjlModel model;

    @Setup(Level.Trial)
    public void setUp() {
      model = InferenceModels.create(MODEL);
      model.applyMask(InferenceModels.magnitudeMask(model, MODEL, sparsity));
    }

    @TearDown(Level.Trial)
    public void close() {
      model.close();
    }
  }

  @Benchmark
  public float[] dense(Images in, Dense d) {
    return forward(d.model, in.images, in.batch);
  }

  @Benchmark
  public float[] masked(Images in, Masked m) {
    return forward(m.model, in.images, in.batch);
  }

  /**
   * The model with that share of its filters pruned (global L1 norm of whole filters) and
   * rebuilt smaller and dense ({@link InferenceModels#shrunk}).
   */
  @State(Scope.Benchmark)
  public static class Shrunk {
    @Param({"0.5", "0.9"})
    public double sparsity;

    DjlModel model;

    @Setup(Level.Trial)
    public void setUp(Images in) {
      model = InferenceModels.shrunk(MODEL, sparsity, in.images, in.batch);
    }

    @TearDown(Level.Trial)
    public void close() {
      model.close();
    }
  }

  @Benchmark
  public float[] shrunk(Images in, Shrunk s) {
    return forward(s.model, in.images, in.batch);
  }
}
