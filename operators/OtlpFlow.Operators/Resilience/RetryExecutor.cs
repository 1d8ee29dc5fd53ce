namespace OtlpFlow.Operators.Resilience;

/// <summary>
/// Runs an attempt until it succeeds, fails for good, or a limit is reached (attempts, elapsed
/// time, the retry budget), waiting between attempts as <see cref="RetryOptions"/> says and as the
/// server asks. Results travel as values: the attempt returns its result and a classifier says
/// whether it was a success, a retryable or a permanent failure.
/// </summary>
/// <remarks>
/// Callers with their own loop (an exporter that also consults a breaker) use <see cref="Decide"/>
/// after each failed attempt. Exceptions thrown by an attempt are not caught: classify results,
/// not exceptions, on the hot path.
/// </remarks>
internal sealed class RetryExecutor
{
    private readonly RetryOptions _options;
    private readonly ResilienceClock _clock;
    private readonly RetryBudget? _budget;
    private readonly RetryBackoff _backoff;

    /// <summary>Creates the executor.</summary>
    /// <param name="options">The retry options; checked here.</param>
    /// <param name="timeProvider">The clock for waits and elapsed time; the system clock when null.</param>
    /// <param name="budget">A budget shared by every call to the same peer; none when null.</param>
    /// <param name="random">The source of jitter; see <see cref="RetryBackoff"/>.</param>
    public RetryExecutor(RetryOptions options, TimeProvider? timeProvider = null, RetryBudget? budget = null, Random? random = null)
    {
        _options = OptionsCheck.Valid(options, nameof(options));
        _clock = new ResilienceClock(timeProvider);
        _budget = budget;
        _backoff = new RetryBackoff(options, random);
    }

    /// <summary>The options in use.</summary>
    public RetryOptions Options => _options;

    /// <summary>The budget in use, if any.</summary>
    public RetryBudget? Budget => _budget;

    /// <summary>Runs <paramref name="attempt"/> with retries.</summary>
    /// <typeparam name="TState">State passed to the attempt, so that it can be a static lambda (no closure allocation).</typeparam>
    /// <typeparam name="TResult">The attempt's result.</typeparam>
    /// <param name="attempt">One attempt.</param>
    /// <param name="state">Its state.</param>
    /// <param name="classify">Says what a result means.</param>
    /// <param name="cancellationToken">Cancels the waits and is passed to each attempt.</param>
    public async ValueTask<RetryResult<TResult>> ExecuteAsync<TState, TResult>(
        Func<TState, CancellationToken, ValueTask<TResult>> attempt,
        TState state,
        Func<TResult, AttemptOutcome> classify,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(attempt);
        ArgumentNullException.ThrowIfNull(classify);
        var started = _clock.Now();
        _budget?.RecordRequest();
        var previous = TimeSpan.Zero;
        for (var attempts = 1; ; attempts++)
        {
            var result = await attempt(state, cancellationToken).ConfigureAwait(false);
            var outcome = classify(result);
            if (outcome.Kind == AttemptOutcomeKind.Success)
            {
                return new RetryResult<TResult>(result, outcome, attempts, RetryStop.Succeeded);
            }

            var decision = Decide(attempts, _clock.Since(started), outcome, previous);
            if (!decision.Retry)
            {
                return new RetryResult<TResult>(result, outcome, attempts, decision.Stop);
            }

            previous = decision.Delay;
            if (decision.Delay > TimeSpan.Zero)
            {
                await Task.Delay(decision.Delay, _clock.Provider, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// Whether to retry after a failed attempt, and after how long. A retry that is allowed takes
    /// one token from the budget. Call <see cref="RetryBudget.RecordRequest"/> once per call yourself
    /// when you use this instead of <see cref="ExecuteAsync{TState, TResult}"/>.
    /// </summary>
    /// <param name="attempts">Attempts made so far, the failed one included.</param>
    /// <param name="elapsed">Time since the first attempt started.</param>
    /// <param name="outcome">The failed attempt's classification.</param>
    /// <param name="previousDelay">The previous wait (zero after the first attempt).</param>
    public RetryDecision Decide(int attempts, TimeSpan elapsed, AttemptOutcome outcome, TimeSpan previousDelay)
    {
        if (outcome.Kind == AttemptOutcomeKind.Success)
        {
            return new RetryDecision(false, TimeSpan.Zero, RetryStop.Succeeded);
        }

        if (outcome.Kind == AttemptOutcomeKind.Permanent)
        {
            return new RetryDecision(false, TimeSpan.Zero, RetryStop.NotRetryable);
        }

        if (!_options.Enabled)
        {
            return new RetryDecision(false, TimeSpan.Zero, RetryStop.Disabled);
        }

        if (_options.MaxAttempts > 0 && attempts >= _options.MaxAttempts)
        {
            return new RetryDecision(false, TimeSpan.Zero, RetryStop.MaxAttempts);
        }

        var delay = _options.HonorRetryAfter && outcome.RetryAfter is { } hint && hint >= TimeSpan.Zero
            ? hint
            : _backoff.Delay(attempts, previousDelay);
        if (_options.MaxElapsed > TimeSpan.Zero && elapsed + delay > _options.MaxElapsed)
        {
            return new RetryDecision(false, TimeSpan.Zero, RetryStop.MaxElapsed);
        }

        if (_budget is not null && !_budget.TryAcquireRetry())
        {
            return new RetryDecision(false, TimeSpan.Zero, RetryStop.BudgetExhausted);
        }

        return new RetryDecision(true, delay, RetryStop.Succeeded);
    }
}
