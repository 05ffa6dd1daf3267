package com.example;

import ai.djl.Device;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Blocks;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;
import io.github.lth.core.Imp;
import io.github.lth.core.ImpResult;
import io.github.lth.core.prune.PruningCriteria;
import io.github.lth.core.prune.PruningCriterion;
import io.github.lth.core.schedule.PruningSchedules;
import io.github.lth.core.Round;
import io.github.lth.djl.DjlModel;
import io.github.lth.djl.data.DataSources;
import io.github.lth.djl.data.TrainTestSplit;
import io.github.lth.djl.train.ClassificationTask;
import java.nio.file.Path;
import java.util.Locale;

/**
 * A user's program: its own DJL block (a small MLP), its own pruning criterion (a lambda), and
 * lth4j's IMP on the Fashion-MNIST sample embedded in lth-djl. Argument: the run directory.
 */
public final class MyTickets {
  private MyTickets() {}

  public static void main(String[] args) throws Exception {
    Path runDirectory = Path.of(args.length > 0 ? args[0] : "runs/my-tickets");

    SequentialBlock mlp = new SequentialBlock()
        .add(Blocks.batchFlattenBlock())
        .add(Linear.builder().setUnits(64).build())
        .add(Activation::relu)
        .add(Linear.builder().setUnits(10).build());

    // Prune the weights whose magnitude grew least in training (scores in, lowest pruned).
    PruningCriterion growth =
        s -> PruningCriteria.map(s, (w, w0) -> Math.abs(w) - Math.abs(w0));

    TrainTestSplit data = DataSources.load("embedded");
    try (DjlModel model = DjlModel.create(mlp, new Shape(1, 1, 28, 28), Device.cpu(), 7);
        ClassificationTask task = ClassificationTask.builder()
            .setTrainData(data.train()).setTestData(data.test()).optEpochs(1).build()) {
      ImpResult result = Imp.builder()
          .setSchedule(PruningSchedules.imp(0.2, 0.36))   // two rounds: 20 %, then 36 % pruned
          .optCriterion(growth)
          .optRunDirectory(runDirectory)
          .build()
          .run(model, task);
      for (Round round : result.rounds()) {
        System.out.printf(Locale.ROOT, "sparsity %.2f%%  validation accuracy %.2f%%%n",
            100 * round.sparsity(), 100 * round.metrics().get("val_accuracy"));
      }
    }
  }
}
