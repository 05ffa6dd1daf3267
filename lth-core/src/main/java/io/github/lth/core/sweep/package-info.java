/**
 * Sweeps: a sweep file (one command, fixed settings, axes), its points (the product of the
 * axes, each one ordinary run), and the sweep directory that holds their runs and outcomes.
 */
package io.github.lth.core.sweep;
