package io.github.lth.djl.data;

import java.util.Objects;

/**
 * A training set with part of it held out for validation: the two parts are disjoint and
 * together hold every sample of the original exactly once.
 *
 * <pre>{@code
 * ValidationSplit<ImageDataset> split = data.train().splitValidation(0.1, 42);
 * ImageDataset fit = split.train();            // embedded-train[train 90% seed 42]
 * ImageDataset holdOut = split.validation();   // embedded-train[val 10% seed 42]
 * }</pre>
 *
 * @param <T> {@link ImageDataset} or a {@link BatchSource}
 */
public record ValidationSplit<T>(T train, T validation) {
  public ValidationSplit {
    Objects.requireNonNull(train, "train");
    Objects.requireNonNull(validation, "validation");
  }
}
