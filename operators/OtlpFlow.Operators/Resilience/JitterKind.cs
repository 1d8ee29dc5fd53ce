namespace OtlpFlow.Operators.Resilience;

/// <summary>How a backoff wait is randomised, so that many clients do not retry in step.</summary>
public enum JitterKind
{
    /// <summary>The wait as computed.</summary>
    None,

    /// <summary>The wait times a random factor in [1 − <c>jitter</c>, 1 + <c>jitter</c>].</summary>
    Proportional,

    /// <summary>A random wait between zero and the computed one ("full jitter").</summary>
    Full,

    /// <summary>Half the computed wait plus a random part of the other half ("equal jitter").</summary>
    Equal,
}
