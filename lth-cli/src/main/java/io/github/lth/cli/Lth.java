package io.github.lth.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * The {@code lth} top-level command. Subcommands are listed in the {@code subcommands} attribute
 * below; adding one is a one-line change there.
 *
 * <pre>{@code
 * // in-process, as the tests do
 * CommandLine cli = Lth.commandLine();
 * int exit = cli.execute("compare", "a.npz", "b.npz");
 * }</pre>
 */
@Command(
    name = "lth",
    mixinStandardHelpOptions = true,
    versionProvider = VersionProvider.class,
    description = "Find, inspect and compare lottery-ticket subnetworks (binary masks over the"
        + " weights of a network, stored as .npz files numpy and PyTorch read directly).",
    subcommands = {
        MaskCommand.class,
        CompareCommand.class,
        ImpCommand.class,
        TrainCommand.class,
        BranchCommand.class,
        ReportCommand.class,
        TransferCommand.class,
        ReproduceCommand.class,
        ExportCommand.class,
        SweepCommand.class,
        CollectCommand.class,
        CommandLine.HelpCommand.class,
    },
    footer = {
        "",
        "Examples:",
        "  lth mask --weights w.npz --sparsity 0.8 --out m.npz",
        "  lth compare m_seed1.npz m_seed2.npz",
        "  lth imp --out runs/lenet && lth branch runs/lenet --control reinit",
        "  lth report runs/lenet",
        "  lth export runs/lenet --out lenet.lthc",
        "  lth sweep seeds.json --out sweeps/seeds && lth collect sweeps/seeds",
        "  lth help mask",
        "",
        "Exit codes: 0 success, 2 bad input or out of memory (one line on stderr), 1 unexpected"
            + " failure.",
    })
public final class Lth implements Runnable {

  @Spec
  CommandSpec spec;

  /** Runs the command line and exits the JVM with its exit code. */
  public static void main(String[] args) {
    System.exit(commandLine().execute(args));
  }

  /**
   * A fresh command line with lth's error handling: bad input or running out of memory gives one
   * line on standard error and exit code 2, an unexpected failure exit code 1.
   */
  public static CommandLine commandLine() {
    ErrorReporter reporter = new ErrorReporter();
    CommandLine cli = new CommandLine(new Lth())
        .setCaseInsensitiveEnumValuesAllowed(true)
        .setParameterExceptionHandler(reporter)
        .setExecutionExceptionHandler(reporter)
        .setExecutionStrategy(reporter);
    ImpCommand.addPresetsToHelp(cli.getSubcommands().get("imp").getCommandSpec());
    return cli;
  }

  @Override
  public void run() {
    throw new ParameterException(spec.commandLine(), "missing command (mask, compare, ...)");
  }
}
