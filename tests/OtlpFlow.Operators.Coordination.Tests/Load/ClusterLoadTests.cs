using Microsoft.Extensions.Time.Testing;
using OtlpFlow.Engine.Testing;
using OtlpFlow.Operators.Coordination.Etcd;
using OtlpFlow.Operators.Coordination.Load;
using OtlpFlow.Operators.Coordination.Tests.Servers;

namespace OtlpFlow.Operators.Coordination.Tests.Load;

[Collection(ServersCollection.Name)]
public sealed class ClusterLoadTests(ServersFixture servers)
{
    private const string EndpointA = "http://10.0.0.1:4317";
    private const string EndpointB = "http://10.0.0.2:4317";

    private EtcdCoordinator Coordinator(string prefix, string id, string? advertise = null) => new(new EtcdOptions
    {
        Endpoints = [servers.Etcd.Endpoint],
        Prefix = prefix,
        MemberId = id,
        Advertise = advertise,
        LeaseTtl = TimeSpan.FromSeconds(30),
    });

    [EtcdFact]
    public async Task Reports_are_found_by_advertised_endpoint_and_a_report_that_stops_changing_goes_stale()
    {
        var prefix = ServersFixture.UniquePrefix("cluster-load");
        await using var reader = Coordinator(prefix, "reader"); // not started: only its watches are used
        await using var a = Coordinator(prefix, "a", EndpointA);
        await using var b = Coordinator(prefix, "b", EndpointB);
        await Task.WhenAll(a.StartAsync(), b.StartAsync());
        var time = new FakeTimeProvider();
        using var cluster = new ClusterLoad(reader, TimeSpan.FromSeconds(15), timeProvider: time);
        cluster.Start();
        await using var monitor = new LoadMonitor(() => null, a, TimeSpan.FromHours(1));

        var published = await monitor.MeasureAsync();
        await b.PutLeasedAsync(prefix + "/load/b", "{ not a report");

        // a's report is found under the endpoint a advertises; b's value is not a report, so b has none.
        await Poll.UntilAsync(() => cluster.TryGetScore(EndpointA, out _), "a's report");
        Assert.True(cluster.TryGetScore(EndpointA, out var score));
        Assert.Equal(published.Score, score);
        Assert.False(cluster.TryGetScore("a", out _));
        Assert.False(cluster.TryGetScore(EndpointB, out _));
        Assert.Equal([EndpointA], cluster.Reports.Keys);

        // No newer report for longer than staleAfter: no longer trusted.
        time.Advance(TimeSpan.FromSeconds(16));
        Assert.False(cluster.TryGetScore(EndpointA, out _));
        Assert.Empty(cluster.Reports);

        // A new report (every publication differs by its measuring time) is fresh again.
        await monitor.MeasureAsync();
        await Poll.UntilAsync(() => cluster.TryGetScore(EndpointA, out _), "a's next report");

        // a leaves: its lease is revoked and its report goes with it, long before it would go stale.
        await a.DisposeAsync();
        await Poll.UntilAsync(() => !cluster.TryGetScore(EndpointA, out _), "a's report to go with its lease");
    }
}
