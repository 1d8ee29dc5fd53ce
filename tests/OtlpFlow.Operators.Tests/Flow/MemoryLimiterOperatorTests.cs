using Microsoft.Extensions.Logging.Abstractions;
using OtlpFlow.Engine.Operators;
using OtlpFlow.Engine.Options;
using OtlpFlow.Engine.Pipeline;
using OtlpFlow.Engine.Testing;
using OtlpFlow.Operators.Flow;

namespace OtlpFlow.Operators.Tests.Flow;

public sealed class MemoryLimiterOperatorTests
{
    private readonly SteppingTimeProvider _time = new();
    private readonly MemoryBudget _budget = new(0);
    private readonly RecordingOutput _output = new();

    private MemoryLimiterOperator Create(MemoryLimiterOptions options)
    {
        var context = new OperatorContext("mem", "flow.memoryLimiter", NullLogger.Instance, new System.Diagnostics.Metrics.Meter("test"), _time, TestOperatorContextServices.None, _budget, CancellationToken.None);
        return new MemoryLimiterOperator(options, context);
    }

    [Fact]
    public async Task Below_the_limits_data_passes()
    {
        var op = Create(new MemoryLimiterOptions { SoftLimit = ByteSize.FromKiB(10), HardLimit = ByteSize.FromKiB(20) });
        _budget.TryReserve(5000);
        var (batch, _) = FlowTestData.Batch(10);
        await op.ProcessAsync(batch, _output, CancellationToken.None);
        Assert.Same(batch, Assert.Single(_output.On()));
    }

    [Fact]
    public async Task Above_the_hard_limit_data_is_refused_at_once_with_a_retryable_error()
    {
        var op = Create(new MemoryLimiterOptions { SoftLimit = ByteSize.FromKiB(10), HardLimit = ByteSize.FromKiB(20) });
        _budget.TryReserve(30000);
        var (batch, tracker) = FlowTestData.Batch(10);
        await op.ProcessAsync(batch, _output, CancellationToken.None);

        Assert.Empty(_output.On());
        Assert.Equal(10, _output.Dropped[MemoryLimiterOperator.DropReason]);
        var result = await tracker.Completion;
        Assert.False(result.Succeeded);
        var error = Assert.IsType<MemoryLimitExceededException>(result.Error);
        Assert.Contains("hard limit", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Above_the_soft_limit_data_waits_and_passes_when_memory_comes_down()
    {
        var op = Create(new MemoryLimiterOptions { SoftLimit = ByteSize.FromKiB(10), MaxWait = TimeSpan.FromSeconds(1), CheckInterval = TimeSpan.FromMilliseconds(100) });
        _budget.TryReserve(15000);
        var running = op.ProcessAsync(FlowTestData.Batch(10).Batch, _output, CancellationToken.None).AsTask();
        Assert.False(running.IsCompleted);

        _budget.Release(10000);
        _time.Advance(TimeSpan.FromMilliseconds(100));
        await running;
        Assert.Single(_output.On());
    }

    [Fact]
    public async Task Above_the_soft_limit_for_longer_than_the_wait_data_is_refused()
    {
        var op = Create(new MemoryLimiterOptions { SoftLimit = ByteSize.FromKiB(10), MaxWait = TimeSpan.FromMilliseconds(300), CheckInterval = TimeSpan.FromMilliseconds(100) });
        _budget.TryReserve(15000);
        var (batch, tracker) = FlowTestData.Batch(10);
        var running = op.ProcessAsync(batch, _output, CancellationToken.None).AsTask();
        for (var i = 1; i <= 3; i++)
        {
            // Move time on only once the limiter waits for its next check.
            await FlowTestData.Eventually(() => _time.TimersCreated >= i);
            _time.Advance(TimeSpan.FromMilliseconds(100));
        }

        await running.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(3, _time.TimersCreated);
        Assert.Empty(_output.On());
        Assert.IsType<MemoryLimitExceededException>((await tracker.Completion).Error);
    }

    [Fact]
    public async Task The_process_limit_refuses_when_the_heap_is_above_it()
    {
        var op = Create(new MemoryLimiterOptions { ProcessHardLimit = new ByteSize(1024) });
        await op.ProcessAsync(FlowTestData.Batch(3).Batch, _output, CancellationToken.None);
        Assert.Equal(3, _output.Dropped[MemoryLimiterOperator.DropReason]);

        var roomy = Create(new MemoryLimiterOptions { ProcessHardLimit = ByteSize.FromGiB(1024) });
        await roomy.ProcessAsync(FlowTestData.Batch(3).Batch, _output, CancellationToken.None);
        Assert.Single(_output.On());
    }

    [Fact]
    public void A_soft_limit_above_the_hard_limit_is_a_validation_error()
    {
        var errors = new List<OptionError>();
        OptionsBinder.Bind(typeof(MemoryLimiterOptions), new System.Text.Json.Nodes.JsonObject { ["softLimit"] = "2MiB", ["hardLimit"] = "1MiB" }, errors);
        Assert.Equal("softLimit", Assert.Single(errors).Key);
    }

    private sealed class TestOperatorContextServices : IServiceProvider
    {
        public static readonly TestOperatorContextServices None = new();

        public object? GetService(Type serviceType) => null;
    }
}
