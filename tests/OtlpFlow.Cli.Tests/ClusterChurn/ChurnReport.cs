using System.Globalization;
using System.Text;

namespace OtlpFlow.Cli.Tests.ClusterChurn;

/// <summary>
/// What a cluster-churn scenario measured: issue 19's table (acknowledged, delivered, lost,
/// duplicates, split traces, request latency, members' first spans) and where the data went.
/// </summary>
internal sealed class ChurnReport
{
    public required string Scenario { get; init; }

    public required TimeSpan DecisionWait { get; init; }

    public int TracesSent { get; init; }

    public long SpansSent { get; init; }

    /// <summary>Spans in requests that were finally answered with success.</summary>
    public long SpansAcknowledged { get; init; }

    /// <summary>Distinct (trace id, span id) in the back tier's output files.</summary>
    public long SpansDelivered { get; init; }

    /// <summary>Acknowledged spans in no output file.</summary>
    public long Lost { get; init; }

    /// <summary>Span occurrences in the outputs beyond the first of each span.</summary>
    public long Duplicates { get; init; }

    /// <summary>Delivered spans whose request the client never saw acknowledged (it gave up, or was still waiting).</summary>
    public long DeliveredUnacknowledged { get; init; }

    public int TracesDelivered { get; init; }

    /// <summary>Traces no back incarnation wrote whole: their spans were decided in parts, by more than one tail sampler.</summary>
    public int TracesSplit { get; init; }

    /// <summary>
    /// Split traces that were in flight when a member was killed with SIGKILL (the first request due
    /// before it, and a request due after it or not yet answered at it): the killed member had
    /// exported their first spans (decided after <c>decisionWait</c>), or handed them to the member
    /// holding the trace and died with the table that said so; their later or unanswered spans could
    /// only go to another member.
    /// </summary>
    public int TracesSplitWithKilled { get; init; }

    /// <summary>
    /// Traces one incarnation wrote whole while another wrote some of their spans again (duplicates
    /// of data whose answer was lost): every span was decided with the whole trace.
    /// </summary>
    public int TracesWholeWithCopies { get; init; }

    /// <summary>A few split traces (those not in flight at a kill first), with when their requests were due and who wrote which.</summary>
    public IReadOnlyList<string> SplitExamples { get; init; } = [];

    /// <summary>Split traces by the incarnations that wrote them ("back-1#1 + back-4#1").</summary>
    public IReadOnlyDictionary<string, int> SplitBetween { get; init; } = new Dictionary<string, int>();

    /// <summary>Split traces, by how many incarnations wrote them.</summary>
    public IReadOnlyDictionary<int, int> SplitWidths { get; init; } = new Dictionary<int, int>();

    public int Requests { get; init; }

    public int RequestsAcknowledged { get; init; }

    /// <summary>Requests the clients gave up on (deadline passed, or a failure not to retry), or still unanswered at the end.</summary>
    public int GiveUps { get; init; }

    /// <summary>Attempts beyond each request's first.</summary>
    public long Retries { get; init; }

    /// <summary>Attempts that ended in DEADLINE_EXCEEDED (a client timeout).</summary>
    public long TimedOutAttempts { get; init; }

    /// <summary>Failed attempts by gRPC status.</summary>
    public IReadOnlyDictionary<string, long> FailedAttempts { get; init; } = new Dictionary<string, long>();

    /// <summary>Last errors of the requests given up on, by text (a few).</summary>
    public IReadOnlyDictionary<string, int> GiveUpErrors { get; init; } = new Dictionary<string, int>();

    /// <summary>Acknowledged requests' latency, first attempt to success, in seconds.</summary>
    public double LatencyP50 { get; init; }

    public double LatencyP99 { get; init; }

    public double LatencyMax { get; init; }

    /// <summary>Requests slower than <c>decisionWait</c> + 1 s, counted by the second (after the load started) they were sent in.</summary>
    public IReadOnlyList<string> Slowest { get; init; } = [];

    /// <summary>Record lines that did not parse (a line torn by kill -9).</summary>
    public int TornLines { get; init; }

    public required IReadOnlyList<IncarnationFigures> Incarnations { get; init; }

    /// <summary>What happened when, in the scenario's clock.</summary>
    public required IReadOnlyList<string> Timeline { get; init; }

    /// <summary>Selected log lines of the instances (warnings, membership views), repeated ones counted.</summary>
    public IReadOnlyList<string> LogHighlights { get; init; } = [];

    public double ElapsedSeconds { get; init; }

    /// <summary>How late the clients sent requests against their schedule (p99), in seconds: a busy test process shows here.</summary>
    public double PacingLagP99 { get; init; }

    public double PacingLagMax { get; init; }

    /// <summary>The longest gap between two samples of the cluster observer, in seconds: the worst resolution of its times.</summary>
    public double ObserverLongestGap { get; init; }

    /// <summary>The members that joined or restarted during the load.</summary>
    public IEnumerable<IncarnationFigures> Arrivals => Incarnations.Where(i => i.Role != "initial");

    /// <summary>Issue 19's "done when", each unmet one as a sentence; empty when the scenario passes.</summary>
    public IReadOnlyList<string> Unmet(TimeSpan arrivalBound)
    {
        var unmet = new List<string>();
        if (Lost > 0)
        {
            unmet.Add($"{Lost:N0} acknowledged spans lost");
        }

        // A trace in flight when a member is killed may have had its first spans exported by it (or
        // handed by it to the member holding the trace, a table that dies with it): nothing can join
        // those. Every other split is a failure.
        if (TracesSplit - TracesSplitWithKilled > 0)
        {
            unmet.Add($"{TracesSplit - TracesSplitWithKilled:N0} traces split across back incarnations (besides {TracesSplitWithKilled:N0} in flight when a member was killed)");
        }

        if (Duplicates >= SpansSent / 100.0)
        {
            unmet.Add($"{Duplicates:N0} duplicates, not under 1% of {SpansSent:N0} spans");
        }

        foreach (var arrival in Arrivals)
        {
            if (arrival.SecondsToFirstSpan is not { } seconds || seconds > arrivalBound.TotalSeconds)
            {
                unmet.Add($"{arrival.Label} ({arrival.Role}) " + (arrival.SecondsToFirstSpan is { } s
                    ? F($"received its first span {s:0.0} s after registering (bound {arrivalBound.TotalSeconds:0} s)")
                    : arrival.RegisteredAt is null ? "never registered" : "received no span"));
            }
        }

        if (GiveUps > 0)
        {
            unmet.Add($"{GiveUps:N0} requests given up by the clients");
        }

        if (TimedOutAttempts > 0)
        {
            unmet.Add($"{TimedOutAttempts:N0} attempts timed out (DEADLINE_EXCEEDED)");
        }

        var latencyBound = DecisionWait.TotalSeconds + 2;
        if (LatencyP99 > latencyBound)
        {
            unmet.Add(F($"p99 request latency {LatencyP99:0.00} s, more than decisionWait + 2 s = {latencyBound:0.#} s"));
        }

        return unmet;
    }

    /// <summary>
    /// A sentence when the test process itself fell behind (requests sent more than 1 s late at p99,
    /// or the observer blind for more than 1 s), so that timing figures are read with care; else empty.
    /// </summary>
    public string HarnessWarning() => PacingLagP99 > 1 || ObserverLongestGap > 1
        ? F($" (the machine was too busy for the harness to keep time: requests sent {PacingLagP99:0.0} s late at p99, observer blind for up to {ObserverLongestGap:0.0} s; its timing figures are approximate)")
        : string.Empty;

    /// <summary>The report as text: issue 19's table, then the members, where the data went, and the timeline.</summary>
    public string ToTable()
    {
        var text = new StringBuilder();
        text.AppendLine(F($"cluster churn: {Scenario}"));
        text.AppendLine(F($"decisionWait {DecisionWait.TotalSeconds:0.##} s; whole run {ElapsedSeconds:0.0} s; harness: requests sent late by {PacingLagP99:0.00} s p99 / {PacingLagMax:0.00} s max, observer resolution {ObserverLongestGap:0.00} s at worst"));
        text.AppendLine();
        text.AppendLine("| | figure |");
        text.AppendLine("|---|---|");
        text.AppendLine(F($"| spans sent / acknowledged / delivered | {SpansSent:N0} / {SpansAcknowledged:N0} / {SpansDelivered:N0} |"));
        text.AppendLine(F($"| lost (acknowledged, not delivered) | {Lost:N0} |"));
        text.AppendLine(F($"| duplicates | {Duplicates:N0} ({Percent(Duplicates, SpansSent)}) |"));
        text.AppendLine(F($"| delivered but not acknowledged | {DeliveredUnacknowledged:N0} |"));
        text.AppendLine(F($"| traces split across members (no member wrote them whole) | {TracesSplit:N0} of {TracesDelivered:N0}{Widths()}; {TracesSplitWithKilled:N0} of them in flight when a member was killed |"));
        text.AppendLine(F($"| traces written whole by one member, and in part again by another (duplicates) | {TracesWholeWithCopies:N0} |"));
        if (SplitBetween.Count > 0)
        {
            text.AppendLine(F($"| split between | {string.Join(", ", SplitBetween.OrderByDescending(p => p.Value).Select(p => F($"{p.Key}: {p.Value:N0}")))} |"));
        }

        foreach (var example in SplitExamples)
        {
            text.AppendLine(F($"| split, e.g. | {example} |"));
        }

        text.AppendLine(F($"| request latency p50 / p99 / max (acknowledged, first attempt to success) | {LatencyP50:0.00} / {LatencyP99:0.00} / {LatencyMax:0.00} s |"));
        if (Slowest.Count > 0)
        {
            text.AppendLine(F($"| requests over decisionWait + 1 s, by the second they were sent in | {string.Join("; ", Slowest)} |"));
        }

        text.AppendLine(F($"| requests / acknowledged / given up | {Requests:N0} / {RequestsAcknowledged:N0} / {GiveUps:N0} |"));
        text.AppendLine(F($"| retries / attempts timed out | {Retries:N0} / {TimedOutAttempts:N0} |"));
        foreach (var arrival in Arrivals)
        {
            text.AppendLine(F($"| {arrival.Role} {arrival.Label}: registration to first span | {Seconds(arrival.SecondsToFirstSpan, "never")} ({arrival.Spans:N0} spans) |"));
        }

        if (FailedAttempts.Count > 0)
        {
            text.AppendLine(F($"| failed attempts | {string.Join(", ", FailedAttempts.OrderByDescending(f => f.Value).Select(f => F($"{f.Key} {f.Value:N0}")))} |"));
        }

        if (TornLines > 0)
        {
            text.AppendLine(F($"| torn record lines | {TornLines} |"));
        }

        text.AppendLine();
        text.AppendLine("| incarnation | role | started | listening | registered | first write | first span | stopped | deregistered | gone | spans written | traces |");
        text.AppendLine("|---|---|---|---|---|---|---|---|---|---|---|---|");
        foreach (var i in Incarnations)
        {
            text.AppendLine(F($"| {i.Label} | {i.Role} | {T(i.StartedAt)} | {T(i.ListeningAt)} | {T(i.RegisteredAt)} | {T(i.FirstWriteAt)} | {T(i.FirstSpanAt)} | {(i.StoppedBy is null ? "-" : $"{i.StoppedBy} {T(i.StoppedAt)}")} | {T(i.DeregisteredAt)} | {T(i.GoneAt)}{(i.ExitCode is { } code ? $" (exit {code})" : string.Empty)} | {i.Spans:N0} | {i.Traces:N0} |"));
        }

        if (GiveUpErrors.Count > 0)
        {
            text.AppendLine();
            text.AppendLine("given up, last errors:");
            foreach (var (error, count) in GiveUpErrors.OrderByDescending(e => e.Value).Take(5))
            {
                text.AppendLine(F($"  {count:N0} x {error}"));
            }
        }

        text.AppendLine();
        text.AppendLine("timeline (s after the load started):");
        foreach (var line in Timeline)
        {
            text.AppendLine("  " + line);
        }

        if (LogHighlights.Count > 0)
        {
            text.AppendLine();
            text.AppendLine("log lines of interest:");
            foreach (var line in LogHighlights)
            {
                text.AppendLine("  " + line);
            }
        }

        return text.ToString();
    }

    private string Widths() => SplitWidths.Count == 0
        ? string.Empty
        : " (" + string.Join(", ", SplitWidths.OrderBy(w => w.Key).Select(w => F($"{w.Value:N0} over {w.Key}"))) + ")";

    private static string Percent(long part, long whole) => whole == 0 ? "-" : F($"{100.0 * part / whole:0.00}%");

    private static string T(double? at) => at is { } t ? F($"{t:0.00}") : "-";

    private static string Seconds(double? seconds, string none) => seconds is { } s ? F($"{s:0.00} s") : none;

    private static string F(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
