using System.Globalization;

namespace OtlpFlow.Cli.Tests.ClusterChurn;

/// <summary>
/// The shape of a cluster-churn scenario (issue 19): how many instances, how much load, when the
/// membership changes, and how long each wait may last. Event times are seconds after the load
/// starts; a null time leaves that event out.
/// </summary>
internal sealed record ChurnScenarioOptions
{
    /// <summary>Back-tier instances started before the load (the joining one comes on top).</summary>
    public int BackInstances { get; init; } = 3;

    /// <summary>Front-tier instances; the requests of a trace alternate between them.</summary>
    public int FrontInstances { get; init; } = 2;

    /// <summary>Traces sent.</summary>
    public int Traces { get; init; } = 5_000;

    /// <summary>Traces sent (one request each) before the load, to open connections and compile code; left out of every figure.</summary>
    public int WarmUpTraces { get; init; } = 400;

    /// <summary>Spans per trace: a tree under one root span.</summary>
    public int SpansPerTrace { get; init; } = 6;

    /// <summary>Export requests per trace; the root span is in the last one, as an SDK exporting on span end sends it.</summary>
    public int RequestsPerTrace { get; init; } = 3;

    /// <summary>The shortest time from a trace's first request to its last.</summary>
    public TimeSpan MinTraceSpread { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>The longest time from a trace's first request to its last.</summary>
    public TimeSpan MaxTraceSpread { get; init; } = TimeSpan.FromSeconds(3);

    /// <summary>Spans per second offered; traces start at this rate divided by <see cref="SpansPerTrace"/>.</summary>
    public double SpansPerSecond { get; init; } = 1_200;

    /// <summary>When a new back instance starts (it joins once it registers).</summary>
    public double? JoinAt { get; init; } = 6;

    /// <summary>When one of the first back instances gets SIGTERM (a graceful leave).</summary>
    public double? TerminateAt { get; init; } = 12;

    /// <summary>When another of the first back instances is killed with SIGKILL (a crash).</summary>
    public double? KillAt { get; init; } = 18;

    /// <summary>When the killed instance starts again: same member id, endpoint and output folder, a new output file.</summary>
    public double? RestartAt { get; init; } = 24;

    /// <summary>
    /// The most the events after the join may be pushed back when the joining instance registers
    /// late (each comes no sooner than a handoff window and a second after that registration); the
    /// load is extended by as much.
    /// </summary>
    public TimeSpan MaxEventDelay { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>The longest one export attempt may take (the OpenTelemetry SDKs' default export timeout is 10 s).</summary>
    public TimeSpan AttemptTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// How long a client keeps retrying a request (from its first attempt) before it gives up: the
    /// OpenTelemetry .NET SDK's export timeout, 10 s, within which its OTLP exporter also retries.
    /// </summary>
    public TimeSpan ClientDeadline { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How long an instance may take to start and register (or listen).</summary>
    public TimeSpan StartTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>How long the requests still in flight when the last is sent may take to end (each gives up after <see cref="ClientDeadline"/>; this bounds a busy test process).</summary>
    public TimeSpan SettleTimeout { get; init; } = TimeSpan.FromSeconds(25);

    /// <summary>How long an instance may take to drain and exit after SIGTERM before it is killed.</summary>
    public TimeSpan StopTimeout { get; init; } = TimeSpan.FromSeconds(40);

    /// <summary>The drain deadline passed to <c>otlpflow run --drain-timeout</c>.</summary>
    public TimeSpan DrainTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Seed of the trace ids and spreads, so that two runs send the same load.</summary>
    public int Seed { get; init; } = 19;

    /// <summary>Folder holding <c>back.json</c> and <c>front.json</c>; default: this folder in the source tree, so they change without a rebuild.</summary>
    public string TemplateFolder { get; init; } = RepositoryFiles.PathOf("tests/OtlpFlow.Cli.Tests/ClusterChurn");

    /// <summary>How long the load lasts: the last trace starts then (its last request comes up to <see cref="MaxTraceSpread"/> later).</summary>
    public TimeSpan LoadDuration => TimeSpan.FromSeconds(Traces / TracesPerSecond);

    /// <summary>Traces started per second.</summary>
    public double TracesPerSecond => SpansPerSecond / SpansPerTrace;

    /// <summary>
    /// Sized for CI (a two-core machine, the whole test well under 3 minutes): about 38 s of load at
    /// 1,200 spans/s, events at 4, 14, 20 and 24 s. A back instance takes 2–7 s to start and register
    /// on a loaded two-core machine and keeps its own traces a window (4 s) after that, so the load
    /// goes on 14 s past the restart. The restart comes 4 s after the kill: a process starting takes
    /// both cores for seconds, and the requests that the kill sent to new owners are answered by then.
    /// A join that registers later than 9 s pushes the later events and the load's end back (see
    /// <see cref="MaxEventDelay"/>).
    /// </summary>
    public static ChurnScenarioOptions Ci() => new() { Traces = 7_600, SpansPerSecond = 1_200, JoinAt = 4, TerminateAt = 14, KillAt = 20, RestartAt = 24 };

    /// <summary>
    /// Issue 19's run: 26,000 traces at about 2,800 spans/s (about 56 s of load), events at 10, 20,
    /// 30 and 40 s.
    /// </summary>
    public static ChurnScenarioOptions Full() => new() { Traces = 26_000, SpansPerSecond = 2_800, JoinAt = 10, TerminateAt = 20, KillAt = 30, RestartAt = 40 };

    /// <summary>A one-line description for the report.</summary>
    public override string ToString() => string.Create(
        CultureInfo.InvariantCulture,
        $"{BackInstances} back + {FrontInstances} front, {Traces:N0} traces x {SpansPerTrace} spans in {RequestsPerTrace} requests over {MinTraceSpread.TotalSeconds:0.#}-{MaxTraceSpread.TotalSeconds:0.#} s, " +
        $"{SpansPerSecond:N0} spans/s for {LoadDuration.TotalSeconds:0.#} s; join {At(JoinAt)}, SIGTERM {At(TerminateAt)}, kill -9 {At(KillAt)}, restart {At(RestartAt)}");

    private static string At(double? seconds) => seconds is { } s ? string.Create(CultureInfo.InvariantCulture, $"t={s:0.#}s") : "never";
}
