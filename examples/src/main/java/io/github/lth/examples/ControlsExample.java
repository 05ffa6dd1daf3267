package io.github.lth.examples;

import ai.djl.Device;
import ai.djl.ndarray.types.Shape;
import io.github.lth.core.Branch;
import io.github.lth.core.BranchResult;
import io.github.lth.core.Imp;
import io.github.lth.core.ImpResult;
import io.github.lth.core.Round;
import io.github.lth.core.branch.Control;
import io.github.lth.core.schedule.PruningSchedules;
import io.github.lth.djl.DjlModel;
import io.github.lth.djl.data.DataSources;
import io.github.lth.djl.data.TrainTestSplit;
import io.github.lth.djl.models.Models;
import io.github.lth.djl.train.ClassificationTask;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Locale;

/**
 * The README's controls example: IMP with LeNet-300-100 on the embedded Fashion-MNIST sample,
 * then Frankle &amp; Carbin's random re-initialization and layer-wise random pruning as branches
 * of the finished run, with the same model and task, and a table of the three per round.
 *
 * <pre>{@code
 * java -Dai.djl.offline=true -cp ... io.github.lth.examples.ControlsExample runs/controls 600 0.9
 * }</pre>
 */
public final class ControlsExample {
  private ControlsExample() {}

  /** Arguments: the run directory, the training steps per round, the target sparsity. */
  public static void main(String[] args) throws IOException {
    Path runDirectory = Path.of(args.length > 0 ? args[0] : "runs/controls");
    long steps = args.length > 1 ? Long.parseLong(args[1]) : 600;
    double target = args.length > 2 ? Double.parseDouble(args[2]) : 0.9;

    TrainTestSplit data = DataSources.load("embedded");
    try (DjlModel model = DjlModel.create(Models.lenet300(10), new Shape(1, 1, 28, 28),
            Device.cpu(), 0);
        ClassificationTask task = ClassificationTask.builder()
            .setTrainData(data.train()).setTestData(data.test()).optSteps(steps).build()) {
      ImpResult tickets = Imp.builder()
          .setSchedule(PruningSchedules.imp(0.2, target))
          .optRunDirectory(runDirectory)
          .optResume(true)
          .build()
          .run(model, task);
      // each control trains like the ticket's round and changes one thing
      BranchResult reinit = Branch.builder().setRunDirectory(runDirectory)
          .setControl(new Control.Reinit()).build().run(model, task);
      BranchResult random = Branch.builder().setRunDirectory(runDirectory)
          .setControl(Control.parse("random-mask")).build().run(model, task);

      String metric = tickets.primaryMetric();
      System.out.printf("%-6s %9s %8s %8s %12s%n", "round", "sparsity", "ticket", "reinit",
          "random-mask");
      for (Round ticket : tickets.rounds().subList(1, tickets.rounds().size())) {
        int r = ticket.index();
        System.out.printf(Locale.ROOT, "%-6d %8.2f%% %7.2f%% %7.2f%% %11.2f%%%n", r,
            100 * ticket.sparsity(), 100 * ticket.metrics().get(metric),
            100 * reinit.rounds().get(r - 1).metrics().get(metric),
            100 * random.rounds().get(r - 1).metrics().get(metric));
      }
      System.out.println("results.csv and curve.png in " + runDirectory + " now show both"
          + " controls");
    }
  }
}
