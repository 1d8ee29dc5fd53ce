using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;
using OtlpFlow.Engine.Plugins;

namespace OtlpFlow.Cli.Tests;

/// <summary>
/// The CLI and plugins: tests/plugins/SqlitePlugin (operator <c>test.sqlite</c>, which depends on
/// Microsoft.Data.Sqlite and its native e_sqlite3, neither of which the CLI has).
/// </summary>
public sealed class PluginCommandTests : IDisposable
{
    private static readonly TimeSpan ProcessTimeout = TimeSpan.FromMinutes(2);

    private readonly TestCli _cli = new();

    public static string SqlitePlugin => RepositoryFiles.PathOf("tests/plugins/SqlitePlugin/bin/plugin/OtlpFlow.Tests.SqlitePlugin.dll");

    public void Dispose() => _cli.Dispose();

    [Fact]
    public async Task Operators_with_a_plugin_lists_its_operators_with_their_options()
    {
        var exit = await _cli.RunAsync("operators", "--plugin", SqlitePlugin);

        Assert.True(exit == 0, _cli.Error.ToString());
        var text = _cli.Out.ToString().ReplaceLineEndings("\n");
        Assert.Contains(
            """
            test.sqlite (sink)
              Writes span names into an SQLite database (a test plugin).
              options:
                path  a string  required
            """.ReplaceLineEndings("\n"),
            text,
            StringComparison.Ordinal);
        Assert.Contains("test.spans (source)", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Schema_dash_prints_the_schema_as_json_on_standard_output()
    {
        var exit = await _cli.RunAsync("schema", "-");

        Assert.True(exit == 0, _cli.Error.ToString());
        var schema = JsonNode.Parse(_cli.Out.ToString())!;
        Assert.Equal("https://json-schema.org/draft/2020-12/schema", (string?)schema["$schema"]);
        Assert.Contains("test.spans", _cli.Out.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Schema_with_a_plugin_describes_its_operators_options()
    {
        var exit = await _cli.RunAsync("schema", "-", "--plugin", SqlitePlugin);

        Assert.True(exit == 0, _cli.Error.ToString());
        var sqlite = JsonNode.Parse(_cli.Out.ToString())!["$defs"]!["operator:test.sqlite"];
        Assert.NotNull(sqlite);
        Assert.Equal("test.sqlite (sink): Writes span names into an SQLite database (a test plugin).", (string?)sqlite["description"]);
        Assert.Equal("The SQLite database file; created when missing.", (string?)sqlite["properties"]!["path"]!["description"]);
    }

    [Fact]
    public async Task Docs_with_a_plugin_documents_its_operators()
    {
        var exit = await _cli.RunAsync("docs", "-", "--plugin", SqlitePlugin);

        Assert.True(exit == 0, _cli.Error.ToString());
        var text = _cli.Out.ToString();
        Assert.Contains("test.sqlite", text, StringComparison.Ordinal);
        Assert.Contains("The SQLite database file; created when missing.", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_plugin_that_cannot_be_loaded_is_an_error_naming_it()
    {
        var missing = Path.Combine(Path.GetTempPath(), $"no-such-plugin-{Guid.NewGuid():N}.dll");

        var exit = await _cli.RunAsync("operators", "--plugin", missing);

        Assert.Equal(2, exit);
        Assert.Contains($"error: plugin '{missing}' could not be loaded: no such file", _cli.Error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_otlpflow_process_runs_a_pipeline_whose_plugin_writes_every_span_into_sqlite()
    {
        var database = Path.Combine(Path.GetTempPath(), $"otlpflow-spans-{Guid.NewGuid():N}.db");
        var pipeline = _cli.Write($$"""
            {
              "name": "sqlite",
              "plugins": [{{JsonSerializer.Serialize(SqlitePlugin)}}],
              "operators": {
                "gen": { "type": "generate", "count": 1000, "batchSize": 100 },
                "db":  { "type": "test.sqlite", "inputs": ["gen"], "path": {{JsonSerializer.Serialize(database)}} }
              }
            }
            """);
        try
        {
            await using var process = OtlpflowProcess.Start("run", pipeline);
            var exit = await process.WaitForExitAsync(ProcessTimeout);

            Assert.True(exit == 0, process.Log);
            Assert.Equal(1000, ReadNames(database).Count);
        }
        finally
        {
            File.Delete(database);
        }
    }

    [Fact]
    public async Task A_start_failure_reports_its_cause()
    {
        var pipeline = _cli.Write(UnopenableDatabase());
        var cli = new TestCli(registry: () => new Hosting.OtlpFlowBuilder().BuildRegistry());

        var exit = await cli.RunAsync("run", pipeline);

        Assert.Equal(1, exit);
        var error = Assert.Single(cli.ErrorLines, l => l.StartsWith("error:", StringComparison.Ordinal));
        Assert.Contains("error: operator 'db' failed: cannot open the database", error, StringComparison.Ordinal);
        Assert.Contains("---> SQLite Error 14: 'unable to open database file'", error, StringComparison.Ordinal);
        cli.Dispose();
    }

    [Fact]
    public async Task With_verbose_a_start_failure_logs_the_whole_exception_chain()
    {
        var pipeline = _cli.Write(UnopenableDatabase());

        await using var process = OtlpflowProcess.Start("run", pipeline, "--verbose");
        var exit = await process.WaitForExitAsync(ProcessTimeout);

        Assert.True(exit == 1, process.Log);
        Assert.Contains("operator 'db' failed to start", process.Log, StringComparison.Ordinal);
        Assert.Contains("System.InvalidOperationException: cannot open the database", process.Log, StringComparison.Ordinal);
        Assert.Contains("---> Microsoft.Data.Sqlite.SqliteException", process.Log, StringComparison.Ordinal);
    }

    private static string UnopenableDatabase() => $$"""
        {
          "name": "unopenable",
          "plugins": [{{JsonSerializer.Serialize(SqlitePlugin)}}],
          "operators": {
            "gen": { "type": "generate", "count": 10 },
            "db":  { "type": "test.sqlite", "inputs": ["gen"], "path": {{JsonSerializer.Serialize(Path.Combine(Path.GetTempPath(), $"no-such-folder-{Guid.NewGuid():N}", "spans.db"))}} }
          }
        }
        """;

    // The test process has no Microsoft.Data.Sqlite: read through the plugin's own, in its context.
    private static IReadOnlyList<string> ReadNames(string database)
    {
        var sink = PluginLoadContext.LoadPlugin(SqlitePlugin).GetType("OtlpFlow.Tests.SqlitePlugin.SqliteSpanSink", throwOnError: true)!;
        return (IReadOnlyList<string>)sink.GetMethod("ReadNames", BindingFlags.Public | BindingFlags.Static)!.Invoke(null, [database])!;
    }
}
