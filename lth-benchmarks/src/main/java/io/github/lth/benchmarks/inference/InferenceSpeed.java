package io.github.lth.benchmarks.inference;

import static io.github.lth.benchmarks.inference.InferenceModels.checkSameLogits;
import static io.github.lth.benchmarks.inference.InferenceModels.forward;

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
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Inference of LeNet-300-100 ({@code Models.create("lenet300", 1, 28, 28, 10)}) on the CPU, one
 * thread, from host images to host logits, per batch:
 *
 * <ul>
 *   <li>{@code dense}: DJL's forward pass of the unpruned model;
 *   <li>{@code masked}: DJL's forward pass of the same model with a global magnitude mask applied
 *       (the pruned weights are zeros; the work is the dense work);
 *   <li>{@code csr}: {@link SparseMlp} on the masked model's weights, which multiplies only the
 *       kept weights, in plain Java;
 *   <li>{@code shrunk}: the model with that share of fc1's and fc2's neurons pruned (global L1
 *       norm of whole rows with their biases) and physically removed: a smaller dense DJL model
 *       ({@code ChannelRemoval.shrink}, widths rounded up to multiples of 16).
 * </ul>
 *
 * <p>The mask prunes the model's default prunable weights (fc1 and fc2, 265,200 weights) to
 * {@code sparsity}; the head fc3 (1,000 weights) stays dense, as in the paper. The weights are
 * the seeded initialization (timing depends on which weights are kept, not on their values);
 * the setup checks that {@code csr} and {@code masked} give the same logits. Each fork runs
 * PyTorch with one intra-op and one inter-op thread ({@code -Dai.djl.pytorch.num_threads=1
 * -Dai.djl.pytorch.num_interop_threads=1}, checked in the setup), and {@code csr} runs on the
 * benchmark thread, so both sides compute on one core. DJL's time includes creating the input
 * tensor and copying the logits back, which an application pays as well.
 *
 * <p>{@code lth-benchmarks/scripts/inference.sh} runs this and {@link ConvInferenceSpeed} and
 * prints the speed-ups over {@code dense}.
 *
 * <pre>{@code
 * java -jar lth-benchmarks/target/benchmarks.jar 'inference.InferenceSpeed' -p batch=64
 * }</pre>
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-Dai.djl.offline=true", "-Dai.djl.pytorch.num_threads=1",
    "-Dai.djl.pytorch.num_interop_threads=1"})
public class InferenceSpeed {
  static final String MODEL = "lenet300";

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

  /** The same model with a global magnitude mask applied, and its sparse counterpart. */
  @State(Scope.Benchmark)
  public static class Pruned {
    @Param({"0", "0.5", "0.8", "0.9", "0.95", "0.98"})
    public double sparsity;

    DjlModel masked;
    SparseMlp csr;

    @Setup(Level.Trial)
    public void setUp(Images in) {
      masked = InferenceModels.create(MODEL);
      Mask mask = InferenceModels.magnitudeMask(masked, MODEL, sparsity);
      masked.applyMask(mask);
      csr = SparseMlp.of(InferenceModels.allWeights(masked), mask);
      checkSameLogits("csr", forward(masked, in.images, in.batch),
          csr.forward(in.images, in.batch));
      System.out.printf("%n%s: mask %.4f sparse (%d of %d prunable weights kept), %s%n", MODEL,
          mask.sparsity(), mask.kept(), mask.size(), csr);
    }

    @TearDown(Level.Trial)
    public void close() {
      masked.close();
    }
  }

  @Benchmark
  public float[] dense(Images in, Dense d) {
    return forward(d.model, in.images, in.batch);
  }

  @Benchmark
  public float[] masked(Images in, Pruned p) {
    return forward(p.masked, in.images, in.batch);
  }

  @Benchmark
  public float[] csr(Images in, Pruned p) {
    return p.csr.forward(in.images, in.batch);
  }

  /**
   * The model with that share of its filters pruned (global L1 norm of whole filters) and
   * rebuilt smaller and dense ({@link InferenceModels#shrunk}).
   */
  @State(Scope.Benchmark)
  public static class Shrunk {
    @Param({"0.5", "0.8", "0.9", "0.95"})
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
