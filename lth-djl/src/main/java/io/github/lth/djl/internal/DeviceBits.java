package io.github.lth.djl.internal;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.LongBuffer;
import java.util.List;

/**
 * Moves per-layer bit words ({@link java.util.BitSet} layout) between the host and a device
 * boolean vector, packed: eight elements per transferred byte instead of one, which is what
 * makes the transfers small next to the scores (25.5 M elements are 3.2 MB of bits).
 *
 * <p>The device vector is the layers' words laid end to end, so layer {@code l} starts at
 * element {@code 64 × (words of the layers before l)}: each layer is padded to a multiple of 64
 * elements. Bytes are little-endian within a word, so byte {@code b} of the concatenation holds
 * elements {@code 8b … 8b + 7}, lowest bit first.
 *
 * <pre>{@code
 * NDArray kept = DeviceBits.upload(tmp, eligibleWords, device);      // boolean, padded length
 * long[][] chosen = DeviceBits.download(picked, wordsPerLayer, device.isGpu());
 * }</pre>
 */
public final class DeviceBits {
  private DeviceBits() {}

  /** The words of all layers as one device boolean vector of {@code 64 × total words}. */
  public static NDArray upload(NDManager tmp, List<long[]> words, Device device) {
    int total = 0;
    for (long[] w : words) {
      total = Math.addExact(total, w.length);
    }
    ByteBuffer bytes = ByteBuffer.allocateDirect(Math.multiplyExact(total, 8))
        .order(ByteOrder.LITTLE_ENDIAN);
    LongBuffer longs = bytes.asLongBuffer();
    for (long[] w : words) {
      longs.put(w);
    }
    NDArray packed = tmp.create(bytes, new Shape(total * 8L), DataType.UINT8).toDevice(device,
        false);
    // a uint8 index would be read as a boolean mask, so index with int64
    NDArray index = packed.toType(DataType.INT64, false);
    NDArray table = tmp.create(byteTable(), new Shape(256, 8)).toDevice(device, false);
    return table.get(new NDIndex("{}", index)).reshape(total * 64L);
  }

  /**
   * The device booleans {@code bits} (length {@code 64 × Σ wordsPerLayer}) as words per layer.
   * On a GPU they are packed there and one eighth of the bytes cross the bus; the CPU engine's
   * arrays already are host memory, so there they are read as they are and packed in Java
   * (faster than a tensor product on the CPU engine).
   */
  public static long[][] download(NDArray bits, int[] wordsPerLayer, boolean packOnDevice) {
    LongBuffer longs = ByteBuffer.wrap(packOnDevice ? packed(bits) : packed(bits.toByteArray()))
        .order(ByteOrder.LITTLE_ENDIAN).asLongBuffer();
    long[][] out = new long[wordsPerLayer.length][];
    for (int l = 0; l < out.length; l++) {
      out[l] = new long[wordsPerLayer[l]];
      longs.get(out[l]);
    }
    return out;
  }

  /** Eight booleans a byte, on the device, then copied to the host. */
  private static byte[] packed(NDArray bits) {
    NDManager tmp = bits.getManager();
    long bytes = bits.size() / 8;
    NDArray weights = tmp.create(new float[] {1, 2, 4, 8, 16, 32, 64, 128}, new Shape(8, 1))
        .toDevice(bits.getDevice(), false);
    // a float product is exact (each byte is at most 255)
    return bits.toType(DataType.FLOAT32, false).reshape(bytes, 8).matMul(weights)
        .toType(DataType.UINT8, false).toByteArray();
  }

  /** Eight booleans (one byte each, 0 or 1) a byte, lowest bit first. */
  private static byte[] packed(byte[] booleans) {
    byte[] out = new byte[booleans.length / 8];
    for (int b = 0; b < out.length; b++) {
      int v = 0;
      for (int j = 0; j < 8; j++) {
        v |= (booleans[8 * b + j] & 1) << j;
      }
      out[b] = (byte) v;
    }
    return out;
  }

  /** Row {@code b}: the eight bits of byte {@code b}, lowest first. */
  private static boolean[] byteTable() {
    boolean[] t = new boolean[256 * 8];
    for (int b = 0; b < 256; b++) {
      for (int j = 0; j < 8; j++) {
        t[b * 8 + j] = (b >>> j & 1) == 1;
      }
    }
    return t;
  }
}
