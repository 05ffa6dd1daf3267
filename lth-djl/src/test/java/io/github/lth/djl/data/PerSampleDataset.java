package io.github.lth.djl.data;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.dataset.RandomAccessDataset;
import ai.djl.training.dataset.Record;
import ai.djl.util.Progress;
import java.nio.ByteBuffer;

/**
 * A random-access data set that is not an ArrayDataset: every record is built on request from an
 * {@link ImageDataset} on the host, scaled and normalised with the same array operations as the
 * device cache, so its batches can be compared with {@link ImageBatches} bit for bit.
 */
final class PerSampleDataset extends RandomAccessDataset {
  private final ImageDataset images;
  private final byte[] allPixels;
  private final float mean;
  private final float std;
  private final long claimedSize;
  int reads;

  private PerSampleDataset(Builder b) {
    super(b);
    this.images = b.images;
    this.allPixels = b.images.pixels();
    this.mean = b.mean;
    this.std = b.std;
    this.claimedSize = b.claimedSize;
  }

  static PerSampleDataset of(ImageDataset images, float mean, float std) {
    Builder b = new Builder();
    b.images = images;
    b.mean = mean;
    b.std = std;
    b.claimedSize = images.size();
    return b.setSampling(32, false).build();
  }

  /** Claims a size it cannot serve, to test the size checks. */
  static PerSampleDataset claimingSize(ImageDataset images, long size) {
    Builder b = new Builder();
    b.images = images;
    b.claimedSize = size;
    return b.setSampling(32, false).build();
  }

  @Override
  public Record get(NDManager manager, long index) {
    reads++;
    int i = Math.toIntExact(index);
    int per = images.imageSize();
    byte[] pixels = new byte[per];
    System.arraycopy(allPixels, i * per, pixels, 0, per);
    ByteBuffer buffer = manager.allocateDirect(per);
    buffer.put(pixels).rewind();
    NDArray raw = manager.create(buffer,
        new Shape(images.channels(), images.height(), images.width()), DataType.UINT8);
    NDArray x = raw.toType(DataType.FLOAT32, false).divi(255f);
    if (std != 0) {
      x.subi(mean).divi(std);
    }
    return new Record(new NDList(x), new NDList(manager.create((long) images.label(i))));
  }

  @Override
  protected long availableSize() {
    return claimedSize;
  }

  @Override
  public void prepare(Progress progress) {}

  static final class Builder extends BaseBuilder<Builder> {
    ImageDataset images;
    float mean;
    float std;
    long claimedSize;

    @Override
    protected Builder self() {
      return this;
    }

    PerSampleDataset build() {
      return new PerSampleDataset(this);
    }
  }
}
