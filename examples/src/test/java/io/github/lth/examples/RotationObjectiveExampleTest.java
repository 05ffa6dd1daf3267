package io.github.lth.examples;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RotationObjectiveExampleTest {

  @TempDir
  Path dir;

  @Test
  void rotationsAreExactQuarterTurnsWithTheirLabels() {
    try (NDManager m = NDManager.newBaseManager()) {
      // one 1x2x2 image [[1, 2], [3, 4]]
      NDArray image = m.create(new float[] {1, 2, 3, 4}, new Shape(1, 1, 2, 2));
      NDList r = RotationObjectiveExample.RotationPrediction.rotateFourWays(image);
      float[] all = r.get(0).toFloatArray();
      // each turn is a quarter turn of the previous one, and four turns are the identity
      float[][] turns = {
          {all[0], all[1], all[2], all[3]}, {all[4], all[5], all[6], all[7]},
          {all[8], all[9], all[10], all[11]}, {all[12], all[13], all[14], all[15]}};
      assertThat(turns[0]).containsExactly(1, 2, 3, 4);
      for (int k = 0; k < 4; k++) {
        assertThat(quarterTurn(turns[k])).containsExactly(turns[(k + 1) % 4]);
      }
      assertThat(turns[2]).containsExactly(4, 3, 2, 1);
      assertThat(r.get(1).getDataType()).isEqualTo(DataType.INT64);
      assertThat(r.get(1).toLongArray()).containsExactly(0, 1, 2, 3);
    }
  }

  /** A clockwise quarter turn of a 2x2 image in plain Java: out[i][j] = in[n-1-j][i]. */
  private static float[] quarterTurn(float[] x) {
    return new float[] {x[2], x[0], x[3], x[1]};
  }

  @Test
  void runsImpWithTheUsersObjectiveOnTheEmbeddedData() throws IOException {
    Path run = dir.resolve("rotation");
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    PrintStream original = System.out;
    System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
    try {
      RotationObjectiveExample.main(new String[] {run.toString(), "150"});
    } finally {
      System.setOut(original);
    }
    String out = captured.toString(StandardCharsets.UTF_8);
    assertThat(out).contains("round 0: 0.00% sparse").contains("round 1: 50.00% sparse")
        .contains("round 2: 75.00% sparse");
    JsonObject r2 = JsonParser.parseString(Files.readString(run.resolve("round-02/metrics.json")))
        .getAsJsonObject();
    double accuracy = r2.getAsJsonObject("metrics").get("val_rotation_accuracy").getAsDouble();
    // chance is 25 %; 150 steps of a small MLP learn rotations of clothing far better
    assertThat(accuracy).isGreaterThan(0.6);
    assertThat(Files.readString(run.resolve("results.csv"))).contains("val_rotation_accuracy")
        .contains("test_rotation_accuracy");
  }
}
