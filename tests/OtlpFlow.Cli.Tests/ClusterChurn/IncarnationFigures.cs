namespace OtlpFlow.Cli.Tests.ClusterChurn;

/// <summary>
/// One back incarnation in the report: when it started, listened, registered, wrote, stopped, and
/// what it wrote. Times are seconds after the load started.
/// </summary>
internal sealed record IncarnationFigures
{
    public required string Label { get; init; }

    public required string Role { get; init; }

    public double StartedAt { get; init; }

    public double? ListeningAt { get; init; }

    public double? RegisteredAt { get; init; }

    public double? FirstWriteAt { get; init; }

    /// <summary>
    /// When it received its first span: its first write less <c>decisionWait</c>. The tail sampler
    /// decides a trace <c>decisionWait</c> after the trace's first span reached it (the root comes
    /// no earlier, and <c>afterRootWait</c>, 2 s by default, is not shorter), on a timer set for that
    /// moment, and <c>file.writer</c> writes a kept trace at once; so the first trace it received is
    /// the first it writes, <c>decisionWait</c> later. Resolution: <see cref="ClusterObserver.Period"/>.
    /// </summary>
    public double? FirstSpanAt { get; init; }

    /// <summary>From registration to the first span received; null when it never registered or received nothing.</summary>
    public double? SecondsToFirstSpan => RegisteredAt is { } registered && FirstSpanAt is { } first ? first - registered : null;

    public double? StoppedAt { get; init; }

    public string? StoppedBy { get; init; }

    public double? DeregisteredAt { get; init; }

    /// <summary>When its process was seen gone.</summary>
    public double? GoneAt { get; init; }

    public int? ExitCode { get; init; }

    /// <summary>Span records it wrote (duplicates included).</summary>
    public long Spans { get; init; }

    /// <summary>Distinct traces it wrote.</summary>
    public int Traces { get; init; }
}
