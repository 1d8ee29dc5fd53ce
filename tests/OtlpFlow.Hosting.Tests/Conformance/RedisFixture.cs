using OtlpFlow.Operators.Coordination.Tests.Servers;

namespace OtlpFlow.Hosting.Tests.Conformance;

/// <summary>One redis-server for the conformance runs of the operators that share state through Redis; started on first use.</summary>
public sealed class RedisFixture : IAsyncLifetime
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private RedisServer? _server;

    public async Task<string> ConnectionAsync()
    {
        await _gate.WaitAsync();
        try
        {
            if (_server is null)
            {
                var server = new RedisServer();
                await server.StartAsync();
                _server = server;
            }

            return _server.Connection;
        }
        finally
        {
            _gate.Release();
        }
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }

        _gate.Dispose();
    }
}
