package io.github.lth.djl.ssl;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

/**
 * Quarter-turn rotations of image batches for rotation prediction (Gidaris et al. 2018): each
 * image is shown at 0°, 90°, 180° and 270° and a network learns to tell which. Rotations are
 * counter-clockwise, as {@code numpy.rot90(image, k, axes=(H, W))}: for one quarter turn of an
 * {@code H × W} image, {@code out[i][j] = in[j][W − 1 − i]}. They run on the images' device.
 *
 * <p>A quarter turn swaps height and width, so odd turns need square images (a batch mixing
 * shapes could not be stacked); half turns keep the shape and are allowed on any image.
 *
 * <pre>{@code
 * NDArray x = Rotations.allRotations(images);                      // [4n, C, H, W]
 * NDArray y = Rotations.rotationLabels(n, images.getManager());    // [4n]: 0…0 1…1 2…2 3…3
 * NDArray loss = ClassificationObjective.crossEntropy(net.forward(x), y).mean();
 * }</pre>
 */
public final class Rotations {
  /** The image plane of {@code [n, C, H, W]}; rotating from H towards W turns counter-clockwise. */
  private static final int[] PLANE = {2, 3};

  private Rotations() {}

  /**
   * The images turned {@code quarterTurns × 90°} counter-clockwise. Any integer works: it is
   * taken mod 4, so {@code −1} is a clockwise quarter turn and {@code 4} the identity.
   *
   * <pre>{@code
   * NDArray left = Rotations.rotate(images, 1);    // 90° counter-clockwise
   * NDArray back = Rotations.rotate(left, -1);     // equals images
   * }</pre>
   *
   * @param images {@code [n, C, H, W]}, any data type
   * @param quarterTurns the number of counter-clockwise quarter turns
   * @return a new array of the rotated images, of the same shape, attached to {@code images}'
   *     manager
   * @throws IllegalArgumentException if {@code images} is not 4-D, or the turn is odd and the
   *     images are not square
   */
  public static NDArray rotate(NDArray images, int quarterTurns) {
    int turns = Math.floorMod(quarterTurns, 4);
    checkImages(images, turns % 2 == 1);
    return images.rotate90(turns, PLANE);
  }

  /**
   * The batch followed by its three rotations: {@code [4n, C, H, W]} in blocks of {@code n}, at
   * 0°, 90°, 180° and 270° counter-clockwise, image order kept within each block. Block
   * {@code r} matches label {@code r} of {@link #rotationLabels(int, NDManager)}.
   *
   * <pre>{@code
   * NDArray x = Rotations.allRotations(images);   // x[n + k] is images[k] turned 90°
   * }</pre>
   *
   * @param images {@code [n, C, H, W]} with {@code H = W}
   * @return a new {@code [4n, C, H, W]} array attached to {@code images}' manager
   * @throws IllegalArgumentException if {@code images} is not 4-D or not square
   */
  public static NDArray allRotations(NDArray images) {
    checkImages(images, true);
    try (NDList turned = new NDList(rotate(images, 1), rotate(images, 2), rotate(images, 3))) {
      NDList blocks = new NDList(images);
      blocks.addAll(turned);
      return NDArrays.concat(blocks, 0);
    }
  }

  /**
   * The rotation labels of {@link #allRotations(NDArray)}: int64 {@code [4n]}, {@code n} zeros,
   * {@code n} ones, {@code n} twos and {@code n} threes; label {@code r} means {@code r} quarter
   * turns counter-clockwise.
   *
   * <pre>{@code
   * Rotations.rotationLabels(2, manager).toLongArray();   // {0, 0, 1, 1, 2, 2, 3, 3}
   * }</pre>
   *
   * @param n the number of images in the unrotated batch, zero or more
   * @param manager the manager (and so the device) of the labels
   * @return the labels, attached to {@code manager}
   * @throws IllegalArgumentException if {@code n} is negative or {@code 4n} overflows an int
   */
  public static NDArray rotationLabels(int n, NDManager manager) {
    if (n < 0 || n > Integer.MAX_VALUE / 4) {
      throw new IllegalArgumentException("rotation labels need 0 <= n <= "
          + Integer.MAX_VALUE / 4 + ", got " + n);
    }
    long[] labels = new long[4 * n];
    for (int i = 0; i < labels.length; i++) {
      labels[i] = i / n;
    }
    return manager.create(labels);
  }

  private static void checkImages(NDArray images, boolean square) {
    Shape shape = images.getShape();
    if (shape.dimension() != 4) {
      throw new IllegalArgumentException("rotation needs images [n, C, H, W], got " + shape);
    }
    if (square && shape.get(2) != shape.get(3)) {
      throw new IllegalArgumentException(
          "rotation needs square images, got " + shape.get(2) + "x" + shape.get(3));
    }
  }
}
