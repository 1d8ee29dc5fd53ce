using OtlpFlow.Engine.Telemetry;

namespace OtlpFlow.Operators.Sampling;

/// <summary>
/// One trace that <c>sampling.tail</c> holds until it decides: where its spans are in the
/// <see cref="SpanArena"/> (a linked list of records), and the summary the policies read — span
/// count, bytes, earliest start and latest end, root seen, status codes seen, and the values of the
/// attribute keys (and tracestates) that configured policies test. No protobuf object is kept.
/// </summary>
internal sealed class HeldTrace(TraceKey key, DateTimeOffset due, BatchContext context)
{
    private Acknowledgement? _firstShare;
    private List<Acknowledgement>? _moreShares;
    private TraceValue[]? _values;

    public TraceKey Key { get; } = key;

    /// <summary>When the trace is decided; moves earlier once the root has arrived.</summary>
    public DateTimeOffset Due { get; set; } = due;

    public BatchContext Context { get; } = context;

    /// <summary>The sequence number of the last input batch that gave spans, so a batch takes one share per trace however many spans it gives.</summary>
    public long LastBatch { get; set; } = -1;

    /// <summary>Spans held.</summary>
    public int SpanCount { get; private set; }

    /// <summary>Encoded bytes of the spans held (as a <c>bytesLimiting</c> policy spends them).</summary>
    public long Bytes { get; private set; }

    public bool RootSeen { get; set; }

    public bool Decided { get; set; }

    public ulong EarliestStart { get; private set; } = ulong.MaxValue;

    public ulong LatestEnd { get; private set; }

    /// <summary>Bit <c>1 &lt;&lt; code</c> for each status code seen (codes 0 to 31; a missing status is UNSET).</summary>
    public uint StatusCodes { get; private set; }

    /// <summary>The last resource whose values were added, so a resource's values are added once per run of its spans.</summary>
    public int LastResource { get; set; } = -1;

    /// <summary>The first record in the arena (chunk −1 when none).</summary>
    public int HeadChunk { get; private set; } = -1;

    public int HeadOffset { get; private set; }

    /// <summary>The last record in the arena, where the next one is linked.</summary>
    public int TailChunk { get; private set; } = -1;

    public int TailOffset { get; private set; }

    /// <summary>The distinct values kept for the policies.</summary>
    public ReadOnlySpan<TraceValue> Values => _values.AsSpan(0, ValueCount);

    private int ValueCount { get; set; }

    /// <summary>Takes note of one more span (already written to the arena at <paramref name="chunk"/>, <paramref name="offset"/>).</summary>
    public void Add(int chunk, int offset, int encodedBytes, ulong start, ulong end, int statusCode)
    {
        if (HeadChunk < 0)
        {
            HeadChunk = chunk;
            HeadOffset = offset;
        }

        TailChunk = chunk;
        TailOffset = offset;
        SpanCount++;
        Bytes += encodedBytes;
        EarliestStart = Math.Min(EarliestStart, start);
        LatestEnd = Math.Max(LatestEnd, end);
        if ((uint)statusCode < 32)
        {
            StatusCodes |= 1u << statusCode;
        }
    }

    /// <summary>Adds a value for the policies unless the trace has it already.</summary>
    public void AddValue(in TraceValue value)
    {
        // Values repeat across a trace's spans (same route, same tracestate): keep each once. Past a
        // few dozen distinct values the scan stops paying for itself, and duplicates are harmless.
        var values = Values;
        if (values.Length <= 32 && values.Contains(value))
        {
            return;
        }

        if (_values is null || ValueCount == _values.Length)
        {
            Array.Resize(ref _values, Math.Max(2, ValueCount * 2));
        }

        _values[ValueCount++] = value;
    }

    /// <summary>Drops the values once the trace is decided (policies have read them), so a decided trace still queued somewhere holds little.</summary>
    public void ForgetValues()
    {
        _values = null;
        ValueCount = 0;
    }

    /// <summary>Keeps one acknowledgement share of an input batch that gave the trace spans.</summary>
    public void AddShare(Acknowledgement share)
    {
        if (_firstShare is null)
        {
            _firstShare = share;
        }
        else
        {
            (_moreShares ??= []).Add(share);
        }
    }

    /// <summary>Adds the trace's shares to <paramref name="shares"/>.</summary>
    public void CopySharesTo(List<Acknowledgement> shares)
    {
        if (_firstShare is not null)
        {
            shares.Add(_firstShare);
        }

        if (_moreShares is not null)
        {
            shares.AddRange(_moreShares);
        }
    }

    /// <summary>Latest end minus earliest start, as the Collector's latency policy measures a trace.</summary>
    public TimeSpan Duration => LatestEnd > EarliestStart ? TimeSpan.FromTicks((long)((LatestEnd - EarliestStart) / 100)) : TimeSpan.Zero;
}
