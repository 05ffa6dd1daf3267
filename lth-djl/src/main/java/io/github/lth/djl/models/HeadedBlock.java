package io.github.lth.djl.models;

import static com.google.common.base.Preconditions.checkArgument;
import static com.google.common.base.Preconditions.checkState;

import ai.djl.MalformedModelException;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.nn.ParameterList;
import ai.djl.training.ParameterStore;
import ai.djl.util.Pair;
import ai.djl.util.PairList;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * A backbone followed by named heads (a classifier, a projection head), one of them active:
 * {@code forward(x) = activeHead(backbone(x))}, or {@code backbone(x)} when the block has no
 * head. Declaring the heads is what lets lth4j keep them dense when pruning, swap them when
 * transferring a ticket to another task, freeze the backbone for a linear probe and read the
 * backbone's features.
 *
 * <p>Parameter names: backbone parameters keep the names the backbone reports ({@code
 * fc1_weight}, {@code stage1_block0_conv1_weight}); head parameters are {@code
 * <head>_<parameter>} ({@code fc3_weight} for a {@code Linear} head named {@code fc3}). Every
 * head, active or not, lists its parameters, backbone first and heads in order.
 *
 * <p>The {@code .params} layout ({@link #saveParameters}) over a {@link NamedSequentialBlock}
 * backbone is that of one {@code NamedSequentialBlock} holding the backbone's layers and then
 * the heads, so files written by the built-in models before they declared heads still load.
 *
 * <pre>{@code
 * HeadedBlock net = new HeadedBlock(new NamedSequentialBlock()
 *         .add("flatten", Blocks.batchFlattenBlock())
 *         .add("fc1", Linear.builder().setUnits(300).build())
 *         .add("relu1", Activation::relu))
 *     .addHead("fc2", Linear.builder().setUnits(10).build());
 * // parameters: fc1_weight, fc1_bias, fc2_weight, fc2_bias; output (batch, 10)
 * }</pre>
 */
public final class HeadedBlock extends AbstractBlock {
  /** Letters and digits only: '_' joins a head's name to its parameters' names. */
  private static final Pattern NAME = Pattern.compile("[A-Za-z][A-Za-z0-9]*");
  private static final String BACKBONE = "backbone";

  private final Block backbone;
  private String active;
  private boolean backboneInference;

  /** A block of {@code backbone} alone; add heads with {@link #addHead}. */
  public HeadedBlock(Block backbone) {
    checkArgument(backbone != null, "the backbone of a headed block must not be null");
    this.backbone = backbone;
    // Bypasses addChildBlock, which would prefix the name with a sequence number.
    children.add(BACKBONE, backbone);
  }

  /**
   * Appends a head. The first head added becomes the active one.
   *
   * @throws IllegalArgumentException if the name is not letters and digits, is taken, or one of
   *     the head's parameter names would clash with an existing one
   */
  public HeadedBlock addHead(String name, Block head) {
    checkName(name, head);
    checkArgument(!children.contains(name), "head name '%s' is used twice", name);
    checkNoClash(name, head, null);
    children.add(name, head);
    if (active == null) {
      active = name;
    }
    return this;
  }

  /**
   * Puts {@code head} in the place of the head called {@code name}, or appends it if there is
   * none by that name; an appended head becomes active when no other head is. The block returned
   * (null if the head is new) keeps its parameters; the caller frees them.
   */
  public Block replaceHead(String name, Block head) {
    checkName(name, head);
    checkNoClash(name, head, name);
    int at = children.indexOf(name);
    if (at < 0) {
      addHead(name, head);
      return null;
    }
    Block old = children.valueAt(at);
    children.remove(at);
    children.add(at, name, head);
    return old;
  }

  /**
   * Removes a head and returns it (its parameters are not freed). If it was active, the first
   * remaining head becomes active, or none: then forward returns the backbone's features.
   */
  public Block removeHead(String name) {
    Block old = head(name);
    children.remove(name);
    if (name.equals(active)) {
      List<String> left = heads();
      active = left.isEmpty() ? null : left.get(0);
    }
    return old;
  }

  /** Makes the named head the one forward applies. */
  public HeadedBlock useHead(String name) {
    head(name);
    active = name;
    return this;
  }

  /** The head forward applies, or empty if the block has no head. */
  public Optional<String> activeHead() {
    return Optional.ofNullable(active);
  }

  /** The heads' names, in order. */
  public List<String> heads() {
    return children.keys().subList(1, children.size()).stream().toList();
  }

  public Block backbone() {
    return backbone;
  }

  /** The head with the given name. */
  public Block head(String name) {
    checkArgument(name != null && !BACKBONE.equals(name) && children.contains(name),
        "the block has no head '%s' (heads: %s)", name, heads());
    return children.get(name);
  }

  /**
   * While set, forward runs the backbone in inference mode even in a training pass: BatchNorm
   * normalizes with its running statistics and leaves them alone, dropout is off. That is what a
   * frozen feature extractor should do; the heads still train normally.
   */
  public HeadedBlock setBackboneInference(boolean inference) {
    this.backboneInference = inference;
    return this;
  }

  /** Whether forward runs the backbone in inference mode (see {@link #setBackboneInference}). */
  public boolean backboneInference() {
    return backboneInference;
  }

  /** The backbone's parameters under their own names, then each head's, prefixed. */
  @Override
  public ParameterList getParameters() {
    ParameterList all = new ParameterList();
    for (Pair<String, Parameter> p : backbone.getParameters()) {
      all.add(p.getKey(), p.getValue());
    }
    for (String head : heads()) {
      for (Pair<String, Parameter> p : children.get(head).getParameters()) {
        all.add(head + "_" + p.getKey(), p.getValue());
      }
    }
    return all;
  }

  @Override
  protected NDList forwardInternal(ParameterStore parameterStore, NDList inputs,
      boolean training, PairList<String, Object> params) {
    NDList features = backbone.forward(parameterStore, inputs, training && !backboneInference,
        params);
    if (active == null) {
      return features;
    }
    return children.get(active).forward(parameterStore, features, training, params);
  }

  @Override
  protected void initializeChildBlocks(NDManager manager, DataType dataType,
      Shape... inputShapes) {
    backbone.initialize(manager, dataType, inputShapes);
    Shape[] features = backbone.getOutputShapes(inputShapes);
    for (String head : heads()) {
      children.get(head).initialize(manager, dataType, features);
    }
  }

  @Override
  public Shape[] getOutputShapes(Shape[] inputShapes) {
    Shape[] features = backbone.getOutputShapes(inputShapes);
    return active == null ? features : children.get(active).getOutputShapes(features);
  }

  @Override
  public void saveParameters(DataOutputStream os) throws IOException {
    checkState(inputShapes != null, "the headed block is not initialized; nothing to save");
    os.write(version);
    saveMetadata(os);
    if (backbone instanceof NamedSequentialBlock seq) {
      seq.saveChildParameters(os);
    } else {
      backbone.saveParameters(os);
    }
    for (String head : heads()) {
      children.get(head).saveParameters(os);
    }
  }

  @Override
  public void loadParameters(NDManager manager, DataInputStream is)
      throws IOException, MalformedModelException {
    byte loadVersion = is.readByte();
    loadMetadata(loadVersion, is);
    if (backbone instanceof NamedSequentialBlock seq) {
      seq.loadChildParameters(manager, is, inputShapes);
    } else {
      backbone.loadParameters(manager, is);
    }
    for (String head : heads()) {
      children.get(head).loadParameters(manager, is);
    }
  }

  private static void checkName(String name, Block head) {
    checkArgument(name != null && NAME.matcher(name).matches(),
        "head name must be a letter followed by letters or digits: '%s'", name);
    checkArgument(!BACKBONE.equals(name), "a head cannot be called '%s'", BACKBONE);
    checkArgument(head != null, "head '%s' must not be null", name);
  }

  /** Refuses a head whose prefixed parameter names are taken, ignoring the head it replaces. */
  private void checkNoClash(String name, Block head, String replaced) {
    Set<String> taken = new HashSet<>(backbone.getParameters().keys());
    for (String other : heads()) {
      if (!other.equals(replaced)) {
        for (String p : children.get(other).getParameters().keys()) {
          taken.add(other + "_" + p);
        }
      }
    }
    for (String p : head.getParameters().keys()) {
      checkArgument(!taken.contains(name + "_" + p),
          "head '%s': parameter name %s_%s is already taken", name, name, p);
    }
  }
}
