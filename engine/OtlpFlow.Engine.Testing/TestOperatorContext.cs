using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging.Abstractions;
using OtlpFlow.Engine.Operators;
using OtlpFlow.Engine.Pipeline;

namespace OtlpFlow.Engine.Testing;

/// <summary>Makes an <see cref="OperatorContext"/> for testing an operator outside a pipeline.</summary>
public static class TestOperatorContext
{
    private static readonly Meter SharedMeter = new("OtlpFlow.Tests");

    /// <summary>A context with a null logger, no services and no memory limit.</summary>
    public static OperatorContext Create(
        string id = "test",
        string type = "test",
        TimeProvider? timeProvider = null,
        IServiceProvider? services = null,
        CancellationToken stopToken = default) =>
        new(id, type, NullLogger.Instance, SharedMeter, timeProvider ?? TimeProvider.System,
            services ?? EmptyServiceProvider.Instance, new MemoryBudget(0), stopToken);

    private sealed class EmptyServiceProvider : IServiceProvider
    {
        public static readonly EmptyServiceProvider Instance = new();

        public object? GetService(Type serviceType) => null;
    }
}
