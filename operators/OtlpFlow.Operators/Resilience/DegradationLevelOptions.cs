using System.ComponentModel.DataAnnotations;
using OtlpFlow.Engine.Telemetry;

namespace OtlpFlow.Operators.Resilience;

/// <summary>
/// One level of <c>resilience.degradation</c>: when it is entered and left, and what it does. Only
/// the current level's actions apply, so a higher level repeats what it keeps of the lower ones.
/// </summary>
public sealed class DegradationLevelOptions : IValidatableObject
{
    /// <summary>A name for logs and metrics. Default <c>level{n}</c>.</summary>
    public string? Name { get; set; }

    /// <summary>The load (0 to 1, the highest of the signals) at or above which this level is entered. Required.</summary>
    [Range(0.0, 1.0)]
    public double EnterAbove { get; set; } = double.NaN;

    /// <summary>
    /// The load under which the level is left, once it has stayed under it for the operator's
    /// <c>cooldown</c>; lower than <see cref="EnterAbove"/>, and the gap is the hysteresis. Default
    /// <see cref="EnterAbove"/> minus 0.2.
    /// </summary>
    [Range(0.0, 1.0)]
    public double? ExitBelow { get; set; }

    /// <summary>
    /// Keep this share of traces (whole traces, by trace id) and logs; metrics are never sampled
    /// (use <see cref="DropSignals"/>). Null keeps everything. Default null.
    /// </summary>
    [Range(0.0, 1.0)]
    public double? SampleRatio { get; set; }

    /// <summary>Attribute keys removed from resources, spans, span events and log records. Default none.</summary>
    public List<string> DropAttributes { get; set; } = [];

    /// <summary>Signals dropped whole: <c>traces</c>, <c>metrics</c>, <c>logs</c>. Default none.</summary>
    public List<Signal> DropSignals { get; set; } = [];

    /// <summary>An output port to send to instead of <c>out</c>, such as a cheaper sink. Default null (<c>out</c>).</summary>
    public string? Route { get; set; }

    /// <summary>The exit threshold in effect.</summary>
    internal double Exit => ExitBelow ?? Math.Max(0, EnterAbove - 0.2);

    /// <inheritdoc />
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (double.IsNaN(EnterAbove))
        {
            yield return new ValidationResult("is required: the load (0 to 1) at which this level starts", [nameof(EnterAbove)]);
        }
        else if (Exit >= EnterAbove)
        {
            yield return new ValidationResult("must be lower than 'enterAbove' (the gap keeps the level from flapping)", [nameof(ExitBelow)]);
        }

        if (Route is not null && (Route.Length == 0 || Route == Engine.Operators.IOperatorOutput.DroppedPort || Route.Contains('.', StringComparison.Ordinal)))
        {
            yield return new ValidationResult($"'{Route}' is not a usable port name", [nameof(Route)]);
        }
    }
}
