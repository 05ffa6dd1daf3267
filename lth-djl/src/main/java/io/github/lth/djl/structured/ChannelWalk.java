package io.github.lth.djl.structured;

import static com.google.common.base.Preconditions.checkArgument;
import static com.google.common.base.Preconditions.checkState;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.LambdaBlock;
import ai.djl.nn.Parameter;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.BatchNorm;
import ai.djl.util.Pair;
import io.github.lth.djl.DjlModel;
import io.github.lth.djl.models.HeadedBlock;
import io.github.lth.djl.models.NamedSequentialBlock;
import io.github.lth.djl.models.ResidualBlock;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;

/**
 * One pass over a model's block tree in forward order that decides which output channels of
 * every convolution and linear layer go, and builds the narrower, uninitialized block tree with
 * a {@link ParameterCut} for every parameter. The channel state carried along is which
 * positions of axis 1 of the current activation survive ({@link KeptChannels}).
 */
final class ChannelWalk {
  private static final String SUPPORTED = "HeadedBlock (at the top), NamedSequentialBlock,"
      + " ResidualBlock, Conv2d, Linear, BatchNorm and parameter-free LambdaBlock";

  /** The rebuilt block, how each parameter (by name) is cut, and the report. */
  record Result(Block block, Map<String, ParameterCut> cuts, RemovalPlan plan) {}

  /** A rebuilt block, the original's output shape, and what survives of that output. */
  private record Step(Block block, Shape output, KeptChannels kept) {}

  private final Map<Parameter, String> names = new IdentityHashMap<>();
  private final Map<Parameter, float[]> hostValues = new IdentityHashMap<>();
  private final Map<String, ParameterCut> cuts = new LinkedHashMap<>();
  private final List<RemovalPlan.Layer> layers = new ArrayList<>();
  private final NDManager scratch;
  private final int channelMultiple;

  private ChannelWalk(Block block, NDManager scratch, int channelMultiple) {
    this.channelMultiple = channelMultiple;
    for (Pair<String, Parameter> p : block.getParameters()) {
      names.put(p.getValue(), p.getKey());
    }
    this.scratch = scratch;
  }

  /** Walks the model's current (masked) weights. */
  static Result walk(DjlModel model, int channelMultiple) {
    checkArgument(channelMultiple >= 1, "channel removal: channel multiple must be positive: %s",
        channelMultiple);
    checkArgument(model.weightView().isEmpty(), "channel removal: the model computes with a"
        + " weight view (soft-threshold reparametrization), not with its parameters; clear the"
        + " view, or apply the mask it defines, first");
    Block block = model.block();
    Shape input = model.inputShape();
    try (NDManager scratch = model.manager().newSubManager()) {
      ChannelWalk walk = new ChannelWalk(block, scratch, channelMultiple);
      Block rebuilt = block instanceof HeadedBlock hb ? walk.headed(hb, input)
          : walk.rebuild(block, "", input, KeptChannels.allOf(input), Downstream.FIXED, true)
              .block();
      checkState(walk.cuts.keySet().equals(new HashSet<>(walk.names.values())),
          "channel removal: parameters %s were not reached by the walk", walk.names.values());
      long before = 0;
      long after = 0;
      for (ParameterCut cut : walk.cuts.values()) {
        before += cut.parameter().getArray().size();
        after += cut.newSize();
      }
      return new Result(rebuilt, walk.orderedCuts(), new RemovalPlan(walk.layers, before, after));
    }
  }

  /** The cuts in the model's parameter order, which is also the rebuilt model's. */
  private Map<String, ParameterCut> orderedCuts() {
    Map<String, ParameterCut> ordered = new LinkedHashMap<>();
    for (String name : names.values()) {
      ordered.put(name, cuts.get(name));
    }
    return ordered;
  }

  private Block headed(HeadedBlock hb, Shape input) {
    Downstream heads = hb.heads().isEmpty() ? Downstream.FIXED : Downstream.CONSUMER;
    for (String head : hb.heads()) {
      heads = heads.and(Downstream.scan(List.of(hb.head(head)), 0, () -> Downstream.FIXED));
    }
    Step backbone = rebuild(hb.backbone(), "", input, KeptChannels.allOf(input), heads, true);
    HeadedBlock out = new HeadedBlock(backbone.block());
    for (String head : hb.heads()) {
      // a head's outputs are the task's classes or features: they all stay
      out.addHead(head, rebuild(hb.head(head), head, backbone.output(), backbone.kept(),
          Downstream.FIXED, false).block());
    }
    hb.activeHead().ifPresent(out::useHead);
    out.setBackboneInference(hb.backboneInference());
    return out;
  }

  /**
   * @param path the block's name as its parameters' names begin ({@code stage1_block0_conv1})
   * @param input the block's input shape in the original model
   * @param kept which channels of that input survive
   * @param after what the block's output flows into
   * @param mayRemove whether the block may remove its own output channels
   */
  private Step rebuild(Block block, String path, Shape input, KeptChannels kept,
      Downstream after, boolean mayRemove) {
    Class<?> type = block.getClass();
    if (type == Conv2d.class) {
      return conv((Conv2d) block, path, input, kept, after, mayRemove);
    }
    if (type == Linear.class) {
      return linear((Linear) block, path, input, kept, after, mayRemove);
    }
    if (type == BatchNorm.class) {
      return norm((BatchNorm) block, path, input, kept);
    }
    if (type == LambdaBlock.class) {
      return function((LambdaBlock) block, path, input, kept);
    }
    if (type == NamedSequentialBlock.class) {
      return sequence((NamedSequentialBlock) block, path, input, kept, after, mayRemove);
    }
    if (type == ResidualBlock.class) {
      return residual((ResidualBlock) block, path, input, kept, mayRemove);
    }
    throw new IllegalArgumentException(String.format("channel removal: cannot rebuild block"
        + " '%s' (%s); supported are %s", describe(path), type.getSimpleName(), SUPPORTED));
  }

  private Step sequence(NamedSequentialBlock seq, String path, Shape input, KeptChannels kept,
      Downstream after, boolean mayRemove) {
    NamedSequentialBlock out = new NamedSequentialBlock();
    List<Block> children = seq.getChildren().values();
    Shape shape = input;
    KeptChannels current = kept;
    for (int i = 0; i < children.size(); i++) {
      String name = seq.getChildren().keys().get(i);
      int next = i + 1;
      Step step = rebuild(children.get(i), join(path, name), shape, current,
          Downstream.scan(children, next, () -> after), mayRemove);
      out.add(name, step.block());
      shape = step.output();
      current = step.kept();
    }
    return new Step(out, shape, current);
  }

  /**
   * Only the inner channels (conv1's outputs, through bn1 and ReLU into conv2) can go: conv2's
   * outputs meet the shortcut in the residual sum, channel by channel.
   */
  private Step residual(ResidualBlock block, String path, Shape input, KeptChannels kept,
      boolean mayRemove) {
    BatchNorm innerNorm = typed(block.bn1(), BatchNorm.class, join(path, "bn1"));
    Downstream inner = new Downstream(true, List.of(innerNorm));
    Step conv1 = conv(typed(block.conv1(), Conv2d.class, join(path, "conv1")),
        join(path, "conv1"), input, kept, inner, mayRemove);
    Step bn1 = norm(innerNorm, join(path, "bn1"), conv1.output(), conv1.kept());
    Step conv2 = conv(typed(block.conv2(), Conv2d.class, join(path, "conv2")),
        join(path, "conv2"), bn1.output(), bn1.kept(), Downstream.FIXED, mayRemove);
    Step bn2 = norm(typed(block.bn2(), BatchNorm.class, join(path, "bn2")), join(path, "bn2"),
        conv2.output(), conv2.kept());
    Block shortcut = null;
    if (block.shortcut().isPresent()) {
      shortcut = rebuild(block.shortcut().get(), join(path, "shortcut"), input, kept,
          Downstream.FIXED, mayRemove).block();
    } else {
      checkArgument(kept.complete(), "channel removal: block '%s' adds its input to its output,"
          + " so its input channels cannot be removed", describe(path));
    }
    Block out = ResidualBlock.ofParts(conv1.block(), bn1.block(), conv2.block(), bn2.block(),
        shortcut);
    return new Step(out, bn2.output(), bn2.kept());
  }

  private Step conv(Conv2d conv, String path, Shape input, KeptChannels kept, Downstream after,
      boolean mayRemove) {
    checkArgument(input.dimension() == 4, "channel removal: Conv2d '%s' needs NCHW input, not"
        + " %s", describe(path), input);
    checkArgument(conv.getGroups() == 1, "channel removal: Conv2d '%s' is grouped (%s groups),"
        + " which is not supported", describe(path), conv.getGroups());
    Parameter weight = parameter(conv, "weight", path);
    Parameter bias = conv.isIncludeBias() ? parameter(conv, "bias", path) : null;
    int[] outputs = keptFilters(path, weight, bias, after, mayRemove);
    Conv2d out = Conv2d.builder().setKernelShape(conv.getKernelShape())
        .optStride(conv.getStride()).optPadding(conv.getPadding())
        .optDilation(conv.getDilation()).setFilters(outputs.length)
        .optBias(conv.isIncludeBias()).build();
    return layer(out, "Conv2d", path, weight, bias, kept, outputs,
        conv.getOutputShapes(new Shape[] {input})[0], mayRemove && after.acceptsCut());
  }

  private Step linear(Linear linear, String path, Shape input, KeptChannels kept,
      Downstream after, boolean mayRemove) {
    Parameter weight = parameter(linear, "weight", path);
    Parameter bias = linear.getDirectParameters().contains("bias")
        ? parameter(linear, "bias", path) : null;
    // a linear layer maps the last axis: only on (batch, features) is that axis 1
    boolean flat = input.dimension() == 2;
    checkArgument(flat || kept.complete(), "channel removal: Linear '%s' takes %s, not (batch,"
        + " features), so its input channels cannot be cut", describe(path), input);
    boolean removable = flat && mayRemove && after.acceptsCut();
    int[] outputs = keptFilters(path, weight, bias, removable ? after : Downstream.FIXED,
        removable);
    Linear out = Linear.builder().setUnits(outputs.length).optBias(bias != null).build();
    return layer(out, "Linear", path, weight, bias, kept, outputs,
        linear.getOutputShapes(new Shape[] {input})[0], removable);
  }

  private Step layer(Block rebuilt, String type, String path, Parameter weight, Parameter bias,
      KeptChannels inputs, int[] outputs, Shape output, boolean removable) {
    long[] shape = weight.getArray().getShape().getShape();
    checkState(inputs.complete() || inputs.size() == shape[1], "channel removal: layer '%s'"
        + " has %s inputs, its input %s channels", describe(path), shape[1], inputs.size());
    KeptChannels kept = new KeptChannels(Math.toIntExact(shape[0]), outputs);
    cut(weight, kept.selection(), inputs.selection());
    if (bias != null) {
      cut(bias, kept.selection(), null);
    }
    layers.add(new RemovalPlan.Layer(describe(path), type, shape[1],
        inputs.complete() ? shape[1] : inputs.count(), shape[0], outputs.length, !removable));
    KeptChannels next = output.dimension() >= 2 && output.get(1) == shape[0] ? kept
        : KeptChannels.allOf(output);
    return new Step(rebuilt, output, next);
  }

  private Step norm(BatchNorm norm, String path, Shape input, KeptChannels kept) {
    BatchNormSettings settings = BatchNormSettings.of(norm, describe(path));
    checkArgument(settings.axis() == 1 || kept.complete(), "channel removal: BatchNorm '%s'"
        + " normalizes axis %s, so the channels of axis 1 cannot be cut", describe(path),
        settings.axis());
    for (Parameter p : norm.getDirectParameters().values()) {
      cut(p, kept.selection(), null);
    }
    return new Step(settings.build(), input, kept);
  }

  private Step function(LambdaBlock function, String path, Shape input, KeptChannels kept) {
    Shape output = function.getOutputShapes(new Shape[] {input})[0];
    KeptChannels next = kept.complete() ? KeptChannels.allOf(output)
        : FunctionCheck.keptAfter(function, describe(path), input, kept, scratch);
    return new Step(FunctionCheck.copy(function), output, next);
  }

  /**
   * The filters that stay, in order: all unless {@code mayRemove}; otherwise those that are not
   * entirely zero or whose bias, or gamma or beta of a following BatchNorm, is not zero. At
   * least one stays, since DJL cannot build a layer without outputs; it carries zeros.
   */
  private int[] keptFilters(String path, Parameter weight, Parameter bias, Downstream after,
      boolean mayRemove) {
    long[] shape = weight.getArray().getShape().getShape();
    int filters = Math.toIntExact(shape[0]);
    if (!mayRemove || !after.acceptsCut()) {
      return IntStream.range(0, filters).toArray();
    }
    float[] w = values(weight);
    int row = w.length / filters;
    List<float[]> companions = new ArrayList<>();
    if (bias != null) {
      companions.add(values(bias));
    }
    for (BatchNorm norm : after.norms()) {
      for (String name : List.of("gamma", "beta")) {
        float[] v = values(parameter(norm, name, path + " (its BatchNorm)"));
        checkArgument(v.length == filters, "channel removal: the BatchNorm after '%s' has %s"
            + " channels, the layer %s filters", describe(path), v.length, filters);
        companions.add(v);
      }
    }
    boolean[] keep = new boolean[filters];
    int count = 0;
    for (int f = 0; f < filters; f++) {
      int at = f;
      keep[f] = !isZero(w, f * row, row) || companions.stream().anyMatch(c -> c[at] != 0);
      count += keep[f] ? 1 : 0;
    }
    // zero channels kept back to round the width up compute zeros, so outputs do not change
    int wanted = Math.min(filters, Math.max(1, roundUp(count, channelMultiple)));
    for (int f = 0; f < filters && count < wanted; f++) {
      if (!keep[f]) {
        keep[f] = true;
        count++;
      }
    }
    return IntStream.range(0, filters).filter(f -> keep[f]).toArray();
  }

  private static int roundUp(int count, int multiple) {
    return (count + multiple - 1) / multiple * multiple;
  }

  private static boolean isZero(float[] values, int from, int length) {
    for (int i = from; i < from + length; i++) {
      if (values[i] != 0) {
        return false;
      }
    }
    return true;
  }

  private void cut(Parameter p, int[] rows, int[] cols) {
    String name = names.get(p);
    checkState(name != null, "channel removal: parameter %s is not listed by the model",
        p.getName());
    long[] shape = p.getArray().getShape().getShape();
    checkState(!cuts.containsKey(name), "channel removal: parameter %s is reached twice", name);
    cuts.put(name, new ParameterCut(name, p, shape, rows, cols));
  }

  private float[] values(Parameter p) {
    return hostValues.computeIfAbsent(p, q -> {
      NDArray a = q.getArray();
      checkArgument(a.getDataType() == DataType.FLOAT32, "channel removal needs float32"
          + " parameters; %s is %s", names.get(q), a.getDataType());
      return a.toFloatArray();
    });
  }

  private static Parameter parameter(Block block, String name, String path) {
    Parameter p = block.getDirectParameters().get(name);
    checkArgument(p != null && p.isInitialized(), "channel removal: block '%s' has no"
        + " initialized parameter '%s'", describe(path), name);
    return p;
  }

  private static <T> T typed(Block block, Class<T> type, String path) {
    checkArgument(block.getClass() == type, "channel removal: block '%s' is a %s; expected %s",
        describe(path), block.getClass().getSimpleName(), type.getSimpleName());
    return type.cast(block);
  }

  private static String join(String path, String name) {
    return path.isEmpty() ? name : path + "_" + name;
  }

  private static String describe(String path) {
    return path.isEmpty() ? "(the model's block)" : path;
  }
}
