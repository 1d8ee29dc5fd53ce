using System.Text;
using OtlpFlow.Hosting;

namespace OtlpFlow.Cli.Tests;

/// <summary>
/// Pipeline files a careless user writes: each once crashed `validate` or `run` with a stack trace,
/// or passed `validate` and failed at run time. Now each is a located error and exit 2, from
/// `validate` first. Also <c>${env:...}</c> and <c>${file:...}</c> references and their redaction.
/// </summary>
public sealed class ConfigHardeningTests : IDisposable
{
    private readonly TestCli _cli = new(registry: () => new OtlpFlowBuilder().BuildRegistry());

    public void Dispose() => _cli.Dispose();

    private async Task<string> ValidateFailsAsync(string path)
    {
        var exit = await _cli.RunAsync("validate", path);
        var errors = _cli.Error.ToString();
        Assert.Equal(2, exit);
        Assert.DoesNotContain("   at ", errors, StringComparison.Ordinal);
        Assert.Contains(path + ":", errors, StringComparison.Ordinal);
        return errors;
    }

    [Fact]
    public async Task Invalid_UTF8_in_a_property_name_is_a_located_error()
    {
        var path = _cli.Write("{}");
        var bytes = Encoding.UTF8.GetBytes("""
            { "operators": {
                "gen": { "type": "generate", "signal": "traces", "count": 1 },
                "out": { "type": "debug", "inputs": ["gen"], "XX": 1 } } }
            """);
        var at = Encoding.UTF8.GetString(bytes).IndexOf("XX", StringComparison.Ordinal);
        bytes[at] = 0xC3;
        bytes[at + 1] = 0x28;
        await File.WriteAllBytesAsync(path, bytes);

        var errors = await ValidateFailsAsync(path);
        Assert.Contains(":3:", errors, StringComparison.Ordinal);
        Assert.Contains("not valid UTF-8", errors, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_null_list_in_a_nested_option_is_a_located_error()
    {
        var path = _cli.Write("""
            { "operators": {
                "gen":  { "type": "generate", "signal": "traces", "count": 1 },
                "tail": { "type": "sampling.tail", "inputs": ["gen"],
                          "policies": [ { "type": "stringAttribute", "key": "k", "values": null } ] },
                "out":  { "type": "debug", "inputs": ["tail"] } } }
            """);

        var errors = await ValidateFailsAsync(path);
        Assert.Contains("operator 'tail'", errors, StringComparison.Ordinal);
        Assert.Contains("values", errors, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{ "type": "batch", "inputs": ["gen"], "timeout": "100000h" }""", "timeout")]
    [InlineData("""{ "type": "file.writer", "inputs": ["gen"], "path": "" }""", "path")]
    [InlineData("""{ "type": "file.writer", "inputs": ["gen"], "path": "   " }""", "path")]
    public async Task A_value_that_would_fail_at_run_time_is_refused_by_validate_and_by_run(string op, string key)
    {
        var path = _cli.Write($$"""
            { "operators": {
                "gen": { "type": "generate", "signal": "traces", "count": 10 },
                "op":  {{op}} } }
            """);

        var errors = await ValidateFailsAsync(path);
        Assert.Contains($"operator 'op': '{key}'", errors, StringComparison.Ordinal);
        Assert.Equal(2, await _cli.RunAsync("run", path, "--duration", "2s"));
    }

    [Fact]
    public async Task A_cycle_is_reported_even_when_an_operator_in_it_has_bad_options()
    {
        var path = _cli.Write("""
            { "operators": {
                "gen": { "type": "generate", "signal": "traces", "count": 1 },
                "a":   { "type": "batch", "inputs": ["gen", "b"], "timeout": "soon" },
                "b":   { "type": "batch", "inputs": ["a"] },
                "out": { "type": "debug", "inputs": ["b"] } } }
            """);

        var errors = await ValidateFailsAsync(path);
        Assert.Contains("cycle", errors, StringComparison.Ordinal);
        Assert.Contains("timeout", errors, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Env_and_file_references_are_substituted_and_their_values_never_shown()
    {
        var name = "OTLPFLOW_TEST_TOKEN_" + Guid.NewGuid().ToString("N");
        Environment.SetEnvironmentVariable(name, "s3cr3t-token-value");
        try
        {
            var folder = Path.GetDirectoryName(_cli.Write("{}", "placeholder.json"))!;
            var output = Path.Combine(folder, "written-by-a-file-secret.json");
            _cli.Write(output + "\n", "secret.txt");
            var path = _cli.Write($$"""
                { "operators": {
                    "gen": { "type": "generate", "signal": "traces", "count": "${env:{{name}}}" },
                    "out": { "type": "file.writer", "inputs": ["gen"], "path": "${file:secret.txt}", "format": "${env:OTLPFLOW_NOT_SET_ANYWHERE:-json}" } } }
                """);

            // The token is no number: the error names the option but not the value.
            var errors = await ValidateFailsAsync(path);
            Assert.Contains("operator 'gen': 'count'", errors, StringComparison.Ordinal);
            Assert.Contains("***", errors, StringComparison.Ordinal);
            Assert.DoesNotContain("s3cr3t-token-value", errors + _cli.Out, StringComparison.Ordinal);
            Assert.DoesNotContain("written-by-a-file-secret", errors + _cli.Out, StringComparison.Ordinal);

            // A number from the environment becomes a number; a file's content (less its line break) a string.
            Environment.SetEnvironmentVariable(name, "25");
            Assert.Equal(0, await _cli.RunAsync("run", path));
            Assert.Equal(25, File.ReadAllLines(output).Sum(l => System.Text.RegularExpressions.Regex.Matches(l, "\"spanId\"").Count));
        }
        finally
        {
            Environment.SetEnvironmentVariable(name, null);
        }
    }

    [Theory]
    [InlineData("${env:OTLPFLOW_SURELY_UNSET_VARIABLE}", "OTLPFLOW_SURELY_UNSET_VARIABLE")]
    [InlineData("${file:no-such-secret.txt}", "no such file")]
    [InlineData("${vault:x}", "unknown reference")]
    [InlineData("${env:X", "closing")]
    public async Task A_reference_that_cannot_be_resolved_is_a_located_error(string value, string expected)
    {
        var path = _cli.Write($$"""
            { "operators": {
                "gen": { "type": "generate", "signal": "traces", "count": 1 },
                "out": { "type": "file.writer", "inputs": ["gen"], "path": "{{value}}" } } }
            """);

        var errors = await ValidateFailsAsync(path);
        Assert.Contains(":3:", errors, StringComparison.Ordinal);
        Assert.Contains("operator 'out'", errors, StringComparison.Ordinal);
        Assert.Contains(expected, errors, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_doubled_dollar_writes_a_literal_reference()
    {
        var path = _cli.Write("""
            { "operators": {
                "gen": { "type": "generate", "signal": "traces", "count": 1 },
                "out": { "type": "debug", "inputs": ["gen"] },
                "f":   { "type": "filter", "inputs": ["gen"], "drop": { "r": "name == \"$${env:X}\"" } },
                "o2":  { "type": "debug", "inputs": ["f"] } } }
            """);

        Assert.Equal(0, await _cli.RunAsync("validate", path));
    }
}
