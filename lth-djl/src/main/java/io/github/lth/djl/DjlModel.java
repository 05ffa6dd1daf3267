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
import io.github.lth.core.PruningCriteria;
import io.github.lth.core.PruningCriterion;
import io.github.lth.core.PruningStep;
import io.github.lth.core.Shapes;
import io.github.lth.core.Snapshot;
import io.github.lth.core.Weights;
import io.github.lth.djl.internal.DeviceSelection;
import io.github.lth.djl.internal.ParameterKinds;
import io.github.lth.djl.internal.Temporaries;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * A DJL {@link Block} seen as lth-core's {@link PrunableModel}: its parameters keep living on
 * the model's device, masks are uploaded there once and multiplied into the weights in place,
 * rewind points are device copies, and pruning by magnitude (or magnitude of change) is decided
 * on the device with exactly the counts and tie rules of lth-core's {@code Pruner}.
 *
 * <p>Parameter names are the keys of {@link Block#getParameters()} (for a
 * {@code SequentialBlock}: {@code 01Linear_weight}, ...). Kinds are inferred from DJL's
 * parameter type and rank: rank-2 weights are linear, rank 3–5 weights convolutions, gamma/beta
 * normalization, running statistics {@code OTHER}.
 *
 * <p>Everything native is held in the model's {@link NDManager} tree; {@link #close()} frees it.
 * Not thread-safe.
 *
 * <pre>{@code
 * SequentialBlock mlp = new SequentialBlock().add(Blocks.batchFlattenBlock())
 *     .add(Linear.builder().setUnits(300).build()).add(Activation::relu)
 *     .add(Linear.builder().setUnits(10).build());
 * try (DjlModel model = DjlModel.create(mlp, new Shape(1, 1, 28, 28), Devices.parse("auto"), 42)) {
 *   Mask mask = Mask.dense(...);
 *   model.applyMask(mask);
 *   try (Snapshot init = model.snapshot()) {
 *     // train, prune, model.restore(init), ...
 *   }
 * }
 * }</pre>
 */
public final class DjlModel implements PrunableModel, AutoCloseable {
  private final Block block;
  private final Device device;
  private final NDManager manager;
  private final NDManager ownedManager;
  private final List<Entry> entries;
  private final Map<String, Entry> byName;
  private final List<ParameterInfo> infos;
  private final ParameterStore store;
  private NDManager maskManager;
  private Mask mask;
  private Map<String, NDArray> maskArrays = Map.of();
  private boolean closed;

  private record Entry(int index, String name, Parameter parameter, ParameterInfo info) {
    NDArray array() {
      return parameter.getArray();
    }
  }

  private DjlModel(Block block, NDManager manager, NDManager ownedManager) {
    this.block = block;
    this.manager = manager;
    this.ownedManager = ownedManager;
    this.device = manager.getDevice();
    Set<String> embeddings = ParameterKinds.embeddingParameterIds(block);
    List<Entry> list = new ArrayList<>();
    Map<String, Entry> map = new LinkedHashMap<>();
    for (Pair<String, Parameter> p : block.getParameters()) {
      Parameter param = p.getValue();
      checkArgument(param.isInitialized(), "parameter %s of the block is not initialized",
          p.getKey());
      long[] shape = param.getArray().getShape().getShape();
      ParameterInfo info = new ParameterInfo(p.getKey(), shape,
          ParameterKinds.of(param, shape, embeddings.contains(param.getId())));
      Entry e = new Entry(list.size(), p.getKey(), param, info);
      checkArgument(map.put(e.name(), e) == null, "the block has two parameters named %s",
          e.name());
      list.add(e);
    }
    this.entries = List.copyOf(list);
    this.byName = Collections.unmodifiableMap(map);
    this.infos = list.stream().map(Entry::info).toList();
    this.store = new ParameterStore(manager, false);
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
      DjlModel model = new DjlModel(block, m, m);
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
    checkArgument(model.getBlock() != null, "model %s has no block", model.getName());
    return new DjlModel(model.getBlock(), model.getNDManager(), null);
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

  /** A parameter store that hands the block its parameters on this model's device. */
  public ParameterStore parameterStore() {
    return store;
  }

  /** Runs the block; the outputs belong to the manager of {@code inputs}. */
  public NDList forward(NDList inputs, boolean training) {
    checkOpen();
    return block.forward(store, inputs, training);
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
    return new DeviceSnapshot(this, sub, copies);
  }

  /**
   * Sets all parameters from a snapshot. A snapshot of this model is copied on the device;
   * any other snapshot is loaded from its host copy (names and shapes must fit).
   */
  @Override
  public void restore(Snapshot snapshot) {
    checkOpen();
    if (snapshot instanceof DeviceSnapshot s && s.owner == this) {
      checkState(!s.closed, "the snapshot was closed; take a new one with snapshot()");
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
        Parameter p = e.parameter();
        Initializer init = p.getInitializer() != null ? p.getInitializer()
            : p.getType().getInitializer();
        NDArray fresh = init.initialize(tmp, e.array().getShape(), e.array().getDataType());
        overwrite(e.array(), fresh, tmp);
      }
    }
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
      return Pruner.prune(step.current(), scores, step.scope(), step.schedule(), step.round(),
          DeviceSelection.in(tmp));
    }
  }

  /** |w| or |w − w_ref| of the step's mask layers, on the device, in mask order. */
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
      scores.add(change ? Temporaries.in(tmp, w.sub(reference.get(layer))).abs()
          : Temporaries.in(tmp, w.abs()));
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
    if (ref instanceof DeviceSnapshot s && s.owner == this) {
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

  /** Device copies of all parameters, in a sub-manager of the model's manager. */
  private static final class DeviceSnapshot implements Snapshot {
    private final DjlModel owner;
    private final NDManager manager;
    private final List<NDArray> arrays;
    private boolean closed;

    DeviceSnapshot(DjlModel owner, NDManager manager, List<NDArray> arrays) {
      this.owner = owner;
      this.manager = manager;
      this.arrays = arrays;
    }

    @Override
    public Weights toWeights() {
      checkState(!closed, "the snapshot was closed; take a new one with snapshot()");
      Weights.Builder b = Weights.builder();
      for (Entry e : owner.entries) {
        b.putOwned(e.name(), e.info().shape(), owner.hostFloats(arrays.get(e.index())));
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
