using System.ComponentModel.DataAnnotations;

namespace OtlpFlow.Operators.Sampling;

/// <summary>Options of the <c>sampling.anomaly</c> operator.</summary>
public sealed class AnomalySamplingOptions : IValidatableObject
{
    /// <summary>The fields that name an operation (as for <c>sampling.adaptive</c>). Default <c>["service", "name"]</c>.</summary>
    public List<string> Key { get; set; } = ["service", "name"];

    /// <summary>Smoothing of the moving mean, variance and error rate: the weight of each new span, in (0, 1). Default 0.05.</summary>
    [Range(0.0001, 0.9999)]
    public double Alpha { get; set; } = 0.05;

    /// <summary>A span whose log-latency is this many standard deviations above its operation's mean is an outlier. Default 3.</summary>
    [Range(0.0, 100.0)]
    public double ZThreshold { get; set; } = 3;

    /// <summary>An error is an outlier while its operation's error rate is below this. Default 0.05.</summary>
    [Range(0.0, 1.0)]
    public double ErrorRateThreshold { get; set; } = 0.05;

    /// <summary>Spans an operation must have shown before any of its spans is judged. Default 20.</summary>
    [Range(0, int.MaxValue)]
    public int MinSamples { get; set; } = 20;

    /// <summary>Most outliers kept per second; past it they are dropped as <c>budget</c>. Default 100.</summary>
    [Range(0.0, double.MaxValue)]
    public double MaxPerSecond { get; set; } = 100;

    /// <summary>Share of ordinary spans kept anyway, drawn from a random source seeded with <see cref="Seed"/>. Default 0.01.</summary>
    [Range(0.0, 1.0)]
    public double BaselineRatio { get; set; } = 0.01;

    /// <summary>Seed of the baseline's random source: the same seed, input and clock give the same decisions. Default 1.</summary>
    public int Seed { get; set; } = 1;

    /// <summary>Most operations tracked; spans of further operations are judged together. Default 10000.</summary>
    [Range(1, int.MaxValue)]
    public int MaxKeys { get; set; } = 10_000;

    /// <inheritdoc />
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
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
