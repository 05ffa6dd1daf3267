package io.github.lth.core.testing;

import io.github.lth.core.Mask;
import io.github.lth.core.Metrics;
import io.github.lth.core.ParameterInfo;
import io.github.lth.core.SparsityController;
import io.github.lth.core.SparsityControllers;
import io.github.lth.core.Task;
import io.github.lth.core.TrainingPlan;
import io.github.lth.core.TrainingContext;
import io.github.lth.core.TrainingSummary;
import io.github.lth.core.Weights;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * A deterministic stand-in for training: each step adds seeded noise to every weight and
 * re-applies the mask, like a real masked optimizer step. It records the weights each round
 * started from, so tests can check rewinding.
 */
public final class ToyTask implements Task<ToyModel> {
  private final int epochs;
  private final int stepsPerEpoch;
  private final List<Weights> startWeights = new ArrayList<>();
  private final List<Mask> trainedMasks = new ArrayList<>();

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

  @Override
  public TrainingPlan plan() {
    return new TrainingPlan((long) epochs * stepsPerEpoch, stepsPerEpoch);
  }

  @Override
  public TrainingSummary train(ToyModel model, SparsityController controller,
      TrainingContext context) {
    return train(model, ((SparsityControllers.Fixed) controller).mask(), context);
  }

  @Override
  public TrainingSummary train(ToyModel model, Mask mask, TrainingContext context) {
    model.applyMask(mask);
    startWeights.add(model.state());
    trainedMasks.add(mask);
    SplittableRandom rng = new SplittableRandom(context.seed());
    context.listener().onTrainingStart(epochs, stepsPerEpoch);
    long step = 0;
    for (int e = 0; e < epochs; e++) {
      for (int b = 0; b < stepsPerEpoch; b++) {
        for (ParameterInfo p : model.parameters()) {
          float[] v = model.raw(p.name());
          for (int i = 0; i < v.length; i++) {
            v[i] += (float) (0.1 * (rng.nextDouble() - 0.5));
          }
        }
        model.applyMask(mask);
        step++;
        context.listener().onStep(step, e, b, () -> 0.5);
      }
      context.listener().onEpochEnd(e, step);
    }
    context.listener().onTrainingEnd(step);
    return new TrainingSummary(step, epochs, 0.5);
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
