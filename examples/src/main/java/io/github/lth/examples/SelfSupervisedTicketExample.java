package io.github.lth.examples;

import ai.djl.Device;
import ai.djl.ndarray.types.Shape;
import io.github.lth.core.Imp;
import io.github.lth.core.Round;
import io.github.lth.core.run.StoredRun;
import io.github.lth.core.schedule.PruningSchedules;
import io.github.lth.djl.DjlModel;
import io.github.lth.djl.data.DataSources;
import io.github.lth.djl.data.TrainTestSplit;
import io.github.lth.djl.models.Models;
import io.github.lth.djl.ssl.Pretext;
import io.github.lth.djl.ssl.SelfSupervisedTask;
import io.github.lth.djl.train.ClassificationTask;
import io.github.lth.djl.transfer.TargetData;
import io.github.lth.djl.transfer.TransferMode;
import io.github.lth.djl.transfer.TransferTrainer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * Tickets found without labels: IMP with RotNet (predict the rotation) on the images of
 * Fashion-MNIST classes 0–4 (embedded sample), then a linear probe of each ticket's trained
 * backbone on classes 5–9, Caron et al.'s way of judging a self-supervised ticket. The rotation
 * head stays dense and is dropped for the probe.
 *
 * <pre>{@code
 * java -Dai.djl.offline=true -cp ... io.github.lth.examples.SelfSupervisedTicketExample 300 0.8
 * }</pre>
 */
public final class SelfSupervisedTicketExample {
  private SelfSupervisedTicketExample() {}

  /** Arguments: the training steps per round, the target sparsity of IMP. */
  public static void main(String[] args) throws IOException {
    long steps = args.length > 0 ? Long.parseLong(args[0]) : 300;
    double target = args.length > 1 ? Double.parseDouble(args[1]) : 0.8;

    TrainTestSplit data = DataSources.embedded();
    TrainTestSplit source = TargetData.all().withClasses(0, 1, 2, 3, 4).apply(data);
    TrainTestSplit destination = TargetData.all().withClasses(5, 6, 7, 8, 9).apply(data);
    Path runDirectory = Files.createTempDirectory("rotnet-tickets");
    try (SelfSupervisedTask rotnet = SelfSupervisedTask.builder()
            .setPretext(Pretext.parse("rotnet")).setTrainData(source.train())
            .setTestData(source.test()).optSteps(steps).build();
        DjlModel model = DjlModel.create(rotnet.attachHead(Models.lenet300(5)),
            new Shape(1, 1, 28, 28), Device.cpu(), 0);
        ClassificationTask probeTask = ClassificationTask.builder()
            .setTrainData(destination.train()).setTestData(destination.test()).build()) {
      Imp.builder().setSchedule(PruningSchedules.imp(0.2, target))
          .optRunDirectory(runDirectory).build().run(model, rotnet);
      StoredRun run = StoredRun.open(runDirectory);
      TransferTrainer probe = new TransferTrainer("lenet300", destination, probeTask, 0.1, 0,
          60, Device.cpu());
      System.out.printf("%5s %9s %10s %12s%n", "round", "sparsity", "rotation", "probe 5-9");
      for (Round round : run.rounds()) {
        double probeAccuracy = probe.train(TransferMode.LINEAR, run.trainedWeights(round.index()),
            round.mask(), 1, 1).get("test_accuracy");
        System.out.printf(Locale.ROOT, "%5d %8.2f%% %9.2f%% %11.2f%%%n", round.index(),
            100 * round.sparsity(), 100 * round.metrics().get("test_rotation_accuracy"),
            100 * probeAccuracy);
      }
    }
  }
}
