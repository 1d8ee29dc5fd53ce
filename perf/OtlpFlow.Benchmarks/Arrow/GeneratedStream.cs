using Google.Protobuf;
using OtlpFlow.Engine.Telemetry;
using OtlpFlow.Engine.Testing;
using OtlpFlow.Operators.Generator;

namespace OtlpFlow.Benchmarks.Arrow;

/// <summary>A stream of requests from the built-in generator (seed 1), the same on every run.</summary>
public static class GeneratedStream
{
    /// <summary>Batches per stream in the Arrow benchmarks.</summary>
    public const int Batches = 20;

    /// <summary>Items per batch in the Arrow benchmarks.</summary>
    public const int BatchSize = 1000;

    /// <summary>Makes <see cref="Batches"/> requests of <see cref="BatchSize"/> items of a signal.</summary>
    public static async Task<IMessage[]> CreateAsync(Signal signal)
    {
        var options = new GeneratorOptions { Signal = signal, Seed = 1, Count = Batches * BatchSize, BatchSize = BatchSize };
        var generator = new GeneratorOperator(options, TestOperatorContext.Create(id: "gen", type: "generate"));
        var output = new RecordingOutput();
        await generator.RunAsync(output, CancellationToken.None).ConfigureAwait(false);
        return output.On().Select(b => b.Payload).ToArray();
    }
}
