using OtlpFlow.Engine.Pipeline;
using OtlpFlow.Engine.Testing;
using OtlpFlow.Hosting.Reload;
using OtlpFlow.Operators.Coordination.Etcd;
using OtlpFlow.Operators.Coordination.Tests.Servers;

namespace OtlpFlow.Operators.Coordination.Tests.Reload;

[Collection(ServersCollection.Name)]
public sealed class EtcdConfigReloaderTests(ServersFixture servers)
{
    private EtcdCoordinator Coordinator(string prefix, string id) => new(new EtcdOptions
    {
        Endpoints = [servers.Etcd.Endpoint],
        Prefix = prefix,
        MemberId = id,
        LeaseTtl = TimeSpan.FromSeconds(5),
    });

    private static long SinkItems(RunningPipeline pipeline) => ((CountingSink)pipeline.Operators["sink"]).Items;

    [EtcdFact]
    public async Task A_config_put_in_etcd_is_loaded_a_bad_one_is_rejected_and_a_good_one_applies_with_conservation()
    {
        var prefix = ServersFixture.UniquePrefix("reload");
        await using var coordinator = Coordinator(prefix, "a");
        await coordinator.StartAsync();
        await using var supervisor = new PipelineSupervisor(new PipelineBuilder(TestRegistry.Create()));
        var results = new List<ReloadResult>();
        using var subscription = supervisor.Reloads.Subscribe(r => { lock (results) { results.Add(r); } });
        await using var reloader = new EtcdConfigReloader(coordinator, supervisor, new EtcdReloadOptions { Rolling = false, HealthyAfter = TimeSpan.FromMilliseconds(200) });
        reloader.Start();

        await coordinator.PutAsync(reloader.ConfigKey, ReloadPipelines.Good("v1"));
        await Poll.UntilAsync(() => supervisor.Generation == 1, "v1 to load");
        var v1 = supervisor.Current!;

        await coordinator.PutAsync(reloader.ConfigKey, ReloadPipelines.Bad);
        await Poll.UntilAsync(() => { lock (results) { return results.Any(r => r.Outcome == ReloadOutcome.Rejected); } }, "the bad config to be rejected");
        Assert.Same(v1, supervisor.Current);
        var before = SinkItems(v1);
        await Poll.UntilAsync(() => SinkItems(v1) > before + 1000, "v1 to keep running");
        Assert.Equal("{\"config\":\"" + EtcdConfigReloader.Hash(ReloadPipelines.Bad) + "\",\"status\":\"rejected\",\"generation\":1}", await coordinator.GetAsync(prefix + "/health/a"));

        await coordinator.PutAsync(reloader.ConfigKey, ReloadPipelines.Good("v2", seed: 2));
        await Poll.UntilAsync(() => supervisor.Generation == 2, "v2 to load");
        ReloadResult applied;
        lock (results)
        {
            applied = results.Last(r => r.Outcome == ReloadOutcome.Applied);
        }

        Assert.True(applied.Drained);
        Assert.Equal(applied.Retired["gen"].ItemsOut, applied.Retired["sink"].ItemsIn);
        Assert.Equal(applied.Retired["gen"].ItemsOut, SinkItems(v1));
        Assert.Equal("v2", supervisor.Current!.Name);
    }

    [EtcdFact]
    public async Task A_rolling_upgrade_applies_on_one_instance_at_a_time_each_after_the_previous_reported_healthy_and_a_rejected_config_halts_it()
    {
        var prefix = ServersFixture.UniquePrefix("rolling");
        var members = new List<(EtcdCoordinator Coordinator, PipelineSupervisor Supervisor, EtcdConfigReloader Reloader)>();
        var steps = new List<RolloutStep>();
        try
        {
            foreach (var id in new[] { "a", "b", "c" })
            {
                var coordinator = Coordinator(prefix, id);
                await coordinator.StartAsync();
                var supervisor = new PipelineSupervisor(new PipelineBuilder(TestRegistry.Create()));
                var reloader = new EtcdConfigReloader(coordinator, supervisor, new EtcdReloadOptions { Rolling = true, HealthyAfter = TimeSpan.FromMilliseconds(300) });
                reloader.Steps.Subscribe(s => { lock (steps) { steps.Add(s); } });
                reloader.Start();
                members.Add((coordinator, supervisor, reloader));
            }

            await members[0].Coordinator.PutAsync(members[0].Reloader.ConfigKey, ReloadPipelines.Good("v1"));

            await Poll.UntilAsync(() => { lock (steps) { return steps.Count == 3; } }, "three instances to report");
            lock (steps)
            {
                Assert.All(steps, s => Assert.Equal("healthy", s.Status));
                var ordered = steps.OrderBy(s => s.Started).ToArray();
                for (var i = 1; i < ordered.Length; i++)
                {
                    Assert.True(ordered[i].Started >= ordered[i - 1].Finished, $"{ordered[i].MemberId} started before {ordered[i - 1].MemberId} reported healthy");
                }
            }

            Assert.All(members, m => Assert.Equal(1, m.Supervisor.Generation));
            var reports = await members[0].Coordinator.GetPrefixAsync(prefix + "/health/");
            Assert.Equal(3, reports.Count);

            // A config that the first instance to take it rejects halts the rollout: the others skip
            // it, and every instance keeps running generation 1.
            await members[0].Coordinator.PutAsync(members[0].Reloader.ConfigKey, ReloadPipelines.Bad);
            await Poll.UntilAsync(() => { lock (steps) { return steps.Count == 6; } }, "three more reports");
            lock (steps)
            {
                var second = steps.Skip(3).ToArray();
                Assert.Single(second, s => s.Status == "rejected");
                Assert.Equal(2, second.Count(s => s.Status == "skipped"));
                Assert.Equal("rejected", second.OrderBy(s => s.Started).First().Status);
            }

            Assert.All(members, m => Assert.Equal(1, m.Supervisor.Generation));
            Assert.All(members, m => Assert.False(m.Supervisor.Current!.Completion.IsCompleted));
        }
        finally
        {
            foreach (var (coordinator, supervisor, reloader) in members)
            {
                await reloader.DisposeAsync();
                await supervisor.DisposeAsync();
                await coordinator.DisposeAsync();
            }
        }
    }
}
