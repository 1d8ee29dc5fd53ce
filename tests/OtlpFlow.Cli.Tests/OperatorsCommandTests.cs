namespace OtlpFlow.Cli.Tests;

public sealed class OperatorsCommandTests : IDisposable
{
    private readonly TestCli _cli = new();

    public void Dispose() => _cli.Dispose();

    [Fact]
    public async Task Every_type_is_listed_sorted_with_its_kind_description_and_options()
    {
        var exit = await _cli.RunAsync("operators");

        Assert.Equal(0, exit);
        var headers = _cli.OutLines.Where(l => !l.StartsWith(' ')).ToArray();
        Assert.Equal(
            ["test.drop (processor)", "test.fail (sink)", "test.file (sink)", "test.null (sink)", "test.pass (processor)", "test.spans (source)"],
            headers);
    }

    [Fact]
    public async Task Options_show_their_json_name_expected_value_and_default_and_required_ones_say_so()
    {
        await _cli.RunAsync("operators");

        var text = _cli.Out.ToString().ReplaceLineEndings("\n");
        Assert.Contains(
            """
            test.file (sink)
              Pretends to write a file.
              options:
                path        a string               required
                flushEvery  a duration like "10s"  default: "250ms"
                label       a string               default: none

            """.ReplaceLineEndings("\n"),
            text,
            StringComparison.Ordinal);
        Assert.Contains(
            """
            test.spans (source)
              Emits small trace batches.
              options:
                batches        an integer     default: 3
                spansPerBatch  an integer     default: 2
                endless        true or false  default: false

            """.ReplaceLineEndings("\n"),
            text,
            StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_operator_without_options_says_so()
    {
        await _cli.RunAsync("operators");

        Assert.Contains("test.null (sink)\n  Accepts and forgets.\n  no options\n", _cli.Out.ToString().ReplaceLineEndings("\n"), StringComparison.Ordinal);
    }
}
