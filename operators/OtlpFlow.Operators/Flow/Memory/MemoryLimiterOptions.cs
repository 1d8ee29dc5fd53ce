using System.ComponentModel.DataAnnotations;
using OtlpFlow.Engine.Options;

namespace OtlpFlow.Operators.Flow;

/// <summary>
/// Options of <c>flow.memoryLimiter</c>. Each limit is off when 0. Above a soft limit data waits
/// (up to <see cref="MaxWait"/>) for memory to come down; above a hard limit it is refused at once.
/// </summary>
public sealed class MemoryLimiterOptions : IValidatableObject
{
    /// <summary>Soft limit on the pipeline's bytes in flight (its memory budget's reservations). Default 0 (off).</summary>
    public ByteSize SoftLimit { get; set; }

    /// <summary>Hard limit on the pipeline's bytes in flight. Default 0 (off).</summary>
    public ByteSize HardLimit { get; set; }

    /// <summary>Soft limit on the process's managed heap. Default 0 (off).</summary>
    public ByteSize ProcessSoftLimit { get; set; }

    /// <summary>Hard limit on the process's managed heap. Default 0 (off).</summary>
    public ByteSize ProcessHardLimit { get; set; }

    /// <summary>How long data may wait above a soft limit before it is refused. Default <c>"1s"</c>.</summary>
    public TimeSpan MaxWait { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How often memory is measured again while data waits. Default <c>"50ms"</c>.</summary>
    public TimeSpan CheckInterval { get; set; } = TimeSpan.FromMilliseconds(50);

    /// <summary>Ask the runtime for a full garbage collection when the process is above its hard limit (at most once per check interval). Default false.</summary>
    public bool CollectOnHardLimit { get; set; }

    /// <inheritdoc />
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (SoftLimit.Bytes < 0 || HardLimit.Bytes < 0 || ProcessSoftLimit.Bytes < 0 || ProcessHardLimit.Bytes < 0)
        {
            yield return new ValidationResult("limits must not be negative");
        }

        if (HardLimit.Bytes > 0 && SoftLimit.Bytes > HardLimit.Bytes)
        {
            yield return new ValidationResult($"must not be above 'hardLimit' ({HardLimit})", [nameof(SoftLimit)]);
        }

        if (ProcessHardLimit.Bytes > 0 && ProcessSoftLimit.Bytes > ProcessHardLimit.Bytes)
        {
            yield return new ValidationResult($"must not be above 'processHardLimit' ({ProcessHardLimit})", [nameof(ProcessSoftLimit)]);
        }

        if (CheckInterval <= TimeSpan.Zero)
        {
            yield return new ValidationResult("must be a positive duration such as \"50ms\"", [nameof(CheckInterval)]);
        }

        if (MaxWait < TimeSpan.Zero)
        {
            yield return new ValidationResult("must not be negative", [nameof(MaxWait)]);
        }
    }
}
