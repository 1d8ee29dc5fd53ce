using OtlpFlow.Engine.Operators;

namespace OtlpFlow.Operators.Flow;

/// <summary><c>flow.tokenBucket</c>: lets through <c>rate</c> units per second with bursts up to <c>burst</c>.</summary>
[Operator("flow.tokenBucket", Options = typeof(TokenBucketOptions), Description = "Rate limit with bursts (token bucket), per key if asked; wait, drop or split over the limit.",
    Example = """{ "rate": 50000, "burst": 50000, "onLimit": "wait" }""")]
public sealed class TokenBucketOperator : RateLimitOperator
{
    private readonly TokenBucketOptions _options;

    /// <summary>Creates the operator.</summary>
    public TokenBucketOperator(TokenBucketOptions options, OperatorContext context) : base(options, context) => _options = options;

    /// <inheritdoc />
    private protected override IPermitLimiter CreateLimiter() =>
        new TokenBucketLimiter(_options.Rate, _options.Burst > 0 ? _options.Burst : _options.Rate, Context.TimeProvider);
}
