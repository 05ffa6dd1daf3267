package io.github.lth.djl.ssl;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.dataset.Batch;
import io.github.lth.djl.train.EvaluationData;
import java.util.Map;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

class ViewRetrievalTest {

  /** Evaluation data of one batch holding {@code images}. */
  private static EvaluationData oneBatch(NDManager manager, float[][] images) {
    return new EvaluationData() {
      @Override
      public int size() {
        return images.length;
      }

      @Override
      public NDManager manager() {
        return manager;
      }

      @Override
      public void forEach(Consumer<Batch> action) {
        try (NDManager scope = manager.newSubManager()) {
          NDArray x = scope.create(images).reshape(images.length, 1, 1, images[0].length);
          action.accept(new Batch(scope, new NDList(x), new NDList(), images.length, null, null,
              0, 1));
        }
      }
    };
  }

  private static Map<String, Double> retrieval(float[][] images, int group) {
    try (NDManager manager = NDManager.newBaseManager()) {
      // without views the two views of an image are the image itself: every image finds its
      // partner unless another image in its group is the same
      return ViewRetrieval.evaluate(null, oneBatch(manager, images), Views.none(), group,
          (model, x) -> x.reshape(x.getShape().get(0), -1), Double.NaN).asMap();
    }
  }

  private static final float[][] IMAGES = {
      {1, 0, 0}, {0, 1, 0}, {1, 0, 0}, {0, 0, 1}, {1, 1, 0}};

  @Test
  void groupsOfTwoNeverHoldTheTwinsAndSkipTheLoneLastImage() {
    // groups {0, 1}, {2, 3}, {4}: the last is skipped, 8 anchors, all hits
    assertThat(retrieval(IMAGES, 2)).containsExactly(Map.entry("retrieval_accuracy", 1.0));
  }

  @Test
  void twinsInOneGroupTieAndATieIsAMiss() {
    // groups {0, 1, 2}, {3, 4}: images 0 and 2 are the same, so their 4 views tie with each
    // other's partner and miss; 2 of the first group's 6 anchors hit, all 4 of the second
    assertThat(retrieval(IMAGES, 3).get("retrieval_accuracy")).isEqualTo(6.0 / 10);
  }

  @Test
  void oneGroupOfAllRanksAmongEveryone() {
    assertThat(retrieval(IMAGES, 5).get("retrieval_accuracy")).isEqualTo(6.0 / 10);
    assertThat(ViewRetrieval.evaluationBatchSize(60)).isEqualTo(960);
    assertThat(ViewRetrieval.evaluationBatchSize(1500)).isEqualTo(1500);
  }

  @Test
  void theLossIsReportedWhenATemperatureIsGiven() {
    try (NDManager manager = NDManager.newBaseManager()) {
      Map<String, Double> m = ViewRetrieval.evaluate(null, oneBatch(manager, IMAGES),
          Views.none(), 2, (model, x) -> x.reshape(x.getShape().get(0), -1), 0.5).asMap();
      assertThat(m).containsKeys("retrieval_accuracy", "nt_xent_loss");
      assertThat(m.get("nt_xent_loss")).isPositive().isFinite();
    }
  }
}
