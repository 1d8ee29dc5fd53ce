using Microsoft.Data.Sqlite;
using OtlpFlow.Engine.Operators;
using OtlpFlow.Engine.Pipeline;
using OtlpFlow.Engine.Testing;

namespace OtlpFlow.Samples.OperatorPlugin.Tests;

public sealed class SqliteSinkTests
{
    private static readonly System.Reflection.Assembly[] Plugin = [typeof(SqliteSinkOperator).Assembly];

    [Fact]
    public async Task The_path_is_required()
    {
        var error = await Assert.ThrowsAsync<PipelineValidationException>(() => OperatorHarness.CreateAsync(Plugin, "sample.sqlite", "{}"));

        Assert.Contains(error.Errors, e => e.Message.Contains("path", StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public async Task A_batch_of_spans_becomes_rows()
    {
        using var folder = new TempFolder();
        var path = folder.File("data/spans.db");
        await using (var harness = await OperatorHarness.CreateAsync(Plugin, "sample.sqlite", Options(path)))
        {
            Assert.True((await harness.SendAsync(Spans.Request("checkout", 3))).Succeeded);
            Assert.True((await harness.SendAsync(Spans.Request("cart", 2))).Succeeded);
            await harness.CompleteAsync();
            harness.AssertConserved();
        }

        var rows = await QueryAsync(path, "SELECT service, count(*), min(end_unix_nano - start_unix_nano) FROM spans GROUP BY service ORDER BY service");
        Assert.Equal(["cart|2|1500000000", "checkout|3|1500000000"], rows);
    }

    [Fact]
    public async Task A_span_stored_twice_fails_its_batch_permanently_and_stores_none_of_it()
    {
        using var folder = new TempFolder();
        var path = folder.File("spans.db");
        var stored = Spans.Request("checkout", 2);
        var mixed = Spans.Request("checkout", 2);
        mixed.ResourceSpans[0].ScopeSpans[0].Spans.Add(stored.ResourceSpans[0].ScopeSpans[0].Spans[0].Clone());

        await using (var harness = await OperatorHarness.CreateAsync(Plugin, "sample.sqlite", Options(path)))
        {
            Assert.True((await harness.SendAsync(stored.Clone())).Succeeded);
            var duplicate = await harness.SendAsync(mixed);

            Assert.False(duplicate.Succeeded);
            Assert.Equal(3, duplicate.FailedItems);
            Assert.True(PermanentFailureException.IsPermanent(duplicate.Error), $"not permanent: {duplicate.Error}");
            Assert.Contains("already stored", duplicate.Error!.Message, StringComparison.Ordinal);
            await harness.CompleteAsync();
            harness.AssertConserved();
        }

        Assert.Equal(["2"], await QueryAsync(path, "SELECT count(*) FROM spans"));
    }

    [Fact]
    public async Task Truncate_starts_from_an_empty_table()
    {
        using var folder = new TempFolder();
        var path = folder.File("spans.db");
        var request = Spans.Request("checkout", 2);
        for (var run = 0; run < 2; run++)
        {
            await using var harness = await OperatorHarness.CreateAsync(Plugin, "sample.sqlite", Options(path, """, "truncate": true"""));
            Assert.True((await harness.SendAsync(request.Clone())).Succeeded);
            await harness.CompleteAsync();
        }

        Assert.Equal(["2"], await QueryAsync(path, "SELECT count(*) FROM spans"));
    }

    private static string Options(string path, string more = "") =>
        $$"""{ "path": {{System.Text.Json.JsonSerializer.Serialize(path)}}{{more}} }""";

    private static async Task<List<string>> QueryAsync(string path, string sql)
    {
        var rows = new List<string>();
        await using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString());
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            rows.Add(string.Join('|', Enumerable.Range(0, reader.FieldCount).Select(i => Convert.ToString(reader.GetValue(i), System.Globalization.CultureInfo.InvariantCulture))));
        }

        return rows;
    }
}
