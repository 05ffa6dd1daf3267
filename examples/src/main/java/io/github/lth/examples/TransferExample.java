package io.github.lth.examples;

import ai.djl.Device;
import ai.djl.ndarray.types.Shape;
import io.github.lth.core.Imp;
import io.github.lth.core.ImpResult;
import io.github.lth.core.Mask;
import io.github.lth.core.Round;
import io.github.lth.core.Weights;
import io.github.lth.core.schedule.PruningSchedules;
import io.github.lth.core.transfer.TransferResult;
import io.github.lth.core.transfer.Verdict;
import io.github.lth.core.transfer.Verdicts;
import io.github.lth.djl.DjlModel;
import io.github.lth.djl.data.DataSources;
import io.github.lth.djl.data.TrainTestSplit;
import io.github.lth.djl.models.Models;
import io.github.lth.djl.train.ClassificationTask;
import io.github.lth.djl.transfer.TargetData;
import io.github.lth.djl.transfer.TransferMode;
import io.github.lth.djl.transfer.TransferTrainer;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Tickets found on Fashion-MNIST classes 0–4 (embedded sample), fine-tuned and linearly probed
 * on classes 5–9 beside the dense network over two seeds, with Chen et al.'s verdicts.
 *
 * <pre>{@code
 * java -Dai.djl.offline=true -cp ... io.github.lth.examples.TransferExample 300 0.8
 * }</pre>
 */
public final class TransferExample {
  private TransferExample() {}

  /** Arguments: the training steps of every training, the target sparsity of IMP. */
  public static void main(String[] args) {
    long steps = args.length > 0 ? Long.parseLong(args[0]) : 300;
    double target = args.length > 1 ? Double.parseDouble(args[1]) : 0.8;

    TrainTestSplit data = DataSources.embedded();
    TrainTestSplit source = TargetData.all().withClasses(0, 1, 2, 3, 4).apply(data);
    TrainTestSplit destination = TargetData.all().withClasses(5, 6, 7, 8, 9).apply(data);
    List<TransferResult> results = new ArrayList<>();
    try (DjlModel model = DjlModel.create(Models.lenet300(5), new Shape(1, 1, 28, 28),
            Device.cpu(), 0);
        ClassificationTask sourceTask = task(source, steps);
        ClassificationTask targetTask = task(destination, steps)) {
      Weights theta0 = model.state();
      ImpResult tickets = Imp.builder().setSchedule(PruningSchedules.imp(0.2, target)).build()
          .run(model, sourceTask);
      TransferTrainer trainer = new TransferTrainer("lenet300", destination, targetTask, 0, 0,
          60, Device.cpu());
      for (Round round : tickets.rounds()) {
        Mask mask = round.mask();
        String configuration = round.index() == 0 ? "dense" : "ticket";
        for (int seed = 0; seed < 2; seed++) {
          for (TransferMode mode : TransferMode.values()) {
            results.add(new TransferResult(mode.label(), configuration, round.index(),
                mask.sparsity(), seed, trainer.train(mode, theta0, mask, seed, seed).asMap()));
          }
        }
      }
    }
    Verdicts verdicts = Verdicts.builder().setMetric("test_accuracy").addAll(results).build();
    System.out.printf("%-7s %-7s %9s %8s %6s %9s%n", "mode", "config", "sparsity", "mean",
        "std", "matching");
    for (Verdict v : verdicts.all()) {
      System.out.printf(Locale.ROOT, "%-7s %-7s %8.2f%% %7.2f%% %6.2f %9s%n", v.target(),
          v.configuration(), 100 * v.sparsity(), 100 * v.stats().mean(),
          100 * v.stats().std(), v.matching() ? "yes" : "no");
    }
    System.out.println("ticket matching in both modes at: "
        + verdicts.sparsestUniversal("ticket").stream()
            .mapToObj(s -> String.format(Locale.ROOT, "up to %.2f%% sparsity", 100 * s))
            .findFirst().orElse("no sparsity tried"));
  }

  private static ClassificationTask task(TrainTestSplit split, long steps) {
    return ClassificationTask.builder().setTrainData(split.train()).setTestData(split.test())
        .optSteps(steps).build();
  }
}
