using System.Threading.Channels;
using Apache.Arrow.Flight;
using Apache.Arrow.Flight.Server;
using Grpc.Core;
using Microsoft.Extensions.Logging;
using OtlpFlow.Engine.Operators;
using OtlpFlow.Engine.Telemetry;
using OtlpFlow.Operators.Arrow.Encoding;
using OtlpFlow.Operators.Arrow.Memory;

namespace OtlpFlow.Operators.Arrow.Flight;

/// <summary>
/// The receiving side of one Flight server: reads each DoPut stream with its own decoder, emits
/// every decoded batch into the graph, and answers each with a put result once it is accepted or
/// settled. A stream is read only while the memory pool is under its limit, so a slow graph
/// slows the exporter through gRPC flow control.
/// </summary>
internal sealed partial class FlightIngest
{
    private readonly ArrowFlightReceiverOptions _options;
    private readonly OperatorContext _context;
    private readonly TaskCompletionSource<IOperatorOutput> _output = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource _closing = new();
    private long _streams;
    private long _batches;

    public FlightIngest(ArrowFlightReceiverOptions options, OperatorContext context, TrackingMemoryAllocator memory)
    {
        _options = options;
        _context = context;
        Memory = memory;
    }

    public TrackingMemoryAllocator Memory { get; }

    /// <summary>DoPut streams opened so far.</summary>
    public long Streams => Interlocked.Read(ref _streams);

    /// <summary>Batches received so far.</summary>
    public long Batches => Interlocked.Read(ref _batches);

    public void Attach(IOperatorOutput output) => _output.TrySetResult(output);

    /// <summary>Refuses new streams and ends the ones open.</summary>
    public void Close() => _closing.Cancel();

    public async Task DoPutAsync(FlightServerRecordBatchStreamReader requests, IAsyncStreamWriter<FlightPutResult> responses, ServerCallContext call)
    {
        Interlocked.Increment(ref _streams);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(call.CancellationToken, _closing.Token);
        var cancel = linked.Token;
        var output = await _output.Task.WaitAsync(cancel).ConfigureAwait(false);
        using var decoder = new OtlpArrowDecoder(Memory);

        // Put results are written by one loop: a gRPC stream takes one write at a time, and
        // acknowledgements arrive from whichever thread settles a batch.
        var acks = Channel.CreateUnbounded<FlightPutResult>(new UnboundedChannelOptions { SingleReader = true });
        var writer = WriteAcksAsync(acks.Reader, responses);
        var outstanding = new Outstanding();
        try
        {
            while (await requests.MoveNext(cancel).ConfigureAwait(false))
            {
                using var envelope = requests.Current;
                foreach (var (sequence, message) in FlightEnvelope.Unwrap(envelope))
                {
                    await Memory.WaitForRoomAsync(cancel).ConfigureAwait(false);
                    await IngestAsync(decoder, sequence, message, output, acks.Writer, outstanding, cancel).ConfigureAwait(false);
                }
            }

            // The exporter finished sending: answer the batches still being delivered, then end.
            await outstanding.AllSettled.WaitAsync(cancel).ConfigureAwait(false);
        }
        finally
        {
            acks.Writer.TryComplete();
            await writer.ConfigureAwait(false);
        }
    }

    private async Task IngestAsync(OtlpArrowDecoder decoder, long sequence, ReadOnlyMemory<byte> message, IOperatorOutput output,
        ChannelWriter<FlightPutResult> acks, Outstanding outstanding, CancellationToken cancel)
    {
        // The message counts against the pool until its batch is settled (or accepted).
        var lease = Memory.Reserve(message.Length);
        Google.Protobuf.IMessage request;
        try
        {
            request = decoder.Decode(message);
        }
        catch (Exception ex) when (ex is InvalidDataException or ArrowStreamGapException)
        {
            lease.Dispose();

            // The stream's dictionaries are lost with this message: end the stream so that the
            // exporter starts a new one.
            throw new RpcException(new Status(StatusCode.InvalidArgument, $"message {sequence} cannot be decoded: {ex.Message}"));
        }

        Interlocked.Increment(ref _batches);
        var delivered = _options.Ack == ArrowFlightAckMode.Delivered;
        outstanding.Add();
        var (share, _) = Acknowledgement.Create(message.Length, (_, result) =>
        {
            if (delivered)
            {
                lease.Dispose();
                acks.TryWrite(new FlightPutResult(FlightEnvelope.Ack(sequence, result.Succeeded ? null : $"{result.FailedItems} items failed downstream: {result.Error?.Message}")));
                outstanding.Remove();
            }
        });
        var batch = TelemetryBatch.Create(request, new BatchContext(null, NoMetadata, _context.TimeProvider.GetUtcNow()), share, message.Length);
        try
        {
            await output.EmitAsync(batch, cancel).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            share.Fail(batch.ItemCount, ex);
            throw;
        }

        if (!delivered)
        {
            lease.Dispose();
            acks.TryWrite(new FlightPutResult(FlightEnvelope.Ack(sequence, null)));
            outstanding.Remove();
        }
    }

    private async Task WriteAcksAsync(ChannelReader<FlightPutResult> acks, IAsyncStreamWriter<FlightPutResult> responses)
    {
        try
        {
            await foreach (var ack in acks.ReadAllAsync(CancellationToken.None).ConfigureAwait(false))
            {
                // The Flight library's writer does not take a token (the overload would throw): a
                // cancelled call fails the write instead.
                await responses.WriteAsync(ack).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or InvalidOperationException or IOException or RpcException)
        {
            // The call ended (the exporter went away): its batches still settle; their answers have nowhere to go.
            LogAcksLost(_context.Logger, _context.Id, ex.Message);
        }
    }

    private static readonly IReadOnlyDictionary<string, string> NoMetadata = new Dictionary<string, string>();

    /// <summary>Counts the batches of a stream not yet answered.</summary>
    private sealed class Outstanding
    {
        private readonly TaskCompletionSource _zero = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _count = 1;

        public Task AllSettled
        {
            get
            {
                Remove();
                return _zero.Task;
            }
        }

        public void Add() => Interlocked.Increment(ref _count);

        public void Remove()
        {
            if (Interlocked.Decrement(ref _count) == 0)
            {
                _zero.TrySetResult();
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "operator '{OperatorId}': a Flight stream ended before all of its acknowledgements were sent: {Reason}")]
    private static partial void LogAcksLost(ILogger logger, string operatorId, string reason);
}
