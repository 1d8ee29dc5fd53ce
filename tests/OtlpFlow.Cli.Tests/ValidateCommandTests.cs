using System.Text.RegularExpressions;

namespace OtlpFlow.Cli.Tests;

public sealed class ValidateCommandTests : IDisposable
{
    private readonly TestCli _cli = new();

    public void Dispose() => _cli.Dispose();

    [Fact]
    public async Task A_valid_file_exits_0_and_says_how_many_operators_it_has()
    {
        var path = _cli.Write("""
            {
              "operators": {
                "src": { "type": "test.spans" },
                "sink": { "type": "test.null", "inputs": ["src"] }
              }
            }
            """);

        var exit = await _cli.RunAsync("validate", path);

        Assert.Equal(0, exit);
        Assert.Equal([$"{path}: valid (2 operators)"], _cli.OutLines);
        Assert.Empty(_cli.ErrorLines);
    }

    [Fact]
    public async Task An_unknown_type_a_dangling_input_and_a_cycle_give_three_located_errors_and_exit_2()
    {
        var path = _cli.Write("""
            {
              "operators": {
                "src": { "type": "test.spans" },
                "mystery": { "type": "test.unknown", "inputs": ["src"] },
                "sink": { "type": "test.null", "inputs": ["nowhere"] },
                "a": { "type": "test.pass", "inputs": ["b"] },
                "b": { "type": "test.pass", "inputs": ["a"] }
              }
            }
            """);

        var exit = await _cli.RunAsync("validate", path);

        Assert.Equal(2, exit);
        Assert.Empty(_cli.OutLines);
        var pattern = new Regex("^" + Regex.Escape(path) + @":(\d+):(\d+): operator '([\w-]+)': (.+)$");
        var errors = _cli.ErrorLines.Select(line => pattern.Match(line)).ToArray();
        Assert.Equal(3, errors.Length);
        Assert.All(errors, m => Assert.True(m.Success && int.Parse(m.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture) > 1));
        Assert.Equal(["4", "5", "6"], errors.Select(m => m.Groups[1].Value));
        Assert.Equal(["mystery", "sink", "a"], errors.Select(m => m.Groups[3].Value));
        Assert.StartsWith("unknown operator type 'test.unknown'", errors[0].Groups[4].Value, StringComparison.Ordinal);
        Assert.StartsWith("input 'nowhere' names no operator", errors[1].Groups[4].Value, StringComparison.Ordinal);
        Assert.StartsWith("cycle: ", errors[2].Groups[4].Value, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_syntax_error_is_printed_with_its_position_and_exits_2()
    {
        var path = _cli.Write("{\n  \"operators\": {\n    \"src\": { \"type\": \"test.spans\" ]\n  }\n}\n");

        var exit = await _cli.RunAsync("validate", path);

        Assert.Equal(2, exit);
        var error = Assert.Single(_cli.ErrorLines);
        Assert.Matches("^" + Regex.Escape(path) + @":3:\d+: not valid JSON", error);
    }

    [Fact]
    public async Task A_missing_file_exits_2_saying_so()
    {
        var exit = await _cli.RunAsync("validate", "no-such-pipeline.json");

        Assert.Equal(2, exit);
        Assert.Equal(["no-such-pipeline.json:1:1: cannot read the pipeline file: no such file"], _cli.ErrorLines);
    }
}
