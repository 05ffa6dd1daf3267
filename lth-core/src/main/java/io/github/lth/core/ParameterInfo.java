package io.github.lth.core;

import static com.google.common.base.Preconditions.checkArgument;

/**
 * A model parameter as lth4j sees it: its name, shape, kind and the head it belongs to (empty
 * for the backbone). Models list them in their own order, which is the order masks and run files
 * use. Head parameters (a classifier, a projection head) stay dense by default and are what a
 * transfer replaces.
 *
 * <pre>{@code
 * ParameterInfo fc1 = new ParameterInfo("fc1.weight", new long[] {300, 784}, ParameterKind.LINEAR_WEIGHT);
 * }</pre>
 */
public record ParameterInfo(String name, long[] shape, ParameterKind kind, String head) {
  public ParameterInfo {
    checkArgument(name != null && !name.isEmpty(), "parameter name must not be empty");
    checkArgument(kind != null, "parameter %s has no kind", name);
    checkArgument(head != null, "parameter %s: head must not be null (empty for the backbone)",
        name);
    shape = shape.clone();
  }

  /** A backbone parameter. */
  public ParameterInfo(String name, long[] shape, ParameterKind kind) {
    this(name, shape, kind, "");
  }

  /** Whether the parameter belongs to a declared head (see {@link #head()}). */
  public boolean inHead() {
    return !head.isEmpty();
  }

  @Override
  public long[] shape() {
    return shape.clone();
  }

  /** Number of elements. */
  public long size() {
    return Shapes.size(shape);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ParameterInfo p && p.name.equals(name) && p.kind == kind
        && p.head.equals(head) && java.util.Arrays.equals(p.shape, shape);
  }

  @Override
  public int hashCode() {
    return name.hashCode() * 31 + java.util.Arrays.hashCode(shape);
  }

  @Override
  public String toString() {
    return name + Shapes.format(shape) + " " + kind + (inHead() ? " (head " + head + ")" : "");
  }
}
