using OtlpFlow.Engine.Operators;
using OtlpFlow.Hosting;

namespace OtlpFlow.Cli.Output;

/// <summary>
/// The table printed when a run ends: per operator, items in, out (for a sink: delivered), dropped
/// with their reasons, and failed batches.
/// </summary>
internal static class SummaryTable
{
    private static readonly string[] Headers = ["operator", "type", "kind", "in", "out", "dropped", "errors", "drop reasons"];

    // Numbers are right-aligned so that their digits line up.
    private static readonly bool[] RightAligned = [false, false, false, true, true, true, true, false];

    /// <summary>Writes the table.</summary>
    public static void Write(TextWriter output, IReadOnlyList<OperatorReport> operators)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(operators);
        var rows = new List<string[]> { Headers };
        foreach (var op in operators)
        {
            var c = op.Counters;
            var reasons = string.Join(", ", c.DroppedByReason
                .Where(p => p.Value > 0)
                .OrderBy(p => p.Key, StringComparer.Ordinal)
                .Select(p => $"{p.Key} {CounterText.Number(p.Value)}"));
            rows.Add(
            [
                op.Id,
                op.Type,
                KindName(op.Kind),
                op.Kind == OperatorKind.Source ? "-" : CounterText.Number(c.ItemsIn),
                CounterText.Number(c.ItemsOut),
                CounterText.Number(c.ItemsDropped),
                CounterText.Number(c.Errors),
                reasons,
            ]);
        }

        var widths = Enumerable.Range(0, Headers.Length).Select(i => rows.Max(r => r[i].Length)).ToArray();
        foreach (var row in rows)
        {
            var cells = row.Select((cell, i) => RightAligned[i] ? cell.PadLeft(widths[i]) : cell.PadRight(widths[i]));
            output.WriteLine(string.Join("  ", cells).TrimEnd());
        }
    }

    /// <summary>The kind as the pipeline docs write it.</summary>
    public static string KindName(OperatorKind kind) => kind switch
    {
        OperatorKind.Source => "source",
        OperatorKind.Sink => "sink",
        _ => "processor",
    };
}
