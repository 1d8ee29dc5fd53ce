using OtlpFlow.Engine.Operators;
using OtlpFlow.Engine.Pipeline;
using OtlpFlow.Operators.Files;
using OtlpFlow.Operators.Otlp.Receiver;

namespace OtlpFlow.Operators.Otlp.Tests.Support;

/// <summary>A started pipeline with helpers to find its receivers.</summary>
internal sealed class TestPipeline : IAsyncDisposable
{
    private TestPipeline(RunningPipeline pipeline) => Pipeline = pipeline;

    public RunningPipeline Pipeline { get; }

    public static OperatorRegistry Registry() => new OperatorRegistry()
        .AddAssembly(typeof(OtlpReceiverOperator).Assembly)
        .AddAssembly(typeof(FileWriterOperator).Assembly)
        .AddAssembly(typeof(ProbeSink).Assembly);

    public static async Task<TestPipeline> StartAsync(string json)
    {
        var pipeline = new PipelineBuilder(Registry()).Build(PipelineLoader.Parse(json, "test.json"));
        await pipeline.StartAsync();
        return new TestPipeline(pipeline);
    }

    public OtlpReceiverOperator Receiver(string id = "in") => (OtlpReceiverOperator)Pipeline.Operators[id];

    public Uri Http(string id = "in") => Receiver(id).HttpEndpoint!;

    public Uri Grpc(string id = "in") => Receiver(id).GrpcEndpoint!;

    public Task StopAsync() => Pipeline.StopAsync(TimeSpan.FromSeconds(30));

    public async ValueTask DisposeAsync()
    {
        // A short drain: a test that left a probe paused must not wait the default 30 s.
        await Pipeline.StopAsync(TimeSpan.FromSeconds(5));
        await Pipeline.DisposeAsync();
    }
}
