package io.github.lth.core;

import com.google.common.collect.ImmutableList;
import io.github.lth.core.branch.Control;
import java.nio.file.Path;

/**
 * What a branch of a run holds after {@link Branch#run}: every round it has trained (also those
 * of earlier invocations), by round index.
 *
 * <pre>{@code
 * BranchResult r = Branch.builder().setRunDirectory(dir).setControl(new Control.Reinit())
 *     .build().run(model, task);
 * r.rounds().forEach(round -> System.out.println(round.index() + " " + round.metrics()));
 * }</pre>
 *
 * @param name the branch's directory name under {@code runs/X/branches/}
 * @param control the control the branch trains
 * @param directory the branch directory
 * @param rounds the branch's rounds, ascending; each index is the run round it comes from
 * @param trainedNow the indices of the rounds this invocation trained (the rest were stored)
 */
public record BranchResult(String name, Control control, Path directory,
    ImmutableList<Round> rounds, ImmutableList<Integer> trainedNow) {}
