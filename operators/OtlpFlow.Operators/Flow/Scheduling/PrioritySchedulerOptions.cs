using System.ComponentModel.DataAnnotations;

namespace OtlpFlow.Operators.Flow;

/// <summary>Options of <c>schedule.priority</c>.</summary>
public sealed class PrioritySchedulerOptions : IValidatableObject
{
    /// <summary>Where a batch's class is read: a key spec such as <c>metadata.priority</c> (default), <c>tenant</c> or <c>resource.NAME</c>.</summary>
    public string PriorityFrom { get; set; } = "metadata.priority";

    /// <summary>The classes, highest first. Default <c>["high", "normal", "low"]</c>.</summary>
    public List<string> Classes { get; set; } = ["high", "normal", "low"];

    /// <summary>The class of a batch whose value is not in <see cref="Classes"/>. Default: the middle class (<c>normal</c>).</summary>
    public string? DefaultClass { get; set; }

    /// <summary>
    /// Aging: every time a batch has waited this long it counts one class higher, so a low class
    /// still progresses under a steady stream of high. Default <c>"1s"</c>; 0 turns aging off.
    /// </summary>
    public TimeSpan AgingAfter { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Batches queued per class. Default 64.</summary>
    [Range(1, 1_000_000)]
    public int QueueCapacity { get; set; } = 64;

    /// <summary>When a class's queue is full: <c>block</c> (default) or <c>dropNewest</c>.</summary>
    public QueueFullAction OnFull { get; set; } = QueueFullAction.Block;

    /// <inheritdoc />
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        foreach (var result in SchedulerValidation.Key(PriorityFrom, nameof(PriorityFrom)))
        {
            yield return result;
        }

        if (Classes.Count == 0 || Classes.Distinct(StringComparer.Ordinal).Count() != Classes.Count)
        {
            yield return new ValidationResult("must list at least one class, each once", [nameof(Classes)]);
        }
        else if (DefaultClass is not null && !Classes.Contains(DefaultClass))
        {
            yield return new ValidationResult($"must be one of 'classes' ({string.Join(", ", Classes)}), got '{DefaultClass}'", [nameof(DefaultClass)]);
        }

        if (AgingAfter < TimeSpan.Zero)
        {
            yield return new ValidationResult("must not be negative", [nameof(AgingAfter)]);
        }
    }
}
