namespace OtlpFlow.Operators.Resilience;

/// <summary>The preferred target of a <c>resilience.failover</c> changed.</summary>
/// <param name="Operator">The operator's id.</param>
/// <param name="From">The port that was preferred.</param>
/// <param name="To">The port preferred now.</param>
/// <param name="FailBack">True when <paramref name="To"/> comes earlier in the order than <paramref name="From"/>.</param>
/// <param name="At">When, by the operator's clock.</param>
public sealed record TargetChange(string Operator, string From, string To, bool FailBack, DateTimeOffset At);
