namespace OtlpFlow.Engine.Testing;

/// <summary>
/// Waits for a condition that another thread makes true (a sink received everything, a queue
/// filled), checking often and giving up after a generous deadline: a guard against a hang, never a
/// timing assertion.
/// </summary>
public static class Poll
{
    /// <summary>How long <c>UntilAsync</c> waits when no timeout is given.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(30);

    /// <summary>Completes once <paramref name="condition"/> holds.</summary>
    /// <exception cref="TimeoutException">It did not hold within <paramref name="timeout"/>; the message names <paramref name="what"/>.</exception>
    public static async Task UntilAsync(Func<bool> condition, string what, TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(condition);
        var deadline = DateTime.UtcNow + (timeout ?? DefaultTimeout);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"timed out waiting for {what}");
            }

            await Task.Delay(1).ConfigureAwait(false);
        }
    }

    /// <summary>Completes once <paramref name="condition"/>, which needs an asynchronous call (an HTTP scrape, a read from etcd), holds.</summary>
    /// <exception cref="TimeoutException">It did not hold within <paramref name="timeout"/>; the message names <paramref name="what"/>.</exception>
    public static async Task UntilAsync(Func<Task<bool>> condition, string what, TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(condition);
        var deadline = DateTime.UtcNow + (timeout ?? DefaultTimeout);
        while (!await condition().ConfigureAwait(false))
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"timed out waiting for {what}");
            }

            await Task.Delay(10).ConfigureAwait(false);
        }
    }
}
