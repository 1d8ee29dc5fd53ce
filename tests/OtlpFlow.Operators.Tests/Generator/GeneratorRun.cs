using OtlpFlow.Engine.Telemetry;
using OtlpFlow.Engine.Testing;
using OtlpFlow.Operators.Generator;

namespace OtlpFlow.Operators.Tests.Generator;

/// <summary>Runs a bounded generator to its end and hands back what it emitted.</summary>
internal static class GeneratorRun
{
    public static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    public static async Task<IReadOnlyList<TelemetryBatch>> ToEndAsync(GeneratorOptions options, TimeProvider? time = null)
    {
        var generator = new GeneratorOperator(options, TestOperatorContext.Create(id: "gen", type: "generate", timeProvider: time));
        var output = new RecordingOutput();
        await generator.RunAsync(output, CancellationToken.None).WaitAsync(Deadline);
        return output.On();
    }

    /// <summary>Polls <paramref name="condition"/> until it holds, failing after <see cref="Deadline"/>.</summary>
    public static Task WaitForAsync(Func<bool> condition, string what) => Poll.UntilAsync(condition, what, Deadline);
}
