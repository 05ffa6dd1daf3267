/**
 * Transfer of tickets to a target task: full fine-tuning with the ticket's mask fixed and a
 * fresh head sized to the target ({@link Transfer#fineTune}), and a linear probe on the frozen
 * sparse backbone with features computed once ({@link LinearProbe}).
 */
package io.github.lth.djl.transfer;
