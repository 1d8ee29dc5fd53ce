using OtlpFlow.Engine.Operators;
using OtlpFlow.Engine.Telemetry;

namespace OtlpFlow.Engine.Testing.Harness;

/// <summary>
/// The harness's sink on one port (<c>harness.sink</c>): waits while its output is held, then
/// records the batch. The engine settles the batch's share as delivered when this returns, except
/// on the <c>"dropped"</c> port, where the share is refused as an unread port would refuse it.
/// </summary>
internal sealed class HarnessSink(HarnessSinkOptions options, OperatorContext context, HarnessWiring wiring) : SinkOperator(context)
{
    public const string TypeName = "harness.sink";

    private readonly HarnessOutput _output = wiring.Output(options.Port);

    public override async ValueTask WriteAsync(TelemetryBatch batch, CancellationToken cancellationToken)
    {
        await _output.PassAsync(cancellationToken).ConfigureAwait(false);

        // Decode now: an encoded batch's pooled bytes go back to the pool once its share is settled,
        // and a test reads the recorded batch long after.
        _ = batch.Payload;
        _output.Record(batch);
        _output.Answer?.Invoke(batch);
        if (_output.Port == IOperatorOutput.DroppedPort)
        {
            batch.Ack.Refuse(batch.ItemCount, "dropped");
        }
    }
}
