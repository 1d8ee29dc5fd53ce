using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using OtlpFlow.Engine.Testing;
using OtlpFlow.Operators.Coordination.Etcd;
using OtlpFlow.Operators.Coordination.Load;
using OtlpFlow.Operators.Coordination.Tests.Servers;

namespace OtlpFlow.Cli.Tests;

/// <summary>
/// `otlpflow run` as a child process with a pipeline whose <c>coordination</c> section points at a
/// real etcd: the instance joins the cluster once its pipeline runs, publishes its load, delivers its
/// data, and on SIGTERM leaves the members, drains, and is gone (its lease revoked, not left to expire).
/// </summary>
public sealed class CoordinatedRunProcessTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("otlpflow-coordinated-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [EtcdFact]
    public async Task An_instance_registers_publishes_its_load_delivers_and_on_SIGTERM_drains_and_leaves_the_cluster()
    {
        await using var etcd = new EtcdServer();
        await etcd.StartAsync();
        var prefix = $"/test/run-{Guid.NewGuid():N}";
        var output = Path.Combine(_folder, "out.jsonl").Replace('\\', '/');
        var file = Path.Combine(_folder, "member.json");

        // A lease of 30 s: a key that is gone right after the exit was revoked, not expired.
        await File.WriteAllTextAsync(file, $$"""
            { "name": "member",
              "coordination": { "etcd": { "endpoints": ["{{etcd.Endpoint}}"], "prefix": "{{prefix}}", "memberId": "host-1", "leaseTtl": "30s" } },
              "operators": {
                "gen": { "type": "generate", "rate": 2000, "batchSize": 100 },
                "out": { "type": "file.writer", "inputs": ["gen"], "path": "{{output}}", "format": "json" } } }
            """);
        await using var observer = new EtcdCoordinator(new EtcdOptions { Endpoints = [etcd.Endpoint], Prefix = prefix, MemberId = "observer" }); // never started: reads only
        var memberKey = prefix + "/members/host-1";
        var loadKey = prefix + "/load/host-1";

        await using var child = OtlpflowProcess.Start("run", file);
        await Poll.UntilAsync(async () => await observer.GetAsync(memberKey) is not null, "the instance to register", TimeSpan.FromSeconds(60));
        await Poll.UntilAsync(async () => await observer.GetAsync(loadKey) is not null, "the instance to publish its load", TimeSpan.FromSeconds(60));
        var report = JsonSerializer.Deserialize<LoadReport>((await observer.GetAsync(loadKey))!, JsonSerializerOptions.Web)!;
        Assert.True(report.MemoryBytes > 0 && report.WorkingSetBytes > 0, "the load report has no memory figures");
        Assert.InRange(report.Score, 0, 1);
        Assert.NotEqual(default, report.MeasuredAt);

        Assert.Equal(0, await child.TerminateAsync(TimeSpan.FromSeconds(60)));

        // Left the cluster at once: membership, the draining mark it left before draining and the
        // load report went with the revoked lease.
        Assert.Null(await observer.GetAsync(memberKey));
        Assert.Null(await observer.GetAsync(prefix + "/draining/host-1"));
        Assert.Null(await observer.GetAsync(loadKey));
        Assert.Contains("drained", child.Log, StringComparison.Ordinal);

        // Everything generated reached the sink: "gen  generate  source  -  <out> ..." and "out  file.writer  sink  <in> ...".
        var generated = Counter(child.Log, "gen", column: 4);
        var delivered = Counter(child.Log, "out", column: 3);
        Assert.True(generated > 0, "nothing was generated");
        Assert.Equal(generated, delivered);
        Assert.True(new FileInfo(output).Length > 0, "the sink's file is empty");
    }

    [Fact]
    public async Task A_coordination_section_whose_etcd_does_not_answer_is_an_error_naming_it_and_a_non_zero_exit()
    {
        var dead = $"http://127.0.0.1:{OtlpflowProcess.FreePort()}";
        var file = Path.Combine(_folder, "dead.json");
        await File.WriteAllTextAsync(file, $$"""
            { "name": "lonely",
              "coordination": { "etcd": { "endpoints": ["{{dead}}"], "prefix": "/test/dead" } },
              "operators": {
                "gen": { "type": "generate", "count": 100 },
                "out": { "type": "debug", "inputs": ["gen"] } } }
            """);

        var (exitCode, errors) = await RunToExitAsync(TimeSpan.FromSeconds(60), "run", file);

        Assert.Equal(2, exitCode);
        Assert.Contains("$.coordination", errors, StringComparison.Ordinal);
        Assert.Contains(dead, errors, StringComparison.Ordinal);
    }

    /// <summary>A number from the run summary: the row of <paramref name="operatorId"/>, the given column.</summary>
    private static long Counter(string log, string operatorId, int column)
    {
        var row = log.Split('\n').Select(l => l.Trim()).Last(l => l.StartsWith(operatorId + " ", StringComparison.Ordinal));
        return long.Parse(row.Split(' ', StringSplitOptions.RemoveEmptyEntries)[column], NumberStyles.AllowThousands, CultureInfo.InvariantCulture);
    }

    /// <summary>Runs `otlpflow` to its own end and returns its exit code and what it wrote to stderr.</summary>
    private static async Task<(int ExitCode, string Errors)> RunToExitAsync(TimeSpan timeout, params string[] arguments)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "otlpflow.dll"));
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        try
        {
            await process.WaitForExitAsync().WaitAsync(timeout);
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }

        await stdout;
        return (process.ExitCode, await stderr);
    }
}
