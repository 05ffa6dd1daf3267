package io.github.lth.benchmarks;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ForkJoinTask;
import java.util.concurrent.RecursiveTask;
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
 * The memory-speed baseline of the CPU kernels: one streaming read of every weight of a model,
 * the same {@code float[][]} (same tensors, same seed) that {@link GlobalThresholdBenchmark}
 * selects from. A read is a sum of the floats with eight independent accumulators (so the adds
 * do not wait on each other and the loop is bound by loading, not by add latency); the sum is
 * returned so the JIT cannot drop it.
 *
 * <ul>
 *   <li>{@code read}: the tensors cut into as many slices as {@link
 *       io.github.lth.core.select.LowestSelections#exact()} uses threads (one per available
 *       processor), summed on the calling thread and the common fork-join pool, exactly the
 *       way the selection kernel splits its passes. <b>This is "the" streaming read</b> the
 *       runner divides the threshold kernel by: same data, same threads.
 *   <li>{@code readOneThread}: the same sum on one thread, for the single-threaded kernels
 *       ({@code w *= m} in numpy is single-threaded) and for comparison.
 * </ul>
 *
 * <p>The forks of this and the kernel benchmarks pre-touch their heap ({@code
 * -XX:+AlwaysPreTouch}): a kernel that allocates its result would otherwise pay a first-touch
 * page fault per 4 KiB on a fresh heap (expensive in a virtual machine), which a long-running
 * process pays once and a read that allocates nothing never pays.
 *
 * <pre>{@code
 * java -jar lth-benchmarks/target/benchmarks.jar StreamingRead -p model=resnet50
 * }</pre>
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xms3g", "-Xmx3g", "-XX:+AlwaysPreTouch"})
public class StreamingReadBenchmark {

  /** The weights, and their cut into one slice per processor. */
  @State(Scope.Benchmark)
  public static class Model {
    @Param({"lenet300", "resnet50"})
    public String model;

    float[][] weights;
    /** One list of {tensor, from, to} ranges per thread, about equally long. */
    List<List<int[]>> slices;

    @Setup(Level.Trial)
    public void setUp() {
      Map<String, long[]> shapes = Models.shapes(model);
      weights = Models.gaussian(shapes, 42);
      slices = Models.slices(weights, Runtime.getRuntime().availableProcessors());
    }
  }

  @Benchmark
  public float read(Model m) {
    if (m.slices.size() == 1) {
      return sum(m.weights, m.slices.get(0));
    }
    List<RecursiveTask<Float>> tasks = new ArrayList<>();
    for (List<int[]> slice : m.slices) {
      tasks.add(new RecursiveTask<>() {
        @Override
        protected Float compute() {
          return sum(m.weights, slice);
        }
      });
    }
    float total = 0;
    for (RecursiveTask<Float> t : ForkJoinTask.invokeAll(tasks)) {
      total += t.join();
    }
    return total;
  }

  @Benchmark
  public float readOneThread(Model m) {
    float total = 0;
    for (float[] w : m.weights) {
      total += sum(w, 0, w.length);
    }
    return total;
  }

  private static float sum(float[][] weights, List<int[]> ranges) {
    float total = 0;
    for (int[] r : ranges) {
      total += sum(weights[r[0]], r[1], r[2]);
    }
    return total;
  }

  static float sum(float[] v, int from, int to) {
    float a0 = 0;
    float a1 = 0;
    float a2 = 0;
    float a3 = 0;
    float a4 = 0;
    float a5 = 0;
    float a6 = 0;
    float a7 = 0;
    int i = from;
    for (; i + 8 <= to; i += 8) {
      a0 += v[i];
      a1 += v[i + 1];
      a2 += v[i + 2];
      a3 += v[i + 3];
      a4 += v[i + 4];
      a5 += v[i + 5];
      a6 += v[i + 6];
      a7 += v[i + 7];
    }
    for (; i < to; i++) {
      a0 += v[i];
    }
    return ((a0 + a1) + (a2 + a3)) + ((a4 + a5) + (a6 + a7));
  }
}
