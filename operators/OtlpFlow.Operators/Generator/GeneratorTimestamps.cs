namespace OtlpFlow.Operators.Generator;

/// <summary>Where the <c>generate</c> source's timestamps start.</summary>
public enum GeneratorTimestamps
{
    /// <summary>
    /// Start at 2026-01-01T00:00:00Z and advance by a fixed step per item, so that the same seed
    /// gives the same bytes on every run.
    /// </summary>
    Fixed,

    /// <summary>
    /// Start at the pipeline clock's current time and never fall behind it, so that the data looks
    /// live to a backend. Output is then reproducible only under a fake clock.
    /// </summary>
    Now,
}
