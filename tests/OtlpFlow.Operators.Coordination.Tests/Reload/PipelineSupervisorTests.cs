using OtlpFlow.Engine.Pipeline;
using OtlpFlow.Engine.Testing;
using OtlpFlow.Hosting.Reload;

namespace OtlpFlow.Operators.Coordination.Tests.Reload;

public sealed class PipelineSupervisorTests
{
    private static PipelineSupervisor Supervisor() => new(new PipelineBuilder(TestRegistry.Create()));

    private static long SinkItems(RunningPipeline pipeline) => ((CountingSink)pipeline.Operators["sink"]).Items;

    [Fact]
    public async Task A_bad_spec_is_rejected_with_its_errors_and_the_old_pipeline_keeps_running()
    {
        await using var supervisor = Supervisor();
        Assert.Equal(ReloadOutcome.Applied, (await supervisor.ApplyAsync(ReloadPipelines.Good("v1"))).Outcome);
        var running = supervisor.Current!;

        var result = await supervisor.ApplyAsync(ReloadPipelines.Bad);

        Assert.Equal(ReloadOutcome.Rejected, result.Outcome);
        Assert.Contains(result.Errors, e => e.Message.Contains("no.such.operator", StringComparison.Ordinal));
        Assert.Same(running, supervisor.Current);
        Assert.Equal(1, supervisor.Generation);
        var before = SinkItems(running);
        await Poll.UntilAsync(() => SinkItems(running) > before + 1000, "the old pipeline to keep delivering");
        Assert.False(running.Completion.IsCompleted);
    }

    [Fact]
    public async Task Text_that_is_not_json_is_rejected_like_any_invalid_spec()
    {
        await using var supervisor = Supervisor();
        await supervisor.ApplyAsync(ReloadPipelines.Good("v1"));

        var result = await supervisor.ApplyAsync("{ \"operators\": ");

        Assert.Equal(ReloadOutcome.Rejected, result.Outcome);
        Assert.NotEmpty(result.Errors);
        Assert.Equal(1, supervisor.Generation);
    }

    [Fact]
    public async Task A_good_spec_takes_over_after_the_old_pipeline_drains_with_conservation()
    {
        await using var supervisor = Supervisor();
        var seen = new List<ReloadResult>();
        using var subscription = supervisor.Reloads.Subscribe(r => { lock (seen) { seen.Add(r); } });
        await supervisor.ApplyAsync(ReloadPipelines.Good("v1"));
        var old = supervisor.Current!;
        await Poll.UntilAsync(() => SinkItems(old) > 2000, "data through v1");

        var result = await supervisor.ApplyAsync(ReloadPipelines.Good("v2", seed: 2));

        Assert.Equal(ReloadOutcome.Applied, result.Outcome);
        Assert.True(result.Drained);
        Assert.Equal(2, result.Generation);
        Assert.True(old.Completion.IsCompletedSuccessfully);

        // Everything the old generator made reached the old sink: nothing was lost in the switch.
        Assert.Equal(result.Retired["gen"].ItemsOut, result.Retired["sink"].ItemsIn);
        Assert.Equal(result.Retired["gen"].ItemsOut, SinkItems(old));
        Assert.True(result.Retired["keep"].Balanced, result.Retired["keep"].ToString());
        Assert.True(result.Retired["sink"].Balanced, result.Retired["sink"].ToString());

        var current = supervisor.Current!;
        Assert.Equal("v2", current.Name);
        await Poll.UntilAsync(() => SinkItems(current) > 1000, "data through v2");
        lock (seen)
        {
            Assert.Equal([ReloadOutcome.Applied, ReloadOutcome.Applied], seen.Select(r => r.Outcome));
        }
    }
}
