using System.Globalization;
using OtlpFlow.Engine.Operators;
using OtlpFlow.Hosting;

namespace OtlpFlow.Cli.Output;

/// <summary>How an operator's counters read in one line: <c>batch: in 1024 out 1024</c>.</summary>
internal static class CounterText
{
    /// <summary>
    /// The warning for an operator whose counters do not balance: it lost or made items without
    /// counting them (dropped or created).
    /// </summary>
    public static string Unbalanced(string id, Engine.Pipeline.OperatorCounters c)
    {
        ArgumentNullException.ThrowIfNull(c);
        return $"warning: operator '{id}' does not balance: {c.DescribeImbalance()}";
    }

    /// <summary>A number as the CLI prints it.</summary>
    public static string Number(long value) => value.ToString(CultureInfo.InvariantCulture);

    /// <summary>
    /// One operator: sources show what they sent, sinks what they delivered; drops and errors only
    /// when there are any, so a healthy pipeline reads short.
    /// </summary>
    public static string Describe(OperatorReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var c = report.Counters;
        var text = report.Kind switch
        {
            OperatorKind.Source => $"{report.Id}: out {Number(c.ItemsOut)}",
            OperatorKind.Sink => $"{report.Id}: in {Number(c.ItemsIn)} delivered {Number(c.ItemsOut)}",
            _ => $"{report.Id}: in {Number(c.ItemsIn)} out {Number(c.ItemsOut)}",
        };
        if (c.ItemsDropped > 0)
        {
            text += $" dropped {Number(c.ItemsDropped)}";
        }

        if (c.Errors > 0)
        {
            text += $" errors {Number(c.Errors)}";
        }

        return text;
    }

    /// <summary>Every operator on one line, after the elapsed time: <c>[2.0s] gen: out 1024 | dbg: in 1024 delivered 1024</c>.</summary>
    public static string Line(TimeSpan elapsed, IEnumerable<OperatorReport> operators) =>
        $"[{Seconds(elapsed)}] " + string.Join(" | ", operators.Select(Describe));

    /// <summary>Seconds with one decimal: <c>2.0s</c>.</summary>
    public static string Seconds(TimeSpan elapsed) =>
        elapsed.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture) + "s";
}
