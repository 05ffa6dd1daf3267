/**
 * Reference architectures of the lottery-ticket papers as DJL blocks whose parameters carry
 * readable names ({@code fc1_weight}, {@code stage2_block0_conv1_weight}), so masks saved as
 * .npz are keyed by names a reader recognises: LeNet-300-100, Conv-2/4/6, ResNet-20. Each is a
 * {@link io.github.lth.djl.models.HeadedBlock} (a backbone and a classifier head) with the
 * paper's prunable set as a preset; {@link io.github.lth.djl.models.FeatureCache} holds a
 * backbone's features of a data set for linear probes.
 */
package io.github.lth.djl.models;
