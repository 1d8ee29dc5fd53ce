using Microsoft.Extensions.Logging;
using OtlpFlow.Engine.Testing;
using OtlpFlow.Operators.Coordination.Etcd;
using OtlpFlow.Operators.Coordination.Tests.Servers;

namespace OtlpFlow.Operators.Coordination.Tests.Etcd;

[Collection(ServersCollection.Name)]
public sealed class EtcdLeaseFloorTests
{
    [EtcdFact]
    public async Task An_etcd_that_raises_the_lease_gets_a_warning_with_the_failover_bound_that_holds()
    {
        // A 3s election timeout makes etcd's floor 4.5s, rounded up to 5s: the 2s asked for a 3s leaseTtl is raised.
        await using var etcd = EtcdServer.WithElectionTimeout(TimeSpan.FromSeconds(3));
        await etcd.StartAsync();
        var logger = new CollectingLogger();
        await using var coordinator = new EtcdCoordinator(
            new EtcdOptions { Endpoints = [etcd.Endpoint], Prefix = ServersFixture.UniquePrefix("floor"), MemberId = "a", LeaseTtl = TimeSpan.FromSeconds(3) },
            logger);

        await coordinator.StartAsync();
        await Poll.UntilAsync(() => coordinator.Membership.Current.SequenceEqual(["a"]), "a to register");

        var warning = Assert.Single(logger.Messages, m => m.Level == LogLevel.Warning);
        Assert.Contains("etcd granted a 5s lease for the 2s asked", warning.Text, StringComparison.Ordinal);
        Assert.Contains("within about 6s", warning.Text, StringComparison.Ordinal);
    }

    private sealed class CollectingLogger : ILogger
    {
        private readonly List<(LogLevel Level, string Text)> _messages = [];

        public IReadOnlyList<(LogLevel Level, string Text)> Messages
        {
            get
            {
                lock (_messages)
                {
                    return [.. _messages];
                }
            }
        }

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            lock (_messages)
            {
                _messages.Add((logLevel, formatter(state, exception)));
            }
        }
    }
}
