using System.ComponentModel.DataAnnotations;

namespace OtlpFlow.Operators.Flow;

/// <summary>Options of <c>schedule.fair</c>.</summary>
public sealed class FairSchedulerOptions : IValidatableObject
{
    /// <summary>What divides the traffic into flows: <c>tenant</c> (default), <c>service</c>, <c>metadata.NAME</c>, <c>resource.NAME</c>...</summary>
    public string Key { get; set; } = "tenant";

    /// <summary>Relative shares by key value; a key not listed has weight 1. Default none.</summary>
    public Dictionary<string, double> Weights { get; set; } = [];

    /// <summary>What shares are measured in: <c>items</c> (default), <c>bytes</c> or <c>batches</c>.</summary>
    public RateLimitUnit Unit { get; set; } = RateLimitUnit.Items;

    /// <summary>Credit a flow of weight 1 gets per round (in <see cref="Unit"/>). Default 1024.</summary>
    [Range(1, long.MaxValue)]
    public long Quantum { get; set; } = 1024;

    /// <summary>Batches queued per key. Default 64.</summary>
    [Range(1, 1_000_000)]
    public int QueueCapacity { get; set; } = 64;

    /// <summary>When a key's queue is full: <c>block</c> (default) or <c>dropNewest</c> (a noisy key never holds up the others).</summary>
    public QueueFullAction OnFull { get; set; } = QueueFullAction.Block;

    /// <summary>Most keys with their own queue; further keys share one. Default 10000.</summary>
    [Range(1, 10_000_000)]
    public int MaxKeys { get; set; } = 10_000;

    /// <inheritdoc />
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext) =>
        SchedulerValidation.Key(Key, nameof(Key))
            .Concat(Weights.Where(w => !(w.Value > 0)).Select(w => new ValidationResult($"weight of '{w.Key}' must be positive, got {w.Value}", [nameof(Weights)])));
}
