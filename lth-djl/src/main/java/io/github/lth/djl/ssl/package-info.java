/**
 * Self-supervised objectives (SimCLR, Exemplar, NPID and the like) and their building blocks,
 * such as the augmented {@link io.github.lth.djl.ssl.Views} of image batches they train on.
 */
package io.github.lth.djl.ssl;
