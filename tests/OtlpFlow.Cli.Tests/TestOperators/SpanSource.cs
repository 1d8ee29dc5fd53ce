using OtlpFlow.Engine.Operators;

namespace OtlpFlow.Cli.Tests.TestOperators;

/// <summary>Emits a few small trace batches, or batches until stopped; tells a <see cref="RunProbe"/> (if one is a service) when the first is sent.</summary>
public sealed class SpanSource(SpanSourceOptions options, OperatorContext context) : SourceOperator(context)
{
    public override async Task RunAsync(IOperatorOutput output, CancellationToken stopToken)
    {
        var probe = Context.Services.GetService(typeof(RunProbe)) as RunProbe;
        for (var i = 0; options.Endless || i < options.Batches; i++)
        {
            stopToken.ThrowIfCancellationRequested();
            await output.EmitAsync(TestSpans.Batch(options.SpansPerBatch), stopToken);
            probe?.FirstBatchSent.TrySetResult();
            if (options.Endless)
            {
                await Task.Yield();
            }
        }
    }
}
