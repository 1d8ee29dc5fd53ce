using OtlpFlow.Hosting;

namespace OtlpFlow.Cli.Tests;

/// <summary>The README's first command: the quickstart pipeline with the real built-in operators.</summary>
public sealed class QuickstartTests : IDisposable
{
    private readonly TestCli _cli = new(registry: () => new OtlpFlowBuilder().BuildRegistry());

    public void Dispose() => _cli.Dispose();

    [Fact]
    public async Task Run_without_a_file_runs_the_built_in_quickstart_and_exits_0()
    {
        var exit = await _cli.RunAsync("run", "--duration", "300ms");

        Assert.Equal(0, exit);
        var summary = _cli.OutLines;
        Assert.Contains(summary, l => l.StartsWith("gen ", StringComparison.Ordinal) && l.Contains("generate", StringComparison.Ordinal));
        Assert.Contains(summary, l => l.StartsWith("out ", StringComparison.Ordinal) && l.Contains("debug", StringComparison.Ordinal));
        Assert.Matches(@"^pipeline 'quickstart' stopped after .*drained$", summary[^1]);
    }

    [Fact]
    public async Task The_sample_quickstart_file_is_valid()
    {
        var sample = Path.Combine(RepositoryRoot(), "samples", "pipelines", "quickstart.json");

        var exit = await _cli.RunAsync("validate", sample);

        Assert.Equal(0, exit);
        Assert.Empty(_cli.ErrorLines);
    }

    private static string RepositoryRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "OtlpFlow.sln")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException("OtlpFlow.sln not found above the test folder");
    }
}
