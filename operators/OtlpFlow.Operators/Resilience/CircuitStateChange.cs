namespace OtlpFlow.Operators.Resilience;

/// <summary>One transition of a <see cref="CircuitBreaker"/>, published on <see cref="CircuitBreaker.StateChanges"/>.</summary>
/// <param name="Breaker">The breaker's name.</param>
/// <param name="From">The state before.</param>
/// <param name="To">The state after.</param>
/// <param name="Trigger">Why it changed.</param>
/// <param name="At">When, by the breaker's clock.</param>
/// <param name="BreakDuration">For a transition to open: how long the break lasts; otherwise zero.</param>
public sealed record CircuitStateChange(string Breaker, CircuitState From, CircuitState To, CircuitTrigger Trigger, DateTimeOffset At, TimeSpan BreakDuration);
