using System.Buffers;
using OpenTelemetry.Proto.Collector.Trace.V1;
using OtlpFlow.Engine.Operators;
using OtlpFlow.Engine.Telemetry;

namespace OtlpFlow.Operators.Sampling;

/// <summary>
/// What the consistent-probability samplers share: per span, read randomness R (<c>rv</c>, else the
/// trace id's last 7 bytes) and the upstream threshold; let the derived class choose the outgoing
/// threshold T; decide "keep iff R ≥ T" over the whole batch at once (vectorized); write T as
/// <c>th</c> on the kept spans; send kept and dropped spans on.
/// </summary>
/// <remarks>
/// Kept spans have their <c>tracestate</c> rewritten in place, so these operators declare
/// <see cref="MutatesData"/>: the engine then gives them their own copy only where the data is
/// shared with another branch, and a straight pipeline pays nothing. Metrics and logs pass unchanged.
/// </remarks>
public abstract class ConsistentSamplerBase : ProcessorOperator
{
    /// <summary>The reason under which spans sampled by the configured ratio are counted.</summary>
    private protected const string RatioReason = "ratio";

    private static readonly string[] DropReasons = [string.Empty, RatioReason];

    /// <summary>Creates the sampler.</summary>
    private protected ConsistentSamplerBase(OperatorContext context) : base(context) =>
        Counters = new SamplingCounters(context.Id, context.Meter);

    /// <summary>Kept and dropped spans by reason.</summary>
    public SamplingCounters Counters { get; }

    /// <inheritdoc />
    public override bool MutatesData => true;

    /// <summary>
    /// The outgoing threshold of one span, and the reason to count it under when kept.
    /// <paramref name="upstream"/> is the incoming threshold when it is valid and consistent with
    /// the span's randomness, else null (it is then erased).
    /// </summary>
    private protected abstract (ulong Threshold, string Reason) Choose(ulong? upstream);

    /// <inheritdoc />
    public override async ValueTask ProcessAsync(TelemetryBatch batch, IOperatorOutput output, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentNullException.ThrowIfNull(output);
        if (batch.Traces is not { } request)
        {
            await output.EmitAsync(batch, cancellationToken).ConfigureAwait(false);
            return;
        }

        using var table = SpanTable.From(request);
        var n = table.Count;
        var randomness = ArrayPool<ulong>.Shared.Rent(n);
        var thresholds = ArrayPool<ulong>.Shared.Rent(n);
        var keep = ArrayPool<byte>.Shared.Rent(n);
        var reasons = ArrayPool<string>.Shared.Rent(n);
        var upstreamText = ArrayPool<bool>.Shared.Rent(n);
        try
        {
            for (var i = 0; i < n; i++)
            {
                var span = table.Spans[i];
                var state = OtelTraceState.Read(span.TraceState);
                var r = state.HasRandomness ? state.Randomness : ConsistentProbability.RandomnessFromTraceId(span.TraceId);
                ulong? upstream = state.ThresholdValid && r >= state.Threshold ? state.Threshold : null;
                var (threshold, reason) = Choose(upstream);
                randomness[i] = r;
                thresholds[i] = threshold;
                reasons[i] = reason;

                // True when the span's th already says exactly what will be written; a th with trailing
                // zeros (th:80000000000000) is rewritten in its canonical form (th:8).
                upstreamText[i] = state.ThresholdCanonical && state.Threshold == threshold && upstream is not null;
            }

            ThresholdDecisions.Decide(randomness.AsSpan(0, n), thresholds.AsSpan(0, n), keep.AsSpan(0, n));

            var decisions = ArrayPool<byte>.Shared.Rent(n);
            try
            {
                var drops = new long[DropReasons.Length];
                for (var i = 0; i < n; i++)
                {
                    if (keep[i] == 0)
                    {
                        decisions[i] = 1;
                        drops[1]++;
                        continue;
                    }

                    decisions[i] = SampledOutput.Keep;
                    Counters.CountKept(1, reasons[i]);
                    if (!upstreamText[i])
                    {
                        var span = table.Spans[i];
                        span.TraceState = OtelTraceState.WithThreshold(span.TraceState, thresholds[i]);
                    }
                }

                await SampledOutput.SendAsync(batch, request, decisions, drops, DropReasons, output, Counters, cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(decisions);
            }
        }
        finally
        {
            ArrayPool<ulong>.Shared.Return(randomness);
            ArrayPool<ulong>.Shared.Return(thresholds);
            ArrayPool<byte>.Shared.Return(keep);
            ArrayPool<string>.Shared.Return(reasons, clearArray: true);
            ArrayPool<bool>.Shared.Return(upstreamText);
        }
    }
}
