using OtlpFlow.Engine.Operators;
using OtlpFlow.Engine.Pipeline;
using OtlpFlow.Operators.Flow.Scheduling;

namespace OtlpFlow.Operators.Tests.Flow;

public sealed class WorkStealingTaskSchedulerTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30); // against a hang, not a timing assertion

    [Fact]
    public async Task Runs_every_task_it_is_given()
    {
        using var scheduler = new WorkStealingTaskScheduler(2);
        var factory = new TaskFactory(scheduler);
        var results = await Task.WhenAll(Enumerable.Range(0, 1000).Select(i => factory.StartNew(() => i * 2))).WaitAsync(Deadline);

        Assert.Equal(Enumerable.Range(0, 1000).Select(i => i * 2), results);
    }

    [Fact]
    public async Task An_idle_worker_steals_work_queued_by_a_busy_one()
    {
        using var scheduler = new WorkStealingTaskScheduler(2);
        var factory = new TaskFactory(scheduler);
        using var childRan = new ManualResetEventSlim();

        // The parent queues a child on its own worker's deque and then blocks until the child has
        // run: only the other worker, by stealing, can run it.
        var parent = factory.StartNew(() =>
        {
            var child = factory.StartNew(childRan.Set);
            Assert.True(childRan.Wait(Deadline), "the child was never stolen");
            return child;
        });

        var child = await parent.WaitAsync(Deadline);
        await child.WaitAsync(Deadline);
        Assert.True(scheduler.StolenCount >= 1);
    }

    [Fact]
    public async Task Any_operator_runs_on_it_through_the_scheduler_key_and_conservation_holds()
    {
        var registry = new OperatorRegistry().AddAssembly(typeof(WorkStealingTaskScheduler).Assembly);
        Assert.Equal(typeof(WorkStealingTaskScheduler), registry.Schedulers["workStealing"]);
        await using var pipeline = new PipelineBuilder(registry).Build(PipelineLoader.Parse("""
        { "operators": {
            "gen":    { "type": "generate", "count": 20000, "batchSize": 200 },
            "filter": { "type": "filter", "inputs": ["gen"], "scheduler": "workStealing", "parallelism": 2,
                        "drop": { "internal": "kind == INTERNAL" } },
            "batch":  { "type": "batch", "inputs": ["filter"], "scheduler": "workStealing", "size": 1000 },
            "out":    { "type": "debug", "inputs": ["batch"], "verbosity": "basic" } } }
        """));
        await pipeline.StartAsync();
        await pipeline.Completion.WaitAsync(Deadline);

        var counters = pipeline.Counters;
        Assert.Equal(20000, counters["filter"].ItemsIn);
        Assert.All(new[] { "filter", "batch", "out" }, id => Assert.True(counters[id].Balanced, $"{id}: {counters[id]}"));
        Assert.Equal(counters["filter"].ItemsOut, counters["out"].ItemsOut);
    }

    [Fact]
    public void An_unknown_scheduler_is_a_validation_error_with_a_suggestion()
    {
        var registry = new OperatorRegistry().AddAssembly(typeof(WorkStealingTaskScheduler).Assembly);
        var errors = new PipelineBuilder(registry).Validate(PipelineLoader.Parse("""
        { "operators": {
            "gen": { "type": "generate", "count": 1 },
            "out": { "type": "debug", "inputs": ["gen"], "scheduler": "workStaling" } } }
        """, "s.json"));

        var error = Assert.Single(errors);
        Assert.Equal("out", error.OperatorId);
        Assert.Contains("unknown scheduler 'workStaling'; did you mean 'workStealing'?", error.Message, StringComparison.Ordinal);
    }
}
