package io.github.lth.djl.internal;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.github.lth.djl.data.ImageDataset;
import java.nio.ByteBuffer;

/**
 * An {@link ImageDataset} copied to a device once: images as float32 in {@code [0, 1]}
 * (optionally normalised with one mean and standard deviation), labels as int64. Batches are
 * gathered on the device by index, so training never copies a batch from the host. The public
 * face of this cache is {@link io.github.lth.djl.data.ImageBatches}.
 */
public final class DeviceImages implements AutoCloseable {
  private final NDManager manager;
  private final NDArray images;
  private final NDArray labels;
  private final int size;

  private DeviceImages(NDManager manager, NDArray images, NDArray labels, int size) {
    this.manager = manager;
    this.images = images;
    this.labels = labels;
    this.size = size;
  }

  /** Copies {@code data} to {@code device}; {@code std} 0 means no normalisation. */
  public static DeviceImages upload(ImageDataset data, Device device, float mean, float std) {
    return upload(data, device, mean, std, null, null);
  }

  /**
   * Copies {@code data} to {@code device}, normalising channel {@code c} as {@code (x − mean[c])
   * / std[c]} after scaling to {@code [0, 1]}. The caller has checked the arrays (one positive
   * finite std and one finite mean per channel).
   */
  public static DeviceImages upload(ImageDataset data, Device device, float[] mean,
      float[] std) {
    return upload(data, device, 0, 0, mean, std);
  }

  private static DeviceImages upload(ImageDataset data, Device device, float mean, float std,
      float[] means, float[] stds) {
    NDManager m = NDManager.newBaseManager(device);
    try {
      Shape shape = new Shape(data.size(), data.channels(), data.height(), data.width());
      byte[] pixels = data.pixels();
      ByteBuffer buffer = m.allocateDirect(pixels.length);
      buffer.put(pixels).rewind();
      NDArray raw = m.create(buffer, shape, DataType.UINT8);
      NDArray images = raw.toType(DataType.FLOAT32, false).divi(255f);
      raw.close();
      if (std != 0) {
        images.subi(mean).divi(std);
      }
      if (means != null) {
        Shape perChannel = new Shape(1, data.channels(), 1, 1);
        try (NDArray m0 = m.create(means, perChannel); NDArray s0 = m.create(stds, perChannel)) {
          images.subi(m0).divi(s0);
        }
      }
      int[] l = data.labels();
      long[] wide = new long[l.length];
      for (int i = 0; i < l.length; i++) {
        wide[i] = l[i];
      }
      NDArray labels = m.create(wide);
      return new DeviceImages(m, images, labels, data.size());
    } catch (RuntimeException e) {
      m.close();
      throw e;
    }
  }

  public int size() {
    return size;
  }

  /** The images at the int64 indices {@code index}, attached to {@code batch}. */
  public NDArray images(NDArray index, NDManager batch) {
    return Temporaries.in(batch, images.get(index));
  }

  /** The labels at the int64 indices {@code index}, attached to {@code batch}. */
  public NDArray labels(NDArray index, NDManager batch) {
    return Temporaries.in(batch, labels.get(index));
  }

  /** Images {@code [from, to)} in stored order, attached to {@code batch}. */
  public NDArray images(long from, long to, NDManager batch) {
    return Temporaries.in(batch, images.get(from + ":" + to));
  }

  /** Labels {@code [from, to)} in stored order, attached to {@code batch}. */
  public NDArray labels(long from, long to, NDManager batch) {
    return Temporaries.in(batch, labels.get(from + ":" + to));
  }

  /** False once closed: the device copies are freed. */
  public boolean isOpen() {
    return manager.isOpen();
  }

  @Override
  public void close() {
    manager.close();
  }
}
