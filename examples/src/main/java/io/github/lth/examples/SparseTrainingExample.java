package io.github.lth.examples;

import ai.djl.Device;
import ai.djl.ndarray.types.Shape;
import io.github.lth.core.ImpResult;
import io.github.lth.core.SparseTraining;
import io.github.lth.core.SparsityController;
import io.github.lth.core.sparse.AcDc;
import io.github.lth.core.sparse.GradualMagnitudePruning;
import io.github.lth.core.sparse.Rigl;
import io.github.lth.core.sparse.SparsityDistributions;
import io.github.lth.djl.DjlModel;
import io.github.lth.djl.data.DataSources;
import io.github.lth.djl.data.TrainTestSplit;
import io.github.lth.djl.models.Models;
import io.github.lth.djl.train.ClassificationTask;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The README's sparse training example: LeNet-300-100 on the embedded Fashion-MNIST sample made
 * sparse by three methods, each a {@link SparsityController} of the same training, beside one
 * dense network (the first run trains it, the others take it over with
 * {@link SparseTraining.Builder#optDenseFrom}), and a table of their test accuracy.
 *
 * <pre>{@code
 * java -Dai.djl.offline=true -cp ... io.github.lth.examples.SparseTrainingExample runs/sparse 600 0.9
 * }</pre>
 */
public final class SparseTrainingExample {
  private SparseTrainingExample() {}

  /** Arguments: the directory of the runs, the training steps, the target sparsity. */
  public static void main(String[] args) throws IOException {
    Path directory = Path.of(args.length > 0 ? args[0] : "runs/sparse");
    long steps = args.length > 1 ? Long.parseLong(args[1]) : 600;
    double target = args.length > 2 ? Double.parseDouble(args[2]) : 0.9;

    Map<String, Supplier<SparsityController>> methods = new LinkedHashMap<>();
    methods.put("gmp", () -> GradualMagnitudePruning.builder(target).build());
    methods.put("acdc", () -> AcDc.builder(target).build());
    methods.put("rigl", () -> Rigl.builder(target)
        .optDistribution(SparsityDistributions.erk()).optUpdateEvery(Math.max(1, steps / 10))
        .build());

    TrainTestSplit data = DataSources.load("embedded");
    Path first = null;
    System.out.printf("%-8s %9s %9s%n", "network", "sparsity", "accuracy");
    for (Map.Entry<String, Supplier<SparsityController>> method : methods.entrySet()) {
      Path run = directory.resolve(method.getKey());
      try (DjlModel model = DjlModel.create(Models.lenet300(10), new Shape(1, 1, 28, 28),
              Device.cpu(), 0);
          ClassificationTask task = ClassificationTask.builder()
              .setTrainData(data.train()).setTestData(data.test()).optSteps(steps).build()) {
        SparseTraining.Builder b = SparseTraining.builder().setController(method.getValue())
            .optRunDirectory(run).optResume(true);
        if (first != null) {
          b.optDenseFrom(first);
        }
        ImpResult r = b.build().run(model, task);
        if (first == null) {
          first = run;
          print("dense", r.dense().sparsity(), r.dense().metrics().get(r.primaryMetric()));
        }
        print(method.getKey(), r.last().sparsity(), r.last().metrics().get(r.primaryMetric()));
      }
    }
  }

  private static void print(String network, double sparsity, double accuracy) {
    System.out.printf(Locale.ROOT, "%-8s %8.2f%% %8.2f%%%n", network, 100 * sparsity,
        100 * accuracy);
  }
}
