using System.Collections.Concurrent;
using OtlpFlow.Engine.Operators;
using OtlpFlow.Engine.Telemetry;

namespace OtlpFlow.Engine.Testing.Harness;

/// <summary>
/// What the harness shares with its own source and sinks, handed to them through the services
/// container (operators are made by the engine, from their type name and options, like any other).
/// </summary>
internal sealed class HarnessWiring(int outputCapacity)
{
    private readonly ConcurrentDictionary<string, HarnessOutput> _outputs = new(StringComparer.Ordinal);
    private readonly TaskCompletionSource<IOperatorOutput> _source = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Every batch any output received, in arrival order.</summary>
    public ConcurrentQueue<(string Port, TelemetryBatch Batch)> Emitted { get; } = new();

    /// <summary>The harness source's output, once the pipeline runs it.</summary>
    public Task<IOperatorOutput> SourceOutput => _source.Task;

    public void AttachSource(IOperatorOutput output) => _source.TrySetResult(output);

    public HarnessOutput Output(string port) => _outputs.GetOrAdd(port, p => new HarnessOutput(p, outputCapacity, Emitted));

    public bool TryGetOutput(string port, out HarnessOutput output) => _outputs.TryGetValue(port, out output!);

    public IEnumerable<HarnessOutput> Outputs => _outputs.Values;
}
