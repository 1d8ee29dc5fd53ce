using System.Collections.Concurrent;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using OtlpFlow.Engine.Operators;
using OtlpFlow.Engine.Pipeline;
using OtlpFlow.Engine.Testing;
using OtlpFlow.Hosting;
using OtlpFlow.Operators.Coordination.Etcd;
using OtlpFlow.Operators.Coordination.Tests.Servers;
using OtlpFlow.Operators.Otlp.LoadBalancing;

namespace OtlpFlow.Operators.Coordination.Tests.Reload;

/// <summary>
/// <see cref="PipelineRunner"/> with a <c>coordination</c> section on a real etcd: the instance
/// becomes a member only once its pipeline started (receivers listening), and on a graceful stop
/// leaves the members first, is listed as draining while it drains, and is gone once the run ends.
/// </summary>
[Collection(ServersCollection.Name)]
public sealed class RunnerMembershipTests(ServersFixture servers)
{
    private static OperatorRegistry Registry() => TestRegistry.Create()
        .AddAssembly(typeof(LoadBalancingOperator).Assembly)
        .AddOperator<HeldSink, HeldSinkOptions>("test.held");

    /// <summary>An OTLP receiver on <paramref name="port"/> into the held sink, optionally through operators between.</summary>
    private PipelineSpec Spec(string prefix, int port, HeldSink.Holds holds, string between = "", string sinkInput = "in") => PipelineLoader.Parse($$"""
        { "name": "member",
          "coordination": { "etcd": { "endpoints": ["{{servers.Etcd.Endpoint}}"], "prefix": "{{prefix}}", "memberId": "host-1",
                                      "advertise": "http://127.0.0.1:{{port}}", "leaseTtl": "30s" } },
          "operators": {
            "in":   { "type": "otlp.receiver", "grpc": "127.0.0.1:{{port}}" },
            {{between}}
            "sink": { "type": "test.held", "inputs": ["{{sinkInput}}"], "name": "{{holds.Name}}" } } }
        """);

    /// <summary>Follows the instance's cluster from outside it (<c>membersOf</c>), as a front instance would.</summary>
    private async Task<EtcdCoordinator> WatcherAsync(string prefix)
    {
        var watcher = new EtcdCoordinator(new EtcdOptions
        {
            Endpoints = [servers.Etcd.Endpoint],
            Prefix = prefix + "-front",
            MembersOf = prefix,
            MemberId = "front",
            LeaseTtl = TimeSpan.FromSeconds(30),
        });
        await watcher.StartAsync();
        return watcher;
    }

    [EtcdFact]
    public async Task The_instance_becomes_a_member_once_its_pipeline_started_and_on_a_stop_leaves_before_it_drains()
    {
        var prefix = ServersFixture.UniquePrefix("runner-seat");
        var port = ServerProcess.FreePort();
        var advertise = $"http://127.0.0.1:{port}";
        var memberKey = prefix + "/members/host-1";
        var drainingKey = prefix + "/draining/host-1";
        var holds = HeldSink.Holds.Create();
        await using var watcher = await WatcherAsync(prefix);
        using var stop = new CancellationTokenSource();
        var runner = new PipelineRunner(Registry());

        var run = Task.Run(() => runner.RunAsync(Spec(prefix, port, holds), new PipelineRunOptions { DrainTimeout = TimeSpan.FromMinutes(2) }, stop.Token));

        // The sink is still starting (the receiver starts after it): the coordinator runs, it even
        // campaigns for the leadership under its lease, but the instance is no member yet.
        await holds.Starting.Task.WaitAsync(TimeSpan.FromSeconds(60));
        await Poll.UntilAsync(async () => (await watcher.GetPrefixAsync(prefix + "/leader")).Count > 0, "the instance to campaign under its lease");
        Assert.Null(await watcher.GetAsync(memberKey));
        Assert.Empty(watcher.Membership.Current);

        holds.ReleaseStart.SetResult();

        await Poll.UntilAsync(async () => await watcher.GetAsync(memberKey) == advertise, "the instance to announce itself");
        await Poll.UntilAsync(() => watcher.Membership.Current.SequenceEqual([advertise]), "the front to see the member");
        using (var client = new TcpClient())
        {
            await client.ConnectAsync("127.0.0.1", port); // its receiver listens
        }

        stop.Cancel();

        // The drain reached the sink: the instance left the members before, and is listed as draining.
        await holds.Flushing.Task.WaitAsync(TimeSpan.FromSeconds(60));
        Assert.Null(await watcher.GetAsync(memberKey));
        Assert.Equal(advertise, await watcher.GetAsync(drainingKey));
        await Poll.UntilAsync(() => watcher.Membership.Current.Count == 0 && watcher.Membership.Leaving.SequenceEqual([advertise]), "the front to see the member draining");
        Assert.False(run.IsCompleted);

        holds.ReleaseFlush.SetResult();
        var result = await run.WaitAsync(TimeSpan.FromSeconds(60));

        Assert.Equal(PipelineRunOutcome.Cancelled, result.Outcome);
        Assert.True(result.Drained);
        Assert.Null(await watcher.GetAsync(drainingKey));
        Assert.Null(await watcher.GetAsync(memberKey));
        await Poll.UntilAsync(() => watcher.Membership.Leaving.Count == 0, "the front to see the instance gone");
    }

    [EtcdFact]
    public async Task An_instance_that_fails_to_start_never_becomes_a_member()
    {
        var prefix = ServersFixture.UniquePrefix("runner-fault");
        var port = ServerProcess.FreePort();
        var holds = HeldSink.Holds.Create();
        await using var watcher = await WatcherAsync(prefix);
        var published = new ConcurrentQueue<IReadOnlyList<string>>();
        using var subscription = watcher.Membership.Subscribe(published.Enqueue);
        var runner = new PipelineRunner(Registry());

        var run = Task.Run(() => runner.RunAsync(Spec(prefix, port, holds), cancellationToken: CancellationToken.None));
        await holds.Starting.Task.WaitAsync(TimeSpan.FromSeconds(60));
        await Poll.UntilAsync(async () => (await watcher.GetPrefixAsync(prefix + "/leader")).Count > 0, "the instance to campaign under its lease");
        holds.ReleaseStart.SetException(new InvalidOperationException("the sink cannot start"));
        var result = await run.WaitAsync(TimeSpan.FromSeconds(60));

        Assert.Equal(PipelineRunOutcome.Faulted, result.Outcome);
        Assert.Equal("sink", result.FailedOperatorId);
        Assert.Empty(await watcher.GetPrefixAsync(prefix + "/members/"));
        Assert.Empty(await watcher.GetPrefixAsync(prefix + "/draining/"));
        Assert.All(published, members => Assert.Empty(members));
    }

    [EtcdFact]
    public async Task After_leaving_the_runner_waits_twice_the_longest_handoff_window_before_it_drains()
    {
        var prefix = ServersFixture.UniquePrefix("runner-grace");
        var port = ServerProcess.FreePort();
        var advertise = $"http://127.0.0.1:{port}";
        var holds = HeldSink.Holds.Create();
        holds.ReleaseStart.SetResult();
        await using var watcher = await WatcherAsync(prefix);
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var logs = new CollectingLoggerProvider();
        using var loggerFactory = LoggerFactory.Create(builder => builder.AddProvider(logs));
        using var stop = new CancellationTokenSource();
        var runner = new PipelineRunner(Registry(), loggerFactory: loggerFactory, timeProvider: time);
        var spec = Spec(prefix, port, holds, between: """
            "short": { "type": "loadbalancing.handoff", "inputs": ["in"], "window": "10m" },
            "long":  { "type": "loadbalancing.handoff", "inputs": ["short"], "window": "1h" },
            """, sinkInput: "long");
        Assert.Empty(spec.Problems);

        var run = Task.Run(() => runner.RunAsync(spec, new PipelineRunOptions { DrainTimeout = TimeSpan.FromDays(1) }, stop.Token));
        await Poll.UntilAsync(() => watcher.Membership.Current.SequenceEqual([advertise]), "the instance to announce itself");

        stop.Cancel();

        // It left and says it takes handed-over spans for twice the longest window: on the runner's
        // clock (which does not move by itself) the drain has not begun.
        await Poll.UntilAsync(() => logs.Messages.Any(m => m.Contains("taking handed-over spans for 7200 s before draining", StringComparison.Ordinal)), "the runner to wait the window");
        Assert.Null(await watcher.GetAsync(prefix + "/members/host-1"));
        Assert.Equal(advertise, await watcher.GetAsync(prefix + "/draining/host-1"));
        Assert.False(holds.Flushing.Task.IsCompleted, "the drain began before the window passed");

        // Once the window passes, it drains.
        await Poll.UntilAsync(() =>
        {
            time.Advance(TimeSpan.FromMinutes(2));
            return holds.Flushing.Task.IsCompleted;
        }, "the drain to begin once the window passed");
        holds.ReleaseFlush.SetResult();
        var result = await run.WaitAsync(TimeSpan.FromSeconds(60));

        Assert.Equal(PipelineRunOutcome.Cancelled, result.Outcome);
        Assert.Null(await watcher.GetAsync(prefix + "/draining/host-1"));
    }

    private sealed class CollectingLoggerProvider : ILoggerProvider
    {
        private readonly ConcurrentQueue<string> _messages = new();

        public IReadOnlyList<string> Messages => [.. _messages];

        public ILogger CreateLogger(string categoryName) => new Logger(_messages);

        public void Dispose()
        {
        }

        private sealed class Logger(ConcurrentQueue<string> messages) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
                messages.Enqueue(formatter(state, exception));
        }
    }
}
