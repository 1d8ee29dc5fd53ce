using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using OtlpFlow.Engine.Testing;
using OtlpFlow.Operators.Coordination.Tests.Servers;
using Xunit.Abstractions;

namespace OtlpFlow.Cli.Tests.ClusterChurn;

/// <summary>
/// Issue 19's scenario with real processes: etcd, a back tier (<c>back.json</c>: receiver with
/// <c>ack: delivered</c> → tail sampler keeping every trace → file) and a front tier
/// (<c>front.json</c>: receiver → <c>loadbalancing</c> by trace id over the back tier's members),
/// clients sending traces in several requests through alternating fronts, and the back tier's
/// membership changing under the load: a member joins, one leaves on SIGTERM, one is killed with
/// SIGKILL and restarts. Then it reads every back output file and reports what was lost,
/// duplicated and split, how long requests took, and how soon new members got traffic.
/// </summary>
/// <remarks>
/// It builds nothing: the <c>otlpflow</c> processes are the CLI's build output next to the tests
/// (<see cref="OtlpflowProcess"/>). Every wait is bounded, and <see cref="DisposeAsync"/> kills
/// whatever still runs and removes the temporary folder, whatever happened.
/// </remarks>
internal sealed partial class ClusterChurnScenario(ChurnScenarioOptions options, ITestOutputHelper output) : IAsyncDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("otlpflow-churn-").FullName;
    private readonly string _prefix = $"/test/churn-{Guid.NewGuid():N}";
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly List<BackIncarnation> _backs = [];
    private readonly List<(string Id, int Port, OtlpflowProcess Process)> _fronts = [];
    private readonly List<(double At, string What)> _timeline = [];
    private readonly List<Task> _background = [];
    private readonly ConcurrentDictionary<string, long> _failedAttempts = new(StringComparer.Ordinal);
    private readonly List<double> _pacingLag = [];
    private EtcdServer? _etcd;
    private ClusterObserver? _observer;
    private PipelineTemplate? _backTemplate;
    private PipelineTemplate? _frontTemplate;

    private double _loadStart = double.NaN;
    private DateTime _loadStartWallClock;

    /// <summary>The scenario's clock: seconds since it was set up. The report shows times from <see cref="_loadStart"/>.</summary>
    private double Now => _clock.Elapsed.TotalSeconds;

    /// <summary>Seconds since the load started.</summary>
    private double SinceLoad => Now - _loadStart;

    /// <summary>Runs the scenario, prints the report to the test output and returns it.</summary>
    /// <remarks>
    /// On the thread pool, away from xUnit's synchronization context: that context runs
    /// continuations on as many threads as there are cores, and thousands of requests in flight
    /// would queue the runner's clock, events and observer behind them.
    /// </remarks>
    public async Task<ChurnReport> RunAsync()
    {
        // Each child's redirected stdout and stderr hold a pool thread in a blocking pipe read, and
        // the pool adds threads slowly (about two a second) once its minimum is in use: with seven
        // children and thousands of requests in flight, the runner's own continuations (the
        // events, the end of a kill) would wait seconds for a thread.
        ThreadPool.GetMinThreads(out var workers, out var completions);
        ThreadPool.SetMinThreads(Math.Max(workers, 64), completions);
        try
        {
            return await Task.Run(RunCoreAsync);
        }
        finally
        {
            ThreadPool.SetMinThreads(workers, completions);
        }
    }

    private async Task<ChurnReport> RunCoreAsync()
    {
        var total = Stopwatch.StartNew();
        _backTemplate = PipelineTemplate.Load(Path.Combine(options.TemplateFolder, "back.json"));
        _frontTemplate = PipelineTemplate.Load(Path.Combine(options.TemplateFolder, "front.json"));

        _etcd = new EtcdServer();
        await _etcd.StartAsync();
        var decisionWait = PipelineTemplate.DecisionWait(_backTemplate.Render(Values("back-0", 0, "out.jsonl")));
        _observer = new ClusterObserver(_etcd.Endpoint, _prefix + "/back", () => Now);
        _observer.Start();

        // The back tier first, each registered and listening before the fronts start.
        var ports = Enumerable.Range(0, options.BackInstances + (options.JoinAt is null ? 0 : 1)).Select(_ => OtlpflowProcess.FreePort()).ToArray();
        var initial = Enumerable.Range(1, options.BackInstances).Select(i => StartBack($"back-{i}", ports[i - 1], "initial")).ToArray();
        foreach (var back in initial)
        {
            await UntilAsync(() => back.RegisteredAt is not null && back.ListeningAt is not null, $"{back.Label} to register and listen", back.Process!);
        }

        for (var i = 1; i <= options.FrontInstances; i++)
        {
            var id = $"front-{i}";
            var port = OtlpflowProcess.FreePort();
            var file = Write($"{id}.json", _frontTemplate.Render(Values(id, port, output: string.Empty)));
            _fronts.Add((id, port, OtlpflowProcess.Start("run", file, "--verbose", "--drain-timeout", Duration(options.DrainTimeout))));
        }

        foreach (var (id, port, process) in _fronts)
        {
            await UntilAsync(async () => await _observer.GetAsync($"{_prefix}/front/members/{id}") is not null, $"{id} to register", process);
            await OtlpflowProcess.WaitForPortAsync(port, options.StartTimeout);
        }

        var clients = _fronts.Select(f => new RetryingTraceClient(RetryingTraceClient.Channel($"http://127.0.0.1:{f.Port}"), options.AttemptTimeout, options.ClientDeadline, _failedAttempts)).ToArray();
        try
        {
            await WarmUpAsync(clients);

            // The load and the events, on one clock.
            _loadStart = Now;
            _loadStartWallClock = DateTime.Now;
            Note($"load starts: {options}");
            var sends = new List<Task<(SpanKey[] Spans, ExportOutcome Outcome)>>();
            var traces = new SentTrace[TracesFor(options.MaxEventDelay.TotalSeconds)];
            var events = RunEventsAsync(ports, PipelineTemplate.HandoffWindow(_backTemplate.Render(Values("back-0", 0, "out.jsonl"))));
            await SendLoadAsync(clients, traces, sends);
            Note($"last request sent ({sends.Count:N0} requests)");
            await events;

            // Every request still in flight gets its answer or gives up (each has a deadline).
            var settle = Task.WhenAll(sends);
            try
            {
                await settle.WaitAsync(options.SettleTimeout);
                Note("every request answered or given up");
            }
            catch (TimeoutException)
            {
                Note($"{sends.Count(s => !s.IsCompleted):N0} requests still unanswered {options.SettleTimeout.TotalSeconds:0} s after the last was sent (counted as given up)");
            }

            await StopAllAsync();
            _observer.Stop();
            await Task.WhenAll(_background);

            var report = Analyse(sends, traces, decisionWait, total.Elapsed);
            output.WriteLine(report.ToTable());
            return report;
        }
        finally
        {
            foreach (var client in clients)
            {
                client.Dispose();
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        // Every process is killed and every resource released, whatever failed before or here.
        var failures = new List<Exception>();
        var processes = _backs.Select(b => b.Process).Concat(_fronts.Select(f => f.Process)).OfType<OtlpflowProcess>();
        foreach (var process in processes)
        {
            await Quietly(async () => await process.DisposeAsync().AsTask().WaitAsync(options.StopTimeout), failures);
        }

        await Quietly(() => Task.Run(() => _observer?.Dispose()), failures);
        await Quietly(async () =>
        {
            if (_etcd is not null)
            {
                await _etcd.DisposeAsync();
            }
        }, failures);
        await Quietly(() => Task.Run(() => Directory.Delete(_folder, recursive: true)), failures);
        if (failures.Count > 0)
        {
            throw new AggregateException("cleaning up the cluster-churn scenario failed", failures);
        }
    }

    private static async Task Quietly(Func<Task> action, List<Exception> failures)
    {
        try
        {
            await action();
        }
#pragma warning disable CA1031 // Cleaning up goes on past any failure; they are all rethrown together.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            failures.Add(ex);
        }
    }

    /// <summary>
    /// Sends every trace on its schedule: trace <c>t</c> starts at <c>t / tracesPerSecond</c>, its
    /// requests spread evenly over a spread drawn between the minimum and maximum, request <c>j</c>
    /// through front <c>(t + j) mod fronts</c>. Requests are not awaited here: the load keeps its
    /// pace whatever the answers take.
    /// </summary>
    private async Task SendLoadAsync(RetryingTraceClient[] clients, SentTrace[] traces, List<Task<(SpanKey[] Spans, ExportOutcome Outcome)>> sends)
    {
        var random = new Random(options.Seed);
        var factory = new TraceFactory(options.SpansPerTrace, options.RequestsPerTrace);
        var schedule = new PriorityQueue<(int Trace, int Request), double>();
        var offsets = new TimeSpan[traces.Length][];
        for (var t = 0; t < traces.Length; t++)
        {
            var start = t / options.TracesPerSecond;
            var spread = options.MinTraceSpread + ((options.MaxTraceSpread - options.MinTraceSpread) * random.NextDouble());
            offsets[t] = Enumerable.Range(0, options.RequestsPerTrace)
                .Select(j => options.RequestsPerTrace == 1 ? TimeSpan.Zero : spread * j / (options.RequestsPerTrace - 1))
                .ToArray();
            for (var j = 0; j < options.RequestsPerTrace; j++)
            {
                schedule.Enqueue((t, j), start + offsets[t][j].TotalSeconds);
            }
        }

        while (schedule.TryPeek(out var next, out var due))
        {
            if (traces[next.Trace] is null && (next.Request > 0 || next.Trace >= TracesToSend))
            {
                // A trace past the load's end (extended by as long as the events were pushed back): never started.
                schedule.Dequeue();
                continue;
            }

            var wait = due - SinceLoad;
            if (wait > 0.001)
            {
                // The load's pace, not a wait for a condition.
                await Task.Delay(TimeSpan.FromSeconds(wait));
                continue;
            }

            schedule.Dequeue();
            _pacingLag.Add(-wait);
            if (next.Request == 0)
            {
                var startNanos = (DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1_000_000) - 1_000_000;
                traces[next.Trace] = factory.Create(random, startNanos, offsets[next.Trace]);
                _scheduled[traces[next.Trace].TraceId] = offsets[next.Trace].Select(o => (next.Trace / options.TracesPerSecond) + o.TotalSeconds).ToArray();
            }

            var trace = traces[next.Trace];
            var client = clients[(next.Trace + next.Request) % clients.Length];
            sends.Add(Send(client, trace.Requests[next.Request], trace.SpanKeys[next.Request]));
        }
    }

    /// <summary>How much later than planned the events after the join come (seconds): a join that registered late pushes them back.</summary>
    private double _eventDelay;

    /// <summary>Traces the load sends: the planned count, and as many more as the events were pushed back.</summary>
    private int TracesToSend => TracesFor(Volatile.Read(ref _eventDelay));

    /// <summary>The planned traces and those of <paramref name="delaySeconds"/> more of load.</summary>
    private int TracesFor(double delaySeconds) => options.Traces + (int)Math.Ceiling(delaySeconds * options.TracesPerSecond);

    /// <summary>Trace ids of the warm-up traces, left out of every figure.</summary>
    private readonly HashSet<string> _warmUp = new(StringComparer.Ordinal);

    /// <summary>
    /// Before the load: <see cref="ChurnScenarioOptions.WarmUpTraces"/> traces of one request each,
    /// at the load's pace, through every front, and their answers. Every process then has its
    /// connections open and its code compiled: the first second of a cold cluster answers up to
    /// 1.8 s slower than the rest (measured), which says nothing about how it takes churn. Their
    /// latency is in the report; their spans are in no figure.
    /// </summary>
    private async Task WarmUpAsync(RetryingTraceClient[] clients)
    {
        if (options.WarmUpTraces == 0)
        {
            return;
        }

        var random = new Random(~options.Seed);
        var factory = new TraceFactory(options.SpansPerTrace, requestsPerTrace: 1);
        var sends = new List<Task<ExportOutcome>>();
        var started = Stopwatch.StartNew();
        for (var t = 0; t < options.WarmUpTraces; t++)
        {
            var due = t / options.TracesPerSecond;
            if (due > started.Elapsed.TotalSeconds + 0.001)
            {
                // The load's pace, not a wait for a condition.
                await Task.Delay(TimeSpan.FromSeconds(due - started.Elapsed.TotalSeconds));
            }

            var trace = factory.Create(random, (DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1_000_000) - 1_000_000, [TimeSpan.Zero]);
            _warmUp.Add(trace.TraceId);
            sends.Add(clients[t % clients.Length].ExportAsync(trace.Requests[0], CancellationToken.None));
        }

        // Answered, failed or still unanswered after the settle timeout: reported below, and the
        // load goes on (its figures leave the warm-up traces out anyway).
        await Task.WhenAny(Task.WhenAll(sends), Task.Delay(options.SettleTimeout));

        var outcomes = sends.Where(s => s.IsCompletedSuccessfully).Select(s => s.Result).ToArray();
        var latencies = outcomes.Select(o => o.Latency.TotalSeconds).Order().ToArray();
        Note(string.Create(CultureInfo.InvariantCulture,
            $"warm-up: {outcomes.Count(o => o.Acknowledged):N0} of {sends.Count:N0} traces acknowledged in {started.Elapsed.TotalSeconds:0.0} s, latency p50 {Percentile(latencies, 0.5):0.00} s, max {(latencies.Length == 0 ? 0 : latencies[^1]):0.00} s"));
    }

    /// <summary>When each trace's requests were due (seconds after the load started), by trace id.</summary>
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, double[]> _scheduled = new(StringComparer.Ordinal);

    /// <summary>When the last answer to one of a trace's requests came (seconds after the load started), by trace id.</summary>
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, double> _lastAnswer = new(StringComparer.Ordinal);

    /// <summary>Every acknowledged request's send and answer times (seconds after the load started): the slowest go in the report.</summary>
    private readonly System.Collections.Concurrent.ConcurrentQueue<(double SentAt, double AnsweredAt)> _answers = new();

    private async Task<(SpanKey[] Spans, ExportOutcome Outcome)> Send(RetryingTraceClient client, byte[] request, SpanKey[] spans)
    {
        var sentAt = SinceLoad;
        var started = Stopwatch.GetTimestamp();
        ExportOutcome outcome;
        try
        {
            outcome = await client.ExportAsync(request, CancellationToken.None);
        }
#pragma warning disable CA1031 // A client failure is an outcome to report (a give-up), never a crash of the scenario.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            outcome = new ExportOutcome(false, Stopwatch.GetElapsedTime(started), 1, 0, $"client failure: {ex.GetType().Name}: {ex.Message}");
        }

        var answered = SinceLoad;
        if (outcome.Acknowledged)
        {
            _answers.Enqueue((sentAt, answered));
        }

        foreach (var trace in spans.Select(s => s.TraceId).Distinct(StringComparer.Ordinal))
        {
            _lastAnswer.AddOrUpdate(trace, answered, (_, before) => Math.Max(before, answered));
        }

        return (spans, outcome);
    }

    /// <summary>The membership changes, each at its time.</summary>
    private async Task RunEventsAsync(int[] ports, TimeSpan window)
    {
        var events = new List<(double At, Func<Task> Act)>();
        BackIncarnation? joined = null;
        if (options.JoinAt is { } join)
        {
            events.Add((join, () =>
            {
                joined = StartBack($"back-{options.BackInstances + 1}", ports[options.BackInstances], "joined");
                Note($"{joined.Label} starts (joining)");
                return Task.CompletedTask;
            }));
        }

        if (options.TerminateAt is { } terminate)
        {
            events.Add((terminate, () =>
            {
                var target = Current("back-1");
                target.StoppedAt = Now;
                target.StoppedBy = "SIGTERM";
                Note($"{target.Label} gets SIGTERM");
                _background.Add(StopAsync(target));
                return Task.CompletedTask;
            }));
        }

        if (options.KillAt is { } kill)
        {
            events.Add((kill, async () =>
            {
                var target = Current("back-2");
                target.StoppedAt = Now;
                target.StoppedBy = "SIGKILL";
                await target.Process!.KillAsync().WaitAsync(options.StopTimeout);
                Note($"{target.Label} killed with SIGKILL");
            }));
        }

        if (options.RestartAt is { } restart)
        {
            events.Add((restart, () =>
            {
                var old = Current("back-2");
                var restarted = StartBack(old.MemberId, old.Port, "restarted");
                Note($"{restarted.Label} starts (restart of {old.Label}: same member id, endpoint and folder)");
                return Task.CompletedTask;
            }));
        }

        var first = true;
        foreach (var (scheduled, act) in events.OrderBy(e => e.At))
        {
            var at = scheduled + _eventDelay;
            if (!first && joined is { } member)
            {
                // One change at a time, a window apart, as docs/deployment.md asks of operators: a
                // join that registers late (a slow start on a busy machine) pushes the later events
                // back by as much, and the load goes on for as much longer.
                try
                {
                    await Poll.UntilAsync(() => member.RegisteredAt is not null || member.GoneAt is not null, $"{member.Label} to register", options.StartTimeout);
                }
                catch (TimeoutException)
                {
                    Note($"{member.Label} did not register within {options.StartTimeout.TotalSeconds:0} s of starting");
                }

                var earliest = (member.RegisteredAt ?? Now) - _loadStart + window.TotalSeconds + 1;
                if (earliest > at)
                {
                    var later = Math.Min(earliest - at, options.MaxEventDelay.TotalSeconds - _eventDelay);
                    Volatile.Write(ref _eventDelay, _eventDelay + later);
                    at += later;
                    Note(string.Create(CultureInfo.InvariantCulture, $"{member.Label} registered late: the events from here on come {_eventDelay:0.0} s later than planned, and so does the load's end"));
                }

                joined = null;
            }

            first = false;
            var wait = at - SinceLoad;
            if (wait > 0)
            {
                // The scenario's timetable, not a wait for a condition.
                await Task.Delay(TimeSpan.FromSeconds(wait));
            }

            try
            {
                await act();
            }
            catch (Exception ex) when (ex is TimeoutException or InvalidOperationException or IOException or System.ComponentModel.Win32Exception)
            {
                // The scenario goes on and reports what happened; the timeline says this event failed.
                Note($"the event due at {at:0.#} s failed: {ex.GetType().Name}: {ex.Message}");
            }
        }
    }

    /// <summary>SIGTERM to the fronts (they drain into the back tier), then to every back still running.</summary>
    private async Task StopAllAsync()
    {
        Note("SIGTERM to the fronts");
        await Task.WhenAll(_fronts.Select(async f =>
        {
            try
            {
                var code = await f.Process.TerminateAsync(options.StopTimeout);
                Note($"{f.Id} exited ({code})");
            }
            catch (TimeoutException)
            {
                await f.Process.KillAsync().WaitAsync(options.StopTimeout);
                Note($"{f.Id} did not exit within {options.StopTimeout.TotalSeconds:0} s of SIGTERM: killed");
            }
        }));

        Note("SIGTERM to the back tier");
        var running = _backs.Where(b => b.StoppedBy is null).ToArray();
        foreach (var back in running)
        {
            back.StoppedAt = Now;
            back.StoppedBy = "SIGTERM (end)";
        }

        await Task.WhenAll(running.Select(StopAsync));
    }

    /// <summary>SIGTERM and wait for the exit; killed when it does not exit within the stop timeout.</summary>
    private async Task StopAsync(BackIncarnation back)
    {
        try
        {
            back.ExitCode = await back.Process!.TerminateAsync(options.StopTimeout);
            Note($"{back.Label} exited ({back.ExitCode})");
        }
        catch (TimeoutException)
        {
            await back.Process!.KillAsync().WaitAsync(options.StopTimeout);
            Note($"{back.Label} did not exit within {options.StopTimeout.TotalSeconds:0} s of SIGTERM: killed");
        }
    }

    /// <summary>Starts a back incarnation: a new output file in the member's folder, the same endpoint.</summary>
    private BackIncarnation StartBack(string memberId, int port, string role)
    {
        var number = _backs.Count(b => b.MemberId == memberId) + 1;
        var folder = Path.Combine(_folder, memberId);
        var outputPath = Path.Combine(folder, $"incarnation-{number}.jsonl");
        var file = Write(Path.Combine(memberId, $"pipeline-{number}.json"), _backTemplate!.Render(Values(memberId, port, outputPath.Replace('\\', '/'))));
        var back = new BackIncarnation(memberId, number, port, outputPath, Now) { Role = role };
        back.Process = OtlpflowProcess.Start("run", file, "--verbose", "--drain-timeout", Duration(options.DrainTimeout));
        _backs.Add(back);
        _observer!.Follow(back);
        return back;
    }

    private BackIncarnation Current(string memberId) => _backs.Last(b => b.MemberId == memberId);

    private Dictionary<string, string> Values(string memberId, int port, string output) => new(StringComparer.Ordinal)
    {
        ["ETCD"] = _etcd!.Endpoint,
        ["PREFIX"] = _prefix,
        ["MEMBER_ID"] = memberId,
        ["GRPC"] = $"127.0.0.1:{port}",
        ["ADVERTISE"] = $"http://127.0.0.1:{port}",
        ["OUTPUT"] = output,
    };

    private string Write(string relative, string text)
    {
        var path = Path.Combine(_folder, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
        return path;
    }

    private async Task UntilAsync(Func<bool> condition, string what, OtlpflowProcess process)
    {
        try
        {
            await Poll.UntilAsync(condition, what, options.StartTimeout);
        }
        catch (TimeoutException ex)
        {
            throw new TimeoutException($"{ex.Message}; its log:\n{process.Log}", ex);
        }
    }

    private async Task UntilAsync(Func<Task<bool>> condition, string what, OtlpflowProcess process)
    {
        try
        {
            await Poll.UntilAsync(condition, what, options.StartTimeout);
        }
        catch (TimeoutException ex)
        {
            throw new TimeoutException($"{ex.Message}; its log:\n{process.Log}", ex);
        }
    }

    private void Note(string what)
    {
        lock (_timeline)
        {
            _timeline.Add((Now, what));
        }
    }

    private static string Duration(TimeSpan span) => string.Create(CultureInfo.InvariantCulture, $"{(long)span.TotalMilliseconds}ms");
}
