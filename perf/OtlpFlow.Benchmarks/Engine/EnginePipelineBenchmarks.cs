using System.Threading.Channels;
using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Proto.Collector.Trace.V1;
using OtlpFlow.Engine.Operators;
using OtlpFlow.Engine.Pipeline;
using OtlpFlow.Engine.Telemetry;

namespace OtlpFlow.Benchmarks.Engine;

/// <summary>
/// The engine's own cost: 4 pass-through processors over in-memory batches of 512 spans, against
/// the same 4 stages written by hand on bounded System.Threading.Channels (the baseline). Both
/// pipelines are built once and stay up; an operation pushes <see cref="Batches"/> requests in and
/// waits until the last stage has seen all of their spans. Both have 64 batches of capacity per
/// edge; OtlpFlow also tracks acknowledgements, counts every operator and accounts memory, which
/// the baseline does not.
/// </summary>
[MemoryDiagnoser]
public class EnginePipelineBenchmarks
{
    private const int Stages = 4;
    private const int Capacity = 64;
    private BenchmarkData _channelsData = null!;
    private BenchmarkData _engineData = null!;
    private Task _channels = null!;
    private RunningPipeline _pipeline = null!;
    private ServiceProvider _services = null!;

    /// <summary>Batches pushed through per operation.</summary>
    [Params(2000)]
    public int Batches { get; set; }

    /// <summary>Builds both pipelines once.</summary>
    [GlobalSetup]
    public async Task Setup()
    {
        _channelsData = new BenchmarkData(Batches, 512);
        _engineData = new BenchmarkData(Batches, 512);
        _channels = StartChannels(_channelsData);

        var registry = new OperatorRegistry()
            .AddOperator<InMemorySource>("bench.source")
            .AddOperator<PassThroughProcessor>("bench.pass")
            .AddOperator<CountingSink>("bench.sink");
        _services = new ServiceCollection().AddSingleton(_engineData).BuildServiceProvider();
        var spec = PipelineLoader.Parse("""
        { "defaults": { "capacity": 64 },
          "operators": {
            "src": { "type": "bench.source" },
            "p1":  { "type": "bench.pass", "inputs": ["src"] },
            "p2":  { "type": "bench.pass", "inputs": ["p1"] },
            "p3":  { "type": "bench.pass", "inputs": ["p2"] },
            "p4":  { "type": "bench.pass", "inputs": ["p3"] },
            "out": { "type": "bench.sink", "inputs": ["p4"] } } }
        """);
        _pipeline = new PipelineBuilder(registry, _services).Build(spec);
        await _pipeline.StartAsync();
    }

    /// <summary>Stops both pipelines.</summary>
    [GlobalCleanup]
    public async Task Cleanup()
    {
        _channelsData.Input.Writer.Complete();
        await _channels;
        await _pipeline.StopAsync();
        await _pipeline.DisposeAsync();
        await _services.DisposeAsync();
    }

    /// <summary>Four hand-written stages on bounded channels.</summary>
    [Benchmark(Baseline = true)]
    public Task Channels() => Push(_channelsData);

    /// <summary>The same four stages as an OtlpFlow pipeline.</summary>
    [Benchmark]
    public Task OtlpFlow() => Push(_engineData);

    private async Task Push(BenchmarkData data)
    {
        var done = data.Expect((long)Batches * data.SpansPerBatch);
        foreach (var request in data.Requests)
        {
            await data.Input.Writer.WriteAsync(request);
        }

        await done;
    }

    private static Task StartChannels(BenchmarkData data)
    {
        var channels = new Channel<TelemetryBatch>[Stages + 1];
        for (var i = 0; i < channels.Length; i++)
        {
            channels[i] = Channel.CreateBounded<TelemetryBatch>(new BoundedChannelOptions(Capacity) { SingleReader = true, SingleWriter = true });
        }

        var tasks = new List<Task>
        {
            // The first stage reads requests as the engine's source does.
            Task.Run(async () =>
            {
                await foreach (ExportTraceServiceRequest request in data.Input.Reader.ReadAllAsync())
                {
                    await channels[0].Writer.WriteAsync(TelemetryBatch.Create(request, sizeBytes: data.RequestSize));
                }

                channels[0].Writer.Complete();
            }),
        };
        for (var s = 0; s < Stages; s++)
        {
            var input = channels[s].Reader;
            var output = channels[s + 1].Writer;
            tasks.Add(Task.Run(async () =>
            {
                await foreach (var batch in input.ReadAllAsync())
                {
                    await output.WriteAsync(batch);
                }

                output.Complete();
            }));
        }

        var last = channels[Stages].Reader;
        tasks.Add(Task.Run(async () =>
        {
            await foreach (var batch in last.ReadAllAsync())
            {
                data.Deliver(batch.ItemCount);
            }
        }));
        return Task.WhenAll(tasks);
    }
}
