package io.github.lth.djl.structured;

import java.util.List;
import java.util.Locale;

/**
 * What {@link ChannelRemoval#shrink} does to a model: for every convolution and linear layer,
 * in forward order, its input and output channels (neurons) before and after, and the model's
 * parameter count before and after. Counts are over every parameter {@code
 * DjlModel.parameters()} lists, BatchNorm running statistics included.
 *
 * <pre>{@code
 * RemovalPlan plan = ChannelRemoval.plan(model);
 * System.out.println(plan);   // one line per layer, then the totals
 * long saved = plan.parametersBefore() - plan.parametersAfter();
 * }</pre>
 *
 * @param layers the convolution and linear layers, in forward order
 * @param parametersBefore the masked model's parameter count
 * @param parametersAfter the rebuilt model's parameter count
 */
public record RemovalPlan(List<Layer> layers, long parametersBefore, long parametersAfter) {

  /** Copies the layer list. */
  public RemovalPlan {
    layers = List.copyOf(layers);
  }

  /**
   * One convolution or linear layer.
   *
   * @param name the layer's name, its parameters' names without {@code _weight} ({@code
   *     stage1_block0_conv1}, {@code fc3})
   * @param type {@code Conv2d} or {@code Linear}
   * @param outputsFixed whether the layer's outputs are never removed, even when zero: they
   *     feed a residual sum, the model's output or a head's output
   */
  public record Layer(String name, String type, long inputsBefore, long inputsAfter,
      long outputsBefore, long outputsAfter, boolean outputsFixed) {

    /** Output channels (neurons) the rebuild removes. */
    public long removedOutputs() {
      return outputsBefore - outputsAfter;
    }
  }

  /** Output channels (neurons) removed over all layers. */
  public long removedOutputs() {
    return layers.stream().mapToLong(Layer::removedOutputs).sum();
  }

  /** Whether the rebuild removes nothing at all. */
  public boolean removesNothing() {
    return parametersAfter == parametersBefore;
  }

  /** One line per layer, then the totals. */
  @Override
  public String toString() {
    int width = layers.stream().mapToInt(l -> l.name().length()).max().orElse(5);
    String row = "%-" + width + "s  %-6s  in %5d -> %-5d  out %5d -> %-5d%s";
    StringBuilder s = new StringBuilder();
    for (Layer l : layers) {
      s.append(String.format(Locale.ROOT, row, l.name(), l.type(), l.inputsBefore(),
          l.inputsAfter(), l.outputsBefore(), l.outputsAfter(),
          l.outputsFixed() ? "  (outputs fixed)" : "").stripTrailing()).append('\n');
    }
    double share = parametersBefore == 0 ? 1 : (double) parametersAfter / parametersBefore;
    s.append(String.format(Locale.ROOT,
        "parameters %,d -> %,d (%.1f%%), %d channels removed", parametersBefore,
        parametersAfter, 100 * share, removedOutputs()));
    return s.toString();
  }
}
