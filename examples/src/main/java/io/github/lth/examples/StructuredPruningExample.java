package io.github.lth.examples;

import ai.djl.Device;
import ai.djl.ndarray.types.Shape;
import io.github.lth.core.ImpResult;
import io.github.lth.core.Imp;
import io.github.lth.core.Mask;
import io.github.lth.core.Round;
import io.github.lth.core.Weights;
import io.github.lth.core.io.CompactWeights;
import io.github.lth.core.io.ExportSizes;
import io.github.lth.core.run.StoredRun;
import io.github.lth.core.schedule.PruningSchedules;
import io.github.lth.core.structured.FilterCriteria;
import io.github.lth.djl.DjlModel;
import io.github.lth.djl.data.DataSources;
import io.github.lth.djl.data.TrainTestSplit;
import io.github.lth.djl.models.Models;
import io.github.lth.djl.structured.ChannelRemoval;
import io.github.lth.djl.train.ClassificationTask;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Locale;

/**
 * The README's structured pruning example: IMP on Conv-2 that prunes whole filters (L1 norm,
 * 20 % of the remaining filters per round), then the last round rebuilt as a smaller dense model
 * with the same test accuracy, and its weights saved compact.
 *
 * <pre>{@code
 * java -Dai.djl.offline=true -cp ... io.github.lth.examples.StructuredPruningExample runs/filters 300 0.5
 * }</pre>
 */
public final class StructuredPruningExample {
  private StructuredPruningExample() {}

  /** Arguments: the run directory, the training steps per round, the share of filters to prune. */
  public static void main(String[] args) throws IOException {
    Path runDirectory = Path.of(args.length > 0 ? args[0] : "runs/filters");
    long steps = args.length > 1 ? Long.parseLong(args[1]) : 300;
    double filters = args.length > 2 ? Double.parseDouble(args[2]) : 0.5;

    TrainTestSplit data = DataSources.load("embedded");
    try (DjlModel model = DjlModel.create(Models.create("conv2", 1, 28, 28, 10),
            new Shape(1, 1, 28, 28), Device.cpu(), 0);
        ClassificationTask task = ClassificationTask.builder().setTrainData(data.train())
            .setTestData(data.test()).optSteps(steps).build()) {
      ImpResult result = Imp.builder()
          .setSchedule(PruningSchedules.imp(0.2, filters))   // counts filters, not weights
          .optCriterion(FilterCriteria.l1())
          .optSelector(Models.structuredPrunable("conv2"))    // filters with their biases
          .optRunDirectory(runDirectory).optResume(true)
          .build()
          .run(model, task);

      Round last = result.last();
      Weights trained = StoredRun.open(runDirectory).trainedWeights(last.index());
      Mask mask = last.mask();
      model.load(trained);
      model.applyMask(mask);
      double maskedAccuracy = task.evaluate(model).get("test_accuracy");
      System.out.println(ChannelRemoval.plan(model, 16));
      try (DjlModel small = ChannelRemoval.shrink(model, 16)) {
        System.out.printf(Locale.ROOT, "test accuracy: masked %.2f%%, shrunk %.2f%%%n",
            100 * maskedAccuracy, 100 * task.evaluate(small).get("test_accuracy"));
      }
      Path compact = runDirectory.resolve("last-round.lthc");
      CompactWeights.write(trained, mask, compact);
      ExportSizes sizes = ExportSizes.of(trained, mask);
      System.out.printf(Locale.ROOT, "%s: %,d bytes (dense .npz %,d bytes)%n", compact,
          sizes.compactBytes(), sizes.denseBytes());
    }
  }
}
