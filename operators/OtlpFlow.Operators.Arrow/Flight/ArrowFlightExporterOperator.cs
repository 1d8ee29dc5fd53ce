using System.Threading.Channels;
using Apache.Arrow.Flight.Client;
using Grpc.Net.Client;
using OtlpFlow.Engine.Operators;
using OtlpFlow.Engine.Telemetry;
using OtlpFlow.Operators.Arrow.Memory;
using OtlpFlow.Operators.Arrow.Operators;

namespace OtlpFlow.Operators.Arrow.Flight;

/// <summary>
/// Sends batches to an <c>arrow.flight.receiver</c> over Arrow Flight DoPut: each of
/// <see cref="ArrowFlightExporterOptions.Streams"/> workers keeps one long-lived stream with its own
/// encoder, and a batch counts as delivered when the receiver acknowledges it.
/// </summary>
[Operator("arrow.flight.exporter", Options = typeof(ArrowFlightExporterOptions),
    Description = "Sends batches Arrow-encoded over long-lived Arrow Flight DoPut streams, delivered on acknowledgement.",
    Example = """{ "endpoint": "http://127.0.0.1:4319" }""")]
public sealed class ArrowFlightExporterOperator : SinkOperator
{
    private readonly ArrowFlightExporterOptions _options;
    private readonly Channel<FlightStreamWorker> _idle;
    private readonly List<FlightStreamWorker> _workers = [];
    private GrpcChannel? _channel;

    /// <summary>Creates the exporter; it connects on the first batch.</summary>
    public ArrowFlightExporterOperator(ArrowFlightExporterOptions options, OperatorContext context)
        : base(context)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        Memory = new TrackingMemoryAllocator(options.MemoryLimit.Bytes);
        _idle = Channel.CreateBounded<FlightStreamWorker>(options.Streams);
        ArrowMetrics.ObserveMemory(context.Meter, Memory, new("operator", context.Id));
    }

    /// <summary>The exporter's Arrow memory pool.</summary>
    public TrackingMemoryAllocator Memory { get; }

    /// <summary>Batches acknowledged as delivered.</summary>
    public long Acknowledged => Interlocked.Read(ref _acknowledged);

    /// <summary>Flight streams opened so far (one per worker, plus one after each reset).</summary>
    public int StreamsOpened => _workers.Sum(w => w.StreamsOpened);

    private long _acknowledged;

    /// <inheritdoc />
    public override Task StartAsync(CancellationToken cancellationToken)
    {
        _channel = GrpcChannel.ForAddress(_options.Endpoint, new GrpcChannelOptions
        {
            MaxSendMessageSize = (int)_options.MaxMessageSize.Bytes,
            MaxReceiveMessageSize = (int)_options.MaxMessageSize.Bytes,
        });
        var client = new FlightClient(_channel);
        for (var i = 0; i < _options.Streams; i++)
        {
            var worker = new FlightStreamWorker(client, _options.ToEncoderOptions(), Memory);
            _workers.Add(worker);
            _idle.Writer.TryWrite(worker);
        }

        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public override async ValueTask WriteAsync(TelemetryBatch batch, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        await Memory.WaitForRoomAsync(cancellationToken).ConfigureAwait(false);
        var worker = await _idle.Reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        Task<string?> ack;
        IDisposable lease;
        int stream;
        try
        {
            (ack, lease, stream) = await worker.SendAsync(batch.Payload, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is Grpc.Core.RpcException or IOException or InvalidOperationException or HttpRequestException)
        {
            throw new ArrowFlightException($"operator '{Context.Id}': sending to {_options.Endpoint} failed: {ex.Message}", ex);
        }
        finally
        {
            _idle.Writer.TryWrite(worker);
        }

        // The worker is free for the next batch while this one waits for its acknowledgement.
        using (lease)
        {
            string? error;
            try
            {
                error = await ack.WaitAsync(_options.AckTimeout, Context.TimeProvider, cancellationToken).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                // The stream may be stuck (a wedged receiver, a half-open connection): the worker's
                // next batch goes on a new one.
                worker.Abandon(stream);
                error = $"no acknowledgement within {_options.AckTimeout}";
            }

            if (error is not null)
            {
                throw new ArrowFlightException($"operator '{Context.Id}': {_options.Endpoint} did not deliver a batch of {batch.ItemCount} items: {error}");
            }
        }

        Interlocked.Increment(ref _acknowledged);
    }

    /// <inheritdoc />
    public override async ValueTask FlushAsync(CancellationToken cancellationToken)
    {
        foreach (var worker in _workers)
        {
            await worker.CompleteAsync(_options.AckTimeout).ConfigureAwait(false);
        }
    }

    /// <inheritdoc />
    public override async ValueTask DisposeAsync()
    {
        foreach (var worker in _workers)
        {
            await worker.DisposeAsync().ConfigureAwait(false);
        }

        _channel?.Dispose();
        await base.DisposeAsync().ConfigureAwait(false);
    }
}
