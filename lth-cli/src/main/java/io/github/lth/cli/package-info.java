/**
 * The {@code lth} command line: one picocli command class per subcommand, registered in
 * {@link io.github.lth.cli.Lth}. Every bad input ends as one line on standard error, prefixed by
 * the command ({@code lth mask: ...}), with exit code 2; nothing is written before all input is
 * validated.
 *
 * <pre>{@code
 * int exit = Lth.commandLine().execute("mask", "--weights", "w.npz", "--sparsity", "0.8",
 *     "--out", "m.npz");
 * }</pre>
 */
package io.github.lth.cli;
