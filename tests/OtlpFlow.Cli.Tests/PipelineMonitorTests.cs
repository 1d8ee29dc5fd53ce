using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using OtlpFlow.Engine.Pipeline;
using OtlpFlow.Hosting.Monitoring;

namespace OtlpFlow.Cli.Tests;

public sealed class PipelineMonitorTests
{
    private const string Json = """
        {
          "name": "monitored",
          "defaults": { "capacity": 8 },
          "operators": {
            "src":  { "type": "test.spans", "batches": 5, "spansPerBatch": 4 },
            "pass": { "type": "test.pass", "inputs": ["src"] },
            "drop": { "type": "test.drop", "inputs": ["pass"] },
            "sink": { "type": "test.null", "inputs": ["drop.dropped"], "capacity": 2 }
          }
        }
        """;

    [Fact]
    public async Task Samples_give_totals_rates_over_the_interval_queue_capacity_and_the_graph_in_layers()
    {
        var time = new FakeTimeProvider();
        var spec = PipelineLoader.Parse(Json);
        await using var pipeline = new PipelineBuilder(TestCli.Registry(), null, NullLoggerFactory.Instance, time).Build(spec);
        using var monitor = new PipelineMonitor(pipeline, spec, time);
        var seen = new List<PipelineSnapshot>();
        using var subscription = monitor.Snapshots.Subscribe(new Collect(seen));

        Assert.Equal(
            ["src:0:0:source", "pass:1:0:processor", "drop:2:0:processor", "sink:3:0:sink"],
            monitor.Topology.Nodes.Select(n => $"{n.Id}:{n.Layer}:{n.Row}:{n.Kind}"));
        Assert.Equal(["src.out->pass", "pass.out->drop", "drop.dropped->sink"], monitor.Topology.Edges.Select(e => $"{e.From}.{e.Port}->{e.To}"));
        Assert.All(monitor.Latest.Operators, o => Assert.Equal(0, o.ItemsOutPerSecond));

        await pipeline.StartAsync();
        await pipeline.Completion;
        time.Advance(TimeSpan.FromSeconds(2));
        var snapshot = monitor.Sample();

        Assert.Same(snapshot, Assert.Single(seen));
        Assert.Same(snapshot, monitor.Latest);
        Assert.Equal("monitored", snapshot.Pipeline);
        Assert.Equal("stopped", snapshot.State);
        Assert.Equal(2, snapshot.IntervalSeconds);
        var byId = snapshot.Operators.ToDictionary(o => o.Id);
        Assert.Equal(20, byId["src"].ItemsOut);
        Assert.Equal(10, byId["src"].ItemsOutPerSecond);
        Assert.Equal(0, byId["src"].QueueCapacity);
        Assert.Equal(10, byId["pass"].ItemsInPerSecond);
        Assert.Equal(8, byId["pass"].QueueCapacity);
        Assert.Equal(2, byId["sink"].QueueCapacity);
        Assert.Equal(0, byId["sink"].QueueFill);
        Assert.Equal(20, byId["drop"].ItemsDropped);
        Assert.Equal(10, byId["drop"].DroppedPerSecond);
        Assert.Equal(new Dictionary<string, long> { ["filtered"] = 20 }, byId["drop"].DroppedByReason);
        Assert.Equal(5, byId["pass"].BatchesProcessed);
        Assert.NotNull(byId["pass"].LatencyMs);
        Assert.Null(byId["src"].LatencyMs);

        // The next interval saw no data: rates fall to zero, totals stay.
        time.Advance(TimeSpan.FromSeconds(1));
        var quiet = monitor.Sample();
        Assert.Equal(0, quiet.Operators.Single(o => o.Id == "src").ItemsOutPerSecond);
        Assert.Equal(20, quiet.Operators.Single(o => o.Id == "src").ItemsOut);
        Assert.Null(quiet.Operators.Single(o => o.Id == "pass").LatencyMs);
    }

    private sealed class Collect(List<PipelineSnapshot> seen) : IObserver<PipelineSnapshot>
    {
        public void OnCompleted()
        {
        }

        public void OnError(Exception error)
        {
        }

        public void OnNext(PipelineSnapshot value) => seen.Add(value);
    }
}
