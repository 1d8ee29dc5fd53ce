using System.Diagnostics;
using Microsoft.Data.Sqlite;
using OpenTelemetry.Proto.Collector.Metrics.V1;
using OtlpFlow.Engine.Otlp;

namespace OtlpFlow.Samples.OperatorPlugin.Tests;

/// <summary>
/// Runs samples/OperatorPlugin/pipeline.json as a user does, with the otlpflow command in a process of
/// its own: the plugin is loaded through <c>plugins</c>, and its output is read back. The command is
/// <c>dotnet run --project</c> of the OtlpFlow repository's CLI when the sample sits in that repository,
/// else the <c>otlpflow</c> tool on the PATH (<c>OTLPFLOW_CLI_PROJECT</c> names another CLI project).
/// </summary>
[Trait("Category", "Cli")]
public sealed class PipelineTests
{
    [Fact]
    public async Task The_sample_pipeline_loads_the_plugin_and_fills_the_database()
    {
        var sample = SampleFolder();
        using var folder = new TempFolder();

        var (exitCode, output) = await RunCliAsync(folder.Path, "run", Path.Combine(sample, "pipeline.json"));

        Assert.True(exitCode == 0, $"otlpflow run exited with {exitCode}:{Environment.NewLine}{output}");
        var database = folder.File("out/operator-plugin/spans.db");
        Assert.True(File.Exists(database), $"no database at {database}:{Environment.NewLine}{output}");
        await using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = database, Pooling = false }.ToString());
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT count(*), count(DISTINCT span_id), count(DISTINCT service) FROM spans";
        await using var reader = await command.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());
        Assert.Equal((20000L, 20000L, 5L), (reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2)));

        // The metrics count every span once, whatever the windows were.
        var counted = File.ReadAllLines(folder.File("out/operator-plugin/span-counts.json"))
            .Select(OtlpJson.Parse<ExportMetricsServiceRequest>)
            .SelectMany(r => r.ResourceMetrics).SelectMany(r => r.ScopeMetrics).SelectMany(s => s.Metrics)
            .Where(m => m.Name == "spans")
            .Sum(m => m.Sum.DataPoints.Sum(p => p.AsInt));
        Assert.Equal(20000, counted);
    }

    private static string SampleFolder()
    {
        for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
        {
            if (File.Exists(Path.Combine(folder.FullName, "OtlpFlow.Samples.OperatorPlugin.sln")))
            {
                return folder.FullName;
            }
        }

        throw new InvalidOperationException($"no OtlpFlow.Samples.OperatorPlugin.sln above {AppContext.BaseDirectory}");
    }

    private static string? CliProject(string sample)
    {
        if (Environment.GetEnvironmentVariable("OTLPFLOW_CLI_PROJECT") is { Length: > 0 } project)
        {
            return project;
        }

        for (var folder = new DirectoryInfo(sample); folder is not null; folder = folder.Parent)
        {
            var candidate = Path.Combine(folder.FullName, "hosts", "OtlpFlow.Cli", "OtlpFlow.Cli.csproj");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }

    private static async Task<(int ExitCode, string Output)> RunCliAsync(string workingDirectory, params string[] arguments)
    {
        var start = new ProcessStartInfo { WorkingDirectory = workingDirectory, RedirectStandardOutput = true, RedirectStandardError = true };
        if (CliProject(SampleFolder()) is { } project)
        {
            start.FileName = "dotnet";
            foreach (var argument in (string[])["run", "--project", project, "--"])
            {
                start.ArgumentList.Add(argument);
            }
        }
        else
        {
            start.FileName = "otlpflow";
        }

        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {start.FileName}");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();

        // A guard against a hang (the first run builds the CLI), not a timing assertion.
        using var guard = new CancellationTokenSource(TimeSpan.FromMinutes(10));
        try
        {
            await process.WaitForExitAsync(guard.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{start.FileName} {string.Join(' ', start.ArgumentList)} did not end within 10 minutes");
        }

        return (process.ExitCode, await stdout + await stderr);
    }
}
