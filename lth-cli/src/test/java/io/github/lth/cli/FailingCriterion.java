package io.github.lth.cli;

import io.github.lth.core.Scores;
import io.github.lth.core.Subnetwork;
import io.github.lth.core.prune.PruningCriterion;

/** A user criterion with a bug, to check that unexpected failures exit with 1. */
public final class FailingCriterion implements PruningCriterion {

  @Override
  public Scores score(Subnetwork s) {
    throw new IllegalStateException("scoring table not initialised");
  }
}
