namespace OtlpFlow.Operators.Generator;

/// <summary>
/// The generator's virtual time in Unix nanoseconds. It moves only when told to, so timestamps
/// depend on the number of items made, never on how fast they were made.
/// </summary>
internal sealed class SyntheticClock
{
    /// <summary>2026-01-01T00:00:00Z, where <see cref="GeneratorTimestamps.Fixed"/> starts.</summary>
    public const ulong FixedStartNanos = 1_767_225_600UL * 1_000_000_000UL;

    private readonly ulong _stepNanos;

    public SyntheticClock(ulong startNanos, ulong stepNanos)
    {
        Start = startNanos;
        Now = startNanos;
        _stepNanos = Math.Max(1, stepNanos);
    }

    /// <summary>When the run began: the start time of cumulative metrics.</summary>
    public ulong Start { get; }

    /// <summary>The current virtual time.</summary>
    public ulong Now { get; private set; }

    /// <summary>Moves time on by one step per item.</summary>
    public void Advance(int items) => Now += _stepNanos * (ulong)items;

    /// <summary>Jumps to <paramref name="nanos"/> when virtual time has fallen behind it.</summary>
    public void CatchUp(ulong nanos)
    {
        if (nanos > Now)
        {
            Now = nanos;
        }
    }

    /// <summary>Converts a wall-clock instant to Unix nanoseconds.</summary>
    public static ulong ToUnixNanos(DateTimeOffset instant) =>
        (ulong)(instant.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) * 100UL;
}
