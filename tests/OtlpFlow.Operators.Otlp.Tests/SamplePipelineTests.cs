using OtlpFlow.Engine.Pipeline;
using OtlpFlow.Operators.Otlp.Tests.Support;

namespace OtlpFlow.Operators.Otlp.Tests;

/// <summary>The gateway sample is a valid pipeline.</summary>
public sealed class SamplePipelineTests
{
    [Fact]
    public void The_gateway_sample_validates()
    {
        var root = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(root, "OtlpFlow.sln")))
        {
            root = Path.GetDirectoryName(root)!;
        }

        var path = Path.Combine(root, "samples", "pipelines", "gateway.json");
        var spec = PipelineLoader.Parse(File.ReadAllText(path), path);
        Assert.Empty(new PipelineBuilder(TestPipeline.Registry()).Validate(spec));
    }
}
