package io.github.lth.cli;

import io.github.lth.core.ImpListener;
import io.github.lth.core.Mask;
import io.github.lth.core.Round;
import io.github.lth.core.TrainingListener;
import io.github.lth.core.internal.KillPoints;
import io.github.lth.core.run.RunStore;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.util.Locale;
import java.util.function.DoubleSupplier;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/**
 * Shows one progress bar per IMP round (epoch and loss as its message) on standard error and a
 * line per finished round on standard output. It also names the {@link Phase} (training round
 * r, then preparing the next), so every command that trains through it says where memory ran
 * out.
 *
 * <pre>{@code
 * Imp.builder().addListener(new ProgressReporter(System.err, out, "accuracy", 500))
 * }</pre>
 */
final class ProgressReporter implements ImpListener {
  /** Reading the loss copies a scalar from the device; doing it every step would stall a GPU. */
  private static final int LOSS_EVERY = 20;

  private final PrintStream err;
  private final PrintWriter out;
  private final String metric;
  private final long stepsPerRound;
  private int rounds;
  private Double dense;

  /**
   * @param err where the bars go (a terminal stream: the bars redraw in place)
   * @param out where the per-round lines go
   * @param metric the metric to show per round
   * @param stepsPerRound the optimizer steps of one round (the bar's maximum)
   */
  ProgressReporter(PrintStream err, PrintWriter out, String metric, long stepsPerRound) {
    this.err = err;
    this.out = out;
    this.metric = metric;
    this.stepsPerRound = stepsPerRound;
  }

  @Override
  public void onRunStart(int rounds, int firstRound) {
    this.rounds = rounds;
    if (firstRound > 0) {
      out.printf("resuming after round %d%n", firstRound - 1);
      out.flush();
    }
  }

  @Override
  public TrainingListener onRoundStart(int round, Mask mask) {
    Phase.set("training round " + round + "/" + rounds);
    String task = String.format(Locale.ROOT, "round %d/%d %6.2f%%", round, rounds,
        100 * mask.sparsity());
    return new TrainingListener() {
      private ProgressBar bar;

      @Override
      public void onTrainingStart(int epochs, long stepsPerEpoch) {
        bar = new ProgressBarBuilder().setTaskName(task).setInitialMax(stepsPerRound)
            .setStyle(ProgressBarStyle.ASCII).setUpdateIntervalMillis(500)
            .setConsumer(new ConsoleProgressBarConsumer(err))
            .build();
      }

      @Override
      public void onStep(long step, int epoch, long batch, DoubleSupplier loss) {
        if (KillPoints.armed()) {
          KillPoints.reach(RunStore.roundDirectoryName(round) + " step " + step);
        }
        bar.stepTo(step);
        if (step % LOSS_EVERY == 0) {
          bar.setExtraMessage(String.format(Locale.ROOT, "epoch %d loss %.4f", epoch + 1,
              loss.getAsDouble()));
        }
      }

      @Override
      public void onTrainingEnd(long steps) {
        if (bar != null) {
          bar.stepTo(steps);
          bar.close();
        }
      }
    };
  }

  @Override
  public void onRoundEnd(Round round) {
    // IMP prunes next, sparse training loads the initial weights: both build the next round
    Phase.set(round.index() < rounds ? "preparing round " + (round.index() + 1) + "/" + rounds
        : "finishing the run");
    double v = round.metrics().get(metric);
    if (round.index() == 0) {
      dense = v;
    }
    out.printf(Locale.ROOT, "round %2d  sparsity %6.2f%%  %s %6.2f%%%s%n", round.index(),
        100 * round.sparsity(), metric, 100 * v, dense == null || round.index() == 0 ? ""
            : String.format(Locale.ROOT, "  (%+.2f vs dense)", 100 * (v - dense)));
    out.flush();
  }
}
