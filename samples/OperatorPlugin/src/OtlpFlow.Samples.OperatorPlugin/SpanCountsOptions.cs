using System.ComponentModel.DataAnnotations;

namespace OtlpFlow.Samples.OperatorPlugin;

/// <summary>Options of <c>sample.spanCounts</c>.</summary>
public sealed class SpanCountsOptions
{
    /// <summary>How often the counts are emitted on the <c>metrics</c> port, from 1ms to 1 day; default 10s.</summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "1.00:00:00")]
    public TimeSpan Window { get; set; } = TimeSpan.FromSeconds(10);
}
