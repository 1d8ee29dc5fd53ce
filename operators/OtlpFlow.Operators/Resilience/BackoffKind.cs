namespace OtlpFlow.Operators.Resilience;

/// <summary>How the wait between attempts grows.</summary>
public enum BackoffKind
{
    /// <summary>Always <c>initial</c>.</summary>
    Fixed,

    /// <summary><c>initial</c> times the retry number: 1×, 2×, 3×…</summary>
    Linear,

    /// <summary><c>initial</c> times <c>factor</c> to the power of the retry number minus one: 1×, 2×, 4×…</summary>
    Exponential,

    /// <summary>
    /// A random wait between <c>initial</c> and three times the previous wait ("decorrelated
    /// jitter"): spreads clients apart while still growing. Already random, so <c>jitter</c> is not applied.
    /// </summary>
    DecorrelatedJitter,
}
