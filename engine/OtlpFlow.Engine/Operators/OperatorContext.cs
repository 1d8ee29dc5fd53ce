using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging;
using OtlpFlow.Engine.Pipeline;

namespace OtlpFlow.Engine.Operators;

/// <summary>What an operator is given by the engine: who it is, and the services it may use.</summary>
public sealed class OperatorContext
{
    /// <summary>Creates a context. The engine makes these; tests may make their own.</summary>
    public OperatorContext(
        string id,
        string type,
        ILogger logger,
        Meter meter,
        TimeProvider timeProvider,
        IServiceProvider services,
        MemoryBudget memory,
        CancellationToken stopToken)
    {
        Id = id;
        Type = type;
        Logger = logger;
        Meter = meter;
        TimeProvider = timeProvider;
        Services = services;
        Memory = memory;
        StopToken = stopToken;
    }

    /// <summary>The operator's id in the pipeline file.</summary>
    public string Id { get; }

    /// <summary>The operator's type name.</summary>
    public string Type { get; }

    /// <summary>The operator's logger (category <c>OtlpFlow.Operator.{id}</c>).</summary>
    public ILogger Logger { get; }

    /// <summary>The engine's meter (<c>OtlpFlow</c>); tag instruments with <c>operator</c> = <see cref="Id"/>.</summary>
    public Meter Meter { get; }

    /// <summary>The clock. Always use it instead of <see cref="DateTime.UtcNow"/> or <see cref="Task.Delay(TimeSpan)"/>.</summary>
    public TimeProvider TimeProvider { get; }

    /// <summary>The host's services.</summary>
    public IServiceProvider Services { get; }

    /// <summary>The pipeline-wide budget of in-flight bytes; receivers reserve from it before accepting data.</summary>
    public MemoryBudget Memory { get; }

    /// <summary>Cancelled when the pipeline is asked to stop: sources finish then, and the graph drains.</summary>
    public CancellationToken StopToken { get; }

    /// <summary>
    /// True when some operator reads the operator's <paramref name="port"/>: known from
    /// <see cref="OperatorBase.StartAsync"/> on, false outside a pipeline. An operator that needs a
    /// port linked checks it there and throws a clear error.
    /// </summary>
    public bool IsLinked(string port) => Ports?.Invoke(port) ?? false;

    /// <summary>The registry the operator was built from (nested stages are built from it too).</summary>
    internal OperatorRegistry? Registry { get; init; }

    /// <summary>The operator's node once the engine has placed it in a pipeline.</summary>
    internal Pipeline.OperatorNode? Node { get; set; }

    /// <summary>Answers <see cref="IsLinked"/>; set by the engine when it links the operator.</summary>
    internal Func<string, bool>? Ports { get; set; }
}
