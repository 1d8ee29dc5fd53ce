using OtlpFlow.Engine.Operators;
using OtlpFlow.Engine.Telemetry;

namespace OtlpFlow.Operators.Tests.Flow;

/// <summary>Options of <see cref="TenantSource"/>.</summary>
public sealed class TenantSourceOptions
{
    public string Tenant { get; set; } = "t";

    public int Batches { get; set; } = 10;

    public int BatchSize { get; set; } = 10;
}

/// <summary>A source of trace batches stamped with one tenant.</summary>
public sealed class TenantSource(TenantSourceOptions options, OperatorContext context) : SourceOperator(context)
{
    public override async Task RunAsync(IOperatorOutput output, CancellationToken stopToken)
    {
        for (var i = 0; i < options.Batches; i++)
        {
            var context = new BatchContext(options.Tenant, new Dictionary<string, string>(), DateTimeOffset.UnixEpoch);
            await output.EmitAsync(TelemetryBatch.Create(FlowTestData.Request(options.BatchSize, firstSpan: i * options.BatchSize), context), stopToken);
        }
    }
}

/// <summary>Lets a test decide when a <see cref="GateSink"/> may take each batch.</summary>
public sealed class SinkGate : IDisposable
{
    private readonly SemaphoreSlim _permits = new(0);
    private readonly System.Collections.Concurrent.ConcurrentQueue<TelemetryBatch> _received = new();

    public IReadOnlyList<TelemetryBatch> Received => _received.ToArray();

    public void Allow(int count) => _permits.Release(count);

    internal async ValueTask PassAsync(TelemetryBatch batch, CancellationToken cancellationToken)
    {
        await _permits.WaitAsync(cancellationToken);
        _received.Enqueue(batch);
    }

    public void Dispose() => _permits.Dispose();
}

/// <summary>A sink as slow as the test wants: each write waits for a permit from the <see cref="SinkGate"/> service.</summary>
public sealed class GateSink(OperatorContext context, SinkGate gate) : SinkOperator(context)
{
    public override ValueTask WriteAsync(TelemetryBatch batch, CancellationToken cancellationToken) => gate.PassAsync(batch, cancellationToken);
}

/// <summary>A service provider holding given objects, found by their exact type.</summary>
internal sealed class ServicesOf(params object[] services) : IServiceProvider
{
    public object? GetService(Type serviceType) => services.FirstOrDefault(s => s.GetType() == serviceType);
}
