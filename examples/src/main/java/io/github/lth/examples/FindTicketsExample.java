package io.github.lth.examples;

import ai.djl.Device;
import ai.djl.ndarray.types.Shape;
import io.github.lth.core.Imp;
import io.github.lth.core.ImpResult;
import io.github.lth.core.Round;
import io.github.lth.core.io.MaskIO;
import io.github.lth.core.rewind.Rewinds;
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
 * The README's Java example: IMP with LeNet-300-100 on the embedded Fashion-MNIST sample,
 * rewinding to the initial weights, then the sparsest ticket within one point of dense saved as
 * a mask numpy can read.
 *
 * <pre>{@code
 * java -Dai.djl.offline=true -cp ... io.github.lth.examples.FindTicketsExample runs/example ticket.npz
 * }</pre>
 */
public final class FindTicketsExample {
  private FindTicketsExample() {}

  /** Arguments: the run directory and where to write the ticket's mask. */
  public static void main(String[] args) throws IOException {
    Path runDirectory = Path.of(args.length > 0 ? args[0] : "runs/example");
    Path ticketFile = Path.of(args.length > 1 ? args[1] : "ticket.npz");

    TrainTestSplit data = DataSources.load("embedded");   // or "fashion-mnist", or a directory
    try (DjlModel model = DjlModel.create(Models.lenet300(10), new Shape(1, 1, 28, 28),
            Device.cpu(), 0);
        ClassificationTask task = ClassificationTask.builder()
            .setTrainData(data.train()).setTestData(data.test()).optEpochs(5).build()) {
      ImpResult result = Imp.builder()
          .setSchedule(PruningSchedules.imp(0.2, 0.9))   // 20% of the remaining weights per round
          .optRewind(Rewinds.toInit())                   // or toStep(500), toEpoch(1), reinit(), none()
          .optRunDirectory(runDirectory)
          .build()
          .run(model, task);
      Round ticket = result.sparsestWithin(0.01);
      MaskIO.write(ticket.mask(), ticketFile);
      // selection is made on the validation split; the test accuracy is reported beside it
      System.out.printf(Locale.ROOT, "ticket: %.2f%% sparse, validation accuracy %.2f%% (dense"
          + " %.2f%%), test accuracy %.2f%%%n", 100 * ticket.sparsity(),
          100 * ticket.metrics().get("val_accuracy"),
          100 * result.dense().metrics().get("val_accuracy"),
          100 * ticket.metrics().get("test_accuracy"));
    }
  }
}
