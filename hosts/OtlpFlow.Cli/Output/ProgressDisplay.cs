using OtlpFlow.Engine.Pipeline;
using OtlpFlow.Hosting;

namespace OtlpFlow.Cli.Output;

/// <summary>
/// Shows a running pipeline's counters: on a terminal, one line redrawn in place; otherwise (a log
/// file, a CI job) a plain line every <see cref="CliEnvironment.ProgressInterval"/>.
/// </summary>
internal sealed class ProgressDisplay(CliEnvironment environment)
{
    /// <summary>Shows progress until <paramref name="stopToken"/> is cancelled; then erases the live line.</summary>
    public async Task RunAsync(RunningPipeline pipeline, CancellationToken stopToken)
    {
        var operators = OperatorReport.For(pipeline);
        var time = environment.TimeProvider;
        var started = time.GetTimestamp();
        var live = environment.IsTerminal;
        var output = environment.Out;
        var drawn = 0;
        using var timer = new PeriodicTimer(live ? environment.LiveInterval : environment.ProgressInterval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stopToken).ConfigureAwait(false))
            {
                var line = CounterText.Line(time.GetElapsedTime(started), operators);
                if (live)
                {
                    // '\r' only returns to the start of the terminal row: a line wider than the
                    // terminal would wrap and leave its head behind, so cut it to fit.
                    var width = Math.Max(20, environment.TerminalWidth() - 1);
                    line = line.Length > width ? line[..(width - 3)] + "..." : line;
                    output.Write("\r" + line.PadRight(drawn));
                    drawn = line.Length;
                }
                else
                {
                    output.WriteLine(line);
                }

                output.Flush();
            }
        }
        catch (OperationCanceledException) when (stopToken.IsCancellationRequested)
        {
            // The run is over.
        }
        finally
        {
            if (drawn > 0)
            {
                // The summary table replaces the live line.
                output.Write("\r" + new string(' ', drawn) + "\r");
                output.Flush();
            }
        }
    }
}
