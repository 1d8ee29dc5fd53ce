using System.Collections.Concurrent;
using Google.Protobuf;
using OtlpFlow.Engine.Operators;
using OtlpFlow.Engine.Telemetry;

namespace OtlpFlow.Operators.Arrow.Tests.Support;

/// <summary>A <c>test.record</c> sink that keeps every payload it is given, in order.</summary>
[Operator("test.record")]
public sealed class RecordingSink(OperatorContext context) : SinkOperator(context)
{
    private readonly ConcurrentQueue<IMessage> _payloads = new();

    public IReadOnlyList<IMessage> Payloads => [.. _payloads];

    public int Items => _payloads.Sum(p => TelemetryBatch.Create(p).ItemCount);

    public override ValueTask WriteAsync(TelemetryBatch batch, CancellationToken cancellationToken)
    {
        _payloads.Enqueue(batch.Payload);
        return ValueTask.CompletedTask;
    }
}
