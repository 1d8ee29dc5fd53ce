using Google.Protobuf;
using OtlpFlow.Engine.Telemetry;
using OtlpFlow.Engine.Testing;
using OtlpFlow.Operators.Generator;

namespace OtlpFlow.Operators.Arrow.Tests.Support;

/// <summary>Export requests from the built-in generator.</summary>
internal static class Generated
{
    public static async Task<IReadOnlyList<IMessage>> RequestsAsync(Signal signal, int seed, int count, int batchSize)
    {
        var options = new GeneratorOptions { Signal = signal, Seed = seed, Count = count, BatchSize = batchSize };
        var generator = new GeneratorOperator(options, TestOperatorContext.Create(id: "gen", type: "generate"));
        var output = new RecordingOutput();
        await generator.RunAsync(output, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(60));
        return output.On().Select(b => b.Payload).ToList();
    }
}
