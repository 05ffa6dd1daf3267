package io.github.lth.benchmarks.training;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import ai.djl.training.dataset.Batch;
import io.github.lth.core.Mask;
import io.github.lth.core.ParameterInfo;
import io.github.lth.djl.DjlModel;
import io.github.lth.djl.data.BatchSource;
import io.github.lth.djl.data.ImageBatches;
import io.github.lth.djl.data.Shuffle;
import io.github.lth.djl.train.OptimizerSpec;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * A copy of the training loop of lth4j's {@code ClassificationTask} and the Adam step of its
 * {@code MaskedTrainer}, with {@link Phases} probes between the parts of a step, and the update
 * rule exchangeable so that a proposed change can be timed against the original:
 *
 * <ul>
 *   <li>{@link Update#COPY}: MaskedTrainer as it is: gradients zeroed with {@code set("...", 0)},
 *       Adam written as eleven NDArray operations (six with scalar operands), mask multiplied
 *       into the gradients and, after the step, into the weights.
 *   <li>{@link Update#COPY_NONZERO_SQRT}: the copy with {@code Float.MIN_NORMAL} added to the
 *       second moment before its square root. PyTorch's CPU {@code sqrt} is about ten times
 *       slower on exact zeros (measured on this machine), and the second moments of pruned
 *       weights are exact zeros. The denominator does not change: for v = 0 the added
 *       √MIN_NORMAL (1e-19) is far below half an ulp of ε, and v ≥ 2e-31 absorbs MIN_NORMAL.
 *   <li>{@link Update#FUSED}: the masked gradient goes to DJL's fused Adam ({@code
 *       NDArrayEx.adamUpdate}, one native call per parameter, the one DJL's own {@code Adam}
 *       uses), with ε scaled by √(1−β₂ᵗ) so the update is PyTorch's formula, as in the copy. The
 *       PyTorch engine zeroes the gradient inside that call, so no separate zeroing is needed
 *       after the first step. The mask is still multiplied into the weights after the step.
 *   <li>{@link Update#FUSED_NO_REMASK}: the same without multiplying the mask into the weights:
 *       a pruned weight is 0, its masked gradient is 0, so its Adam moments and its update stay
 *       exactly 0 and the weight stays +0.0.
 * </ul>
 *
 * <p>Without a mask ({@code mask == null}) no mask operation runs at all: the unmasked step of
 * DESIGN.md §5's "masked training step" row.
 *
 * <pre>{@code
 * ProbedLoop loop = new ProbedLoop(model, mask, ProbedLoop.Update.FUSED, images, 60, 1.2e-3);
 * loop.runEpochs(1, 7);
 * System.out.println(loop.phases().report());
 * }</pre>
 */
final class ProbedLoop {
  /** How a step updates the weights. */
  enum Update { COPY, COPY_NONZERO_SQRT, FUSED, FUSED_NO_REMASK }

  private final DjlModel model;
  private final Mask mask;
  private final Update update;
  private final ImageBatches data;
  private final int batchSize;
  private final double learningRate;
  private final Phases phases = new Phases();

  /** A trainable parameter with its mask and Adam moments. */
  private static final class Slot {
    final NDArray weight;
    final NDArray mask;
    NDArray first;
    NDArray second;

    Slot(NDArray weight, NDArray mask) {
      this.weight = weight;
      this.mask = mask;
    }
  }

  ProbedLoop(DjlModel model, Mask mask, Update update, ImageBatches data, int batchSize,
      double learningRate) {
    this.model = model;
    this.mask = mask;
    this.update = update;
    this.data = data;
    this.batchSize = batchSize;
    this.learningRate = learningRate;
  }

  Phases phases() {
    return phases;
  }

  /**
   * Trains {@code epochs} epochs with fresh Adam state, as one {@code ClassificationTask.train}
   * call does; returns the number of steps.
   */
  long runEpochs(int epochs, long seed) {
    if (mask != null) {
      model.applyMask(mask);
    }
    List<Slot> slots = new ArrayList<>();
    for (ParameterInfo p : model.parameters()) {
      NDArray w = model.parameterArray(p.name());
      if (w.hasGradient()) {
        slots.add(new Slot(w, mask == null ? null : model.deviceMask(p.name()).orElse(null)));
      }
    }
    SplittableRandom rng = new SplittableRandom(seed);
    int n = data.size();
    long steps = 0;
    try (NDManager state = model.manager().newSubManager()) {
      for (Slot s : slots) {
        s.first = attached(state, s.weight.zerosLike());
        s.second = attached(state, s.weight.zerosLike());
      }
      for (int epoch = 0; epoch < epochs; epoch++) {
        try (NDManager epochScope = model.manager().newSubManager()) {
          BatchSource.Epoch pass = data.epoch(epochScope, model.device(), Shuffle.order(n, rng));
          NDArray lossSum = epochScope.zeros(new Shape(), DataType.FLOAT32);
          for (int from = 0; from < n; from += batchSize) {
            long t = System.nanoTime();
            NDManager batch = epochScope.newSubManager();
            Batch b = pass.batch(batch, from, Math.min(n, from + batchSize));
            NDArray x = b.getData().head();
            NDArray y = b.getLabels().head();
            t = phases.add(Phases.GATHER, t);
            steps++;
            NDArray loss = step(slots, steps, batch, x, y, t);
            t = System.nanoTime();
            lossSum.addi(loss);
            int handles = batch.getManagedArrays().size();
            batch.close();
            phases.add(Phases.BOOKKEEPING, t);
            phases.step(handles);
          }
          lossSum.getFloat();
        }
      }
      if (Boolean.getBoolean("probe.denormals")) {
        long[] c = new long[3];
        for (Slot s : slots) {
          c[0] += subnormals(s.weight);
          c[1] += subnormals(s.first);
          c[2] += subnormals(s.second);
        }
        System.out.printf("subnormal floats after training: weights %d, first moments %d,"
            + " second moments %d%n", c[0], c[1], c[2]);
      }
    }
    return steps;
  }

  private NDArray step(List<Slot> slots, long step, NDManager batch, NDArray x, NDArray y,
      long start) {
    long t = start;
    boolean fused = update == Update.FUSED || update == Update.FUSED_NO_REMASK;
    if (!fused || step == 1) {
      for (Slot s : slots) {
        attached(batch, s.weight.getGradient()).set(new NDIndex("..."), 0f);
      }
    }
    t = phases.add(Phases.ZERO, t);
    NDArray value;
    try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
      NDArray logits = model.forward(new NDList(x), true).singletonOrThrow();
      value = logits.logSoftmax(1).gather(y.reshape(-1, 1), 1).reshape(-1).neg().mean();
      t = phases.add(Phases.FORWARD, t);
      collector.backward(value);
    }
    t = phases.add(Phases.BACKWARD, t);
    NDArray[] gradients = new NDArray[slots.size()];
    for (int i = 0; i < gradients.length; i++) {
      Slot s = slots.get(i);
      gradients[i] = attached(batch, s.weight.getGradient());
      if (s.mask != null) {
        gradients[i].muli(s.mask);
      }
    }
    t = phases.add(Phases.MASK_GRADIENT, t);
    for (int i = 0; i < gradients.length; i++) {
      if (!fused) {
        copiedAdam(slots.get(i), gradients[i], step, batch);
      } else {
        fusedAdam(slots.get(i), gradients[i], step);
      }
    }
    t = phases.add(Phases.UPDATE, t);
    if (mask != null && update != Update.FUSED_NO_REMASK) {
      model.reapplyMask();
    }
    phases.add(Phases.REMASK, t);
    return value;
  }

  /**
   * DJL attaches an operation's result to its first operand's manager; for a model parameter that
   * is the model's. This moves such a result into {@code scope}, as lth-djl's trainer does.
   */
  private static NDArray attached(NDManager scope, NDArray result) {
    result.attach(scope);
    return result;
  }

  private static long subnormals(NDArray a) {
    long n = 0;
    for (float f : a.toFloatArray()) {
      if (f != 0 && Math.abs(f) < Float.MIN_NORMAL) {
        n++;
      }
    }
    return n;
  }

  /** MaskedTrainer.adam as it is in lth-djl. */
  private void copiedAdam(Slot s, NDArray g, long step, NDManager batch) {
    double b1 = OptimizerSpec.BETA1;
    double b2 = OptimizerSpec.BETA2;
    s.first.muli(b1).addi(g.mul(1 - b1));
    s.second.muli(b2).addi(g.square().muli(1 - b2));
    double correction1 = 1 - Math.pow(b1, step);
    double correction2 = 1 - Math.pow(b2, step);
    NDArray second = s.second;
    if (update == Update.COPY_NONZERO_SQRT) {
      second = attached(batch, second.add(Float.MIN_NORMAL));
    }
    NDArray denominator = attached(batch, second.sqrt())
        .divi(Math.sqrt(correction2)).addi(OptimizerSpec.EPSILON);
    NDArray update = attached(batch, s.first.div(denominator))
        .muli(learningRate / correction1);
    s.weight.subi(update);
  }

  /**
   * DJL's fused update computes w −= lr·√c₂/c₁ · m / (√v + ε'); with ε' = ε·√c₂ that is
   * PyTorch's w −= lr/c₁ · m / (√v/√c₂ + ε).
   */
  private void fusedAdam(Slot s, NDArray g, long step) {
    double correction1 = 1 - Math.pow(OptimizerSpec.BETA1, step);
    double correction2 = 1 - Math.pow(OptimizerSpec.BETA2, step);
    float biasCorrected = (float) (learningRate * Math.sqrt(correction2) / correction1);
    float epsilon = (float) (OptimizerSpec.EPSILON * Math.sqrt(correction2));
    s.weight.getNDArrayInternal().adamUpdate(
        new NDList(s.weight, g, s.first, s.second), new NDList(s.weight),
        (float) learningRate, biasCorrected, 0f, 1f, -1f,
        (float) OptimizerSpec.BETA1, (float) OptimizerSpec.BETA2, epsilon, true, false);
  }
}
