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
 * time, and the global threshold is an exact selection kernel ({@code select}). The JMH
 * benchmarks in lth-benchmarks measured ND4J's sort-based threshold at about 100 times slower
 * than the plain-Java kernel on ResNet-50-sized inputs, and ND4J's .npz reader rejected bool and
 * big-endian arrays and read truncated files without an error, so lth-core does not depend on
 * ND4J (lth-benchmarks keeps it as a peer).
 */
package io.github.lth.core;
