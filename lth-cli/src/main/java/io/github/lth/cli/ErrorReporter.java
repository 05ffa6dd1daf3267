package io.github.lth.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import picocli.CommandLine;
import picocli.CommandLine.IExecutionExceptionHandler;
import picocli.CommandLine.IParameterExceptionHandler;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParseResult;
import picocli.CommandLine.UnmatchedArgumentException;

/**
 * Turns every failure into one line on standard error, prefixed by the command that failed.
 * Bad input (picocli parse errors, {@link IllegalArgumentException}, I/O errors on the user's
 * files) exits with 2; anything else is a bug or an environment problem and exits with 1. A
 * library message names its parameter in words; {@link FlagNames} puts the command's flag for
 * it in front.
 *
 * <pre>{@code
 * new CommandLine(new Lth()).setParameterExceptionHandler(reporter)
 *     .setExecutionExceptionHandler(reporter);
 * // prints e.g.:  lth mask: --sparsity must be in [0, 1): 1.0
 * //               lth imp: --lr: learning rate must be positive: 0.0
 * }</pre>
 */
final class ErrorReporter implements IParameterExceptionHandler, IExecutionExceptionHandler {

  /** Exit code for bad input. */
  static final int BAD_INPUT = CommandLine.ExitCode.USAGE;

  /** Exit code for unexpected failures. */
  static final int FAILURE = CommandLine.ExitCode.SOFTWARE;

  @Override
  public int handleParseException(ParameterException ex, String[] args) {
    CommandLine cl = ex.getCommandLine();
    String name = cl.getCommandSpec().qualifiedName();
    String hint = "";
    if (ex instanceof UnmatchedArgumentException unmatched
        && !unmatched.getSuggestions().isEmpty()) {
      hint = "; did you mean " + String.join(" or ", unmatched.getSuggestions()) + "?";
    }
    print(cl, name + ": " + oneLine(ex.getMessage()) + hint + " (see '" + name + " --help')");
    return BAD_INPUT;
  }

  @Override
  public int handleExecutionException(Exception ex, CommandLine cl, ParseResult parseResult) {
    String name = cl.getCommandSpec().qualifiedName();
    if (isBadInput(ex)) {
      String message = ex.getMessage() != null ? ex.getMessage() : String.valueOf(ex);
      print(cl, name + ": " + oneLine(FlagNames.mention(cl.getCommandSpec(), message)));
      return BAD_INPUT;
    }
    print(cl, name + ": unexpected failure: " + oneLine(String.valueOf(ex)));
    return FAILURE;
  }

  private static boolean isBadInput(Exception ex) {
    return ex instanceof IllegalArgumentException
        || ex instanceof IOException
        || ex instanceof UncheckedIOException;
  }

  private static void print(CommandLine cl, String line) {
    PrintWriter err = cl.getErr();
    err.println(line);
    err.flush();
  }

  /** Library messages sometimes span lines; the contract is one line per error. */
  static String oneLine(String message) {
    if (message == null || message.isBlank()) {
      return "(no message)";
    }
    return message.strip().replaceAll("\\s*[\\r\\n]+\\s*", " ");
  }
}
