using OtlpFlow.Engine.Pipeline;
using OtlpFlow.Engine.Testing;
using OtlpFlow.Hosting.Reload;
using OtlpFlow.Operators.Coordination.Limiting;
using OtlpFlow.Operators.Coordination.Tests.Servers;
using OtlpFlow.Operators.Routing;

namespace OtlpFlow.Operators.Coordination.Tests.Reload;

[Collection(ServersCollection.Name)]
public sealed class CoordinatedServicesTests(ServersFixture servers)
{
    [EtcdFact]
    public async Task A_pipeline_file_with_a_coordination_section_runs_on_etcd_membership_and_the_shared_redis()
    {
        var prefix = ServersFixture.UniquePrefix("file");
        var spec = PipelineLoader.Parse($$"""
        { "name": "tier1",
          "coordination": {
            "etcd":  { "endpoints": ["{{servers.Etcd.Endpoint}}"], "prefix": "{{prefix}}", "memberId": "a", "leaseTtl": "5s" },
            "redis": { "connection": "{{servers.Redis.Connection}}" } },
          "operators": {
            "gen":   { "type": "generate", "count": 10000, "batchSize": 100 },
            "limit": { "type": "flow.distributedLimiter", "inputs": ["gen"], "rate": 1000000, "key": "test:file:{{Guid.NewGuid():N}}" },
            "part":  { "type": "partition.consistentHash", "inputs": ["limit"], "members": ["a", "b"], "membership": "etcd" },
            "a":     { "type": "test.sink", "inputs": ["part.a"] },
            "b":     { "type": "test.sink", "inputs": ["part.b"] } } }
        """);
        Assert.Empty(spec.Problems);
        RunningPipeline? pipeline = null;
        await using var services = await CoordinatedServices.StartAsync(spec, EmptyServices.Instance, () => pipeline);

        // Started, the instance is not yet a member: the host announces it (PipelineRunner does so
        // once the pipeline runs); here before the pipeline is built, so that it sees itself.
        Assert.False(services.Coordinator!.IsAnnounced);
        Assert.Null(await services.Coordinator.GetAsync(prefix + "/members/a"));
        await services.AnnounceAsync();
        await Poll.UntilAsync(() => services.Coordinator.Membership.Current.Count == 1, "the instance to register");

        await using var running = new PipelineBuilder(TestRegistry.Create(), services).Build(spec);
        pipeline = running;
        await running.StartAsync();
        await running.Completion;

        // Only member a is registered in etcd: every trace goes to a; the limit ran on the shared Redis.
        Assert.Equal(["a"], ((ConsistentHashOperator)running.Operators["part"]).CurrentMembers);
        Assert.Equal(10000, running.Counters["a"].ItemsIn);
        Assert.Equal(0, running.Counters["b"].ItemsIn);
        Assert.True(((DistributedLimiterOperator)running.Operators["limit"]).Limiter.IsShared);
        var load = await services.Load!.MeasureAsync();
        Assert.True(load.MemoryBytes > 0);
    }

    [Fact]
    public void A_malformed_coordination_section_is_reported_by_the_loader()
    {
        var spec = PipelineLoader.Parse("""{ "coordination": 5, "operators": { "gen": { "type": "generate" } } }""");

        Assert.Contains(spec.Problems, p => p.JsonPath == "$.coordination");
    }

    private sealed class EmptyServices : IServiceProvider
    {
        public static readonly EmptyServices Instance = new();

        public object? GetService(Type serviceType) => null;
    }
}
