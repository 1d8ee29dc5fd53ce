using OtlpFlow.Engine.Operators;
using OtlpFlow.Engine.Pipeline;
using OtlpFlow.Operators.Arrow.Operators;
using OtlpFlow.Operators.Files;
using OtlpFlow.Operators.Otlp.Receiver;

namespace OtlpFlow.Operators.Arrow.Tests.Support;

/// <summary>Builds pipelines from JSON with the Arrow, OTLP and base operators.</summary>
internal static class Pipelines
{
    public static OperatorRegistry Registry() => new OperatorRegistry()
        .AddAssembly(typeof(ArrowEncodeOperator).Assembly)
        .AddAssembly(typeof(OtlpReceiverOperator).Assembly)
        .AddAssembly(typeof(FileWriterOperator).Assembly)
        .AddAssembly(typeof(Pipelines).Assembly);

    public static RunningPipeline Build(string json) => new PipelineBuilder(Registry()).Build(PipelineLoader.Parse(json, "test.json"));

    /// <summary>Runs a bounded pipeline to its end.</summary>
    public static async Task<RunningPipeline> RunToEndAsync(string json)
    {
        var pipeline = Build(json);
        await pipeline.StartAsync();
        await pipeline.Completion.WaitAsync(TimeSpan.FromSeconds(60));
        return pipeline;
    }
}
