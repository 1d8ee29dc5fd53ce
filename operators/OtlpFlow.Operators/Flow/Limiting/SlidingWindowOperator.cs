using OtlpFlow.Engine.Operators;

namespace OtlpFlow.Operators.Flow;

/// <summary><c>flow.slidingWindow</c>: at most <c>rate × window</c> units in any sliding window.</summary>
[Operator("flow.slidingWindow", Options = typeof(SlidingWindowOptions), Description = "Rate limit over a sliding window of segments, per key if asked.",
    Example = """{ "key": "tenant", "rate": 1000, "window": "10s", "onLimit": "drop" }""")]
public sealed class SlidingWindowOperator : RateLimitOperator
{
    private readonly SlidingWindowOptions _options;

    /// <summary>Creates the operator.</summary>
    public SlidingWindowOperator(SlidingWindowOptions options, OperatorContext context) : base(options, context) => _options = options;

    /// <inheritdoc />
    private protected override IPermitLimiter CreateLimiter() =>
        new SlidingWindowLimiter(Math.Max(1, (long)Math.Round(_options.Rate * _options.Window.TotalSeconds)), _options.Window, _options.Segments, Context.TimeProvider);
}
