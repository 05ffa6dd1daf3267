package io.github.lth.djl.models;

import static com.google.common.base.Preconditions.checkArgument;

import ai.djl.MalformedModelException;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Block;
import ai.djl.nn.LambdaBlock;
import ai.djl.training.ParameterStore;
import ai.djl.util.Pair;
import ai.djl.util.PairList;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * A sequence of blocks, each under a name of the caller's choosing. DJL composes a parameter's
 * full name as {@code <child name>_<parameter name>}; DJL's own {@code SequentialBlock} numbers
 * its children ({@code 01Linear_weight}), this block keeps the given names ({@code fc1_weight}),
 * which is what masks and weight files are keyed by.
 *
 * <pre>{@code
 * Block mlp = new NamedSequentialBlock()
 *     .add("flatten", Blocks.batchFlattenBlock())
 *     .add("fc1", Linear.builder().setUnits(300).build())
 *     .add("relu1", Activation::relu)
 *     .add("fc2", Linear.builder().setUnits(10).build());
 * // parameters: fc1_weight, fc1_bias, fc2_weight, fc2_bias
 * }</pre>
 */
public class NamedSequentialBlock extends AbstractBlock {
  // Letters and digits only: '_' joins the levels of a name, so it may not appear inside one.
  private static final Pattern NAME = Pattern.compile("[A-Za-z][A-Za-z0-9]*");

  /** Appends a block under a name that is unique in this sequence. */
  public NamedSequentialBlock add(String name, Block block) {
    checkArgument(name != null && NAME.matcher(name).matches(),
        "block name must be a letter followed by letters or digits: '%s'", name);
    checkArgument(!children.contains(name), "block name '%s' is used twice", name);
    // Bypasses addChildBlock, which would prefix the name with a sequence number.
    children.add(name, block);
    return this;
  }

  /** Appends a parameter-free function, such as an activation. */
  public NamedSequentialBlock add(String name, Function<NDList, NDList> function) {
    return add(name, new LambdaBlock(function, name));
  }

  /** The child with the given name. */
  public Block get(String name) {
    Block block = children.get(name);
    checkArgument(block != null, "no block named '%s'; children: %s", name, children.keys());
    return block;
  }

  @Override
  protected NDList forwardInternal(ParameterStore parameterStore, NDList inputs,
      boolean training, PairList<String, Object> params) {
    NDList current = inputs;
    for (Block child : children.values()) {
      current = child.forward(parameterStore, current, training, params);
    }
    return current;
  }

  @Override
  protected void initializeChildBlocks(NDManager manager, DataType dataType,
      Shape... inputShapes) {
    Shape[] shapes = inputShapes;
    for (Pair<String, Block> child : children) {
      child.getValue().initialize(manager, dataType, shapes);
      shapes = child.getValue().getOutputShapes(shapes);
    }
  }

  /**
   * Writes the children's parameters without this block's own header, for a {@link HeadedBlock}
   * whose file layout must stay that of one flat sequence.
   */
  void saveChildParameters(DataOutputStream os) throws IOException {
    for (Block child : children.values()) {
      child.saveParameters(os);
    }
  }

  /** Reads what {@link #saveChildParameters} wrote; the input shapes come from the caller. */
  void loadChildParameters(NDManager manager, DataInputStream is, Shape[] shapes)
      throws IOException, MalformedModelException {
    if (inputShapes == null) {
      inputShapes = shapes;
    }
    for (Block child : children.values()) {
      child.loadParameters(manager, is);
    }
  }

  @Override
  public Shape[] getOutputShapes(Shape[] inputShapes) {
    Shape[] shapes = inputShapes;
    for (Block child : children.values()) {
      shapes = child.getOutputShapes(shapes);
    }
    return shapes;
  }
}
