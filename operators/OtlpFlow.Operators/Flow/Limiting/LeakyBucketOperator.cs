using OtlpFlow.Engine.Operators;

namespace OtlpFlow.Operators.Flow;

/// <summary><c>flow.leakyBucket</c>: queues up to <c>capacity</c> units and lets them out at exactly <c>rate</c>, without bursts.</summary>
[Operator("flow.leakyBucket", Options = typeof(LeakyBucketOptions), Description = "Rate limit without bursts (leaky bucket with a queue), per key if asked.",
    Example = """{ "rate": 10000 }""")]
public sealed class LeakyBucketOperator : RateLimitOperator
{
    private readonly LeakyBucketOptions _options;

    /// <summary>Creates the operator.</summary>
    public LeakyBucketOperator(LeakyBucketOptions options, OperatorContext context) : base(options, context) => _options = options;

    /// <inheritdoc />
    private protected override IPermitLimiter CreateLimiter() =>
        new LeakyBucketLimiter(_options.Rate, _options.Capacity > 0 ? _options.Capacity : _options.Rate, Context.TimeProvider);
}
