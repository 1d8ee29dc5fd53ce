using System.Threading.Channels;
using OtlpFlow.Engine.Telemetry;
using OtlpFlow.Operators.Otlp.Exporter;

namespace OtlpFlow.Operators.Otlp.LoadBalancing;

/// <summary>
/// One member while it owns keys: its sender (one OTLP exporter connection) and its bounded
/// sending queue. When it stops owning keys it is closed: its queue takes nothing more, and what
/// is still queued is handed back to the balancer for the new owners.
/// </summary>
internal sealed class LoadBalancingMember : IAsyncDisposable
{
    private readonly Channel<TelemetryBatch> _queue;
    private readonly CancellationTokenSource _closing = new();

    public LoadBalancingMember(string endpoint, IOtlpSender sender, int queueSize)
    {
        Endpoint = endpoint;
        Sender = sender;
        _queue = Channel.CreateBounded<TelemetryBatch>(new BoundedChannelOptions(queueSize) { FullMode = BoundedChannelFullMode.Wait });
    }

    public string Endpoint { get; }

    public IOtlpSender Sender { get; }

    public ChannelReader<TelemetryBatch> Queue => _queue.Reader;

    /// <summary>Cancelled when the member is closed: waits between retries end then.</summary>
    public CancellationToken Closing => _closing.Token;

    public bool IsClosed => _closing.IsCancellationRequested;

    public Task Consumers { get; set; } = Task.CompletedTask;

    /// <summary>Queues a batch, waiting for room; false when the member was closed (the caller routes it again).</summary>
    public async ValueTask<bool> TryEnqueueAsync(TelemetryBatch batch, CancellationToken cancellationToken)
    {
        try
        {
            await _queue.Writer.WriteAsync(batch, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (ChannelClosedException)
        {
            return false;
        }
    }

    /// <summary>Takes the member out: no more batches are accepted, and queued ones are handed back.</summary>
    public void Close()
    {
        _queue.Writer.TryComplete();
        _closing.Cancel();
    }

    /// <summary>Lets the queue run dry (drain at the end of the pipeline); consumers stop once it is empty.</summary>
    public void Complete() => _queue.Writer.TryComplete();

    public async ValueTask DisposeAsync()
    {
        await Sender.DisposeAsync().ConfigureAwait(false);
        _closing.Dispose();
    }
}
