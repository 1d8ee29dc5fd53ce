using System.Globalization;
using OtlpFlow.Cli.Top;
using OtlpFlow.Hosting.Monitoring;

namespace OtlpFlow.Cli.Perf;

/// <summary>The live line of a perf run: phase, time, current throughput and latency so far.</summary>
internal sealed class PerfProgress(CliEnvironment environment, TimeSpan warmup, TimeSpan duration)
{
    private int _drawn;

    /// <summary>Shows one sample: on a terminal the line is redrawn in place, otherwise printed.</summary>
    public void Show(PipelineSnapshot snapshot, bool measuring, LatencyHistogram latency)
    {
        var rate = snapshot.Operators.Where(o => o.Type == PerfGraph.GeneratorType).Sum(o => o.ItemsOutPerSecond);
        var elapsed = snapshot.ElapsedSeconds;
        var phase = measuring
            ? $"measuring {Seconds(elapsed - warmup.TotalSeconds)}/{Seconds(duration.TotalSeconds)}"
            : $"warming up {Seconds(elapsed)}/{Seconds(warmup.TotalSeconds)}";
        var line = $"[perf] {phase}  {TopTable.Rate(rate)} items/s";
        if (measuring && latency.Count > 0)
        {
            line += $"  p99 {TopTable.Milliseconds(latency.Percentile(0.99).TotalMilliseconds)}";
        }

        var output = environment.Out;
        if (environment.IsTerminal)
        {
            output.Write("\r" + line.PadRight(_drawn));
            _drawn = line.Length;
        }
        else
        {
            output.WriteLine(line);
        }

        output.Flush();
    }

    /// <summary>Erases the live line, so that the report starts on a clean line.</summary>
    public void Clear()
    {
        if (_drawn > 0)
        {
            environment.Out.Write("\r" + new string(' ', _drawn) + "\r");
            environment.Out.Flush();
            _drawn = 0;
        }
    }

    private static string Seconds(double seconds) => Math.Max(0, seconds).ToString("0.0", CultureInfo.InvariantCulture) + "s";
}
