using OtlpFlow.Engine.Pipeline;

namespace OtlpFlow.Operators.Tests.Flow;

public sealed class FlowSampleTests
{
    [Fact]
    public void The_multi_tenant_sample_pipeline_is_valid()
    {
        var path = Path.Combine(RepositoryRoot(), "samples", "pipelines", "multi-tenant.json");
        var spec = PipelineLoader.Parse(File.ReadAllText(path), path);
        Assert.Empty(new PipelineBuilder(RateLimitPipelineTests.Registry()).Validate(spec));
    }

    private static string RepositoryRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "OtlpFlow.sln")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException("OtlpFlow.sln not found above " + AppContext.BaseDirectory);
    }
}
