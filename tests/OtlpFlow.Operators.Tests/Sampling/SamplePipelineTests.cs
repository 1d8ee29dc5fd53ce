using System.Runtime.CompilerServices;
using OtlpFlow.Engine.Operators;
using OtlpFlow.Engine.Pipeline;
using OtlpFlow.Operators.Sampling;

namespace OtlpFlow.Operators.Tests.Sampling;

public sealed class SamplePipelineTests
{
    private static string SamplePath([CallerFilePath] string here = "") =>
        Path.GetFullPath(Path.Combine(Path.GetDirectoryName(here)!, "..", "..", "..", "samples", "pipelines", "tail-sampling.json"));

    [Fact]
    public async Task The_tail_sampling_sample_builds_with_every_sampler_registered()
    {
        var registry = new OperatorRegistry().AddAssembly(typeof(TailSamplingOperator).Assembly);
        foreach (var type in new[] { "sampling.traceIdRatio", "sampling.consistent", "sampling.tail", "sampling.priority", "sampling.adaptive", "sampling.anomaly" })
        {
            Assert.True(registry.TryGet(type, out _), type);
        }

        var path = SamplePath();
        await using var pipeline = new PipelineBuilder(registry).Build(PipelineLoader.Parse(await File.ReadAllTextAsync(path), path));
        Assert.Contains("tail", pipeline.OperatorIds);
    }
}
