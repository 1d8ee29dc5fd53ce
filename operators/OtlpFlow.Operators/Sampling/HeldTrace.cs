using OpenTelemetry.Proto.Trace.V1;
using OtlpFlow.Engine.Telemetry;

namespace OtlpFlow.Operators.Sampling;

/// <summary>The spans of one trace that <c>sampling.tail</c> holds until it decides, with what a policy needs to know about them.</summary>
internal sealed class HeldTrace(TraceKey key, DateTimeOffset firstArrival, DateTimeOffset due, BatchContext context)
{
    public TraceKey Key { get; } = key;

    public DateTimeOffset FirstArrival { get; } = firstArrival;

    /// <summary>When the trace is decided; moves earlier once the root has arrived.</summary>
    public DateTimeOffset Due { get; set; } = due;

    public BatchContext Context { get; } = context;

    public List<(ResourceSpans Resource, ScopeSpans Scope, Span Span)> Spans { get; } = [];

    /// <summary>One acknowledgement share per input batch that gave the trace spans.</summary>
    public List<Acknowledgement> Shares { get; } = [];

    /// <summary>The last batch that gave spans, so a batch takes one share per trace however many spans it gives.</summary>
    public TelemetryBatch? LastBatch { get; set; }

    public long Bytes { get; set; }

    public bool RootSeen { get; set; }

    public bool Decided { get; set; }

    public ulong EarliestStart { get; private set; } = ulong.MaxValue;

    public ulong LatestEnd { get; private set; }

    public void Add(ResourceSpans resource, ScopeSpans scope, Span span, long bytes)
    {
        Spans.Add((resource, scope, span));
        Bytes += bytes;
        EarliestStart = Math.Min(EarliestStart, span.StartTimeUnixNano);
        LatestEnd = Math.Max(LatestEnd, span.EndTimeUnixNano);
    }

    /// <summary>Latest end minus earliest start, as the Collector's latency policy measures a trace.</summary>
    public TimeSpan Duration => LatestEnd > EarliestStart ? TimeSpan.FromTicks((long)((LatestEnd - EarliestStart) / 100)) : TimeSpan.Zero;
}
