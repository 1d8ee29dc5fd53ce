using System.Collections.Concurrent;
using System.Diagnostics;
using Google.Protobuf;
using OtlpFlow.Cli.Perf;
using OtlpFlow.Engine.Telemetry;
using OtlpFlow.Operators.Otlp.Exporter;

namespace OtlpFlow.Cli.Load;

/// <summary>
/// Wraps the exporter's sender to count each request's outcome and time it, for the load report:
/// requests sent, succeeded, failed (by message), and request latency.
/// </summary>
internal sealed class CountingSender(IOtlpSender inner) : IOtlpSender
{
    private readonly ConcurrentDictionary<string, long> _errors = new(StringComparer.Ordinal);
    private long _requests;
    private long _succeeded;
    private long _rejectedItems;

    /// <summary>Requests made.</summary>
    public long Requests => Interlocked.Read(ref _requests);

    /// <summary>Requests the peer accepted (perhaps in part).</summary>
    public long Succeeded => Interlocked.Read(ref _succeeded);

    /// <summary>Items the peer rejected in partial successes.</summary>
    public long RejectedItems => Interlocked.Read(ref _rejectedItems);

    /// <summary>Failed requests by error message.</summary>
    public IReadOnlyDictionary<string, long> Errors => _errors;

    /// <summary>The time each request took, answer included.</summary>
    public LatencyHistogram Latency { get; } = new();

    /// <inheritdoc />
    public async Task<OtlpSendResult> SendAsync(Signal signal, IMessage request, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _requests);
        var started = Stopwatch.GetTimestamp();
        OtlpSendResult result;
        try
        {
            result = await inner.SendAsync(signal, request, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            Count(ex.GetType().Name + ": " + ex.Message);
            throw;
        }

        Latency.Record(Stopwatch.GetElapsedTime(started));
        if (result.Succeeded)
        {
            Interlocked.Increment(ref _succeeded);
            Interlocked.Add(ref _rejectedItems, result.Rejected);
        }
        else
        {
            Count(result.Message ?? "failed");
        }

        return result;
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync() => inner.DisposeAsync();

    private void Count(string message) => _errors.AddOrUpdate(message, 1, static (_, n) => n + 1);
}
