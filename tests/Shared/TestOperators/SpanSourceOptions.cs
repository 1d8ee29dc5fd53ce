namespace OtlpFlow.Tests.Shared;

public sealed class SpanSourceOptions
{
    public int Batches { get; set; } = 3;

    public int SpansPerBatch { get; set; } = 2;

    /// <summary>Emit until the pipeline stops, ignoring <see cref="Batches"/>.</summary>
    public bool Endless { get; set; }
}
