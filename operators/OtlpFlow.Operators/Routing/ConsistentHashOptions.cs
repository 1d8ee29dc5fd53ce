using System.ComponentModel.DataAnnotations;

namespace OtlpFlow.Operators.Routing;

/// <summary>Options of <c>partition.consistentHash</c>.</summary>
public sealed class ConsistentHashOptions : IValidatableObject
{
    /// <summary>
    /// What items are partitioned by: <c>traceId</c> (default: a trace stays whole), <c>spanId</c>,
    /// <c>service</c>, or <c>resource["key"]</c>, <c>scope["key"]</c>, <c>attributes["key"]</c>.
    /// </summary>
    public PartitionKey Key { get; set; } = PartitionKey.TraceId;

    /// <summary>The members; each is an output port of that name (<c>"inputs": ["part.a"]</c>). Required.</summary>
    public List<string> Members { get; set; } = [];

    /// <summary>
    /// The name of a keyed <see cref="IMembershipSource"/> service that says which of
    /// <see cref="Members"/> are present at runtime (the coordination layer). Default none: all
    /// members are present, and the operator's own <see cref="MembershipSet"/> can change that.
    /// </summary>
    public string? Membership { get; set; }

    /// <summary>
    /// Bounded load: no member gets more than this factor times the average share of the items in
    /// flight; an item whose owner is full goes to its next choice (so a hot key spills over rather
    /// than overloading one member, at the cost of key affinity while it does). 0 (default) turns it
    /// off; otherwise 1.1 or more, 1.25 being a usual choice.
    /// </summary>
    public double BoundedLoad { get; set; }

    /// <inheritdoc />
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        foreach (var problem in BalancerTargets.Validate(Members, nameof(Members)))
        {
            yield return problem;
        }

        if (Key is null)
        {
            yield return new ValidationResult("must be a partition key such as \"traceId\"", [nameof(Key)]);
        }

        if (BoundedLoad != 0 && (BoundedLoad < 1.1 || double.IsNaN(BoundedLoad) || double.IsInfinity(BoundedLoad)))
        {
            yield return new ValidationResult($"must be 0 (off) or at least 1.1, got {BoundedLoad}", [nameof(BoundedLoad)]);
        }

        if (Membership is { Length: 0 })
        {
            yield return new ValidationResult("must name a registered membership source, or be left out", [nameof(Membership)]);
        }
    }
}
