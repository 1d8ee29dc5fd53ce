using System.Globalization;
using OtlpFlow.Hosting.Monitoring;

namespace OtlpFlow.Cli.Top;

/// <summary>The table <c>otlpflow top</c> draws: a header line for the pipeline, then one row per operator.</summary>
internal static class TopTable
{
    private static readonly string[] Headers = ["operator", "type", "kind", "in/s", "out/s", "queue", "dropped", "errors", "latency", "in", "out"];

    // Numbers are right-aligned so that their digits line up.
    private static readonly bool[] RightAligned = [false, false, false, true, true, true, true, true, true, true, true];

    /// <summary>The lines for <paramref name="snapshot"/>.</summary>
    public static IReadOnlyList<string> Lines(PipelineSnapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        var memory = snapshot.MemoryLimitBytes > 0
            ? $"{Bytes(snapshot.InFlightBytes)} / {Bytes(snapshot.MemoryLimitBytes)}"
            : Bytes(snapshot.InFlightBytes);
        var lines = new List<string>
        {
            $"pipeline '{snapshot.Pipeline}'  {snapshot.State}  {snapshot.ElapsedSeconds.ToString("0.0", CultureInfo.InvariantCulture)}s  in flight {memory}",
            string.Empty,
        };

        var rows = new List<string[]> { Headers };
        foreach (var op in snapshot.Operators)
        {
            var source = op.Kind == "source";
            rows.Add(
            [
                op.Id,
                op.Type,
                op.Kind,
                source ? "-" : Rate(op.ItemsInPerSecond),
                Rate(op.ItemsOutPerSecond),
                source ? "-" : $"{op.QueueDepth}/{op.QueueCapacity}",
                Count(op.ItemsDropped),
                Count(op.Errors),
                op.LatencyMs is { } ms ? Milliseconds(ms) : "-",
                source ? "-" : Count(op.ItemsIn),
                Count(op.ItemsOut),
            ]);
        }

        var widths = Enumerable.Range(0, Headers.Length).Select(i => rows.Max(r => r[i].Length)).ToArray();
        foreach (var row in rows)
        {
            lines.Add(string.Join("  ", row.Select((cell, i) => RightAligned[i] ? cell.PadLeft(widths[i]) : cell.PadRight(widths[i]))).TrimEnd());
        }

        return lines;
    }

    /// <summary>A rate with a unit prefix: <c>950</c>, <c>12.3k</c>, <c>1.25M</c>.</summary>
    public static string Rate(double perSecond) => perSecond switch
    {
        >= 1e9 => (perSecond / 1e9).ToString("0.00", CultureInfo.InvariantCulture) + "G",
        >= 1e6 => (perSecond / 1e6).ToString("0.00", CultureInfo.InvariantCulture) + "M",
        >= 1e3 => (perSecond / 1e3).ToString("0.0", CultureInfo.InvariantCulture) + "k",
        _ => perSecond.ToString("0", CultureInfo.InvariantCulture),
    };

    /// <summary>A count with a unit prefix past a million: <c>123456</c>, <c>12.3M</c>.</summary>
    public static string Count(long count) => count >= 10_000_000 ? Rate(count) : count.ToString(CultureInfo.InvariantCulture);

    /// <summary>Milliseconds with precision that suits the size.</summary>
    public static string Milliseconds(double ms) =>
        ms.ToString(ms < 1 ? "0.000" : ms < 100 ? "0.0" : "0", CultureInfo.InvariantCulture) + "ms";

    /// <summary>Bytes in binary units.</summary>
    public static string Bytes(long bytes) => bytes switch
    {
        >= 1L << 30 => (bytes / (double)(1L << 30)).ToString("0.0", CultureInfo.InvariantCulture) + "GiB",
        >= 1L << 20 => (bytes / (double)(1L << 20)).ToString("0.0", CultureInfo.InvariantCulture) + "MiB",
        >= 1L << 10 => (bytes / (double)(1L << 10)).ToString("0.0", CultureInfo.InvariantCulture) + "KiB",
        _ => bytes.ToString(CultureInfo.InvariantCulture) + "B",
    };
}
