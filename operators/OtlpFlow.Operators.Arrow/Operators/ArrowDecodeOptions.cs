using OtlpFlow.Engine.Options;

namespace OtlpFlow.Operators.Arrow.Operators;

/// <summary>Options of <c>arrow.decode</c>.</summary>
public sealed class ArrowDecodeOptions
{
    /// <summary>Arrow memory in use above which the operator waits before decoding more. Default <c>"64MiB"</c>.</summary>
    public ByteSize MemoryLimit { get; set; } = ByteSize.FromMiB(64);
}
