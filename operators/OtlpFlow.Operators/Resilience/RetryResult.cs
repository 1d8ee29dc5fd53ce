namespace OtlpFlow.Operators.Resilience;

/// <summary>The end of a <see cref="RetryExecutor.ExecuteAsync{TState, TResult}"/> call: the last attempt's result and why it stopped.</summary>
/// <typeparam name="TResult">The attempt's result type.</typeparam>
/// <param name="Result">The last attempt's result.</param>
/// <param name="Outcome">Its classification.</param>
/// <param name="Attempts">Attempts made, the first included.</param>
/// <param name="Stop">Why no further attempt was made.</param>
internal readonly record struct RetryResult<TResult>(TResult Result, AttemptOutcome Outcome, int Attempts, RetryStop Stop)
{
    /// <summary>True when the last attempt succeeded.</summary>
    public bool Succeeded => Stop == RetryStop.Succeeded;
}
