using Microsoft.Data.Sqlite;
using OtlpFlow.Engine.Operators;
using OtlpFlow.Engine.Telemetry;

namespace OtlpFlow.Samples.OperatorPlugin;

/// <summary>
/// Stores spans in a SQLite table <c>spans</c> (trace id and span id as primary key, name, service,
/// start and end in Unix nanoseconds), one transaction per batch. A span whose id is already stored
/// fails its batch as a <see cref="PermanentFailureException"/>: sending it again cannot help, so
/// clients get "do not retry" (HTTP 400) rather than a retryable error.
/// </summary>
[Operator("sample.sqlite", Options = typeof(SqliteSinkOptions),
    Description = "Stores spans in a SQLite database (table 'spans'), one transaction per batch; a span already stored (same trace and span id) is a permanent failure.",
    Example = """{ "path": "out/spans.db" }""")]
public sealed class SqliteSinkOperator : SinkOperator
{
    private const int SqliteConstraint = 19;

    private const string Insert =
        "INSERT INTO spans (span_id, trace_id, name, service, start_unix_nano, end_unix_nano) VALUES ($span, $trace, $name, $service, $start, $end)";

    private readonly SqliteSinkOptions _options;
    private string _connectionString = string.Empty;

    /// <summary>Creates the sink; the database is opened by <see cref="StartAsync"/>.</summary>
    public SqliteSinkOperator(SqliteSinkOptions options, OperatorContext context)
        : base(context)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
    }

    /// <summary>Opens (or creates) the database and its <c>spans</c> table.</summary>
    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        var path = Path.GetFullPath(_options.Path);
        if (Path.GetDirectoryName(path) is { Length: > 0 } folder)
        {
            Directory.CreateDirectory(folder);
        }

        // Each write opens a connection from the pool, so writes may run in parallel without sharing one.
        _connectionString = new SqliteConnectionStringBuilder { DataSource = path, Pooling = true }.ToString();
        var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            var command = connection.CreateCommand();
            await using (command.ConfigureAwait(false))
            {
                command.CommandText = """
                    CREATE TABLE IF NOT EXISTS spans (
                        span_id TEXT NOT NULL,
                        trace_id TEXT NOT NULL,
                        name TEXT NOT NULL,
                        service TEXT NOT NULL,
                        start_unix_nano INTEGER NOT NULL,
                        end_unix_nano INTEGER NOT NULL,
                        PRIMARY KEY (trace_id, span_id))
                    """;
                await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                if (_options.Truncate)
                {
                    command.CommandText = "DELETE FROM spans";
                    await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                }
            }
        }
    }

    /// <summary>Inserts the batch's spans in one transaction: all of them, or none.</summary>
    /// <exception cref="PermanentFailureException">The batch is not spans, or a span id is already stored.</exception>
    public override async ValueTask WriteAsync(TelemetryBatch batch, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var traces = batch.Traces ?? throw new PermanentFailureException($"operator '{Context.Id}' stores spans only, not {batch.Signal}.");
        var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            await using (transaction.ConfigureAwait(false))
            {
                var command = connection.CreateCommand();
                await using (command.ConfigureAwait(false))
                {
                    command.CommandText = Insert;
                    command.Transaction = transaction;
                    var spanId = command.Parameters.Add("$span", SqliteType.Text);
                    var traceId = command.Parameters.Add("$trace", SqliteType.Text);
                    var name = command.Parameters.Add("$name", SqliteType.Text);
                    var service = command.Parameters.Add("$service", SqliteType.Text);
                    var start = command.Parameters.Add("$start", SqliteType.Integer);
                    var end = command.Parameters.Add("$end", SqliteType.Integer);
                    foreach (var resource in traces.ResourceSpans)
                    {
                        service.Value = resource.Resource?.Attributes.FirstOrDefault(a => a.Key == "service.name")?.Value?.StringValue ?? "unknown_service";
                        foreach (var span in resource.ScopeSpans.SelectMany(s => s.Spans))
                        {
                            spanId.Value = Convert.ToHexStringLower(span.SpanId.Span);
                            traceId.Value = Convert.ToHexStringLower(span.TraceId.Span);
                            name.Value = span.Name;
                            start.Value = unchecked((long)span.StartTimeUnixNano);
                            end.Value = unchecked((long)span.EndTimeUnixNano);
                            try
                            {
                                await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                            }
                            catch (SqliteException ex) when (ex.SqliteErrorCode == SqliteConstraint)
                            {
                                // The transaction rolls back when disposed uncommitted: none of the batch is stored.
                                throw new PermanentFailureException($"span {spanId.Value} (trace {traceId.Value}) is already stored", ex);
                            }
                        }
                    }
                }

                await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Closes the pooled connections, so that the file is free once the pipeline ends.</summary>
    public override ValueTask DisposeAsync()
    {
        if (_connectionString.Length > 0)
        {
            using var connection = new SqliteConnection(_connectionString);
            SqliteConnection.ClearPool(connection);
        }

        return base.DisposeAsync();
    }

    private async Task<SqliteConnection> OpenAsync(CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(_connectionString);
        try
        {
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }
}
