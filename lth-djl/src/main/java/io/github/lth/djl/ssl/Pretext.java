package io.github.lth.djl.ssl;

import static com.google.common.base.Preconditions.checkArgument;

import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.nn.core.Linear;
import io.github.lth.djl.data.ImageDataset;
import io.github.lth.djl.models.HeadedBlock;
import io.github.lth.djl.models.NamedSequentialBlock;
import io.github.lth.djl.train.Objective;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * A self-supervised (or semi-supervised) pretext task and its settings: which objective trains
 * the backbone, which head it puts on the backbone, and the knobs the papers vary. Immutable;
 * the {@code with*} methods return changed copies.
 *
 * <ul>
 *   <li>{@link Kind#ROTNET} (Gidaris et al.): every image in its four rotations, a 4-way
 *       rotation classifier (head {@code rotation}); metric {@code rotation_accuracy}.
 *   <li>{@link Kind#SIMCLR} (Chen et al. 2020): two {@link Views} of every image, a two-layer
 *       projection head ({@code projection}: {@code 2d} hidden units, then {@code d}), NT-Xent
 *       with temperature τ (default 0.5); metric {@code retrieval_accuracy}.
 *   <li>{@link Kind#EXEMPLAR} (Dosovitskiy et al.): each training image and its views form one
 *       class, a classifier over all training images (head {@code exemplar}); metric
 *       {@code retrieval_accuracy} of the backbone features.
 *   <li>{@link Kind#NPID} (Wu et al.): a {@code d}-dimensional embedding head
 *       ({@code embedding}), a non-parametric softmax over a memory bank of every training
 *       image's normalized embedding with temperature τ (default 0.07), the bank updated with
 *       momentum (default 0.5); metric {@code retrieval_accuracy}.
 *   <li>{@link Kind#S4L} (Zhai et al., the rotation variant): the model's classifier trained on
 *       the labelled images plus the rotation loss on all images; the labelled images are a
 *       fraction of each class or the first fraction of the classes; metric {@code accuracy}.
 * </ul>
 *
 * <p>The pretext head is dense (it is declared as a head, so the default prunable set leaves it
 * out) and is dropped when a ticket transfers: the transfer puts a fresh classifier in its place.
 *
 * <pre>{@code
 * Pretext simclr = Pretext.parse("simclr").withTemperature(0.2);
 * HeadedBlock net = simclr.attachHead(Models.create("lenet300", 1, 28, 28, 10), train.size());
 * }</pre>
 */
public final class Pretext {

  /** The tasks. */
  public enum Kind {
    ROTNET, SIMCLR, EXEMPLAR, NPID, S4L;

    /** The lower-case name the command line and config.json use. */
    public String label() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  /** The names {@link #parse} accepts, in the order of {@link Kind}. */
  public static final List<String> NAMES =
      List.of("rotnet", "simclr", "exemplar", "npid", "s4l");

  /** Name of the rotation head (RotNet, S4L). */
  public static final String ROTATION_HEAD = "rotation";

  private final Kind kind;
  private final double temperature;
  private final int dimension;
  private final Views views;
  private final double momentum;
  private final double labelled;
  private final boolean labelledByClass;

  private Pretext(Kind kind, double temperature, int dimension, Views views, double momentum,
      double labelled, boolean labelledByClass) {
    this.kind = kind;
    this.temperature = temperature;
    this.dimension = dimension;
    this.views = views;
    this.momentum = momentum;
    this.labelled = labelled;
    this.labelledByClass = labelledByClass;
  }

  /**
   * The task called {@code name} with its defaults: SimCLR τ 0.5 and a 64-dimensional
   * projection; NPID τ 0.07, 128 dimensions, momentum 0.5; S4L 10 % of each class labelled;
   * SimCLR, Exemplar and NPID train on {@link Views#defaults()}.
   *
   * @throws IllegalArgumentException for an unknown name, listing the known ones
   */
  public static Pretext parse(String name) {
    String n = name == null ? "" : name.trim().toLowerCase(Locale.ROOT);
    checkArgument(NAMES.contains(n), "task: unknown self-supervised task '%s' (known: %s)", name,
        String.join(", ", NAMES));
    Kind kind = Kind.valueOf(n.toUpperCase(Locale.ROOT));
    return switch (kind) {
      case ROTNET -> new Pretext(kind, Double.NaN, 0, Views.none(), Double.NaN, Double.NaN,
          false);
      case SIMCLR -> new Pretext(kind, 0.5, 64, Views.defaults(), Double.NaN, Double.NaN, false);
      case EXEMPLAR -> new Pretext(kind, Double.NaN, 0, Views.defaults(), Double.NaN,
          Double.NaN, false);
      case NPID -> new Pretext(kind, 0.07, 128, Views.defaults(), 0.5, Double.NaN, false);
      case S4L -> new Pretext(kind, Double.NaN, 0, Views.none(), Double.NaN, 0.1, false);
    };
  }

  public Kind kind() {
    return kind;
  }

  /** {@code rotnet}, {@code simclr}, ... */
  public String name() {
    return kind.label();
  }

  /**
   * The softmax temperature τ of SimCLR's NT-Xent or NPID's non-parametric softmax.
   *
   * <pre>{@code
   * Pretext sharp = Pretext.parse("simclr").withTemperature(0.1);   // Chen et al.'s ablation
   * }</pre>
   *
   * @throws IllegalArgumentException if τ is not positive and finite, or the task has none
   */
  public Pretext withTemperature(double tau) {
    checkArgument(kind == Kind.SIMCLR || kind == Kind.NPID,
        "temperature: applies to simclr and npid, not %s", name());
    checkArgument(tau > 0 && Double.isFinite(tau), "temperature must be positive: %s", tau);
    return new Pretext(kind, tau, dimension, views, momentum, labelled, labelledByClass);
  }

  /**
   * The output dimension of SimCLR's projection or NPID's embedding.
   *
   * <pre>{@code
   * Pretext small = Pretext.parse("npid").withEmbeddingDimension(32);
   * }</pre>
   *
   * @throws IllegalArgumentException if it is not positive, or the task has none
   */
  public Pretext withEmbeddingDimension(int d) {
    checkArgument(kind == Kind.SIMCLR || kind == Kind.NPID,
        "embedding dimension: applies to simclr and npid, not %s", name());
    checkArgument(d > 0, "embedding dimension must be positive: %s", d);
    return new Pretext(kind, temperature, d, views, momentum, labelled, labelledByClass);
  }

  /**
   * The views SimCLR, Exemplar and NPID train on.
   *
   * <pre>{@code
   * Pretext gentle = Pretext.parse("simclr").withViews(Views.parse("crop:0.6,flip"));
   * }</pre>
   *
   * @throws IllegalArgumentException if the task takes no views (RotNet, S4L)
   */
  public Pretext withViews(Views v) {
    checkArgument(kind == Kind.SIMCLR || kind == Kind.EXEMPLAR || kind == Kind.NPID,
        "views: apply to simclr, exemplar and npid, not %s", name());
    checkArgument(v != null, "views must not be null");
    return new Pretext(kind, temperature, dimension, v, momentum, labelled, labelledByClass);
  }

  /**
   * NPID's memory-bank momentum m: a bank row becomes the normalized {@code m·row + (1 − m)·f}.
   *
   * <pre>{@code
   * Pretext slow = Pretext.parse("npid").withMemoryMomentum(0.9);
   * }</pre>
   *
   * @throws IllegalArgumentException unless {@code 0 <= m < 1}, or the task is not NPID
   */
  public Pretext withMemoryMomentum(double m) {
    checkArgument(kind == Kind.NPID, "memory-bank momentum: applies to npid, not %s", name());
    checkArgument(m >= 0 && m < 1, "memory-bank momentum must be in [0, 1): %s", m);
    return new Pretext(kind, temperature, dimension, views, m, labelled, labelledByClass);
  }

  /**
   * S4L's labelled images: {@code fraction} of each class's training images (seeded,
   * stratified) or, with {@code byClass}, all images of the first {@code fraction} of the
   * classes (Caron et al. §4.3 vary both).
   *
   * <pre>{@code
   * Pretext fewLabels = Pretext.parse("s4l").withLabelled(0.01, false);   // 1 % per class
   * }</pre>
   *
   * @throws IllegalArgumentException unless {@code 0 < fraction <= 1}, or the task is not S4L
   */
  public Pretext withLabelled(double fraction, boolean byClass) {
    checkArgument(kind == Kind.S4L, "labelled fraction: applies to s4l, not %s", name());
    checkArgument(fraction > 0 && fraction <= 1, "labelled fraction must be in (0, 1]: %s",
        fraction);
    return new Pretext(kind, temperature, dimension, views, momentum, fraction, byClass);
  }

  /** SimCLR's or NPID's softmax temperature; NaN for the other tasks. */
  public double temperature() {
    return temperature;
  }

  /** SimCLR's projection or NPID's embedding size; 0 for the other tasks. */
  public int embeddingDimension() {
    return dimension;
  }

  /** The views the task trains on; {@link Views#none()} for RotNet and S4L. */
  public Views views() {
    return views;
  }

  /** NPID's memory-bank momentum; NaN for the other tasks. */
  public double memoryMomentum() {
    return momentum;
  }

  /** S4L's labelled fraction (of each class's images, or of the classes); NaN otherwise. */
  public double labelledFraction() {
    return labelled;
  }

  /** Whether S4L's labelled fraction counts classes rather than images per class. */
  public boolean labelledByClass() {
    return labelledByClass;
  }

  /** Whether the task rotates images, which needs square images. */
  public boolean rotates() {
    return kind == Kind.ROTNET || kind == Kind.S4L;
  }

  /** The metric selection uses, without split prefix. */
  public String primaryMetric() {
    return switch (kind) {
      case ROTNET -> "rotation_accuracy";
      case S4L -> "accuracy";
      default -> "retrieval_accuracy";
    };
  }

  /** The task's settings for config.json: its name and the knobs it has, nothing else. */
  public Map<String, Object> settings() {
    Map<String, Object> s = new LinkedHashMap<>();
    s.put("task", name());
    switch (kind) {
      case SIMCLR -> {
        s.put("temperature", temperature);
        s.put("dimension", dimension);
        s.put("views", views.spec());
      }
      case EXEMPLAR -> s.put("views", views.spec());
      case NPID -> {
        s.put("temperature", temperature);
        s.put("dimension", dimension);
        s.put("views", views.spec());
        s.put("memory_momentum", momentum);
      }
      case S4L -> {
        s.put("labelled", labelled);
        s.put("labelled_by", labelledByClass ? "classes" : "images");
      }
      default -> { }
    }
    return s;
  }

  /**
   * The pretext {@link #settings()} describes, for reading a run's config.json back; keys that
   * are not a pretext's are ignored, a knob missing keeps the task's default.
   *
   * <pre>{@code
   * Pretext same = Pretext.fromSettings(pretext.settings());   // equals pretext
   * }</pre>
   *
   * @param settings {@code task} and the knobs, numbers as {@link Number}s
   * @throws IllegalArgumentException for an unknown task, a knob the task does not have, or a
   *     value out of range or of the wrong kind
   */
  public static Pretext fromSettings(Map<String, ?> settings) {
    Pretext p = parse(String.valueOf(settings.get("task")));
    if (settings.containsKey("temperature")) {
      p = p.withTemperature(number(settings, "temperature"));
    }
    if (settings.containsKey("dimension")) {
      p = p.withEmbeddingDimension((int) number(settings, "dimension"));
    }
    if (settings.containsKey("views")) {
      p = p.withViews(Views.parse(String.valueOf(settings.get("views"))));
    }
    if (settings.containsKey("memory_momentum")) {
      p = p.withMemoryMomentum(number(settings, "memory_momentum"));
    }
    if (settings.containsKey("labelled")) {
      p = p.withLabelled(number(settings, "labelled"),
          "classes".equals(settings.get("labelled_by")));
    }
    return p;
  }

  private static double number(Map<String, ?> settings, String key) {
    Object v = settings.get(key);
    checkArgument(v instanceof Number, "%s: not a number: %s", key, v);
    return ((Number) v).doubleValue();
  }

  /**
   * Puts this task's head on a model: RotNet, SimCLR, Exemplar and NPID replace the model's
   * classifier (its one head) with theirs; S4L keeps the classifier, which stays active, and adds
   * the rotation head.
   *
   * @param model a model from {@code Models.create} (one head, not yet initialized)
   * @param trainingImages how many images the task trains on (Exemplar has one class per image)
   * @return {@code model}
   */
  public HeadedBlock attachHead(HeadedBlock model, int trainingImages) {
    checkArgument(model.heads().size() == 1, "the model must have exactly one head (its"
        + " classifier) to attach the %s head to; it has %s", name(), model.heads());
    String classifier = model.heads().get(0);
    switch (kind) {
      case ROTNET -> swap(model, classifier, ROTATION_HEAD, linear(4));
      case SIMCLR -> swap(model, classifier, "projection", new NamedSequentialBlock()
          .add("fc1", linear(2 * dimension))
          .add("relu", Activation::relu)
          .add("fc2", linear(dimension)));
      case EXEMPLAR -> swap(model, classifier, "exemplar", linear(trainingImages));
      case NPID -> swap(model, classifier, "embedding", linear(dimension));
      case S4L -> model.addHead(ROTATION_HEAD, linear(4)).useHead(classifier);
    }
    return model;
  }

  /**
   * The objective of this task for the training images {@code train} (in the order the indexed
   * training data has them).
   *
   * @param seed draws S4L's labelled images
   * @param batchSize the training batch size: the retrieval metric ranks within groups of it
   */
  Objective objective(ImageDataset train, long seed, int batchSize) {
    return switch (kind) {
      case ROTNET -> new RotationObjective();
      case SIMCLR -> new SimclrObjective(views, temperature, batchSize);
      case EXEMPLAR -> new ExemplarObjective(views, batchSize);
      case NPID -> new NpidObjective(views, temperature, momentum, dimension, train.size(),
          batchSize);
      case S4L -> new SemiSupervisedRotationObjective(labelledLabels(train, seed));
    };
  }

  /** The training labels S4L sees: the label of a labelled image, −1 for the others. */
  int[] labelledLabels(ImageDataset train, long seed) {
    int[] labels = train.labels();
    if (labelledByClass) {
      long kept = Math.max(1, Math.round(labelled * train.classes()));
      for (int i = 0; i < labels.length; i++) {
        if (labels[i] >= kept) {
          labels[i] = -1;
        }
      }
    } else {
      boolean[] keep = train.fractionPerClassMask(labelled, seed);
      for (int i = 0; i < labels.length; i++) {
        if (!keep[i]) {
          labels[i] = -1;
        }
      }
    }
    return labels;
  }

  private static void swap(HeadedBlock model, String classifier, String name, Block head) {
    model.removeHead(classifier);
    model.addHead(name, head);
  }

  private static Block linear(int units) {
    return Linear.builder().setUnits(units).build();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Pretext p && settings().equals(p.settings());
  }

  @Override
  public int hashCode() {
    return Objects.hash(settings());
  }

  @Override
  public String toString() {
    return settings().toString();
  }
}
