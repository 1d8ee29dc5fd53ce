using System.ComponentModel.DataAnnotations;

namespace OtlpFlow.Operators.Sampling;

/// <summary>
/// One policy of <c>sampling.tail</c>. <see cref="Type"/> says which; each type reads only its own
/// keys (listed on <see cref="TailPolicyType"/>), and the others must be left out.
/// </summary>
public sealed class TailPolicyOptions : IValidatableObject
{
    /// <summary>The policy type. Required.</summary>
    [Required]
    public TailPolicyType? Type { get; set; }

    /// <summary>The name traces are counted under when this policy decides them. Default: the type and position (<c>latency-0</c>).</summary>
    public string? Name { get; set; }

    /// <summary><c>latency</c>: the smallest trace duration kept, in milliseconds. Default 0.</summary>
    public double ThresholdMs { get; set; }

    /// <summary><c>latency</c>: the largest trace duration kept, in milliseconds; 0 for no upper bound. Default 0.</summary>
    public double UpperThresholdMs { get; set; }

    /// <summary>Attribute policies and <c>traceState</c>: the attribute key or tracestate entry key.</summary>
    public string? Key { get; set; }

    /// <summary><c>numericAttribute</c>: the smallest value kept. Default: no lower bound.</summary>
    public double MinValue { get; set; } = double.NegativeInfinity;

    /// <summary><c>numericAttribute</c>: the largest value kept. Default: no upper bound.</summary>
    public double MaxValue { get; set; } = double.PositiveInfinity;

    /// <summary><c>stringAttribute</c> and <c>traceState</c>: the values kept.</summary>
    public List<string> Values { get; set; } = [];

    /// <summary><c>stringAttribute</c>: treat <see cref="Values"/> as .NET regular expressions. Default false.</summary>
    public bool Regex { get; set; }

    /// <summary>Attribute policies: keep traces that do <em>not</em> match instead. Default false.</summary>
    public bool Invert { get; set; }

    /// <summary><c>booleanAttribute</c>: the value kept. Default true.</summary>
    public bool Value { get; set; } = true;

    /// <summary><c>statusCode</c>: the codes kept, among <c>ERROR</c>, <c>OK</c>, <c>UNSET</c>.</summary>
    public List<string> Codes { get; set; } = [];

    /// <summary><c>probabilistic</c>: the share of traces kept, 0 to 1. Default 0.</summary>
    [Range(0.0, 1.0)]
    public double Ratio { get; set; }

    /// <summary><c>rateLimiting</c>: spans kept per second. Default 0.</summary>
    [Range(0, long.MaxValue)]
    public long SpansPerSecond { get; set; }

    /// <summary><c>bytesLimiting</c>: bytes kept per second. Default 0.</summary>
    [Range(0, long.MaxValue)]
    public long BytesPerSecond { get; set; }

    /// <summary><c>bytesLimiting</c>: the bucket's size in bytes; 0 means <see cref="BytesPerSecond"/>. Default 0.</summary>
    [Range(0, long.MaxValue)]
    public long BurstBytes { get; set; }

    /// <summary><c>spanCount</c>: the fewest spans kept. Default 1.</summary>
    [Range(0, int.MaxValue)]
    public int MinSpans { get; set; } = 1;

    /// <summary><c>spanCount</c>: the most spans kept; 0 for no limit. Default 0.</summary>
    [Range(0, int.MaxValue)]
    public int MaxSpans { get; set; }

    /// <summary><c>composite</c>: the spans per second all its sub-policies may keep together. Default 0.</summary>
    [Range(0, long.MaxValue)]
    public long MaxTotalSpansPerSecond { get; set; }

    /// <summary>A sub-policy of <c>composite</c>: its share of <c>maxTotalSpansPerSecond</c>, in percent. Default: an equal share of what the others leave.</summary>
    [Range(0.0, 100.0)]
    public double? Percent { get; set; }

    /// <summary><c>and</c>, <c>not</c> (exactly one), <c>drop</c> and <c>composite</c>: the sub-policies.</summary>
    public List<TailPolicyOptions> Policies { get; set; } = [];

    /// <inheritdoc />
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext) => Check(string.Empty);

    /// <summary>The problems of this policy and its sub-policies, with keys relative to <paramref name="prefix"/>.</summary>
    internal IEnumerable<ValidationResult> Check(string prefix)
    {
        switch (Type)
        {
            case null:
                yield return new ValidationResult("is required: one of always, latency, numericAttribute, stringAttribute, booleanAttribute, statusCode, probabilistic, rateLimiting, bytesLimiting, spanCount, traceState, and, not, drop, composite", [prefix + "type"]);
                yield break;
            case TailPolicyType.Latency when ThresholdMs < 0 || (UpperThresholdMs != 0 && UpperThresholdMs < ThresholdMs):
                yield return new ValidationResult($"must be 0 (none) or at least 'thresholdMs' ({ThresholdMs}), got {UpperThresholdMs}", [prefix + "upperThresholdMs"]);
                break;
            case TailPolicyType.NumericAttribute or TailPolicyType.StringAttribute or TailPolicyType.BooleanAttribute or TailPolicyType.TraceState when string.IsNullOrEmpty(Key):
                yield return new ValidationResult($"is required by a '{Name ?? Type.ToString()}' policy of type {Type}", [prefix + "key"]);
                break;
            case TailPolicyType.StatusCode when Codes.Count == 0 || Codes.Any(c => c is not ("ERROR" or "OK" or "UNSET")):
                yield return new ValidationResult($"must list codes among \"ERROR\", \"OK\", \"UNSET\", got [{string.Join(", ", Codes)}]", [prefix + "codes"]);
                break;
            case TailPolicyType.Not when Policies.Count != 1:
                yield return new ValidationResult($"a 'not' policy takes exactly one sub-policy, got {Policies.Count}", [prefix + "policies"]);
                break;
            case TailPolicyType.And or TailPolicyType.Drop or TailPolicyType.Composite when Policies.Count == 0:
                yield return new ValidationResult($"a '{Type}' policy needs at least one sub-policy", [prefix + "policies"]);
                break;
        }

        if (Type == TailPolicyType.StringAttribute && Regex)
        {
            foreach (var value in Values)
            {
                string? error = null;
                try
                {
                    _ = new System.Text.RegularExpressions.Regex(value);
                }
                catch (ArgumentException ex)
                {
                    error = ex.Message;
                }

                if (error is not null)
                {
                    yield return new ValidationResult($"'{value}' is not a valid regular expression: {error}", [prefix + "values"]);
                }
            }
        }

        if (Type == TailPolicyType.Composite)
        {
            var total = Policies.Sum(p => p.Percent ?? 0);
            if (total > 100)
            {
                yield return new ValidationResult($"the sub-policies' percents add up to {total}, more than 100", [prefix + "policies"]);
            }
        }

        for (var i = 0; i < Policies.Count; i++)
        {
            foreach (var result in Policies[i].Check($"{prefix}policies[{i}]."))
            {
                yield return result;
            }
        }
    }
}
