using OpenTelemetry.Proto.Collector.Trace.V1;
using OtlpFlow.Engine.Otlp;
using OtlpFlow.Engine.Testing;

namespace OtlpFlow.Worker.Tests;

public sealed class WorkerTests : IDisposable
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);
    private readonly string _folder = Directory.CreateTempSubdirectory("otlpflow-worker-tests-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [LinuxFact]
    public async Task The_worker_answers_health_probes_runs_its_pipeline_and_drains_fully_on_SIGTERM()
    {
        var output = Path.Combine(_folder, "spans.json");
        var pipeline = Path.Combine(_folder, "pipeline.json");
        await File.WriteAllTextAsync(pipeline, $$"""
            {
              "name": "worker-test",
              "operators": {
                "gen":   { "type": "generate", "signal": "traces", "rate": 5000, "batchSize": 100 },
                "batch": { "type": "batch", "inputs": ["gen"], "size": 1000, "timeout": "1h" },
                "file":  { "type": "file.writer", "inputs": ["batch"], "path": "{{output.Replace("\\", "\\\\", StringComparison.Ordinal)}}", "format": "json" },
                "seen":  { "type": "debug", "inputs": ["gen"], "verbosity": "basic" }
              }
            }
            """);

        await using var worker = WorkerProcess.Start($"--OtlpFlow:Pipeline={pipeline}", "--OtlpFlow:Health:Address=127.0.0.1:0");

        // Health: liveness at once, readiness once the pipeline runs.
        var line = await worker.WaitForLineAsync("health endpoints: ", Deadline);
        var healthz = new Uri(line.Split(' ').First(w => w.EndsWith("/healthz", StringComparison.Ordinal)));
        using var http = new HttpClient();
        using (var live = await http.GetAsync(healthz))
        {
            Assert.Equal(System.Net.HttpStatusCode.OK, live.StatusCode);
        }

        var readyz = new Uri(healthz, "/readyz");
        await Poll.UntilAsync(
            async () =>
            {
                // 503 until the pipeline has started, then 200.
                var readiness = await StatusAsync(http, readyz);
                if (readiness != System.Net.HttpStatusCode.OK)
                {
                    Assert.Equal(System.Net.HttpStatusCode.ServiceUnavailable, readiness);
                }

                return readiness == System.Net.HttpStatusCode.OK;
            },
            "/readyz to answer 200",
            Deadline);

        // It runs: the debug sink prints the generator's batches.
        await worker.WaitForLineAsync("[seen] traces:", Deadline);

        // SIGTERM: a graceful stop. The batch operator holds spans (its timeout is an hour) that
        // only the drain flushes, so a file holding every generated span proves a full drain.
        await worker.TerminateAsync();
        var exitCode = await worker.WaitForExitAsync(Deadline);

        Assert.True(exitCode == 0, worker.Output);
        Assert.Contains("pipeline 'worker-test' finished: Cancelled (drained: True)", worker.Output, StringComparison.Ordinal);
        var generated = Totals(worker, "gen").Out;
        Assert.True(generated > 0, worker.Output);
        Assert.Equal((generated, generated, 0L), (Totals(worker, "batch").In, Totals(worker, "batch").Out, Totals(worker, "batch").Dropped));
        Assert.Equal((generated, generated, 0L), (Totals(worker, "file").In, Totals(worker, "file").Out, Totals(worker, "file").Dropped));

        var spansInFile = File.ReadLines(output)
            .Where(l => l.Length > 0)
            .Sum(l => OtlpJson.Parse<ExportTraceServiceRequest>(l).ResourceSpans.Sum(r => r.ScopeSpans.Sum(s => s.Spans.Count)));
        Assert.Equal(generated, spansInFile);
    }

    [LinuxFact]
    public async Task A_missing_pipeline_file_stops_the_worker_with_exit_code_2_naming_the_file()
    {
        var missing = Path.Combine(_folder, "nowhere.json");
        await using var worker = WorkerProcess.Start($"--OtlpFlow:Pipeline={missing}", "--OtlpFlow:Health:Address=127.0.0.1:0");

        var exitCode = await worker.WaitForExitAsync(Deadline);

        Assert.Equal(2, exitCode);
        Assert.Contains("nowhere.json", worker.Output, StringComparison.Ordinal);
        Assert.Contains("no such file", worker.Output, StringComparison.Ordinal);
    }

    private static async Task<System.Net.HttpStatusCode> StatusAsync(HttpClient http, Uri uri)
    {
        using var response = await http.GetAsync(uri);
        return response.StatusCode;
    }

    /// <summary>The final counters the worker logs for an operator at the end of its run.</summary>
    private static (long In, long Out, long Dropped) Totals(WorkerProcess worker, string id)
    {
        var prefix = $"operator '{id}' (";
        var line = worker.Lines.Single(l => l.Contains(prefix, StringComparison.Ordinal) && l.Contains(" errors ", StringComparison.Ordinal));
        var words = line[line.IndexOf(prefix, StringComparison.Ordinal)..].Split(' ');
        long After(string word) => long.Parse(words[Array.IndexOf(words, word) + 1], System.Globalization.CultureInfo.InvariantCulture);
        return (After("in"), After("out"), After("dropped"));
    }
}
