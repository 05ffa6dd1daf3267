package io.github.lth.core.testing;

import io.github.lth.core.Mask;
import io.github.lth.core.Metrics;
import io.github.lth.core.ParameterInfo;
import io.github.lth.core.PrunableModel;
import io.github.lth.core.Seeds;
import io.github.lth.core.SparsityController;
import io.github.lth.core.Task;
import io.github.lth.core.TrainingContext;
import io.github.lth.core.TrainingPlan;
import io.github.lth.core.TrainingState;
import io.github.lth.core.TrainingSummary;
import io.github.lth.core.Weights;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * A deterministic stand-in for training: step {@code s} adds noise drawn from (data seed, s) to
 * every weight and re-applies the mask, like a real masked optimizer step whose batch depends on
 * the data order and the step. Like the real loop, it starts at the context's start step and asks
 * the controller for the mask after every step. It records what each call started from. The
 * "dense gradient" of a step is its noise negated (before the mask), kept for the steps the
 * controller asks for, as the real loop does.
 */
public final class ToyTask implements Task<ToyModel> {
  private final int epochs;
  private final int stepsPerEpoch;
  private final List<Weights> startWeights = new ArrayList<>();
  private final List<Mask> trainedMasks = new ArrayList<>();
  private final List<TrainingContext> contexts = new ArrayList<>();

  public ToyTask(int epochs, int stepsPerEpoch) {
    this.epochs = epochs;
    this.stepsPerEpoch = stepsPerEpoch;
  }

  /** The full state at the start of each call to train, in call order. */
  public List<Weights> startWeights() {
    return startWeights;
  }

  public List<Mask> trainedMasks() {
    return trainedMasks;
  }

  public List<TrainingContext> contexts() {
    return contexts;
  }

  @Override
  public TrainingPlan plan() {
    return new TrainingPlan((long) epochs * stepsPerEpoch, stepsPerEpoch);
  }

  @Override
  public TrainingSummary train(ToyModel model, SparsityController controller,
      TrainingContext context) {
    long total = plan().totalSteps();
    long[] step = {context.startStep()};
    Mask[] mask = {model.lastMask()};
    Map<String, float[]> gradients = new LinkedHashMap<>();
    TrainingState state = new TrainingState() {
      @Override
      public long step() {
        return step[0];
      }

      @Override
      public long totalSteps() {
        return total;
      }

      @Override
      public long stepsPerEpoch() {
        return stepsPerEpoch;
      }

      @Override
      public int epoch() {
        return (int) (Math.max(0, step[0] - 1) / stepsPerEpoch);
      }

      @Override
      public Mask mask() {
        return mask[0];
      }

      @Override
      public PrunableModel model() {
        return model;
      }

      @Override
      public Weights denseGradients(List<String> names) {
        Weights.Builder b = Weights.builder();
        for (String name : names) {
          float[] g = gradients.get(name);
          if (g == null) {
            throw new IllegalStateException("no dense gradient of " + name + " at step "
                + step[0]);
          }
          b.put(name, model.parameters().stream().filter(p -> p.name().equals(name))
              .findFirst().orElseThrow().shape(), g);
        }
        return b.build();
      }
    };
    mask[0] = controller.start(state);
    model.applyMask(mask[0]);
    startWeights.add(model.state());
    trainedMasks.add(mask[0]);
    contexts.add(context);
    context.listener().onTrainingStart(epochs, stepsPerEpoch);
    while (step[0] < total) {
      SplittableRandom rng = new SplittableRandom(Seeds.derive(context.seed(), "step",
          (int) step[0]));
      boolean keep = controller.needsDenseGradients(step[0] + 1);
      gradients.clear();
      for (ParameterInfo p : model.parameters()) {
        float[] v = model.raw(p.name());
        float[] g = keep ? new float[v.length] : null;
        for (int i = 0; i < v.length; i++) {
          float noise = (float) (0.1 * (rng.nextDouble() - 0.5));
          v[i] += noise;
          if (keep) {
            g[i] = -noise;
          }
        }
        if (keep) {
          gradients.put(p.name(), g);
        }
      }
      model.applyMask(mask[0]);
      step[0]++;
      int epoch = (int) ((step[0] - 1) / stepsPerEpoch);
      context.listener().onStep(step[0], epoch, (step[0] - 1) % stepsPerEpoch, () -> 0.5);
      mask[0] = follow(model, mask[0], controller.afterStep(state));
      if (step[0] % stepsPerEpoch == 0) {
        context.listener().onEpochEnd(epoch, step[0]);
        mask[0] = follow(model, mask[0], controller.atEpochEnd(state));
      }
    }
    context.listener().onTrainingEnd(step[0]);
    long trained = total - context.startStep();
    return new TrainingSummary(trained, (int) (trained / stepsPerEpoch), 0.5,
        context.startStep(), mask[0]);
  }

  private static Mask follow(ToyModel model, Mask current, Mask next) {
    if (!next.equals(current)) {
      model.applyMask(next);
    }
    return next;
  }

  /** "Accuracy" is the mean magnitude of the kept weights: deterministic and mask dependent. */
  @Override
  public Metrics evaluate(ToyModel model) {
    double sum = 0;
    long n = 0;
    for (ParameterInfo p : model.parameters()) {
      for (float x : model.raw(p.name())) {
        sum += Math.abs(x);
        n++;
      }
    }
    Map<String, Double> m = new LinkedHashMap<>();
    m.put("accuracy", sum / n);
    m.put("loss", 1 - sum / n);
    return Metrics.of(m);
  }

  @Override
  public Map<String, Object> settings() {
    Map<String, Object> s = new LinkedHashMap<>();
    s.put("epochs", epochs);
    s.put("steps_per_epoch", stepsPerEpoch);
    return s;
  }
}
