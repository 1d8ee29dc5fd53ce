using Microsoft.Extensions.DependencyInjection;
using OtlpFlow.Engine.Operators;

namespace OtlpFlow.Tests.Shared;

/// <summary>Emits a few small trace batches, or batches until stopped; tells a <see cref="RunProbe"/> (if the services have one) when the first is sent.</summary>
[Operator("test.spans", Options = typeof(SpanSourceOptions), Description = "Emits small trace batches.")]
public sealed class SpanSource(SpanSourceOptions options, OperatorContext context) : SourceOperator(context)
{
    public override async Task RunAsync(IOperatorOutput output, CancellationToken stopToken)
    {
        var probe = Context.Services.GetService<RunProbe>();
        for (var i = 0; options.Endless || i < options.Batches; i++)
        {
            stopToken.ThrowIfCancellationRequested();
            await output.EmitAsync(TestSpans.Batch(options.SpansPerBatch), stopToken);
            probe?.FirstBatchSent.TrySetResult();
            if (options.Endless)
            {
                // Let the rest of the pipeline (and the test) run between batches.
                await Task.Yield();
            }
        }
    }
}
