package io.github.lth.core.testing;

import static com.google.common.base.Preconditions.checkArgument;

import io.github.lth.core.Mask;
import io.github.lth.core.ParameterInfo;
import io.github.lth.core.ParameterKind;
import io.github.lth.core.PrunableModel;
import io.github.lth.core.Shapes;
import io.github.lth.core.Snapshot;
import io.github.lth.core.Weights;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * A plain-Java {@link PrunableModel}: float arrays on the host, so Imp can be tested without DJL.
 * It counts open snapshots to catch leaks.
 */
public final class ToyModel implements PrunableModel {
  private final List<ParameterInfo> parameters;
  private final Map<String, float[]> values = new LinkedHashMap<>();
  private int openSnapshots;
  private Mask lastMask;

  public ToyModel(List<ParameterInfo> parameters, long seed) {
    this.parameters = List.copyOf(parameters);
    reinitialize(seed);
  }

  /** Two hidden layers with biases and a classifier: a small MLP's parameter list. */
  public static ToyModel mlp(int in, int hidden1, int hidden2, int classes, long seed) {
    List<ParameterInfo> p = new ArrayList<>();
    p.add(new ParameterInfo("fc1.weight", new long[] {hidden1, in}, ParameterKind.LINEAR_WEIGHT));
    p.add(new ParameterInfo("fc1.bias", new long[] {hidden1}, ParameterKind.BIAS));
    p.add(new ParameterInfo("fc2.weight", new long[] {hidden2, hidden1}, ParameterKind.LINEAR_WEIGHT));
    p.add(new ParameterInfo("fc2.bias", new long[] {hidden2}, ParameterKind.BIAS));
    p.add(new ParameterInfo("out.weight", new long[] {classes, hidden2}, ParameterKind.LINEAR_WEIGHT));
    p.add(new ParameterInfo("out.bias", new long[] {classes}, ParameterKind.BIAS));
    return new ToyModel(p, seed);
  }

  public int openSnapshots() {
    return openSnapshots;
  }

  /** Direct access for the toy task's updates. */
  float[] raw(String name) {
    return values.get(name);
  }

  @Override
  public List<ParameterInfo> parameters() {
    return parameters;
  }

  @Override
  public Weights weights(List<String> names) {
    Weights.Builder b = Weights.builder();
    for (ParameterInfo p : parameters) {
      if (names.contains(p.name())) {
        b.put(p.name(), p.shape(), values.get(p.name()));
      }
    }
    return b.build();
  }

  @Override
  public void load(Weights weights) {
    for (String name : weights.names()) {
      float[] v = values.get(name);
      checkArgument(v != null, "unknown parameter '%s'", name);
      checkArgument(v.length == Shapes.size(weights.shape(name)), "shape of '%s' differs", name);
      System.arraycopy(weights.values(name), 0, v, 0, v.length);
    }
  }

  /** The mask last applied, or null (what the real model reports as its mask). */
  public Mask lastMask() {
    return lastMask;
  }

  @Override
  public void applyMask(Mask mask) {
    lastMask = mask;
    for (String layer : mask.layers()) {
      mask.applyTo(layer, values.get(layer));
    }
  }

  @Override
  public Snapshot snapshot() {
    Map<String, float[]> copy = new LinkedHashMap<>();
    values.forEach((k, v) -> copy.put(k, v.clone()));
    openSnapshots++;
    return new Snapshot() {
      private boolean closed;

      @Override
      public Weights toWeights() {
        checkArgument(!closed, "snapshot is closed");
        Weights.Builder b = Weights.builder();
        for (ParameterInfo p : parameters) {
          b.put(p.name(), p.shape(), copy.get(p.name()));
        }
        return b.build();
      }

      @Override
      public void close() {
        if (!closed) {
          closed = true;
          openSnapshots--;
        }
      }
    };
  }

  @Override
  public void restore(Snapshot snapshot) {
    load(snapshot.toWeights());
  }

  @Override
  public void reinitialize(long seed) {
    SplittableRandom rng = new SplittableRandom(seed);
    for (ParameterInfo p : parameters) {
      float[] v = new float[Math.toIntExact(p.size())];
      for (int i = 0; i < v.length; i++) {
        v[i] = (float) (rng.nextDouble() * 2 - 1);
      }
      values.put(p.name(), v);
    }
  }

  @Override
  public String toString() {
    return "ToyModel" + Arrays.toString(parameters.toArray());
  }
}
