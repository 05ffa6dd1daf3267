package io.github.lth.core.transfer;

import static com.google.common.base.Preconditions.checkArgument;

/**
 * Mean and spread of one metric over the seeds of a configuration. {@code std} is the
 * <em>sample</em> standard deviation (the sum of squared deviations divided by {@code n - 1}), the
 * one papers report over a handful of seeds; it is 0 for a single value.
 *
 * <pre>{@code
 * SeedStatistics s = SeedStatistics.of(0.80, 0.82, 0.84);   // n 3, mean 0.82, std 0.02
 * }</pre>
 *
 * @param n the number of values (seeds), at least 1
 * @param mean their arithmetic mean
 * @param std their sample standard deviation ({@code n - 1} in the denominator); 0 when n is 1
 */
public record SeedStatistics(int n, double mean, double std) {

  public SeedStatistics {
    checkArgument(n >= 1, "seed statistics need at least one value; got n = %s", n);
    checkArgument(Double.isFinite(mean), "the mean must be finite; got %s", mean);
    checkArgument(Double.isFinite(std) && std >= 0,
        "the standard deviation must be finite and >= 0; got %s", std);
    checkArgument(n > 1 || std == 0, "a single value has standard deviation 0; got %s", std);
  }

  /**
   * The statistics of {@code values}: count, mean and sample standard deviation.
   *
   * @throws IllegalArgumentException if there are no values or one is NaN or infinite
   */
  public static SeedStatistics of(double... values) {
    checkArgument(values != null && values.length > 0, "seed statistics need at least one value");
    double sum = 0;
    for (double v : values) {
      checkArgument(Double.isFinite(v), "seed values must be finite; got %s", v);
      sum += v;
    }
    int n = values.length;
    double mean = sum / n;
    if (n == 1) {
      return new SeedStatistics(1, mean, 0);
    }
    // two passes: deviations from the mean, not sum-of-squares minus square-of-sum, which loses
    // every digit when the seeds agree to many places (accuracies 0.9101, 0.9102, ...)
    double squares = 0;
    for (double v : values) {
      squares += (v - mean) * (v - mean);
    }
    return new SeedStatistics(n, mean, Math.sqrt(squares / (n - 1)));
  }
}
