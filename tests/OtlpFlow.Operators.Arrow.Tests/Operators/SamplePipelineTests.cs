using OtlpFlow.Engine.Pipeline;
using OtlpFlow.Operators.Arrow.Tests.Support;

namespace OtlpFlow.Operators.Arrow.Tests.Operators;

public sealed class SamplePipelineTests
{
    private static string RepositoryFile(string relative)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, relative);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new FileNotFoundException($"'{relative}' not found above {AppContext.BaseDirectory}.");
    }

    [Fact]
    public async Task The_arrow_link_sample_is_a_valid_pipeline_of_an_edge_and_a_gateway()
    {
        var path = RepositoryFile("samples/pipelines/arrow-link.json");
        var spec = PipelineLoader.Parse(await File.ReadAllTextAsync(path), path);

        await using var pipeline = new PipelineBuilder(Pipelines.Registry()).Build(spec);

        Assert.Equal(
            ["arrow.batch", "arrow.flight.exporter", "arrow.flight.receiver", "otlp.exporter", "otlp.receiver"],
            spec.Operators.Select(o => o.Type).Order(StringComparer.Ordinal));
    }
}
