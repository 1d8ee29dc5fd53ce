using OtlpFlow.Engine.Telemetry;

namespace OtlpFlow.Hosting.Tests.Conformance;

public sealed class ConformanceSourceOptions
{
    public Signal Signal { get; set; } = Signal.Traces;

    public int Batches { get; set; } = 6;

    public int BatchSize { get; set; } = 50;
}
