/**
 * How sparse the subnetwork becomes round by round: IMP's fixed rate, explicit sparsities, one
 * shot, or gradual (Zhu &amp; Gupta) schedules, and the exact number of weights each round keeps.
 *
 * <pre>{@code
 * PruningSchedule imp = PruningSchedules.imp(0.2, 0.9);   // 20.00, 36.00, ..., 89.26 %
 * int rounds = imp.rounds();                              // 10
 * }</pre>
 */
package io.github.lth.core.schedule;
