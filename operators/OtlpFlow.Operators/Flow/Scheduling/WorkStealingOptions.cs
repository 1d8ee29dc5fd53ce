using System.ComponentModel.DataAnnotations;
using System.Text.Json.Nodes;

namespace OtlpFlow.Operators.Flow;

/// <summary>Options of <c>schedule.workStealing</c>.</summary>
public sealed class WorkStealingOptions : IValidatableObject
{
    /// <summary>The stage run on every worker: a processor spec, <c>{ "type": "filter", ...its options }</c>. Required.</summary>
    [Required]
    public JsonObject? Stage { get; set; }

    /// <summary>Workers, each with its own instance of the stage and its own deque. Default 4.</summary>
    [Range(1, 1024)]
    public int Workers { get; set; } = 4;

    /// <summary>
    /// Keeps order per key (for example <c>traceId</c>, <c>service</c>, <c>tenant</c>): data of one key
    /// is processed one piece at a time, in arrival order. Default none (no order kept).
    /// </summary>
    public string? OrderBy { get; set; }

    /// <summary>Work items queued across all workers before the input waits. Default 64.</summary>
    [Range(1, 1_000_000)]
    public int QueueCapacity { get; set; } = 64;

    /// <inheritdoc />
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        foreach (var result in SchedulerValidation.Key(OrderBy, nameof(OrderBy)))
        {
            yield return result;
        }

        if (Stage is not null && Stage["type"]?.GetValueKind() != System.Text.Json.JsonValueKind.String)
        {
            yield return new ValidationResult("must name its operator type: { \"type\": \"filter\", ... }", [nameof(Stage)]);
        }
    }
}
