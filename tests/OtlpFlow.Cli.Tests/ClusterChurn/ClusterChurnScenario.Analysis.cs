using System.Globalization;
using System.Text.RegularExpressions;

namespace OtlpFlow.Cli.Tests.ClusterChurn;

/// <summary>The scenario's report, from the clients' outcomes and the back tier's output files.</summary>
internal sealed partial class ClusterChurnScenario
{
    private const int MaxLogLinesPerProcess = 40;

    /// <summary>
    /// A few split traces (those not in flight at a kill first): when their requests were due, and
    /// which of them each incarnation wrote ("back-1#1 wrote r0 r1 at 12.3 12.9; back-4#1 wrote r2 at 14.1").
    /// </summary>
    private List<string> SplitExamples(Dictionary<string, HashSet<string>> writers, SentTrace[] sent)
    {
        var byId = sent.ToDictionary(t => t.TraceId, StringComparer.Ordinal);
        var examples = new List<string>();
        foreach (var (traceId, labels) in writers.Take(6))
        {
            var trace = byId[traceId];
            var due = _scheduled.GetValueOrDefault(traceId) ?? [];
            var parts = new List<string>();
            foreach (var back in _backs.Where(b => labels.Contains(b.Label)))
            {
                var written = BackOutput.Read(back.OutputPath).Spans.Where(s => s.TraceId == traceId).ToHashSet();
                var requests = Enumerable.Range(0, trace.SpanKeys.Length).Where(j => trace.SpanKeys[j].Any(written.Contains)).ToArray();
                parts.Add(string.Create(CultureInfo.InvariantCulture, $"{back.Label} wrote {string.Join(" ", requests.Select(j => $"r{j}@{(j < due.Length ? due[j] : double.NaN):0.00}"))}"));
            }

            examples.Add($"{traceId[..8]}: {string.Join("; ", parts)}");
        }

        return examples;
    }

    private ChurnReport Analyse(List<Task<(SpanKey[] Spans, ExportOutcome Outcome)>> sends, SentTrace[] traces, TimeSpan decisionWait, TimeSpan elapsed)
    {
        var answered = sends.Where(s => s.IsCompletedSuccessfully).Select(s => s.Result).ToList();
        var unanswered = sends.Count - answered.Count;
        var acknowledged = answered.Where(a => a.Outcome.Acknowledged).SelectMany(a => a.Spans).ToHashSet();
        var sent = traces.Where(t => t is not null).ToArray();

        // Every span occurrence in every output, and which incarnations wrote each trace.
        var occurrences = new Dictionary<SpanKey, int>();
        var writers = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
        var spansBy = new Dictionary<string, Dictionary<string, HashSet<SpanKey>>>(StringComparer.Ordinal);
        var figures = new List<IncarnationFigures>();
        var torn = 0;
        foreach (var back in _backs)
        {
            var written = BackOutput.Read(back.OutputPath);
            torn += written.TornLines;
            var spans = written.Spans.Where(s => !_warmUp.Contains(s.TraceId)).ToList();
            foreach (var span in spans)
            {
                occurrences[span] = occurrences.GetValueOrDefault(span) + 1;
                if (!writers.TryGetValue(span.TraceId, out var labels))
                {
                    writers[span.TraceId] = labels = new HashSet<string>(StringComparer.Ordinal);
                }

                labels.Add(back.Label);
                if (!spansBy.TryGetValue(span.TraceId, out var byLabel))
                {
                    spansBy[span.TraceId] = byLabel = new Dictionary<string, HashSet<SpanKey>>(StringComparer.Ordinal);
                }

                if (!byLabel.TryGetValue(back.Label, out var own))
                {
                    byLabel[back.Label] = own = [];
                }

                own.Add(span);
            }

            figures.Add(new IncarnationFigures
            {
                Label = back.Label,
                Role = back.Role,
                StartedAt = back.StartedAt - _loadStart,
                ListeningAt = back.ListeningAt - _loadStart,
                RegisteredAt = back.RegisteredAt - _loadStart,
                FirstWriteAt = back.FirstWriteAt - _loadStart,
                FirstSpanAt = back.FirstWriteAt - _loadStart - decisionWait.TotalSeconds,
                StoppedAt = back.StoppedAt - _loadStart,
                StoppedBy = back.StoppedBy,
                DeregisteredAt = back.DeregisteredAt - _loadStart,
                GoneAt = back.GoneAt - _loadStart,
                ExitCode = back.ExitCode,
                Spans = spans.Count,
                Traces = spans.Select(s => s.TraceId).Distinct(StringComparer.Ordinal).Count(),
            });
        }

        // A trace is split when no incarnation wrote all of its spans: no tail sampler saw it whole.
        // A trace written whole by one and in part again by another (a retry of data whose answer was
        // lost, e.g. with a killed member that handed it over) is whole plus duplicates.
        var split = writers.Where(w => w.Value.Count > 1).Select(w => w.Key).Where(trace =>
        {
            var byLabel = spansBy[trace];
            var all = byLabel.Values.SelectMany(v => v).ToHashSet();
            return !byLabel.Values.Any(v => v.Count == all.Count);
        }).ToHashSet(StringComparer.Ordinal);
        // In flight when a member was killed: its first request was due before the kill, and a
        // request was due after it or answered after it (with "ack: delivered", seconds after it was
        // sent). Such a trace may have had its first spans exported by the killed member, or handed
        // by it to the member holding the trace (a table that died with it); its later or unanswered
        // spans then go elsewhere: the fronts send them to the new owner.
        var kills = _backs.Where(b => b.StoppedBy == "SIGKILL" && b.StoppedAt is not null).Select(b => b.StoppedAt!.Value - _loadStart).ToArray();
        bool InFlightAtKill(string trace) => _scheduled.TryGetValue(trace, out var due)
            && kills.Any(k => due[0] < k && (k <= due[^1] || _lastAnswer.GetValueOrDefault(trace, double.MaxValue) > k));
        var splitWriters = writers.Where(w => split.Contains(w.Key)).ToDictionary(w => w.Key, w => w.Value, StringComparer.Ordinal);
        var latencies = answered.Where(a => a.Outcome.Acknowledged).Select(a => a.Outcome.Latency.TotalSeconds).Order().ToArray();
        var givenUp = answered.Where(a => !a.Outcome.Acknowledged).ToArray();
        return new ChurnReport
        {
            Scenario = options.ToString(),
            DecisionWait = decisionWait,
            TracesSent = sent.Length,
            SpansSent = sent.Sum(t => (long)t.SpanKeys.Sum(k => k.Length)),
            SpansAcknowledged = acknowledged.Count,
            SpansDelivered = occurrences.Count,
            Lost = acknowledged.Count(k => !occurrences.ContainsKey(k)),
            Duplicates = occurrences.Values.Sum(n => (long)n - 1),
            DeliveredUnacknowledged = occurrences.Keys.Count(k => !acknowledged.Contains(k)),
            TracesDelivered = writers.Count,
            TracesSplit = split.Count,
            TracesSplitWithKilled = splitWriters.Count(w => InFlightAtKill(w.Key)),
            TracesWholeWithCopies = writers.Count(w => w.Value.Count > 1) - split.Count,
            SplitExamples = SplitExamples(splitWriters.Where(w => !InFlightAtKill(w.Key)).Concat(splitWriters.Where(w => InFlightAtKill(w.Key))).ToDictionary(w => w.Key, w => w.Value, StringComparer.Ordinal), sent),
            SplitBetween = splitWriters.Values.GroupBy(w => string.Join(" + ", w.Order(StringComparer.Ordinal)), StringComparer.Ordinal)
                .ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal),
            SplitWidths = splitWriters.Values.GroupBy(w => w.Count).ToDictionary(g => g.Key, g => g.Count()),
            Requests = sends.Count,
            RequestsAcknowledged = latencies.Length,
            GiveUps = givenUp.Length + unanswered,
            Retries = answered.Sum(a => (long)a.Outcome.Attempts - 1),
            TimedOutAttempts = answered.Sum(a => (long)a.Outcome.Timeouts),
            FailedAttempts = new Dictionary<string, long>(_failedAttempts, StringComparer.Ordinal),
            GiveUpErrors = givenUp.GroupBy(g => Shorten(g.Outcome.Error ?? "?")).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal),
            LatencyP50 = Percentile(latencies, 0.50),
            LatencyP99 = Percentile(latencies, 0.99),
            LatencyMax = latencies.Length == 0 ? 0 : latencies[^1],
            Slowest = SlowestRequests(decisionWait),
            TornLines = torn,
            Incarnations = figures,
            Timeline = Timeline(),
            LogHighlights = LogHighlights(),
            ElapsedSeconds = elapsed.TotalSeconds,
            PacingLagP99 = Percentile([.. _pacingLag.Order()], 0.99),
            PacingLagMax = _pacingLag.Count == 0 ? 0 : _pacingLag.Max(),
            ObserverLongestGap = _observer!.LongestGap,
        };
    }

    /// <summary>
    /// The requests slower than <c>decisionWait</c> + 1 s, by the second they were sent in: how many,
    /// the slowest answer among them and when they were answered ("19: 42, up to 4.10 s, answered 21.2-23.1").
    /// </summary>
    private List<string> SlowestRequests(TimeSpan decisionWait) => _answers
        .Where(a => a.AnsweredAt - a.SentAt > decisionWait.TotalSeconds + 1)
        .GroupBy(a => (int)Math.Floor(a.SentAt))
        .OrderBy(g => g.Key)
        .Select(g => string.Create(CultureInfo.InvariantCulture, $"{g.Key}: {g.Count():N0}, up to {g.Max(a => a.AnsweredAt - a.SentAt):0.00} s, answered {g.Min(a => a.AnsweredAt):0.0}-{g.Max(a => a.AnsweredAt):0.0}"))
        .ToList();

    /// <summary>The runner's notes and the membership changes seen in etcd, in time order.</summary>
    private List<string> Timeline()
    {
        List<(double At, string What)> lines;
        lock (_timeline)
        {
            lines = [.. _timeline];
        }

        lines.AddRange(_observer!.Events.Select(e => (e.At, e.Registered
            ? string.Create(CultureInfo.InvariantCulture, $"etcd: {e.MemberId} registered (lease {e.Lease:x})")
            : string.Create(CultureInfo.InvariantCulture, $"etcd: {e.MemberId} left (lease {e.Lease:x})"))));
        return lines
            .OrderBy(l => l.At)
            .Select(l => string.Create(CultureInfo.InvariantCulture, $"{l.At - _loadStart,7:0.00}  {l.What}"))
            .ToList();
    }

    /// <summary>
    /// Warnings, errors and membership views from every instance's log (the CLI runs with
    /// <c>--verbose</c>), a repeated message once with its count and first and last time (the
    /// log's wall clock, HH:mm:ss; the load started at <see cref="_loadStartWallClock"/>).
    /// </summary>
    private List<string> LogHighlights()
    {
        var lines = new List<string> { $"(wall clock of the load's start: {_loadStartWallClock:HH:mm:ss.fff})" };
        var processes = _fronts.Select(f => (Label: f.Id, f.Process))
            .Concat(_backs.Where(b => b.Process is not null).Select(b => (b.Label, Process: b.Process!)));
        foreach (var (label, process) in processes)
        {
            var seen = new Dictionary<string, (string First, string Last, int Count, string Text)>(StringComparer.Ordinal);
            foreach (var line in process.Log.Split('\n'))
            {
                var match = LogLine().Match(line.TrimEnd('\r'));
                var (time, level, message) = match.Success
                    ? (match.Groups[1].Value, match.Groups[2].Value, match.Groups[3].Value)
                    : CliLine().IsMatch(line) ? ("end", "cli", line.TrimEnd('\r')) : (string.Empty, string.Empty, string.Empty);
                if (level.Length == 0)
                {
                    continue;
                }

                if (level is not ("warn" or "fail" or "crit" or "cli") && !message.Contains("members now", StringComparison.Ordinal))
                {
                    continue;
                }

                // Warnings that differ only in their numbers are one line, shown with the first one's
                // text; membership views differ in their ports, so each distinct view is a line.
                var key = level == "info" ? $"{level}: {message}" : $"{level}: {Digits().Replace(message, "#")}";
                if (seen.TryGetValue(key, out var known))
                {
                    seen[key] = known with { Last = time, Count = known.Count + 1 };
                }
                else if (seen.Count < MaxLogLinesPerProcess)
                {
                    seen[key] = (time, time, 1, $"{level}: {message}");
                }
            }

            foreach (var (first, last, count, text) in seen.Values)
            {
                lines.Add(count == 1 ? $"{label} {first} {Shorten(text)}" : $"{label} {first}..{last} x{count} {Shorten(text)}");
            }
        }

        return lines;
    }

    private static double Percentile(double[] sorted, double quantile) =>
        sorted.Length == 0 ? 0 : sorted[Math.Clamp((int)Math.Ceiling(quantile * sorted.Length) - 1, 0, sorted.Length - 1)];

    private static string Shorten(string text) => text.Length <= 300 ? text : text[..300] + "...";

    // "06:30:01 warn: OtlpFlow.Operators.Otlp.LoadBalancing.LoadBalancingOperator[0] operator 'lb': ..."
    [GeneratedRegex(@"^(\d\d:\d\d:\d\d(?:\.\d+)?) (\w+): \S+\[\d+\] (.*)$")]
    private static partial Regex LogLine();

    // The run command's own lines: "warning: the drain deadline passed ...", "pipeline 'x' stopped after 30.1 s (interrupted), not drained".
    [GeneratedRegex(@"^(warning|error): |^pipeline '")]
    private static partial Regex CliLine();

    [GeneratedRegex(@"\d+")]
    private static partial Regex Digits();
}
