using OtlpFlow.Engine.Operators;

namespace OtlpFlow.Engine.Testing.Harness;

/// <summary>
/// The harness's source (<c>harness.source</c>): it hands its output to the harness, whose
/// <c>SendAsync</c> emits through it, and finishes when the pipeline is asked to stop.
/// </summary>
internal sealed class HarnessSource(OperatorContext context, HarnessWiring wiring) : SourceOperator(context)
{
    public const string TypeName = "harness.source";

    public override async Task RunAsync(IOperatorOutput output, CancellationToken stopToken)
    {
        wiring.AttachSource(output);
        await Task.Delay(Timeout.Infinite, stopToken).ConfigureAwait(false);
    }
}
