using System.ComponentModel.DataAnnotations;

namespace OtlpFlow.Operators.Sampling;

/// <summary>Options of the <c>sampling.adaptive</c> operator.</summary>
public sealed class AdaptiveSamplingOptions : IValidatableObject
{
    /// <summary>Spans kept per second, across all keys. Default 100.</summary>
    [Range(0.001, double.MaxValue)]
    public double TargetPerSecond { get; set; } = 100;

    /// <summary>
    /// The fields that make a key: <c>service</c>, <c>name</c>, <c>kind</c>, <c>status.code</c>,
    /// <c>scope.name</c>, <c>attributes.KEY</c>, <c>resource.KEY</c>. Default <c>["service", "name"]</c>.
    /// </summary>
    public List<string> Key { get; set; } = ["service", "name"];

    /// <summary>How often per-key rates are recomputed from the counts. Default <c>"15s"</c>.</summary>
    public TimeSpan AdjustmentInterval { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>Weight of the newest interval in the moving average of per-key counts, in (0, 1]. Default 0.5.</summary>
    [Range(0.0001, 1.0)]
    public double Weight { get; set; } = 0.5;

    /// <summary>Most keys tracked; spans of further keys share one overflow key. Default 10000.</summary>
    [Range(1, int.MaxValue)]
    public int MaxKeys { get; set; } = 10_000;

    /// <summary>Significant hex digits of the thresholds written as <c>th</c>. Default 5.</summary>
    [Range(1, 14)]
    public int Precision { get; set; } = 5;

    /// <summary>
    /// <c>local</c> (default): the target holds per instance. <c>cluster</c>: the target holds for
    /// the whole cluster; probabilities come from the coordination layer (etcd), see the Sampling README.
    /// </summary>
    public SamplingScope Scope { get; set; } = SamplingScope.Local;

    /// <inheritdoc />
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (AdjustmentInterval <= TimeSpan.Zero)
        {
            yield return new ValidationResult("must be a positive duration such as \"15s\"", [nameof(AdjustmentInterval)]);
        }

        if (Key is null || Key.Count == 0)
        {
            yield return new ValidationResult("needs at least one field, such as [\"service\", \"name\"]", [nameof(Key)]);
            yield break;
        }

        foreach (var field in Key.Where(f => !SpanKeyFields.IsValid(f)))
        {
            yield return new ValidationResult($"'{field}' is not a key field (service, name, kind, status.code, scope.name, attributes.KEY, resource.KEY)", [nameof(Key)]);
        }
    }
}
