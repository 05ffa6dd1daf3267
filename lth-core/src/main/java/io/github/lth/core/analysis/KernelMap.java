package io.github.lth.core.analysis;

import static com.google.common.base.Preconditions.checkArgument;

import io.github.lth.core.Mask;
import io.github.lth.core.Shapes;
import java.util.Objects;

/**
 * Which kernels of a convolution weight {@code [out, in, kh, kw]} a mask prunes entirely, keeps
 * entirely or keeps in part: the data behind the kernel-level figures of the lottery-ticket
 * papers, and what {@link MaskPlots#kernelHeatMap} draws (one cell per kernel, output channels as
 * rows, input channels as columns).
 *
 * <p>A kernel with no weights (a zero-sized {@code kh} or {@code kw}) counts as pruned, as in
 * {@link Mask#kernels(String)}, so {@code count(PRUNED)} equals {@code zeroKernels()} there.
 *
 * <pre>{@code
 * KernelMap map = KernelMap.of(mask, "features.0.weight");
 * if (map.state(3, 0) == KernelMap.State.PRUNED) { ... }
 * System.out.printf("%d of %d kernels fully pruned%n", map.count(KernelMap.State.PRUNED),
 *     map.outChannels() * map.inChannels());
 * }</pre>
 */
public final class KernelMap {

  /** What a mask leaves of one kernel {@code [out, in, :, :]}. */
  public enum State {
    /** Every weight of the kernel is pruned. */
    PRUNED,
    /** Some weights of the kernel are kept, some pruned. */
    PARTIAL,
    /** Every weight of the kernel is kept. */
    KEPT
  }

  private static final State[] STATES = State.values();

  private final String layer;
  private final int outChannels;
  private final int inChannels;
  private final long kernelSize;
  /** State ordinals, row-major: index {@code out * inChannels + in}. */
  private final byte[] states;
  private final long[] counts = new long[STATES.length];

  private KernelMap(String layer, int outChannels, int inChannels, long kernelSize,
      byte[] states) {
    this.layer = layer;
    this.outChannels = outChannels;
    this.inChannels = inChannels;
    this.kernelSize = kernelSize;
    this.states = states;
    for (byte s : states) {
      counts[s]++;
    }
  }

  /**
   * The kernel map of a rank-4 layer of {@code mask}.
   *
   * @throws IllegalArgumentException if the mask has no such layer or its rank is not 4
   */
  public static KernelMap of(Mask mask, String layer) {
    long[] shape = mask.shape(layer);
    checkArgument(shape.length == 4, "layer %s has shape %s: a kernel map needs a rank-4"
        + " convolution weight [out, in, kh, kw]", layer, Shapes.format(shape));
    // a zero-sized kernel makes the layer empty however many channels it has, so the shape
    // check of the mask does not bound the grid; it must still fit one array
    checkArgument(shape[0] == 0 || shape[1] <= (Integer.MAX_VALUE - 8) / shape[0],
        "layer %s has shape %s: too many kernels for a kernel map", layer,
        Shapes.format(shape));
    long cells = shape[0] * shape[1];
    long kernelSize = shape[2] * shape[3];
    long[] words = mask.words(layer);
    byte[] states = new byte[(int) cells];
    for (int j = 0; j < states.length; j++) {
      long start = j * kernelSize;
      long kept = countBits(words, start, start + kernelSize);
      // PRUNED is tested first so that an empty kernel is pruned, as Mask.kernels counts it
      State s = kept == 0 ? State.PRUNED : kept == kernelSize ? State.KEPT : State.PARTIAL;
      states[j] = (byte) s.ordinal();
    }
    return new KernelMap(layer, (int) shape[0], (int) shape[1], kernelSize, states);
  }

  /** The layer this map describes. */
  public String layer() {
    return layer;
  }

  /** Number of output channels: the rows of the map. */
  public int outChannels() {
    return outChannels;
  }

  /** Number of input channels: the columns of the map. */
  public int inChannels() {
    return inChannels;
  }

  /** Weights per kernel ({@code kh * kw}). */
  public long kernelSize() {
    return kernelSize;
  }

  /** The state of kernel {@code [out, in, :, :]}. */
  public State state(int out, int in) {
    Objects.checkIndex(out, outChannels);
    Objects.checkIndex(in, inChannels);
    return STATES[states[out * inChannels + in]];
  }

  /** Number of kernels in the given state. */
  public long count(State state) {
    return counts[state.ordinal()];
  }

  @Override
  public String toString() {
    return "KernelMap[" + layer + ", " + outChannels + "x" + inChannels + ", pruned "
        + count(State.PRUNED) + ", partial " + count(State.PARTIAL) + ", kept "
        + count(State.KEPT) + "]";
  }

  /** Number of set bits in {@code [from, to)} of words in {@link java.util.BitSet} layout. */
  static long countBits(long[] words, long from, long to) {
    if (from >= to) {
      return 0;
    }
    int first = (int) (from >>> 6);
    int last = (int) ((to - 1) >>> 6);
    long firstMask = -1L << from;                    // the shift uses from & 63
    long lastMask = -1L >>> (63 - ((to - 1) & 63));  // bits 0 .. (to - 1) & 63
    if (first == last) {
      return Long.bitCount(words[first] & firstMask & lastMask);
    }
    long n = Long.bitCount(words[first] & firstMask);
    for (int w = first + 1; w < last; w++) {
      n += Long.bitCount(words[w]);
    }
    return n + Long.bitCount(words[last] & lastMask);
  }
}
