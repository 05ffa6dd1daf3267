package io.github.lth.djl;

import static com.google.common.base.Preconditions.checkArgument;
import static com.google.common.base.Preconditions.checkState;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.training.initializer.Initializer;
import ai.djl.util.Pair;
import io.github.lth.core.Mask;
import io.github.lth.core.ParameterInfo;
import io.github.lth.core.PrunableModel;
import io.github.lth.core.Pruner;
import io.github.lth.core.Shapes;
import io.github.lth.core.Snapshot;
import io.github.lth.core.Weights;
import io.github.lth.core.prune.PruningCriteria;
import io.github.lth.core.prune.PruningCriterion;
import io.github.lth.core.prune.PruningStep;
import io.github.lth.djl.internal.DeviceSelection;
import io.github.lth.djl.internal.ParameterKinds;
import io.github.lth.djl.internal.Temporaries;
import io.github.lth.djl.models.HeadedBlock;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * A DJL {@link Block} seen as lth-core's {@link PrunableModel}: its parameters keep living on
 * the model's device, masks are uploaded there once and multiplied into the weights in place,
 * rewind points are device copies, and magnitude scores (or magnitudes of change) can be computed
 * on the device and handed to lth-core's {@link Pruner} with a device kernel, which decides
 * exactly as on the host.
 *
 * <p>Parameter names are the keys of {@link Block#getParameters()} (for a
 * {@code SequentialBlock}: {@code 01Linear_weight}, ...). Kinds are inferred from DJL's
 * parameter type and rank: rank-2 weights are linear, rank 3–5 weights convolutions, gamma/beta
 * normalization, running statistics {@code OTHER}.
 *
 * <p>When the block is a {@link HeadedBlock}, parameters of its heads say so ({@link
 * ParameterInfo#head()}), so the default prunable set leaves them dense, and the model can swap
 * a head for another task ({@link #replaceHead}), drop one ({@link #removeHead}), freeze the
 * backbone ({@link #freezeBackbone}) and compute the backbone's features ({@link #features}).
 *
 * <p>A {@link WeightView} set with {@link #setWeightView} makes forward passes compute with a
 * function of the parameters (soft-thresholded weights, for STR) while the parameters stay the
 * latent values the optimizer trains.
 *
 * <p>Everything native is held in the model's {@link NDManager} tree; {@link #close()} frees it.
 * Not thread-safe.
 *
 * <pre>{@code
 * try (DjlModel model = DjlModel.create(Models.resnet20(10), new Shape(1, 3, 32, 32),
 *     Devices.parse("auto"), 42)) {
 *   Mask mask = Mask.dense(...);
 *   model.applyMask(mask);
 *   try (Snapshot init = model.snapshot()) {
 *     // train, prune, model.restore(init), ...
 *   }
 *   model.replaceHead("fc", Linear.builder().setUnits(100).build(), 7);   // transfer to 100 classes
 * }
 * }</pre>
 */
public final class DjlModel implements PrunableModel, AutoCloseable {
  private final Block block;
  private final Device device;
  private final NDManager manager;
  private final NDManager ownedManager;
  private final DataType dataType;
  private final Shape[] inputShapes;
  private final ViewingStore store;
  private List<Entry> entries;
  private Map<String, Entry> byName;
  private List<ParameterInfo> infos;
  /** Bumped whenever the parameter list changes (a head replaced or removed). */
  private int layout;
  /** Parameters frozen through this model; unfreezing gives exactly these their gradients back. */
  private final Set<String> frozenHere = new LinkedHashSet<>();
  private NDManager maskManager;
  private Mask mask;
  private Map<String, NDArray> maskArrays = Map.of();
  private boolean closed;

  private record Entry(int index, String name, Parameter parameter, ParameterInfo info) {
    NDArray array() {
      return parameter.getArray();
    }
  }

  private DjlModel(Block block, NDManager manager, NDManager ownedManager, DataType dataType,
      Shape[] inputShapes) {
    this.block = block;
    this.manager = manager;
    this.ownedManager = ownedManager;
    this.device = manager.getDevice();
    this.dataType = dataType;
    this.inputShapes = inputShapes;
    this.store = new ViewingStore(manager);
    readParameters();
  }

  /** (Re)builds the parameter list from the block, marking head parameters with their head. */
  private void readParameters() {
    Set<String> embeddings = ParameterKinds.embeddingParameterIds(block);
    Map<String, String> headOf = new HashMap<>();
    if (block instanceof HeadedBlock hb) {
      for (String head : hb.heads()) {
        for (Parameter p : hb.head(head).getParameters().values()) {
          headOf.put(p.getId(), head);
        }
      }
    }
    List<Entry> list = new ArrayList<>();
    Map<String, Entry> map = new LinkedHashMap<>();
    for (Pair<String, Parameter> p : block.getParameters()) {
      Parameter param = p.getValue();
      checkArgument(param.isInitialized(), "parameter %s of the block is not initialized",
          p.getKey());
      long[] shape = param.getArray().getShape().getShape();
      ParameterInfo info = new ParameterInfo(p.getKey(), shape,
          ParameterKinds.of(param, shape, embeddings.contains(param.getId())),
          headOf.getOrDefault(param.getId(), ""));
      Entry e = new Entry(list.size(), p.getKey(), param, info);
      checkArgument(map.put(e.name(), e) == null, "the block has two parameters named %s",
          e.name());
      list.add(e);
    }
    this.entries = List.copyOf(list);
    this.byName = Collections.unmodifiableMap(map);
    this.infos = list.stream().map(Entry::info).toList();
    Map<String, String> names = new HashMap<>();
    list.forEach(e -> names.put(e.parameter().getId(), e.name()));
    store.nameById = names;
  }

  /**
   * Initializes {@code block} on {@code device} for inputs of {@code inputShape} (batch axis
   * included, e.g. {@code (1, 1, 28, 28)}) with weights drawn from {@code seed}. The model owns
   * a new manager; {@link #close()} frees it. The weights equal those of {@link #reinitialize}
   * with the same seed.
   */
  public static DjlModel create(Block block, Shape inputShape, Device device, long seed) {
    NDManager m = NDManager.newBaseManager(device);
    try {
      Engine.getInstance().setRandomSeed(engineSeed(seed));
      block.initialize(m, DataType.FLOAT32, inputShape);
      DjlModel model = new DjlModel(block, m, m, DataType.FLOAT32, new Shape[] {inputShape});
      model.reinitialize(seed);
      return model;
    } catch (RuntimeException e) {
      m.close();
      throw e;
    }
  }

  /**
   * Wraps the initialized block of a DJL {@link Model}. Masks and snapshots live in
   * sub-managers of the model's manager; closing this object frees them but not the model.
   */
  public static DjlModel wrap(Model model) {
    Block b = model.getBlock();
    checkArgument(b != null, "model %s has no block", model.getName());
    return new DjlModel(b, model.getNDManager(), null, model.getDataType(),
        b.isInitialized() ? b.getInputShapes() : null);
  }

  public Block block() {
    return block;
  }

  public Device device() {
    return device;
  }

  /** The manager holding the parameters; create temporaries in sub-managers of it. */
  public NDManager manager() {
    return manager;
  }

  /**
   * A parameter store that hands the block its parameters on this model's device. While a
   * {@link #setWeightView weight view} is set, run blocks through {@link #forward(Block, NDList,
   * boolean)} instead: the bare store does not know which manager the view's arrays belong to and
   * refuses to hand out viewed parameters.
   */
  public ParameterStore parameterStore() {
    return store;
  }

  /**
   * The input shape the block was initialized for, batch axis included (what {@link #create}
   * was given).
   *
   * @throws IllegalStateException for a wrapped block DJL knows no input shape of
   */
  public Shape inputShape() {
    checkState(inputShapes != null && inputShapes.length > 0,
        "the wrapped block does not know its input shape; create the model with create()");
    return inputShapes[0];
  }

  /**
   * Runs the block; the outputs belong to the manager of {@code inputs}. With a {@link
   * #setWeightView weight view} set, the block sees the viewed parameters.
   */
  public NDList forward(NDList inputs, boolean training) {
    return forward(block, inputs, training);
  }

  /**
   * Runs a part of this model's block (its backbone, one head) with the model's parameters, as
   * {@link #forward(NDList, boolean)} runs the whole block: a {@link #setWeightView weight view}
   * applies, and the outputs belong to the manager of {@code inputs}.
   *
   * <pre>{@code
   * NDArray logits = model.forward(headed.head("rotation"), features, true).singletonOrThrow();
   * }</pre>
   */
  public NDList forward(Block part, NDList inputs, boolean training) {
    checkOpen();
    NDManager previous = store.scope;
    // the inputs' manager is the batch's: the view's arrays of this pass go there with the
    // activations and are freed with them
    store.scope = inputs.isEmpty() ? null : inputs.head().getManager();
    try {
      return part.forward(store, inputs, training);
    } finally {
      store.scope = previous;
    }
  }

  /**
   * From now on every forward pass, training and evaluation alike, uses {@code
   * view.apply(name, live, scope)} in place of each parameter (replacing any view set before).
   * The parameters themselves, and everything that reads them ({@link #weights}, {@link
   * #snapshot}, {@link #prune}, optimizers), stay the latent values; in training passes the view
   * is computed while gradients are recorded, so gradients reach the latent parameters through
   * it. Used by soft-threshold reparametrization ({@code
   * io.github.lth.djl.sparse.SoftThresholdReparametrization}).
   *
   * <pre>{@code
   * model.setWeightView((name, w, scope) -> name.equals("fc1_weight")
   *     ? scope.create(0.5f).mul(w) : w);
   * NDArray halved = model.forward(new NDList(x), false).singletonOrThrow();
   * model.clearWeightView();
   * }</pre>
   */
  public void setWeightView(WeightView view) {
    checkOpen();
    checkArgument(view != null, "the weight view must not be null (clearWeightView removes it)");
    store.view = view;
  }

  /** Forward passes use the parameters as they are again. Does nothing without a view. */
  public void clearWeightView() {
    store.view = null;
  }

  /** The weight view in force, if any. */
  public Optional<WeightView> weightView() {
    return Optional.ofNullable(store.view);
  }

  @Override
  public List<ParameterInfo> parameters() {
    return infos;
  }

  /** The live device array of a parameter (not a copy: writing to it changes the model). */
  public NDArray parameterArray(String name) {
    return entry(name).array();
  }

  /** The mask last applied, if any. */
  public Optional<Mask> mask() {
    return Optional.ofNullable(mask);
  }

  /**
   * The device copy (float 0/1, the parameter's shape) of the last applied mask for one
   * parameter, or empty if that mask does not cover it. Owned by the model: do not close it.
   */
  public Optional<NDArray> deviceMask(String name) {
    return Optional.ofNullable(maskArrays.get(name));
  }

  @Override
  public Weights weights(List<String> names) {
    checkOpen();
    for (String n : names) {
      entry(n);
    }
    Weights.Builder b = Weights.builder();
    for (Entry e : entries) {
      if (names.contains(e.name())) {
        b.putOwned(e.name(), e.info().shape(), hostFloats(e.array()));
      }
    }
    return b.build();
  }

  @Override
  public void load(Weights weights) {
    checkOpen();
    List<String> problems = new ArrayList<>();
    for (String name : weights.names()) {
      Entry e = byName.get(name);
      if (e == null) {
        problems.add("unknown '" + name + "'");
      } else if (!Arrays.equals(e.info().shape(), weights.shape(name))) {
        problems.add("'" + name + "' has shape " + Shapes.format(weights.shape(name))
            + ", model has " + Shapes.format(e.info().shape()));
      }
    }
    if (!problems.isEmpty()) {
      String listed = String.join("; ", problems.subList(0, Math.min(5, problems.size())));
      String more = problems.size() > 5 ? "; and " + (problems.size() - 5) + " more" : "";
      throw new IllegalArgumentException(
          "pre-trained weights do not fit the model: " + listed + more);
    }
    try (NDManager tmp = manager.newSubManager()) {
      for (String name : weights.names()) {
        Entry e = byName.get(name);
        FloatBuffer values = weights.view(name);
        NDArray src = tmp.create(values, new Shape(weights.shape(name)), DataType.FLOAT32);
        overwrite(e.array(), src, tmp);
      }
    }
  }

  @Override
  public void applyMask(Mask newMask) {
    checkOpen();
    if (!newMask.equals(mask)) {
      for (String layer : newMask.layers()) {
        Entry e = byName.get(layer);
        checkArgument(e != null, "mask layer '%s' is not a parameter of the model", layer);
        checkArgument(Arrays.equals(e.info().shape(), newMask.shape(layer)),
            "mask layer '%s' has shape %s, the model's parameter has %s", layer,
            Shapes.format(newMask.shape(layer)), Shapes.format(e.info().shape()));
      }
      NDManager next = manager.newSubManager();
      Map<String, NDArray> arrays = new LinkedHashMap<>();
      for (String layer : newMask.layers()) {
        Shape shape = new Shape(newMask.shape(layer));
        NDArray bits = next.create(newMask.toBooleans(layer), shape);
        NDArray m = bits.toType(entry(layer).array().getDataType(), false);
        bits.close();
        arrays.put(layer, m);
      }
      if (maskManager != null) {
        maskManager.close();
      }
      maskManager = next;
      maskArrays = Collections.unmodifiableMap(arrays);
      mask = newMask;
    }
    reapplyMask();
  }

  /**
   * Multiplies the last applied mask into the weights again (after an optimizer step). Pruned
   * weights become +0.0 (never -0.0), as on the host.
   */
  public void reapplyMask() {
    checkOpen();
    for (Map.Entry<String, NDArray> m : maskArrays.entrySet()) {
      // negative weights times 0 give -0.0; adding +0.0 turns it into +0.0
      entry(m.getKey()).array().muli(m.getValue()).addi(0f);
    }
  }

  @Override
  public Snapshot snapshot() {
    checkOpen();
    NDManager sub = manager.newSubManager();
    List<NDArray> copies = new ArrayList<>();
    for (Entry e : entries) {
      NDArray copy = e.array().duplicate();
      copy.attach(sub);
      copies.add(copy);
    }
    return new DeviceSnapshot(this, sub, copies, infos, layout);
  }

  /**
   * Sets all parameters from a snapshot. A snapshot of this model is copied on the device;
   * any other snapshot is loaded from its host copy (names and shapes must fit).
   *
   * @throws IllegalStateException if the snapshot is closed, or was taken before a head of this
   *     model was replaced or removed (its host copy, {@link Snapshot#toWeights()}, still holds
   *     the backbone for {@link #load})
   */
  @Override
  public void restore(Snapshot snapshot) {
    checkOpen();
    if (snapshot instanceof DeviceSnapshot s && s.owner == this) {
      checkState(!s.closed, "the snapshot was closed; take a new one with snapshot()");
      checkState(s.layout == layout, "the snapshot was taken before a head of the model was"
          + " replaced or removed, so its parameters no longer match the model's; take a new"
          + " snapshot, or load the parameters that still fit from snapshot.toWeights()");
      try (NDManager tmp = manager.newSubManager()) {
        for (Entry e : entries) {
          overwrite(e.array(), s.arrays.get(e.index()), tmp);
        }
      }
    } else {
      load(snapshot.toWeights());
    }
  }

  /**
   * Draws every parameter again from its DJL initializer, after seeding the engine with
   * {@code seed}; parameters are drawn in model order, so the same seed gives the same weights.
   */
  @Override
  public void reinitialize(long seed) {
    checkOpen();
    Engine.getInstance().setRandomSeed(engineSeed(seed));
    try (NDManager tmp = manager.newSubManager()) {
      for (Entry e : entries) {
        draw(e.parameter(), tmp);
      }
    }
  }

  /** Overwrites a parameter with a fresh draw from its DJL initializer. */
  private static void draw(Parameter p, NDManager tmp) {
    Initializer init = p.getInitializer() != null ? p.getInitializer()
        : p.getType().getInitializer();
    NDArray fresh = init.initialize(tmp, p.getArray().getShape(), p.getArray().getDataType());
    overwrite(p.getArray(), fresh, tmp);
  }

  // ---------------------------------------------------------------- heads

  /** The heads of a {@link HeadedBlock}, in order; empty for any other block. */
  public List<String> heads() {
    return block instanceof HeadedBlock hb ? hb.heads() : List.of();
  }

  /** The head forward applies; empty without heads. */
  public Optional<String> activeHead() {
    return block instanceof HeadedBlock hb ? hb.activeHead() : Optional.empty();
  }

  /**
   * Makes the named head the one {@link #forward} applies.
   *
   * @throws IllegalStateException if the block is not a {@link HeadedBlock}
   */
  public void useHead(String name) {
    checkOpen();
    headed("useHead").useHead(name);
  }

  /**
   * Puts a new head in place of the head called {@code name} (or adds it, if there is none) and
   * makes it the active head: for transferring a ticket to a task with other classes, or a
   * classifier after self-supervised pre-training. The head is initialized on the model's device
   * for the backbone's output at the input shape given to {@link #create}, and its weights are
   * drawn from {@code seed} (the same seed gives the same head). The old head's parameters are
   * freed.
   *
   * <p>The parameter list changes: masks keep the layers of parameters that are still there
   * (the backbone's), pruned weights stay pruned; frozen parameters stay frozen; the new head is
   * trainable. Snapshots taken before cannot be restored any more (their host copies can still
   * be loaded).
   *
   * <pre>{@code
   * model.replaceHead("fc", Linear.builder().setUnits(100).build(), 7);
   * // parameters: ..., fc_weight (100, 64) and fc_bias (100,) with head "fc"
   * }</pre>
   *
   * @param freshHead an uninitialized block, such as a new {@code Linear}
   * @throws IllegalStateException if the block is not a {@link HeadedBlock}
   * @throws IllegalArgumentException if the head is already initialized, its name is not
   *     letters and digits, its parameter names clash, or it does not fit the backbone's output
   */
  public void replaceHead(String name, Block freshHead, long seed) {
    checkOpen();
    HeadedBlock hb = headed("replaceHead");
    checkArgument(freshHead != null, "replaceHead %s: the new head must not be null", name);
    checkArgument(!freshHead.isInitialized(),
        "replaceHead %s: the new head is already initialized; pass a fresh block, its"
            + " parameters are created on the model's device", name);
    Shape[] features = hb.backbone().getOutputShapes(new Shape[] {inputShape()});
    Block old = hb.replaceHead(name, freshHead);
    try {
      freshHead.initialize(manager, dataType, features);
      Engine.getInstance().setRandomSeed(engineSeed(seed));
      try (NDManager tmp = manager.newSubManager()) {
        for (Parameter p : freshHead.getParameters().values()) {
          draw(p, tmp);
        }
      }
    } catch (RuntimeException e) {
      if (old != null) {
        hb.replaceHead(name, old);
      } else {
        hb.removeHead(name);
      }
      freeParameters(freshHead);
      throw new IllegalArgumentException(String.format(
          "replaceHead %s: the new head does not fit the backbone's output %s: %s", name,
          Arrays.toString(features), e.getMessage()), e);
    }
    hb.useHead(name);
    if (old != null) {
      freeParameters(old);
    }
    layoutChanged();
  }

  /**
   * Removes a head and frees its parameters (for example a SimCLR projection head). If it was
   * the active head, the first remaining head becomes active; with none left, {@link #forward}
   * returns the backbone's features. Masks, frozen parameters and snapshots are treated as in
   * {@link #replaceHead}. With no head left, nothing tells {@code ParameterSelectors.defaults()}
   * where the classifier is and it guesses as for a plain block (all but the last layer weight);
   * select explicitly, for example with {@code Models.defaultPrunable}.
   *
   * <pre>{@code
   * model.removeHead("projection");
   * NDList features = model.forward(images, false);
   * }</pre>
   *
   * @throws IllegalStateException if the block is not a {@link HeadedBlock}
   */
  public void removeHead(String name) {
    checkOpen();
    Block old = headed("removeHead").removeHead(name);
    freeParameters(old);
    layoutChanged();
  }

  /**
   * The backbone's output for {@code input}, computed in inference mode (BatchNorm uses its
   * running statistics, dropout is off) and detached from any gradient: the input of a linear
   * probe, computed once. The outputs belong to the manager of {@code input}.
   *
   * <pre>{@code
   * NDArray f = model.features(new NDList(images)).singletonOrThrow();   // (batch, 64) for ResNet-20
   * }</pre>
   *
   * @throws IllegalStateException if the block is not a {@link HeadedBlock}
   */
  public NDList features(NDList input) {
    checkOpen();
    NDList out = forward(headed("features").backbone(), input, false);
    NDList detached = new NDList(out.size());
    for (NDArray a : out) {
      detached.add(a.stopGradient());
    }
    return detached;
  }

  // ---------------------------------------------------------------- freezing

  /**
   * Freezes parameters: their arrays stop requiring gradients, so training computes no gradient
   * for them and an optimizer keeps no state for them. Masks still apply to them.
   *
   * <pre>{@code
   * model.freeze(List.of("conv1_weight", "bn1_gamma", "bn1_beta"));
   * }</pre>
   *
   * @throws IllegalArgumentException naming the first unknown parameter (nothing is frozen then)
   */
  public void freeze(Collection<String> parameterNames) {
    checkOpen();
    List<Entry> targets = parameterNames.stream().map(this::entry).toList();
    for (Entry e : targets) {
      if (e.parameter().requiresGradient()) {
        e.parameter().freeze(true);
        frozenHere.add(e.name());
      }
    }
  }

  /**
   * Gives gradients back to parameters frozen with {@link #freeze} or {@link #freezeBackbone}.
   * Parameters that never took gradients (BatchNorm's running statistics) stay as they are.
   *
   * @throws IllegalArgumentException naming the first unknown parameter (nothing is unfrozen
   *     then)
   */
  public void unfreeze(Collection<String> parameterNames) {
    checkOpen();
    List<Entry> targets = parameterNames.stream().map(this::entry).toList();
    for (Entry e : targets) {
      if (frozenHere.remove(e.name())) {
        e.parameter().freeze(false);
      }
    }
  }

  /** {@link #unfreeze} of every parameter, and the backbone trains in training mode again. */
  public void unfreezeAll() {
    unfreeze(List.copyOf(frozenHere));
    if (block instanceof HeadedBlock hb) {
      hb.setBackboneInference(false);
    }
  }

  /**
   * Freezes every backbone parameter and runs the backbone in inference mode even in training
   * passes, so its weights and BatchNorm statistics stay bit for bit what they are while the
   * heads train (a linear probe, or fine-tuning only the head).
   *
   * <pre>{@code
   * model.replaceHead("fc", Linear.builder().setUnits(100).build(), 7);
   * model.freezeBackbone();   // train: only fc_weight and fc_bias change
   * }</pre>
   *
   * @throws IllegalStateException if the block is not a {@link HeadedBlock}
   */
  public void freezeBackbone() {
    checkOpen();
    HeadedBlock hb = headed("freezeBackbone");
    freeze(backboneNames());
    hb.setBackboneInference(true);
  }

  /**
   * Undoes {@link #freezeBackbone}: backbone parameters take gradients again and the backbone
   * runs in training mode in training passes.
   *
   * @throws IllegalStateException if the block is not a {@link HeadedBlock}
   */
  public void unfreezeBackbone() {
    checkOpen();
    HeadedBlock hb = headed("unfreezeBackbone");
    unfreeze(backboneNames());
    hb.setBackboneInference(false);
  }

  /**
   * Whether the parameter takes no gradient: frozen through this model, or never trainable
   * (BatchNorm's running statistics).
   */
  public boolean isFrozen(String parameterName) {
    checkOpen();
    return !entry(parameterName).parameter().requiresGradient();
  }

  private List<String> backboneNames() {
    return infos.stream().filter(i -> !i.inHead()).map(ParameterInfo::name).toList();
  }

  private HeadedBlock headed(String operation) {
    if (block instanceof HeadedBlock hb) {
      return hb;
    }
    throw new IllegalStateException(operation + " needs a model whose block is a HeadedBlock"
        + " (a backbone with named heads, as Models builds); this model's block is a "
        + block.getClass().getSimpleName());
  }

  private static void freeParameters(Block b) {
    for (Parameter p : b.getParameters().values()) {
      p.close();
    }
  }

  /**
   * After a head change: reads the parameter list again, and forgets mask layers and frozen
   * marks of parameters that are gone (or were replaced by new ones of the same name).
   */
  private void layoutChanged() {
    Map<String, Entry> before = byName;
    readParameters();
    layout++;
    frozenHere.removeIf(name -> !sameParameter(before.get(name)));
    if (mask == null) {
      return;
    }
    List<String> stale = mask.layers().stream()
        .filter(layer -> !sameParameter(before.get(layer))).toList();
    if (stale.isEmpty()) {
      return;
    }
    Map<String, NDArray> arrays = new LinkedHashMap<>(maskArrays);
    Mask.Builder b = Mask.builder();
    for (String layer : mask.layers()) {
      if (stale.contains(layer)) {
        arrays.remove(layer).close();
      } else {
        b.putWords(layer, mask.shape(layer), mask.words(layer));
      }
    }
    maskArrays = Collections.unmodifiableMap(arrays);
    mask = arrays.isEmpty() ? null : b.build();
  }

  /** Whether {@code old} (an entry before a head change) is still a parameter of the model. */
  private boolean sameParameter(Entry old) {
    Entry now = old == null ? null : byName.get(old.name());
    return now != null && now.parameter() == old.parameter();
  }

  /**
   * On a GPU, scores {@link PruningCriteria.Magnitude} and {@link PruningCriteria.MagnitudeChange}
   * on the device and lets {@link Pruner} decide with the device kernel, so the weights never
   * travel to the host. On the CPU, and for other criteria, takes the host path of {@link
   * PrunableModel}: there the weights already sit in host memory and lth-core's radix selection
   * is far faster than a tensor sort. Both paths give the same mask.
   */
  @Override
  public Mask prune(PruningStep step) {
    checkOpen();
    if (device.isGpu() && isDeviceCriterion(step.criterion())) {
      return pruneOnDevice(step);
    }
    return PrunableModel.super.prune(step);
  }

  private static boolean isDeviceCriterion(PruningCriterion criterion) {
    return criterion instanceof PruningCriteria.Magnitude
        || criterion instanceof PruningCriteria.MagnitudeChange;
  }

  /** The device path of {@link #prune}, for built-in criteria on any device (tests use it on CPU). */
  Mask pruneOnDevice(PruningStep step) {
    checkOpen();
    checkArgument(isDeviceCriterion(step.criterion()), "criterion %s has no device path",
        step.criterion());
    try (NDManager tmp = manager.newSubManager()) {
      List<NDArray> scores = deviceScores(step, tmp);
      // magnitude: the kernel is given the weights and takes |w| once over all layers
      boolean magnitude = step.criterion() instanceof PruningCriteria.Magnitude;
      return Pruner.prune(step.current(), scores, step.scope(), step.schedule(), step.round(),
          magnitude ? DeviceSelection.magnitudesIn(tmp) : DeviceSelection.in(tmp));
    }
  }

  /**
   * The step's mask layers on the device, in mask order: the weights themselves for magnitude
   * (not copied; the kernel scores them), |w − w_ref| for magnitude change.
   */
  private List<NDArray> deviceScores(PruningStep step, NDManager tmp) {
    boolean change = step.criterion() instanceof PruningCriteria.MagnitudeChange;
    checkArgument(!change || step.reference() != null,
        "this criterion needs reference weights (θ₀), but the subnetwork has none");
    List<String> layers = step.current().layers();
    Map<String, NDArray> reference = change ? referenceArrays(step.reference(), layers, tmp)
        : Map.of();
    List<NDArray> scores = new ArrayList<>();
    for (String layer : layers) {
      Entry e = entry(layer);
      checkArgument(Arrays.equals(e.info().shape(), step.current().shape(layer)),
          "mask layer '%s' has shape %s, the model's parameter has %s", layer,
          Shapes.format(step.current().shape(layer)), Shapes.format(e.info().shape()));
      NDArray w = e.array();
      scores.add(change ? Temporaries.in(tmp, w.sub(reference.get(layer))).abs() : w);
    }
    return scores;
  }

  /** The DJL version, the engine with its version, and the device. */
  @Override
  public Map<String, String> provenance() {
    Engine engine = manager.getEngine();
    Map<String, String> p = new LinkedHashMap<>();
    p.put("djl", Engine.getDjlVersion());
    p.put("engine", engine.getEngineName() + " " + engine.getVersion());
    p.put("device", device.toString());
    return p;
  }

  /** Frees the parameters (if this model created them), masks and all snapshots. */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    if (maskManager != null) {
      maskManager.close();
    }
    if (ownedManager != null) {
      ownedManager.close();
    }
  }

  private Map<String, NDArray> referenceArrays(Snapshot ref, List<String> layers,
      NDManager tmp) {
    Map<String, NDArray> out = new LinkedHashMap<>();
    if (ref instanceof DeviceSnapshot s && s.owner == this && s.layout == layout) {
      checkState(!s.closed, "the reference snapshot was closed");
      for (String layer : layers) {
        out.put(layer, s.arrays.get(entry(layer).index()));
      }
      return out;
    }
    Weights w = ref.toWeights();
    for (String layer : layers) {
      checkArgument(w.contains(layer) && Arrays.equals(w.shape(layer), entry(layer).info().shape()),
          "layer %s: the reference weights lack it or have another shape", layer);
      out.put(layer, tmp.create(w.view(layer), new Shape(w.shape(layer)), DataType.FLOAT32));
    }
    return out;
  }

  /** Copies {@code src} into {@code target} in place, on the target's device. */
  private static void overwrite(NDArray target, NDArray src, NDManager tmp) {
    NDArray value = src;
    if (src.getDataType() != target.getDataType()) {
      value = Temporaries.in(tmp, src.toType(target.getDataType(), false));
    }
    if (!value.getDevice().equals(target.getDevice())) {
      value = Temporaries.in(tmp, value.toDevice(target.getDevice(), true));
    }
    target.set(new NDIndex("..."), value);
  }

  private float[] hostFloats(NDArray a) {
    if (a.getDataType() == DataType.FLOAT32) {
      return a.toFloatArray();
    }
    try (NDManager tmp = manager.newSubManager()) {
      return Temporaries.in(tmp, a.toType(DataType.FLOAT32, false)).toFloatArray();
    }
  }

  private Entry entry(String name) {
    Entry e = byName.get(name);
    checkArgument(e != null, "the model has no parameter '%s' (it has: %s)", name,
        byName.keySet());
    return e;
  }

  private void checkOpen() {
    checkState(!closed, "the model was closed; create a new DjlModel");
  }

  private static int engineSeed(long seed) {
    return Long.hashCode(seed);
  }

  /**
   * DJL's store without copies, which hands out the weight view's array in place of a viewed
   * parameter. DJL blocks fetch every parameter through {@link #getValue} inside their forward
   * pass, so this is the one place a view can enter for any block.
   */
  private static final class ViewingStore extends ParameterStore {
    /** DJL parameter id → model parameter name; the view speaks in model names. */
    Map<String, String> nameById = Map.of();
    WeightView view;
    /** Where the current forward pass keeps its temporaries; null outside {@code forward}. */
    NDManager scope;

    ViewingStore(NDManager manager) {
      super(manager, false);
    }

    @Override
    public NDArray getValue(Parameter parameter, Device device, boolean training) {
      NDArray live = super.getValue(parameter, device, training);
      if (view == null || live == null) {
        return live;
      }
      String name = nameById.get(parameter.getId());
      if (name == null) {
        return live;
      }
      checkState(scope != null, "a weight view is set on the model, so its blocks must run"
          + " through DjlModel.forward (the bare parameter store does not know where the view's"
          + " arrays belong); parameter %s", name);
      NDArray viewed = view.apply(name, live, scope);
      checkState(viewed != null, "the weight view returned no array for %s", name);
      return viewed;
    }
  }

  /** Device copies of all parameters, in a sub-manager of the model's manager. */
  private static final class DeviceSnapshot implements Snapshot {
    private final DjlModel owner;
    private final NDManager manager;
    private final List<NDArray> arrays;
    /** The parameters as they were when the snapshot was taken, in the order of arrays. */
    private final List<ParameterInfo> infos;
    private final int layout;
    private boolean closed;

    DeviceSnapshot(DjlModel owner, NDManager manager, List<NDArray> arrays,
        List<ParameterInfo> infos, int layout) {
      this.owner = owner;
      this.manager = manager;
      this.arrays = arrays;
      this.infos = infos;
      this.layout = layout;
    }

    @Override
    public Weights toWeights() {
      checkState(!closed, "the snapshot was closed; take a new one with snapshot()");
      Weights.Builder b = Weights.builder();
      for (int i = 0; i < infos.size(); i++) {
        b.putOwned(infos.get(i).name(), infos.get(i).shape(), owner.hostFloats(arrays.get(i)));
      }
      return b.build();
    }

    @Override
    public void close() {
      if (!closed) {
        closed = true;
        manager.close();
      }
    }
  }
}
