using Microsoft.Data.Sqlite;
using OtlpFlow.Engine.Operators;
using OtlpFlow.Engine.Telemetry;

namespace OtlpFlow.Tests.SqlitePlugin;

/// <summary>Writes the name of every span it receives as a row of table <c>spans</c> in an SQLite database.</summary>
[Operator("test.sqlite", Options = typeof(SqliteSpanOptions), Description = "Writes span names into an SQLite database (a test plugin).")]
public sealed class SqliteSpanSink(SqliteSpanOptions options, OperatorContext context) : SinkOperator(context)
{
    private SqliteConnection? _connection;

    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = options.Path }.ToString());
        try
        {
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (SqliteException ex)
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw new InvalidOperationException($"cannot open the database '{options.Path}'", ex);
        }

        using var create = connection.CreateCommand();
        create.CommandText = "CREATE TABLE IF NOT EXISTS spans (name TEXT NOT NULL)";
        await create.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        _connection = connection;
    }

    public override async ValueTask WriteAsync(TelemetryBatch batch, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var connection = _connection ?? throw new InvalidOperationException("not started");
        using var transaction = connection.BeginTransaction();
        using var insert = connection.CreateCommand();
        insert.CommandText = "INSERT INTO spans (name) VALUES ($name)";
        var name = insert.Parameters.Add("$name", SqliteType.Text);
        foreach (var resource in batch.Traces?.ResourceSpans ?? [])
        {
            foreach (var scope in resource.ScopeSpans)
            {
                foreach (var span in scope.Spans)
                {
                    name.Value = span.Name;
                    await insert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                }
            }
        }

        transaction.Commit();
    }

    public override async ValueTask DisposeAsync()
    {
        if (_connection is not null)
        {
            await _connection.DisposeAsync().ConfigureAwait(false);
        }

        await base.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>The names in the database at <paramref name="path"/>, in insertion order (for tests, which call it through the plugin's context).</summary>
    public static IReadOnlyList<string> ReadNames(string path)
    {
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadOnly }.ToString());
        connection.Open();
        using var select = connection.CreateCommand();
        select.CommandText = "SELECT name FROM spans ORDER BY rowid";
        using var reader = select.ExecuteReader();
        var names = new List<string>();
        while (reader.Read())
        {
            names.Add(reader.GetString(0));
        }

        return names;
    }
}
