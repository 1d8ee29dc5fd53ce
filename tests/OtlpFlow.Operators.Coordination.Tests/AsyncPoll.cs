namespace OtlpFlow.Operators.Coordination.Tests;

/// <summary>Polling with a deadline for conditions that need an asynchronous call (a read from etcd).</summary>
public static class AsyncPoll
{
    public static async Task UntilAsync(Func<Task<bool>> condition, string what, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(30));
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException("timed out waiting for " + what);
            }

            await Task.Delay(20);
        }
    }
}
