package io.github.lth.djl.ssl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class RotationsTest {
  private NDManager manager;

  @BeforeEach
  void open() {
    manager = NDManager.newBaseManager(Device.cpu());
  }

  @AfterEach
  void close() {
    manager.close();
  }

  /** Distinct values 0, 1, 2, … in row-major order: no rotation or flip maps it to itself. */
  private NDArray counting(long n, long c, long h, long w) {
    return manager.arange(0f, (float) (n * c * h * w)).reshape(n, c, h, w);
  }

  private NDArray random(long n, long c, long h, long w, long seed) {
    Random r = new Random(seed);
    float[] v = new float[(int) (n * c * h * w)];
    for (int i = 0; i < v.length; i++) {
      v[i] = (float) r.nextGaussian();
    }
    return manager.create(v, new Shape(n, c, h, w));
  }

  /** The pixel of {@code in} that one of quarterTurns' counter-clockwise turns puts at (i, j). */
  private static float expectedPixel(float[] in, int b, int ch, int c, int h, int w, int i, int j,
      int quarterTurns) {
    int plane = (b * c + ch) * h * w;
    switch (Math.floorMod(quarterTurns, 4)) {
      case 0:
        return in[plane + i * w + j];
      case 1:   // out[i][j] = in[j][W − 1 − i], as numpy.rot90
        return in[plane + j * w + (w - 1 - i)];
      case 2:   // out[i][j] = in[H − 1 − i][W − 1 − j]
        return in[plane + (h - 1 - i) * w + (w - 1 - j)];
      default:  // out[i][j] = in[H − 1 − j][i]
        return in[plane + (h - 1 - j) * w + i];
    }
  }

  private static void assertRotated(NDArray in, NDArray out, int quarterTurns) {
    long[] s = in.getShape().getShape();
    int n = (int) s[0];
    int c = (int) s[1];
    int h = (int) s[2];
    int w = (int) s[3];
    int outH = quarterTurns % 2 == 0 ? h : w;
    int outW = quarterTurns % 2 == 0 ? w : h;
    assertThat(out.getShape()).isEqualTo(new Shape(n, c, outH, outW));
    float[] x = in.toFloatArray();
    float[] y = out.toFloatArray();
    for (int b = 0; b < n; b++) {
      for (int ch = 0; ch < c; ch++) {
        for (int i = 0; i < outH; i++) {
          for (int j = 0; j < outW; j++) {
            assertThat(y[((b * c + ch) * outH + i) * outW + j])
                .as("turns %d at [%d, %d, %d, %d]", quarterTurns, b, ch, i, j)
                .isEqualTo(expectedPixel(x, b, ch, c, h, w, i, j, quarterTurns));
          }
        }
      }
    }
  }

  @Test
  void quarterTurnIsCounterClockwise() {
    // [[0 1 2] [3 4 5] [6 7 8]] turned left is [[2 5 8] [1 4 7] [0 3 6]]
    NDArray x = counting(1, 2, 3, 3);
    NDArray left = Rotations.rotate(x, 1);
    assertThat(left.get("0, 0").toFloatArray()).containsExactly(2, 5, 8, 1, 4, 7, 0, 3, 6);
    assertRotated(x, left, 1);
    assertRotated(counting(2, 1, 4, 4), Rotations.rotate(counting(2, 1, 4, 4), 1), 1);
  }

  @Test
  void everyTurnMatchesTheIndexFormula() {
    NDArray x = random(2, 3, 5, 5, 4);
    for (int k = -5; k <= 8; k++) {
      assertRotated(x, Rotations.rotate(x, k), Math.floorMod(k, 4));
    }
  }

  @Test
  void turningBackRestoresTheImagesExactly() {
    NDArray x = random(3, 2, 6, 6, 9);
    float[] original = x.toFloatArray();
    for (int k = -3; k <= 7; k++) {
      NDArray there = Rotations.rotate(x, k);
      assertThat(Rotations.rotate(there, 4 - k).toFloatArray()).containsExactly(original);
      assertThat(Rotations.rotate(there, -k).toFloatArray()).containsExactly(original);
    }
  }

  @Test
  void fullTurnsAreTheIdentityAsANewArray() {
    NDArray x = counting(1, 2, 3, 3);
    for (int k : new int[] {0, 4, -4, 400}) {
      NDArray same = Rotations.rotate(x, k);
      assertThat(same).isNotSameAs(x);
      assertThat(same.toFloatArray()).containsExactly(x.toFloatArray());
    }
  }

  @Test
  void otherDataTypesRotateToo() {
    NDArray x = counting(1, 1, 3, 3).toType(DataType.UINT8, false);
    NDArray left = Rotations.rotate(x, 1);
    assertThat(left.getDataType()).isEqualTo(DataType.UINT8);
    assertThat(left.toType(DataType.INT32, false).toIntArray())
        .containsExactly(2, 5, 8, 1, 4, 7, 0, 3, 6);
  }

  @Test
  void allRotationsStacksTheFourBlocksInOrder() {
    NDArray x = random(3, 2, 4, 4, 1);
    NDArray all = Rotations.allRotations(x);
    assertThat(all.getShape()).isEqualTo(new Shape(12, 2, 4, 4));
    assertThat(all.getManager()).isSameAs(manager);
    for (int r = 0; r < 4; r++) {
      NDArray block = all.get((3 * r) + ":" + (3 * r + 3));
      assertRotated(x, block, r);
    }
  }

  @Test
  void labelsAreBlocksOfZerosOnesTwosAndThrees() {
    NDArray labels = Rotations.rotationLabels(3, manager);
    assertThat(labels.getDataType()).isEqualTo(DataType.INT64);
    assertThat(labels.getShape()).isEqualTo(new Shape(12));
    assertThat(labels.toLongArray()).containsExactly(0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3);
    assertThat(Rotations.rotationLabels(1, manager).toLongArray()).containsExactly(0, 1, 2, 3);
    assertThat(Rotations.rotationLabels(0, manager).getShape()).isEqualTo(new Shape(0));
    assertThatThrownBy(() -> Rotations.rotationLabels(-1, manager))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("rotation labels need 0 <= n <= 536870911, got -1");
  }

  @Test
  void oddTurnsOfNonSquareImagesAreRefused() {
    NDArray wide = manager.zeros(new Shape(2, 1, 28, 32));
    for (int k : new int[] {1, 3, -1, 5}) {
      assertThatThrownBy(() -> Rotations.rotate(wide, k))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessage("rotation needs square images, got 28x32");
    }
    assertThatThrownBy(() -> Rotations.allRotations(wide))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("rotation needs square images, got 28x32");
  }

  @Test
  void halfTurnsOfNonSquareImagesAreAllowed() {
    NDArray x = counting(2, 2, 3, 5);
    assertRotated(x, Rotations.rotate(x, 2), 2);
    assertRotated(x, Rotations.rotate(x, -2), 2);
    assertRotated(x, Rotations.rotate(x, 4), 0);
  }

  @Test
  void onlyImageBatchesAreRotated() {
    NDArray single = manager.zeros(new Shape(1, 4, 4));
    assertThatThrownBy(() -> Rotations.rotate(single, 1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("rotation needs images [n, C, H, W], got (1, 4, 4)");
    assertThatThrownBy(() -> Rotations.allRotations(single))
        .hasMessage("rotation needs images [n, C, H, W], got (1, 4, 4)");
  }
}
