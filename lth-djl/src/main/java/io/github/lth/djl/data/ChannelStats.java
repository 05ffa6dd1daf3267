package io.github.lth.djl.data;

import java.util.Arrays;
import java.util.Objects;

/**
 * Per-channel mean and (population) standard deviation of an {@link ImageDataset}'s pixels after
 * scaling to {@code [0, 1]}: the usual normalisation constants, such as CIFAR-10's {@code
 * (0.4914, 0.4822, 0.4465)} and {@code (0.2470, 0.2435, 0.2616)}.
 *
 * <pre>{@code
 * ChannelStats stats = ChannelStats.of(data.train());
 * try (ImageBatches train = BatchSources.of(data.train(), stats.mean(), stats.std())) {
 *   ...
 * }
 * }</pre>
 *
 * @param mean the mean of each channel
 * @param std the standard deviation of each channel (dividing by the number of values, not one
 *     less); 0 for a constant channel
 */
public record ChannelStats(float[] mean, float[] std) {
  /** Copies the arrays. */
  public ChannelStats {
    mean = Objects.requireNonNull(mean, "mean").clone();
    std = Objects.requireNonNull(std, "std").clone();
  }

  /** The statistics of every pixel of every image, per channel, computed in double precision. */
  public static ChannelStats of(ImageDataset data) {
    int channels = data.channels();
    int plane = data.height() * data.width();
    byte[] pixels = data.pixels();
    long[] sum = new long[channels];
    double[] sumSquares = new double[channels];
    for (int i = 0; i < data.size(); i++) {
      for (int c = 0; c < channels; c++) {
        int base = (i * channels + c) * plane;
        long s = 0;
        long s2 = 0;
        for (int k = 0; k < plane; k++) {
          int v = pixels[base + k] & 0xFF;
          s += v;
          s2 += v * v;
        }
        sum[c] += s;
        sumSquares[c] += s2;
      }
    }
    double count = (double) data.size() * plane;
    float[] mean = new float[channels];
    float[] std = new float[channels];
    for (int c = 0; c < channels; c++) {
      double m = sum[c] / count;
      double variance = Math.max(0, sumSquares[c] / count - m * m);
      mean[c] = (float) (m / 255);
      std[c] = (float) (Math.sqrt(variance) / 255);
    }
    return new ChannelStats(mean, std);
  }

  /** A copy of the per-channel means. */
  @Override
  public float[] mean() {
    return mean.clone();
  }

  /** A copy of the per-channel standard deviations. */
  @Override
  public float[] std() {
    return std.clone();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ChannelStats other && Arrays.equals(mean, other.mean)
        && Arrays.equals(std, other.std);
  }

  @Override
  public int hashCode() {
    return 31 * Arrays.hashCode(mean) + Arrays.hashCode(std);
  }

  @Override
  public String toString() {
    return "ChannelStats[mean=" + Arrays.toString(mean) + ", std=" + Arrays.toString(std) + "]";
  }
}
