using System.ComponentModel.DataAnnotations;
using OtlpFlow.Engine.Options;

namespace OtlpFlow.Operators.Sampling;

/// <summary>Options of the <c>sampling.tail</c> operator.</summary>
public sealed class TailSamplingOptions : IValidatableObject
{
    /// <summary>How long a trace is held after its first span before it is decided. Default <c>"30s"</c>.</summary>
    public TimeSpan DecisionWait { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How long to wait for late children once a trace's root span (no parent) has arrived; the
    /// trace is decided then if that is sooner than <see cref="DecisionWait"/>. Default <c>"2s"</c>.
    /// </summary>
    public TimeSpan AfterRootWait { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Most traces held at once. Default 50000.</summary>
    [Range(1, int.MaxValue)]
    public int MaxTraces { get; set; } = 50_000;

    /// <summary>Most bytes held at once: the arena chunks holding the spans' encodings, and the interned resources and scopes. Default <c>"256MiB"</c>.</summary>
    public ByteSize MaxBytes { get; set; } = ByteSize.FromMiB(256);

    /// <summary>What to do past <see cref="MaxTraces"/> or <see cref="MaxBytes"/>: <c>decideEarly</c> (default) or <c>block</c>.</summary>
    public TailSamplingFullMode OnFull { get; set; } = TailSamplingFullMode.DecideEarly;

    /// <summary>Trace ids of kept traces remembered so that late spans are kept too. Default 100000.</summary>
    [Range(0, int.MaxValue)]
    public int KeptCacheSize { get; set; } = 100_000;

    /// <summary>Trace ids of dropped traces remembered so that late spans are dropped too. Default 100000.</summary>
    [Range(0, int.MaxValue)]
    public int DroppedCacheSize { get; set; } = 100_000;

    /// <summary>
    /// The policies. A trace is dropped when a <c>drop</c> policy matches; otherwise kept when any
    /// policy keeps it; otherwise dropped (reason <c>not-sampled</c>). Required, at least one.
    /// </summary>
    public List<TailPolicyOptions> Policies { get; set; } = [];

    /// <inheritdoc />
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (DecisionWait <= TimeSpan.Zero)
        {
            yield return new ValidationResult("must be a positive duration such as \"10s\"", [nameof(DecisionWait)]);
        }

        if (AfterRootWait < TimeSpan.Zero)
        {
            yield return new ValidationResult("must be a duration such as \"2s\" (0 decides as soon as the root arrives)", [nameof(AfterRootWait)]);
        }

        if (MaxBytes.Bytes <= 0)
        {
            yield return new ValidationResult("must be a positive size such as \"256MiB\"", [nameof(MaxBytes)]);
        }

        if (Policies is null || Policies.Count == 0)
        {
            yield return new ValidationResult("needs at least one policy, such as { \"type\": \"statusCode\", \"codes\": [\"ERROR\"] }", [nameof(Policies)]);
            yield break;
        }

        for (var i = 0; i < Policies.Count; i++)
        {
            foreach (var result in Policies[i].Check($"policies[{i}]."))
            {
                // Keys are already JSON paths; the binder camel-cases the first letter only.
                yield return result;
            }
        }
    }
}
