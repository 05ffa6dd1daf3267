package io.github.lth.benchmarks;

import static com.google.common.base.Preconditions.checkArgument;

import io.github.lth.core.Weights;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * The parameter tensors of the models the benchmarks run on, read from the lists that
 * {@code scripts/peers.py --write-layers} wrote, so that the Java and numpy timings cover the
 * same tensors.
 *
 * <pre>{@code
 * Map<String, long[]> shapes = Models.shapes("resnet50");   // 161 tensors, 25,557,032 floats
 * float[][] w = Models.gaussian(shapes, 42);
 * }</pre>
 */
public final class Models {
  private Models() {}

  /** Tensor name → shape, in model order, for {@code lenet300} or {@code resnet50}. */
  public static Map<String, long[]> shapes(String model) {
    String resource = model + ".txt";
    Map<String, long[]> out = new LinkedHashMap<>();
    try (InputStream in = Models.class.getResourceAsStream(resource)) {
      checkArgument(in != null, "no layer list for model '%s' (have: lenet300, resnet50)", model);
      BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
      for (String line = r.readLine(); line != null; line = r.readLine()) {
        if (line.isBlank() || line.startsWith("#")) {
          continue;
        }
        String[] parts = line.trim().split(" ");
        String[] dims = parts[1].split(",");
        long[] shape = new long[dims.length];
        for (int i = 0; i < dims.length; i++) {
          shape[i] = Long.parseLong(dims[i]);
        }
        out.put(parts[0], shape);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out;
  }

  /** Number of floats over all tensors. */
  public static long total(Map<String, long[]> shapes) {
    long n = 0;
    for (long[] s : shapes.values()) {
      n += size(s);
    }
    return n;
  }

  /** Weights drawn from N(0, 0.05²), one array per tensor; the same seed gives the same values. */
  public static float[][] gaussian(Map<String, long[]> shapes, long seed) {
    SplittableRandom rng = new SplittableRandom(seed);
    List<float[]> out = new ArrayList<>();
    for (long[] shape : shapes.values()) {
      float[] v = new float[size(shape)];
      for (int i = 0; i < v.length; i++) {
        double u = rng.nextDouble(Double.MIN_NORMAL, 1.0);
        v[i] = (float) (0.05 * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI
            * rng.nextDouble()));
      }
      out.add(v);
    }
    return out.toArray(new float[0][]);
  }

  /**
   * Cuts the tensors, taken end to end, into {@code parts} runs of about equal length, each a
   * list of {tensor, from, to} ranges; cuts inside a tensor fall on multiples of 64 (one mask
   * word), as the selection kernel cuts them.
   */
  public static List<List<int[]>> slices(float[][] tensors, int parts) {
    long total = 0;
    for (float[] t : tensors) {
      total += t.length;
    }
    long per = ((total + parts - 1) / parts + 63) & ~63L;
    List<List<int[]>> out = new ArrayList<>();
    List<int[]> current = new ArrayList<>();
    long room = per;
    for (int l = 0; l < tensors.length; l++) {
      int n = tensors[l].length;
      int from = 0;
      while (from < n) {
        int to = (int) Math.min(n, (from + room + 63) & ~63L);
        current.add(new int[] {l, from, to});
        room -= to - from;
        from = to;
        if (room <= 0) {
          out.add(current);
          current = new ArrayList<>();
          room = per;
        }
      }
    }
    if (!current.isEmpty() || out.isEmpty()) {
      out.add(current);
    }
    return out;
  }

  /** The tensors as {@code Weights} (copies), in the shapes' order. */
  public static Weights weights(Map<String, long[]> shapes, float[][] values) {
    Weights.Builder b = Weights.builder();
    int l = 0;
    for (Map.Entry<String, long[]> e : shapes.entrySet()) {
      b.put(e.getKey(), e.getValue(), values[l++]);
    }
    return b.build();
  }

  /**
   * Copies {@code from} into {@code into}, allocating it on first use; the in-place kernels
   * get a fresh copy of the weights before every call this way.
   */
  public static float[][] copyInto(float[][] into, float[][] from) {
    float[][] out = into;
    if (out == null) {
      out = new float[from.length][];
      for (int l = 0; l < out.length; l++) {
        out[l] = new float[from[l].length];
      }
    }
    for (int l = 0; l < out.length; l++) {
      System.arraycopy(from[l], 0, out[l], 0, out[l].length);
    }
    return out;
  }

  static int size(long[] shape) {
    long n = 1;
    for (long d : shape) {
      n *= d;
    }
    return Math.toIntExact(n);
  }
}
