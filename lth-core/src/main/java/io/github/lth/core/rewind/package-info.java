/**
 * Where the surviving weights go back to after each pruning round: the initial weights, a late
 * rewind point (by step, epoch or fraction of training), pre-trained weights, a fresh random
 * initialization, or nowhere (fine-tuning).
 *
 * <pre>{@code
 * Rewind late = Rewinds.toStep(500);
 * Rewind spec = Rewinds.parse("fraction:0.05");
 * }</pre>
 */
package io.github.lth.core.rewind;
