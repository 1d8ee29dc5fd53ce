using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OtlpFlow.Hosting.Tests.TestOperators;

namespace OtlpFlow.Hosting.Tests;

// These tests read and reset the process-wide Environment.ExitCode: they live in one class so that
// xunit runs them one after another.
public sealed class PipelineHostedServiceTests : IDisposable
{
    // A deadline against a hang, not a timing assertion.
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    private readonly PipelineFiles _files = new();
    private readonly CollectingLoggerProvider _logs = new();
    private readonly SpanTally _tally = new();
    private readonly RunProbe _probe = new();

    public PipelineHostedServiceTests() => Environment.ExitCode = 0;

    public void Dispose()
    {
        Environment.ExitCode = 0;
        _files.Dispose();
    }

    private IHost BuildHost(string sourceJson, string sinkJson)
    {
        var path = _files.Write($$"""
            {
              "name": "hosted",
              "operators": {
                "src": {{sourceJson}},
                "sink": {{sinkJson}}
              }
            }
            """);
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Logging.AddProvider(_logs);
        builder.Services.AddSingleton(_tally);
        builder.Services.AddSingleton(_probe);
        builder.Services.AddOtlpFlow(flow => flow.AddAssembly(typeof(SpanSource).Assembly));
        builder.Services.AddOtlpFlowPipeline(path);
        return builder.Build();
    }

    [Fact]
    public async Task The_hosted_pipeline_runs_to_completion_and_then_stops_the_host()
    {
        using var host = BuildHost("""{ "type": "test.spans", "batches": 5, "spansPerBatch": 4 }""", """{ "type": "test.count", "inputs": ["src"] }""");

        var service = host.Services.GetRequiredService<PipelineHostedService>();

        // RunAsync returns once the host has stopped, which it does by itself here.
        await host.RunAsync().WaitAsync(Deadline);

        var result = await service.Result;
        Assert.Equal(PipelineRunOutcome.Completed, result.Outcome);
        Assert.Equal(20, _tally.Count);
        Assert.Equal(0, Environment.ExitCode);
    }

    [Fact]
    public async Task A_faulting_operator_stops_the_host_logs_the_operator_and_sets_exit_code_1()
    {
        using var host = BuildHost("""{ "type": "test.spans" }""", """{ "type": "test.fail", "inputs": ["src"] }""");

        var service = host.Services.GetRequiredService<PipelineHostedService>();

        // RunAsync returns once the host has stopped, which it does by itself here.
        await host.RunAsync().WaitAsync(Deadline);

        var result = await service.Result;
        Assert.Equal(PipelineRunOutcome.Faulted, result.Outcome);
        Assert.Equal("sink", result.FailedOperatorId);
        Assert.Equal(PipelineHostedService.FaultedExitCode, Environment.ExitCode);
        Assert.Contains(_logs.Entries, e => e.Level == LogLevel.Error
            && e.Category == typeof(PipelineHostedService).FullName
            && e.Message == "pipeline 'hosted' stopped: operator 'sink' failed: disk full");
    }

    [Fact]
    public async Task Host_shutdown_stops_the_pipeline_with_a_graceful_drain()
    {
        using var host = BuildHost("""{ "type": "test.spans", "endless": true }""", """{ "type": "test.count", "inputs": ["src"] }""");

        await host.StartAsync().WaitAsync(Deadline);
        await _probe.FirstBatchSent.Task.WaitAsync(Deadline);
        await host.StopAsync().WaitAsync(Deadline);

        var result = await host.Services.GetRequiredService<PipelineHostedService>().Result;
        Assert.Equal(PipelineRunOutcome.Cancelled, result.Outcome);
        Assert.True(result.Drained);
        var sent = result.Operators.Single(o => o.Id == "src").Counters.ItemsOut;
        Assert.True(sent > 0);
        Assert.Equal(sent, _tally.Count);
        Assert.Equal(0, Environment.ExitCode);
    }

    [Fact]
    public async Task An_invalid_pipeline_file_logs_each_error_stops_the_host_and_sets_exit_code_2()
    {
        using var host = BuildHost("""{ "type": "test.nope" }""", """{ "type": "test.count", "inputs": ["src"] }""");

        var service = host.Services.GetRequiredService<PipelineHostedService>();

        // RunAsync returns once the host has stopped, which it does by itself here.
        await host.RunAsync().WaitAsync(Deadline);

        var result = await service.Result;
        Assert.Equal(PipelineRunOutcome.Invalid, result.Outcome);
        Assert.Equal(PipelineHostedService.InvalidExitCode, Environment.ExitCode);
        Assert.Contains(_logs.Entries, e => e.Level == LogLevel.Error && e.Message.Contains(":4:", StringComparison.Ordinal)
            && e.Message.Contains("unknown operator type 'test.nope'", StringComparison.Ordinal));
    }
    [Fact]
    public async Task The_pipeline_file_comes_from_configuration_and_the_drain_fits_in_the_host_shutdown_timeout()
    {
        var path = _files.Write("""
            {
              "name": "configured",
              "drainTimeout": "5m",
              "operators": {
                "src": { "type": "test.spans", "endless": true },
                "sink": { "type": "test.count", "inputs": ["src"] }
              }
            }
            """);
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection([new("OtlpFlow:Pipeline", path)]);
        builder.Logging.AddProvider(_logs);
        builder.Services.AddSingleton(_tally);
        builder.Services.AddSingleton(_probe);
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(10));
        builder.Services.AddOtlpFlow(flow => flow.AddAssembly(typeof(SpanSource).Assembly));
        builder.Services.AddOtlpFlowPipeline(builder.Configuration);
        using var host = builder.Build();
        var service = host.Services.GetRequiredService<PipelineHostedService>();
        Assert.False(service.IsReady);

        await host.StartAsync().WaitAsync(Deadline);
        await _probe.FirstBatchSent.Task.WaitAsync(Deadline);
        await Engine.Testing.Poll.UntilAsync(() => service.IsReady, "the service to report ready");
        await host.StopAsync().WaitAsync(Deadline);

        var result = await service.Result;
        Assert.Equal((PipelineRunOutcome.Cancelled, true, "configured"), (result.Outcome, result.Drained, result.PipelineName));
        Assert.Equal(result.Operators.Single(o => o.Id == "src").Counters.ItemsOut, _tally.Count);
        Assert.False(service.IsReady);
        Assert.Contains(_logs.Entries, e => e.Message == "the drain timeout 00:05:00 is cut to 00:00:09 to fit in the host's shutdown timeout of 00:00:10");
        Assert.Contains(_logs.Entries, e => e.Message.StartsWith("operator 'sink' (test.count): in ", StringComparison.Ordinal));
    }
}
