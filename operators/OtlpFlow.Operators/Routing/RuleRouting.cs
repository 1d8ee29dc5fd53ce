using System.Buffers;
using Google.Protobuf;
using OtlpFlow.Engine.Operators;
using OtlpFlow.Engine.Telemetry;

namespace OtlpFlow.Operators.Routing;

/// <summary>Splits a batch by rules and hands each part to its port; shared by the content and dynamic routers.</summary>
internal static class RuleRouting
{
    /// <summary>
    /// Sends one part to a port. <paramref name="whole"/> is true when the part is the whole input
    /// and the input batch itself may be passed on (at most once per input).
    /// </summary>
    public delegate ValueTask Emit(int port, IMessage payload, bool whole, CancellationToken cancellationToken);

    public const string UnmatchedReason = "unmatched";

    public static async ValueTask RouteAsync(
        TelemetryBatch batch, RuleSet rules, int portCount, Func<int, bool>? usable, Emit emit, IOperatorOutput output, CancellationToken cancellationToken)
    {
        var payload = batch.Payload;
        var count = BatchSplit.CountItems(payload);
        if (count == 0)
        {
            if (rules.DefaultPort >= 0)
            {
                await emit(rules.DefaultPort, payload, true, cancellationToken).ConfigureAwait(false);
            }

            return;
        }

        var decisions = ArrayPool<int>.Shared.Rent(count);
        try
        {
            var decider = new RuleDecider(rules, usable, portCount);
            BatchSplit.Decide(payload, decider, decisions.AsSpan(0, count));
            if (rules.MatchOnce)
            {
                await SendOnceAsync(batch, decisions, count, portCount, emit, output, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                await SendEveryAsync(batch, rules, decisions, count, portCount, emit, output, cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            ArrayPool<int>.Shared.Return(decisions);
        }
    }

    private static async ValueTask SendOnceAsync(
        TelemetryBatch batch, int[] decisions, int count, int portCount, Emit emit, IOperatorOutput output, CancellationToken cancellationToken)
    {
        var counts = new int[portCount + 1];
        for (var i = 0; i < count; i++)
        {
            counts[decisions[i]]++;
        }

        for (var port = 0; port < portCount; port++)
        {
            if (counts[port] == count)
            {
                await emit(port, batch.Payload, true, cancellationToken).ConfigureAwait(false);
                return;
            }

            if (counts[port] > 0)
            {
                await emit(port, BatchSplit.Select(batch.Payload, decisions.AsSpan(0, count), port), false, cancellationToken).ConfigureAwait(false);
            }
        }

        await DropUnmatchedAsync(batch, decisions, count, counts[portCount], portCount, output, cancellationToken).ConfigureAwait(false);
    }

    private static async ValueTask SendEveryAsync(
        TelemetryBatch batch, RuleSet rules, int[] masks, int count, int portCount, Emit emit, IOperatorOutput output, CancellationToken cancellationToken)
    {
        var unmatched = 0;
        for (var i = 0; i < count; i++)
        {
            if (masks[i] == 0)
            {
                if (rules.DefaultPort >= 0)
                {
                    masks[i] = 1 << rules.DefaultPort;
                }
                else
                {
                    unmatched++;
                }
            }
        }

        var selected = ArrayPool<int>.Shared.Rent(count);
        try
        {
            for (var port = 0; port < portCount; port++)
            {
                var n = 0;
                for (var i = 0; i < count; i++)
                {
                    selected[i] = (masks[i] >> port) & 1;
                    n += selected[i];
                }

                if (n > 0)
                {
                    await emit(port, n == count ? batch.Payload : BatchSplit.Select(batch.Payload, selected.AsSpan(0, count), 1), false, cancellationToken).ConfigureAwait(false);
                }
            }

            if (unmatched > 0)
            {
                for (var i = 0; i < count; i++)
                {
                    selected[i] = masks[i] == 0 ? portCount : 0;
                }

                await DropUnmatchedAsync(batch, selected, count, unmatched, portCount, output, cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            ArrayPool<int>.Shared.Return(selected);
        }
    }

    private static ValueTask DropUnmatchedAsync(
        TelemetryBatch batch, int[] decisions, int count, int unmatched, int unmatchedIndex, IOperatorOutput output, CancellationToken cancellationToken)
    {
        if (unmatched == 0)
        {
            return ValueTask.CompletedTask;
        }

        if (!output.IsLinked(IOperatorOutput.DroppedPort))
        {
            output.CountDropped(unmatched, UnmatchedReason);
            return ValueTask.CompletedTask;
        }

        var part = unmatched == count ? batch : batch.Derive(BatchSplit.Select(batch.Payload, decisions.AsSpan(0, count), unmatchedIndex));
        return output.DropAsync(part, UnmatchedReason, cancellationToken);
    }
}
