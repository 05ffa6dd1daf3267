package io.github.lth.core.sweep;

import static com.google.common.base.Preconditions.checkArgument;

import com.google.common.collect.ImmutableMap;
import java.nio.file.Path;
import java.util.Objects;

/**
 * One point of a sweep as {@link SweepResults} sees it: where its run (or branch) directory is
 * and whether the sweep recorded it as done.
 *
 * <pre>{@code
 * CollectedPoint p = new CollectedPoint(0, "3f2a9c01b7de",
 *     ImmutableMap.of("rewind", "init", "seed", 0L), "rewind=init",
 *     Path.of("sweep/points/3f2a9c01b7de"), true);
 * }</pre>
 *
 * @param index the point's position in the sweep, at least 0
 * @param id the point's directory name (a hash of its settings)
 * @param axisValues the point's value on every axis, in the sweep's axis order
 * @param label the axis values except {@code seed}, e.g. {@code rewind=init}; {@code all} when
 *     there is no other axis. Points that differ only in their seed share it: it names the
 *     setting their seeds are averaged over
 * @param directory the point's run directory ({@code imp}, {@code train}) or branch directory
 *     ({@code branch})
 * @param done whether the sweep recorded the point as finished
 */
public record CollectedPoint(int index, String id, ImmutableMap<String, Object> axisValues,
    String label, Path directory, boolean done) {

  public CollectedPoint {
    checkArgument(index >= 0, "a point's index must be >= 0; got %s", index);
    checkArgument(id != null && !id.isEmpty(), "point %s has no id", index);
    Objects.requireNonNull(axisValues, "axisValues");
    checkArgument(label != null && !label.isEmpty(), "point %s has no label", index);
    Objects.requireNonNull(directory, "directory");
  }
}
