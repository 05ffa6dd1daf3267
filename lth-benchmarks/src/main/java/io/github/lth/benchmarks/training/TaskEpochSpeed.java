package io.github.lth.benchmarks.training;

import ai.djl.Device;
import ai.djl.ndarray.types.Shape;
import io.github.lth.core.Mask;
import io.github.lth.core.ParameterInfo;
import io.github.lth.core.SparsityControllers;
import io.github.lth.core.TrainingContext;
import io.github.lth.core.TrainingListener;
import io.github.lth.djl.DjlModel;
import io.github.lth.djl.data.DataSources;
import io.github.lth.djl.data.TrainTestSplit;
import io.github.lth.djl.models.HeadedBlock;
import io.github.lth.djl.models.Models;
import io.github.lth.djl.ssl.Pretext;
import io.github.lth.djl.ssl.SelfSupervisedTask;
import io.github.lth.djl.train.ClassificationTask;
import io.github.lth.djl.train.DjlTask;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Times one training epoch of every task on the same images in one JVM: supervised
 * classification against RotNet, SimCLR, Exemplar, NPID and S4L (LeNet-300-100, batch 60,
 * Adam, a dense mask, CPU, the embedded sample's 5,400 training images unless {@code --data}
 * says otherwise). After one warm-up epoch each, the repetitions run interleaved (task after
 * task) so that the machine's drifts hit them alike; each task's median seconds per epoch and its
 * ratio to classification's are printed, and {@code result NAME VALUE} lines for scripts.
 *
 * <pre>{@code
 * java -Dai.djl.offline=true -cp lth-benchmarks/target/benchmarks.jar \
 *     io.github.lth.benchmarks.training.TaskEpochSpeed [--data embedded] [--repetitions 3]
 * }</pre>
 */
public final class TaskEpochSpeed {
  private static final List<String> TASKS =
      List.of("classification", "rotnet", "simclr", "exemplar", "npid", "s4l");

  private TaskEpochSpeed() {}

  public static void main(String[] args) throws IOException {
    if (System.getProperty("ai.djl.offline") == null) {
      System.setProperty("ai.djl.offline", "true");
    }
    String data = "embedded";
    int repetitions = 3;
    for (int i = 0; i + 1 < args.length; i += 2) {
      switch (args[i]) {
        case "--data" -> data = args[i + 1];
        case "--repetitions" -> repetitions = Integer.parseInt(args[i + 1]);
        default -> throw new IllegalArgumentException("unknown option " + args[i]
            + " (use --data, --repetitions)");
      }
    }
    TrainTestSplit split = DataSources.load(data);
    Map<String, DjlTask> tasks = new LinkedHashMap<>();
    Map<String, DjlModel> models = new LinkedHashMap<>();
    Map<String, List<Double>> seconds = new LinkedHashMap<>();
    long steps = 0;
    try {
      for (String name : TASKS) {
        DjlTask task = task(name, split);
        tasks.put(name, task);
        steps = task.plan().stepsPerEpoch();
        HeadedBlock block = Models.lenet300(split.classes());
        if (task instanceof SelfSupervisedTask ssl) {
          ssl.attachHead(block);
        }
        models.put(name, DjlModel.create(block, new Shape(1, 1, 28, 28), Device.cpu(), 0));
        seconds.put(name, new ArrayList<>());
        epoch(task, models.get(name), 0);   // warm-up
      }
      for (int r = 1; r <= repetitions; r++) {
        for (String name : TASKS) {
          seconds.get(name).add(epoch(tasks.get(name), models.get(name), r));
        }
      }
    } finally {
      models.values().forEach(DjlModel::close);
      tasks.values().forEach(DjlTask::close);
    }
    double reference = median(seconds.get("classification"));
    System.out.printf(Locale.ROOT, "one epoch of %s (%d steps of 60 images, 10 %% held out),"
        + " median of %d:%n", split.train().name(), steps, repetitions);
    for (String name : TASKS) {
      double m = median(seconds.get(name));
      System.out.printf(Locale.ROOT, "  %-15s %7.2f s  %5.2fx classification%n", name, m,
          m / reference);
      System.out.printf(Locale.ROOT, "result %s_epoch_s %.4f%n", name, m);
      System.out.printf(Locale.ROOT, "result %s_vs_classification %.4f%n", name, m / reference);
    }
  }

  private static DjlTask task(String name, TrainTestSplit split) {
    if (name.equals("classification")) {
      return ClassificationTask.builder().setTrainData(split.train()).setTestData(split.test())
          .optEpochs(1).optBatchSize(60).build();
    }
    return SelfSupervisedTask.builder().setPretext(Pretext.parse(name))
        .setTrainData(split.train()).setTestData(split.test()).optEpochs(1).optBatchSize(60)
        .build();
  }

  private static double epoch(DjlTask task, DjlModel model, long seed) {
    List<ParameterInfo> params = model.parameters();
    Map<String, long[]> shapes = new LinkedHashMap<>();
    params.forEach(p -> shapes.put(p.name(), p.shape()));
    long start = System.nanoTime();
    task.train(model, SparsityControllers.fixed(Mask.dense(shapes)),
        new TrainingContext(0, seed, TrainingListener.NONE));
    return (System.nanoTime() - start) / 1e9;
  }

  private static double median(List<Double> values) {
    double[] v = values.stream().mapToDouble(Double::doubleValue).sorted().toArray();
    return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
  }
}
