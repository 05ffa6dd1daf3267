package io.github.lth.benchmarks;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.github.lth.core.select.Selection;
import io.github.lth.djl.internal.DeviceSelection;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
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
 * The global 20% magnitude threshold where the weights live (DJL, PyTorch engine, CPU or GPU):
 * lth-djl's {@link DeviceSelection} against what a PyTorch user would write, {@code topk} of the
 * k smallest and a full sort of the flat |w|. All weights are kept (the first IMP round).
 *
 * <ul>
 *   <li>{@code ours}: {@link DeviceSelection#magnitudesIn} given the weight tensors, as {@code
 *       DjlModel} prunes; includes the concatenation and |w|, and returns the chosen bits on the
 *       host as the API does;
 *   <li>{@code oursScores}: {@link DeviceSelection#in} given per-tensor |w| (concatenation
 *       included), bits on the host;
 *   <li>{@code oursThreshold}: as {@code ours}, threshold only (no chosen bits built or moved);
 *   <li>{@code oursFlatThreshold}: {@link DeviceSelection#threshold} given the flat |w| as one
 *       layer, the very input the torch contenders get: the like-for-like comparison with
 *       {@code torchTopk};
 *   <li>{@code torchTopk}: {@code topK(k, largest = false, sorted = false)} of the flat |w|, its
 *       largest value read back (the contenders get the flat |w| for free);
 *   <li>{@code torchSort}: a full sort of the flat |w|, the k-th value read back.
 * </ul>
 *
 * <p>Every method ends by reading a host value, so the device work is finished when it returns.
 * {@code device=gpu} fails at setup, naming the reason, when DJL sees no CUDA device.
 *
 * <pre>{@code
 * java -jar lth-benchmarks/target/benchmarks.jar DeviceThreshold -p device=gpu -p model=resnet50
 * }</pre>
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xms4g", "-Xmx4g"})
public class DeviceThresholdBenchmark {
  private static final List<String> FLAT = List.of("all");

  /** A model's Gaussian weights on the device, per tensor, as |w| per tensor and as flat |w|. */
  @State(Scope.Benchmark)
  public static class OnDevice {
    @Param({"cpu", "gpu"})
    public String device;

    @Param({"lenet300", "resnet50"})
    public String model;

    NDManager manager;
    List<String> names;
    List<NDArray> weights;
    List<NDArray> magnitudes;
    List<long[]> eligible;
    NDArray flatMagnitudes;
    List<long[]> flatEligible;
    long count;

    @Setup(Level.Trial)
    public void setUp() {
      Device d = switch (device) {
        case "cpu" -> Device.cpu();
        case "gpu" -> {
          if (Engine.getInstance().getGpuCount() == 0) {
            throw new IllegalStateException("device=gpu: DJL's PyTorch engine sees no CUDA "
                + "device on this machine; run with -p device=cpu, or on a GPU machine with the "
                + "CUDA build of PyTorch");
          }
          yield Device.gpu();
        }
        default -> throw new IllegalArgumentException("device must be cpu or gpu: " + device);
      };
      manager = NDManager.newBaseManager(d);
      Map<String, long[]> shapes = Models.shapes(model);
      float[][] w = Models.gaussian(shapes, 42);
      names = new ArrayList<>(shapes.keySet());
      weights = new ArrayList<>();
      magnitudes = new ArrayList<>();
      eligible = new ArrayList<>();
      int l = 0;
      for (long[] shape : shapes.values()) {
        NDArray a = manager.create(w[l], new Shape(shape));
        weights.add(a);
        magnitudes.add(a.abs());
        eligible.add(allKept(w[l].length));
        l++;
      }
      NDList flat = new NDList();
      for (NDArray m : magnitudes) {
        flat.add(m.flatten());
      }
      flatMagnitudes = NDArrays.concat(flat);
      flatEligible = List.of(allKept(Math.toIntExact(flatMagnitudes.size())));
      count = Math.round(0.2 * Models.total(shapes));
      agree();
    }

    /** The contenders must answer the same question: the same k-th smallest |w|. */
    private void agree() {
      DeviceThresholdBenchmark b = new DeviceThresholdBenchmark();
      float ours = b.ours(this).threshold();
      float[] others = {b.oursScores(this).threshold(), b.oursThreshold(this),
          b.oursFlatThreshold(this), b.torchTopk(this), b.torchSort(this)};
      for (float other : others) {
        if (Float.compare(ours, other) != 0) {
          throw new IllegalStateException("contenders disagree on the threshold: ours " + ours
              + ", others " + Arrays.toString(others));
        }
      }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
      manager.close();
    }
  }

  @Benchmark
  public Selection ours(OnDevice s) {
    try (NDManager tmp = s.manager.newSubManager()) {
      return DeviceSelection.magnitudesIn(tmp).select(s.names, s.weights, s.eligible, s.count);
    }
  }

  @Benchmark
  public Selection oursScores(OnDevice s) {
    try (NDManager tmp = s.manager.newSubManager()) {
      return DeviceSelection.in(tmp).select(s.names, s.magnitudes, s.eligible, s.count);
    }
  }

  @Benchmark
  public float oursThreshold(OnDevice s) {
    try (NDManager tmp = s.manager.newSubManager()) {
      return DeviceSelection.magnitudesIn(tmp).threshold(s.names, s.weights, s.eligible,
          s.count);
    }
  }

  @Benchmark
  public float oursFlatThreshold(OnDevice s) {
    try (NDManager tmp = s.manager.newSubManager()) {
      return DeviceSelection.in(tmp).threshold(FLAT, List.of(s.flatMagnitudes), s.flatEligible,
          s.count);
    }
  }

  @Benchmark
  public float torchTopk(OnDevice s) {
    try (NDManager tmp = s.manager.newSubManager()) {
      NDList smallest = s.flatMagnitudes.topK(Math.toIntExact(s.count), 0, false, false);
      smallest.attach(tmp);
      return smallest.get(0).max().getFloat();
    }
  }

  @Benchmark
  public float torchSort(OnDevice s) {
    try (NDManager tmp = s.manager.newSubManager()) {
      NDArray sorted = s.flatMagnitudes.sort();
      sorted.attach(tmp);
      return sorted.getFloat(s.count - 1);
    }
  }

  private static long[] allKept(int size) {
    long[] words = new long[(size + 63) >>> 6];
    Arrays.fill(words, -1L);
    if ((size & 63) != 0) {
      words[words.length - 1] = (1L << size) - 1;
    }
    return words;
  }
}
