using System.Collections.Concurrent;
using OtlpFlow.Engine.Operators;
using OtlpFlow.Engine.Telemetry;

namespace OtlpFlow.Operators.Coordination.Tests.Reload;

public sealed class HeldSinkOptions
{
    /// <summary>The <see cref="HeldSink.Holds"/> the test created for this sink.</summary>
    public string Name { get; set; } = string.Empty;
}

/// <summary>
/// A sink whose start and whose flush (the drain's last step) wait until the test releases them,
/// telling the test when each began: a test can look at the world while a pipeline is still starting
/// or already draining. A host builds the pipeline itself, so the test reaches the sink by name.
/// </summary>
public sealed class HeldSink(HeldSinkOptions options, OperatorContext context) : SinkOperator(context)
{
    private static readonly ConcurrentDictionary<string, Holds> ByName = new(StringComparer.Ordinal);

    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        var holds = ByName[options.Name];
        holds.Starting.TrySetResult();
        await holds.ReleaseStart.Task.WaitAsync(cancellationToken);
    }

    public override ValueTask WriteAsync(TelemetryBatch batch, CancellationToken cancellationToken) => ValueTask.CompletedTask;

    public override async ValueTask FlushAsync(CancellationToken cancellationToken)
    {
        var holds = ByName[options.Name];
        holds.Flushing.TrySetResult();
        await holds.ReleaseFlush.Task.WaitAsync(cancellationToken);
    }

    /// <summary>What one sink waits for and reports; each starts held.</summary>
    public sealed class Holds
    {
        private Holds(string name) => Name = name;

        public string Name { get; }

        /// <summary>Completes once the sink's StartAsync runs.</summary>
        public TaskCompletionSource Starting { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        /// <summary>Completed by the test: the sink's StartAsync returns.</summary>
        public TaskCompletionSource ReleaseStart { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        /// <summary>Completes once the sink's FlushAsync runs (the drain reached it).</summary>
        public TaskCompletionSource Flushing { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        /// <summary>Completed by the test: the sink's FlushAsync returns.</summary>
        public TaskCompletionSource ReleaseFlush { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public static Holds Create()
        {
            var holds = new Holds("held-" + Guid.NewGuid().ToString("N"));
            ByName[holds.Name] = holds;
            return holds;
        }
    }
}
