using OtlpFlow.Engine.Pipeline;
using OtlpFlow.Engine.Testing;
using OtlpFlow.Operators.Coordination.Etcd;
using OtlpFlow.Operators.Coordination.Load;
using OtlpFlow.Operators.Coordination.Tests.Servers;

namespace OtlpFlow.Operators.Coordination.Tests.Load;

[Collection(ServersCollection.Name)]
public sealed class LoadMonitorTests(ServersFixture servers)
{
    [EtcdFact]
    public async Task Each_instance_publishes_its_load_to_etcd_and_every_member_reads_the_cluster()
    {
        var prefix = ServersFixture.UniquePrefix("load");
        await using var a = new EtcdCoordinator(new EtcdOptions { Endpoints = [servers.Etcd.Endpoint], Prefix = prefix, MemberId = "a" });
        await using var b = new EtcdCoordinator(new EtcdOptions { Endpoints = [servers.Etcd.Endpoint], Prefix = prefix, MemberId = "b" });
        await Task.WhenAll(a.StartAsync(), b.StartAsync());
        await using var pipeline = new PipelineBuilder(TestRegistry.Create()).Build(PipelineLoader.Parse("""
            { "operators": { "gen": { "type": "generate", "count": 1000 }, "sink": { "type": "test.sink", "inputs": ["gen"] } } }
            """));
        await pipeline.StartAsync();
        await pipeline.Completion;
        await using var monitorA = new LoadMonitor(() => pipeline, a, TimeSpan.FromHours(1));
        await using var monitorB = new LoadMonitor(() => null, b, TimeSpan.FromHours(1));
        monitorA.Start();
        monitorB.Start();
        IReadOnlyDictionary<string, LoadReport>? cluster = null;
        using var subscription = monitorA.WatchCluster().Subscribe(c => Volatile.Write(ref cluster, c));

        var report = await monitorA.MeasureAsync();
        await monitorB.MeasureAsync();

        Assert.InRange(report.Cpu, 0, 1);
        Assert.True(report.MemoryBytes > 0 && report.WorkingSetBytes > 0);
        Assert.Equal(0, report.QueueFill);
        Assert.Same(report, monitorA.Current);
        await Poll.UntilAsync(() => Volatile.Read(ref cluster) is { Count: 2 }, "both members' reports");
        Assert.Equal(report.MemoryBytes, cluster!["a"].MemoryBytes);
    }

    [Fact]
    public async Task Reports_drive_a_degradation_controller()
    {
        await using var monitor = new LoadMonitor(() => null, coordinator: null, TimeSpan.FromHours(1));
        using var controller = new OtlpFlow.Operators.Resilience.DegradationController(
            [new OtlpFlow.Operators.Resilience.DegradationLevelOptions { Name = "shed", EnterAbove = 0.9, ExitBelow = 0.5 }], TimeSpan.Zero);
        using var feed = monitor.Feed(controller);

        var report = await monitor.MeasureAsync();

        Assert.Equal(report.Score, controller.Load);
        Assert.Equal(report.Score > 0.9 ? 1 : 0, controller.Level);
    }
}
