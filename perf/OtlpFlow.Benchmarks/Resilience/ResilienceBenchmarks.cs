using BenchmarkDotNet.Attributes;
using OtlpFlow.Operators.Resilience;
using Polly;
using Polly.CircuitBreaker;
using Polly.Retry;

namespace OtlpFlow.Benchmarks.Resilience;

/// <summary>
/// The overhead one call pays for resilience: OtlpFlow's breaker and retry executor against
/// Polly.Core v8 (the peer a .NET user would pick), each wrapping a call that completes at once.
/// Polly runs on its allocation-free path (pooled context, <c>ExecuteOutcomeAsync</c>, outcomes
/// as values, no exception for a rejection). Results are per call.
/// </summary>
[MemoryDiagnoser]
[GroupBenchmarksBy(BenchmarkDotNet.Configs.BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
public class ResilienceBenchmarks
{
    private const int Calls = 1 << 16;
    private ResiliencePipeline _pollyBreaker = null!;
    private ResiliencePipeline _pollyOpen = null!;
    private ResiliencePipeline _pollyRetry = null!;
    private CircuitBreaker _breaker = null!;
    private CircuitBreaker _open = null!;
    private RetryExecutor _retry = null!;

    /// <summary>Builds closed and isolated breakers and retries on both sides.</summary>
    [GlobalSetup]
    public void Setup()
    {
        _pollyBreaker = new ResiliencePipelineBuilder().AddCircuitBreaker(new CircuitBreakerStrategyOptions()).Build();
        var control = new CircuitBreakerManualControl();
        _pollyOpen = new ResiliencePipelineBuilder().AddCircuitBreaker(new CircuitBreakerStrategyOptions { ManualControl = control }).Build();
        control.IsolateAsync().GetAwaiter().GetResult();
        _pollyRetry = new ResiliencePipelineBuilder().AddRetry(new RetryStrategyOptions()).Build();

        _breaker = new CircuitBreaker(new CircuitBreakerOptions());
        _open = new CircuitBreaker(new CircuitBreakerOptions());
        _open.Isolate();
        _retry = new RetryExecutor(new RetryOptions());
    }

    /// <summary>Polly: a call through a closed circuit breaker.</summary>
    [Benchmark(Baseline = true, OperationsPerInvoke = Calls)]
    [BenchmarkCategory("BreakerClosed")]
    public int PollyBreakerClosed() => RunPolly(_pollyBreaker);

    /// <summary>OtlpFlow: a call through a closed circuit breaker (acquire, call, record).</summary>
    [Benchmark(OperationsPerInvoke = Calls)]
    [BenchmarkCategory("BreakerClosed")]
    public int OtlpFlowBreakerClosed()
    {
        var sum = 0;
        for (var i = 0; i < Calls; i++)
        {
            var permit = _breaker.Acquire();
            if (permit.IsGranted)
            {
                sum += Work(i);
                _breaker.RecordSuccess(permit);
            }
        }

        return sum;
    }

    /// <summary>Polly: a call rejected by an open (isolated) circuit, as an outcome.</summary>
    [Benchmark(Baseline = true, OperationsPerInvoke = Calls)]
    [BenchmarkCategory("OpenRejection")]
    public int PollyOpenRejection() => RunPolly(_pollyOpen);

    /// <summary>OtlpFlow: a call rejected by an open (isolated) circuit.</summary>
    [Benchmark(OperationsPerInvoke = Calls)]
    [BenchmarkCategory("OpenRejection")]
    public int OtlpFlowOpenRejection()
    {
        var sum = 0;
        for (var i = 0; i < Calls; i++)
        {
            var permit = _open.Acquire();
            sum += permit.IsGranted ? Work(i) : -1;
        }

        return sum;
    }

    /// <summary>Polly: a call through a retry strategy that succeeds at once.</summary>
    [Benchmark(Baseline = true, OperationsPerInvoke = Calls)]
    [BenchmarkCategory("RetryNoFailure")]
    public int PollyRetryNoFailure() => RunPolly(_pollyRetry);

    /// <summary>OtlpFlow: a call through the retry executor that succeeds at once.</summary>
    [Benchmark(OperationsPerInvoke = Calls)]
    [BenchmarkCategory("RetryNoFailure")]
    public int OtlpFlowRetryNoFailure()
    {
        var sum = 0;
        for (var i = 0; i < Calls; i++)
        {
            var task = _retry.ExecuteAsync(static (n, _) => ValueTask.FromResult(Work(n)), i, static _ => AttemptOutcome.Success);
            sum += task.IsCompletedSuccessfully ? task.Result.Result : task.AsTask().GetAwaiter().GetResult().Result;
        }

        return sum;
    }

    private static int RunPolly(ResiliencePipeline pipeline)
    {
        var sum = 0;
        for (var i = 0; i < Calls; i++)
        {
            var context = ResilienceContextPool.Shared.Get();
            var task = pipeline.ExecuteOutcomeAsync(static (_, n) => Outcome.FromResultAsValueTask(Work(n)), context, i);
            var outcome = task.IsCompletedSuccessfully ? task.Result : task.AsTask().GetAwaiter().GetResult();
            sum += outcome.Exception is null ? outcome.Result : -1;
            ResilienceContextPool.Shared.Return(context);
        }

        return sum;
    }

    private static int Work(int n) => n & 1;
}
