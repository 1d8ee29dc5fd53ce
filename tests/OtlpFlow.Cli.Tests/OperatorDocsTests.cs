using OtlpFlow.Cli.Commands;

namespace OtlpFlow.Cli.Tests;

public sealed class OperatorDocsTests
{
    [Fact]
    public void The_committed_operator_reference_is_what_the_generator_makes_from_the_registered_operators()
    {
        var generated = DocsCommand.Generate(SchemaTests.BuiltInCli());
        var committed = File.ReadAllText(RepositoryFiles.PathOf("docs/operators.md")).ReplaceLineEndings("\n");

        Assert.True(generated == committed, "docs/operators.md is stale: regenerate it with `dotnet run --project hosts/OtlpFlow.Cli -- docs` from the repository root");
    }

    [Fact]
    public void The_reference_lists_each_operator_with_its_kind_ports_and_options_with_defaults()
    {
        var text = DocsCommand.Generate(SchemaTests.BuiltInCli());

        Assert.Contains("| [`generate`](#generate) | source |", text, StringComparison.Ordinal);
        Assert.Contains("## sampling.tail\n\nProcessor: ", text, StringComparison.Ordinal);
        Assert.Contains("| `decisionWait` | a duration like \"10s\" | `\"30s\"` |", text, StringComparison.Ordinal);
        Assert.Contains("| `signal` | one of `\"traces\"`, `\"metrics\"`, `\"logs\"` | `\"traces\"` |", text, StringComparison.Ordinal);
        Assert.Contains("## file.writer\n\nSink: ", text, StringComparison.Ordinal);
        Assert.Contains("Ports: none besides `dropped`.", text, StringComparison.Ordinal);
        Assert.Contains("Ports: `out`, and `dropped`.", text, StringComparison.Ordinal);

        // Each operator's documented example, as a pipeline-file entry.
        Assert.Contains("Example:\n\n```json\n{ \"type\": \"sampling.traceIdRatio\", \"inputs\": [\"in\"], \"ratio\": 0.25 }\n```", text, StringComparison.Ordinal);
        Assert.Contains("{ \"type\": \"generate\", \"signal\"", text, StringComparison.Ordinal);

        // Nested options get tables of their own.
        Assert.Contains("`retry`:", text, StringComparison.Ordinal);
    }
}
