package io.github.lth.core.io;

import com.google.common.io.ByteStreams;
import com.google.common.io.CountingOutputStream;
import io.github.lth.core.Mask;
import io.github.lth.core.Weights;
import java.io.IOException;
import java.util.zip.GZIPOutputStream;

/**
 * How many bytes a pruned network takes on disk: as the dense float32 .npz {@link WeightsIO}
 * writes (pruned weights stored as zeros), as that .npz gzipped at the default level, and as
 * {@link CompactWeights} {@code .lthc}. The compact size per masked weight is the number to set
 * against (1 − s)·32 + 1 bits.
 *
 * <pre>{@code
 * ExportSizes s = ExportSizes.of(run.trainedWeights(3), run.round(3).mask());
 * System.out.printf("%d -> %d bytes, %.2f bits per weight%n", s.denseBytes(), s.compactBytes(),
 *     s.compactBitsPerMaskedWeight());
 * }</pre>
 *
 * @param maskedWeights weights the mask covers
 * @param keptWeights weights the mask keeps
 * @param denseBytes the .npz of the masked weights
 * @param gzipBytes that .npz through gzip at the default level
 * @param compactBytes the whole .lthc file
 * @param compactMaskedBytes the .lthc records of the masked tensors, their headers included
 */
public record ExportSizes(long maskedWeights, long keptWeights, long denseBytes, long gzipBytes,
    long compactBytes, long compactMaskedBytes) {

  /**
   * Measures {@code weights} with {@code mask} applied; nothing is written to disk.
   *
   * @throws IllegalArgumentException if a mask layer is not among the weights or has another
   *     shape
   */
  public static ExportSizes of(Weights weights, Mask mask) throws IOException {
    long compact = CompactWeights.size(weights, mask);
    long compactMasked = 0;
    for (String layer : mask.layers()) {
      compactMasked += CompactWeights.recordBytes(layer, weights.shape(layer), mask);
    }
    CountingOutputStream gzipped = new CountingOutputStream(ByteStreams.nullOutputStream());
    CountingOutputStream dense;
    try (GZIPOutputStream gzip = new GZIPOutputStream(gzipped, ArrayData.CHUNK)) {
      // the dense .npz bytes are counted on their way into gzip
      dense = new CountingOutputStream(gzip);
      Npz.write(dense, WeightsIO.entries(weights.masked(mask)), false);
    }
    return new ExportSizes(mask.size(), mask.kept(), dense.getCount(), gzipped.getCount(),
        compact, compactMasked);
  }

  /** Fraction of the masked weights that are pruned. */
  public double sparsity() {
    return maskedWeights == 0 ? 0 : (double) (maskedWeights - keptWeights) / maskedWeights;
  }

  /** Bits of the masked tensors' .lthc records per masked weight. */
  public double compactBitsPerMaskedWeight() {
    return maskedWeights == 0 ? 0 : 8.0 * compactMaskedBytes / maskedWeights;
  }

  /**
   * (1 − s)·32 + 1: the bits per masked weight of a kept value each plus one mask bit, which
   * {@link #compactBitsPerMaskedWeight} exceeds only by the record headers.
   */
  public double idealBitsPerMaskedWeight() {
    return (1 - sparsity()) * 32 + 1;
  }
}
