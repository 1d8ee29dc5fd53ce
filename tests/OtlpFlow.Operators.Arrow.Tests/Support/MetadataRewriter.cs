using OtlpFlow.Engine.Operators;
using OtlpFlow.Engine.Telemetry;

namespace OtlpFlow.Operators.Arrow.Tests.Support;

/// <summary>
/// A <c>test.rewriteMetadata</c> processor that assigns a tenant and replaces the metadata with a
/// new dictionary, as a tenant or header operator would.
/// </summary>
[Operator("test.rewriteMetadata")]
public sealed class MetadataRewriter(OperatorContext context) : ProcessorOperator(context)
{
    public override ValueTask ProcessAsync(TelemetryBatch batch, IOperatorOutput output, CancellationToken cancellationToken)
    {
        var metadata = new Dictionary<string, string>(batch.Context.Metadata) { ["x-rewritten"] = "yes" };
        return output.EmitAsync(batch.WithContext(batch.Context with { Tenant = "acme", Metadata = metadata }), cancellationToken);
    }
}
