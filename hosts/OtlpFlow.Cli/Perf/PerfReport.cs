using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using OtlpFlow.Cli.Top;

namespace OtlpFlow.Cli.Perf;

/// <summary>Writes a <see cref="PerfResult"/> for a person, and says how it is written as JSON.</summary>
internal static class PerfReport
{
    /// <summary>camelCase names, indented, nulls left out (read-only).</summary>
    public static JsonSerializerOptions JsonOptions { get; } = CreateJsonOptions();

    /// <summary>Writes the report.</summary>
    public static void Write(TextWriter output, PerfResult result)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(result);
        var l = result.LatencyMs;
        var gc = result.Gc;
        output.WriteLine($"perf '{result.Pipeline}': measured {Number(result.DurationSeconds, "0.0")}s after {Number(result.WarmupSeconds, "0.0")}s of warm-up ({result.Machine.ProcessorCount} CPUs, {result.Machine.Runtime}, {result.Machine.Configuration})");
        output.WriteLine($"  throughput  {TopTable.Rate(result.ItemsPerSecond)} items/s  {Number(result.MegabytesPerSecond, "0.0")} MB/s  {TopTable.Rate(result.BatchesPerSecond)} batches/s  delivered {TopTable.Rate(result.DeliveredPerSecond)} items/s");
        output.WriteLine($"  latency     p50 {Ms(l.P50)}  p90 {Ms(l.P90)}  p99 {Ms(l.P99)}  p99.9 {Ms(l.P999)}  max {Ms(l.Max)}  ({l.Samples} batches)");
        var reasons = result.DroppedByReason.Count == 0 ? string.Empty
            : "  " + string.Join(", ", result.DroppedByReason.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key} {p.Value}"));
        output.WriteLine($"  dropped     {result.Dropped} of {result.ItemsGenerated} ({Number(result.DropRatio * 100, "0.###")}%){reasons}");
        foreach (var line in result.Unbalanced)
        {
            output.WriteLine($"  {line}");
        }
        var limit = result.MemoryLimitBytes is { } bytes
            ? $" of memoryLimit {TopTable.Bytes(bytes)} ({Number((double)result.PeakMemoryBytes / bytes, "0.00")}x)"
            : string.Empty;
        var guard = result.MemoryLimitBytes is null ? string.Empty : $"  forced gcs {result.ForcedCollections}  refused {result.RefusedReservations}";
        output.WriteLine($"  memory      peak working set {TopTable.Bytes(result.PeakMemoryBytes)}{limit}  peak in flight {TopTable.Bytes(result.PeakInFlightBytes)}{guard}");
        foreach (var op in result.Operators.Where(o => o.PeakHeldItems is not null))
        {
            output.WriteLine($"  held        {op.Id}: peak {op.PeakHeldItems} items in {TopTable.Bytes(op.PeakHeldBytes ?? 0)}");
        }

        output.WriteLine($"  gc          gen0 {gc.Gen0}  gen1 {gc.Gen1}  gen2 {gc.Gen2}  allocated {TopTable.Bytes(gc.AllocatedBytes)}  paused {Number(gc.PauseMs, "0")}ms ({Number(result.GcPauseRatio * 100, "0.0")}% of the window)");
        output.WriteLine();

        string[] headers = ["operator", "type", "kind", "in/s", "out/s", "queue avg", "queue peak", "latency", "dropped"];
        var rows = new List<string[]> { headers };
        foreach (var op in result.Operators)
        {
            var source = op.Kind == "source";
            rows.Add(
            [
                op.Id,
                op.Type,
                op.Kind,
                source ? "-" : TopTable.Rate(op.ItemsInPerSecond),
                TopTable.Rate(op.ItemsOutPerSecond),
                source ? "-" : Percent(op.QueueFillAverage),
                source ? "-" : Percent(op.QueueFillPeak),
                op.LatencyMs is { } ms ? TopTable.Milliseconds(ms) : "-",
                op.Dropped.ToString(CultureInfo.InvariantCulture),
            ]);
        }

        var widths = Enumerable.Range(0, headers.Length).Select(i => rows.Max(r => r[i].Length)).ToArray();
        foreach (var row in rows)
        {
            output.WriteLine(string.Join("  ", row.Select((cell, i) => i < 3 ? cell.PadRight(widths[i]) : cell.PadLeft(widths[i]))).TrimEnd());
        }

        if (result.Expectations.Count > 0)
        {
            output.WriteLine();
            output.WriteLine("expectations:");
            foreach (var e in result.Expectations)
            {
                var comparison = e.Name.StartsWith("min", StringComparison.Ordinal) ? ">=" : "<=";
                var size = e.Name == "maxPeakWorkingSet";
                var expected = size ? TopTable.Bytes((long)e.Expected) : Number(e.Expected, "0.###");
                var actual = size ? TopTable.Bytes((long)e.Actual) : Number(e.Actual, "0.###");
                output.WriteLine($"  {(e.Met ? "ok  " : "FAIL")}  {e.Name} {comparison} {expected}: measured {actual}");
            }
        }

        output.WriteLine();
        output.WriteLine(result.Passed ? "perf: passed" : "perf: FAILED");
    }

    private static JsonSerializerOptions CreateJsonOptions()
    {
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web)
        {
            WriteIndented = true,
            DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        };
        options.MakeReadOnly(populateMissingResolver: true);
        return options;
    }

    private static string Ms(double ms) => TopTable.Milliseconds(ms);

    private static string Percent(double fraction) => (fraction * 100).ToString("0", CultureInfo.InvariantCulture) + "%";

    private static string Number(double value, string format) => value.ToString(format, CultureInfo.InvariantCulture);
}
