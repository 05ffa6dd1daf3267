/**
 * The lth4j API: masks, weights and subnetworks, the models and tasks IMP works on, exact pruning
 * ({@link io.github.lth.core.Pruner}), and the IMP orchestrator, independent of any
 * deep-learning framework. The choices a run is made of live by concept: criteria, selectors and
 * scopes in {@code prune}, schedules in {@code schedule}, rewinds in {@code rewind}; the run
 * directory in {@code run}, file formats in {@code io}, and the selection kernels in {@code
 * select}.
 *
 * <pre>{@code
 * ImpResult r = Imp.run(model, task, PruningSchedules.imp(0.2, 0.9));
 * Mask ticket = r.sparsestWithin(0.01).mask();
 * }</pre>
 *
 * <p>The mask math is plain Java: masks are bit words, set algebra and counting run a word at a
 * time, the global threshold is an exact selection kernel ({@code select}) that reads |w| straight
 * from the weights for magnitude pruning, and {@link io.github.lth.core.Mask#applyTo} clears
 * pruned floats a mask byte at a time. lth-benchmarks measures every kernel (threshold, apply,
 * count, IoU) against ND4J and numpy in one run; ND4J was slower for each of them (its README
 * has the table), so ND4J is only an optional dependency, used by the INDArray interop in
 * {@code nd4j}. Weights larger than the heap are pruned by {@code scale.StreamingPruner}.
 */
package io.github.lth.core;
