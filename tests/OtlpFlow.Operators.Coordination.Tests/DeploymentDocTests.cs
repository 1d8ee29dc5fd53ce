using System.Text.RegularExpressions;
using OtlpFlow.Engine.Pipeline;
using OtlpFlow.Operators.Otlp.LoadBalancing;

namespace OtlpFlow.Operators.Coordination.Tests;

/// <summary>The pipelines in docs/deployment.md are valid.</summary>
public sealed partial class DeploymentDocTests
{
    [GeneratedRegex("```json\\n(\\{\\n.*?\\n\\})\\n```", RegexOptions.Singleline)]
    private static partial Regex WholePipeline();

    [Fact]
    public void The_front_and_back_tier_pipelines_of_the_deployment_guide_validate()
    {
        var root = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(root, "OtlpFlow.sln")))
        {
            root = Path.GetDirectoryName(root)!;
        }

        var text = File.ReadAllText(Path.Combine(root, "docs", "deployment.md"));
        var pipelines = WholePipeline().Matches(text).Select(m => m.Groups[1].Value).ToArray();
        Assert.Equal(2, pipelines.Length);
        var registry = TestRegistry.Create().AddAssembly(typeof(LoadBalancingOperator).Assembly);
        foreach (var json in pipelines)
        {
            var spec = PipelineLoader.Parse(json, "deployment.md");
            Assert.NotNull(CoordinationOptions.From(spec));
            Assert.Empty(new PipelineBuilder(registry).Validate(spec));
        }
    }
}
