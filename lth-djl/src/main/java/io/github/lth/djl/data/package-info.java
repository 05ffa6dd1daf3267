/**
 * Data sets: IDX (MNIST format) files, the Debian Fashion-MNIST package, the embedded sample,
 * in-memory image sets with deterministic order and seeded validation splits, and the {@link
 * io.github.lth.djl.data.BatchSource}s a training loop batches from (images cached on the device,
 * or any DJL random-access data set).
 */
package io.github.lth.djl.data;
