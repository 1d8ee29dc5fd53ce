using System.ComponentModel.DataAnnotations;

namespace OtlpFlow.Operators.Routing;

/// <summary>
/// Passive health: a target whose batches keep failing is taken out of rotation for a while,
/// learned from the acknowledgements of what was sent to it (the <c>ejection</c> options).
/// </summary>
public sealed class OutlierEjectionOptions
{
    /// <summary>Failed batches in a row that eject a target; 0 never ejects. Default 5.</summary>
    [Range(0, 1_000_000)]
    public int ConsecutiveFailures { get; set; } = 5;

    /// <summary>How long an ejected target stays out before it gets data again. Default <c>30s</c>.</summary>
    public TimeSpan EjectFor { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The largest share of targets (percent) ejected at once; the rest keep receiving. Default 50.</summary>
    [Range(0, 100)]
    public int MaxEjectedPercent { get; set; } = 50;
}
