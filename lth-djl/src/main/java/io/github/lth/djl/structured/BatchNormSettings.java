package io.github.lth.djl.structured;

import ai.djl.nn.norm.BatchNorm;
import java.lang.reflect.Field;

/**
 * The construction settings of a DJL {@link BatchNorm}, so that a narrower copy normalizes
 * exactly as the original. DJL 0.35 keeps them in private fields without getters, so they are
 * read reflectively; a DJL version that renames them fails here with a clear message rather
 * than producing a copy with default settings.
 */
record BatchNormSettings(int axis, float epsilon, float momentum, boolean center,
    boolean scale) {

  static BatchNormSettings of(BatchNorm norm, String block) {
    try {
      return new BatchNormSettings(field(norm, "axis").getInt(norm),
          field(norm, "epsilon").getFloat(norm), field(norm, "momentum").getFloat(norm),
          field(norm, "center").getBoolean(norm), field(norm, "scale").getBoolean(norm));
    } catch (ReflectiveOperationException | RuntimeException e) {
      throw new IllegalArgumentException(String.format("channel removal: cannot read the"
          + " settings (axis, epsilon, momentum) of BatchNorm '%s' from this DJL version: %s",
          block, e), e);
    }
  }

  /** A new, uninitialized BatchNorm with these settings. */
  BatchNorm build() {
    return BatchNorm.builder().optAxis(axis).optEpsilon(epsilon).optMomentum(momentum)
        .optCenter(center).optScale(scale).build();
  }

  private static Field field(BatchNorm norm, String name) throws NoSuchFieldException {
    Field f = BatchNorm.class.getDeclaredField(name);
    f.setAccessible(true);
    return f;
  }
}
