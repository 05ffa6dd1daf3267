package io.github.lth.djl.ssl;

import static com.google.common.base.Preconditions.checkArgument;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import io.github.lth.djl.DjlModel;
import io.github.lth.djl.models.HeadedBlock;

/**
 * Forward passes through a chosen head rather than the active one: objectives with two heads
 * (S4L's classifier and rotation heads) run the backbone once and both heads on its features.
 */
final class HeadOutputs {
  private HeadOutputs() {}

  /** The backbone's output for {@code images}, with gradients when {@code training}. */
  static NDList features(DjlModel model, NDArray images, boolean training) {
    HeadedBlock block = headed(model);
    // a frozen backbone (linear probing) stays in inference mode, as HeadedBlock's forward keeps it
    return model.forward(block.backbone(), new NDList(images),
        training && !block.backboneInference());
  }

  /** The named head's output for the backbone's {@code features}. */
  static NDArray head(DjlModel model, String head, NDList features, boolean training) {
    return model.forward(headed(model).head(head), features, training).singletonOrThrow();
  }

  private static HeadedBlock headed(DjlModel model) {
    checkArgument(model.block() instanceof HeadedBlock,
        "self-supervised tasks need a model with declared heads (a HeadedBlock)");
    return (HeadedBlock) model.block();
  }
}
