using System.Threading.Channels;
using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.DependencyInjection;
using OtlpFlow.Engine.Operators;
using OtlpFlow.Engine.Pipeline;
using OtlpFlow.Engine.Telemetry;

namespace OtlpFlow.Benchmarks.Engine;

/// <summary>
/// The engine's own cost: 4 pass-through processors over in-memory batches of 512 spans, against
/// the same 4 stages written by hand on bounded System.Threading.Channels (the baseline). Both have
/// the same capacity per edge (64 batches) and move the same batches; OtlpFlow also does its
/// acknowledgement tracking, counters and memory accounting, which the baseline does not.
/// </summary>
[MemoryDiagnoser]
public class EnginePipelineBenchmarks
{
    private const int Stages = 4;
    private const int Capacity = 64;
    private BenchmarkData _data = null!;
    private OperatorRegistry _registry = null!;
    private ServiceProvider _services = null!;

    /// <summary>Batches pushed through per operation.</summary>
    [Params(2000)]
    public int Batches { get; set; }

    /// <summary>Prepares data and the registry once.</summary>
    [GlobalSetup]
    public void Setup()
    {
        _data = new BenchmarkData(Batches, 512);
        _registry = new OperatorRegistry()
            .AddOperator<InMemorySource>("bench.source")
            .AddOperator<PassThroughProcessor>("bench.pass")
            .AddOperator<CountingSink>("bench.sink");
        _services = new ServiceCollection().AddSingleton(_data).BuildServiceProvider();
    }

    /// <summary>Releases the service provider.</summary>
    [GlobalCleanup]
    public void Cleanup() => _services.Dispose();

    /// <summary>Four hand-written stages on bounded channels.</summary>
    [Benchmark(Baseline = true)]
    public async Task<long> Channels()
    {
        _data.Delivered = 0;
        var channels = new Channel<TelemetryBatch>[Stages + 1];
        for (var i = 0; i < channels.Length; i++)
        {
            channels[i] = Channel.CreateBounded<TelemetryBatch>(new BoundedChannelOptions(Capacity) { SingleReader = true, SingleWriter = true });
        }

        var stages = new Task[Stages + 1];
        for (var s = 0; s < Stages; s++)
        {
            var input = channels[s].Reader;
            var output = channels[s + 1].Writer;
            stages[s] = Task.Run(async () =>
            {
                await foreach (var batch in input.ReadAllAsync())
                {
                    await output.WriteAsync(batch);
                }

                output.Complete();
            });
        }

        var last = channels[Stages].Reader;
        stages[Stages] = Task.Run(async () =>
        {
            await foreach (var batch in last.ReadAllAsync())
            {
                _data.Delivered += batch.ItemCount;
            }
        });

        var writer = channels[0].Writer;
        foreach (var request in _data.Requests)
        {
            await writer.WriteAsync(TelemetryBatch.Create(request, sizeBytes: _data.RequestSize));
        }

        writer.Complete();
        await Task.WhenAll(stages);
        return Check(_data.Delivered);
    }

    /// <summary>The same four stages as an OtlpFlow pipeline.</summary>
    [Benchmark]
    public async Task<long> OtlpFlow()
    {
        _data.Delivered = 0;
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
        await using var pipeline = new PipelineBuilder(_registry, _services).Build(spec);
        await pipeline.StartAsync();
        await pipeline.Completion;
        return Check(Interlocked.Read(ref _data.Delivered));
    }

    private long Check(long delivered) =>
        delivered == (long)Batches * _data.SpansPerBatch ? delivered : throw new InvalidOperationException($"delivered {delivered} spans");
}
