using System.Text.Json;
using OtlpFlow.Operators.Coordination.Etcd;

namespace OtlpFlow.Operators.Coordination.Load;

/// <summary>
/// Every member's last published <see cref="LoadReport"/>, found by the value the member advertises
/// (its OTLP endpoint: what <c>loadbalancing</c> routes to), for least-loaded routing. It follows
/// <c>{prefix}/members/</c> and <c>{prefix}/load/</c> in etcd and joins them by member id.
/// </summary>
/// <remarks>
/// A report counts as fresh for <c>staleAfter</c> after this instance saw it change (each report
/// carries its measuring time, so every publication is a change). Judging by local arrival rather
/// than by the publisher's clock keeps clock skew between instances out of it. A member that
/// stopped publishing but still holds its lease (a stuck process) thus drops out of the ranking;
/// one whose lease expired drops out with its keys.
/// </remarks>
public sealed class ClusterLoad : IDisposable
{
    private readonly EtcdCoordinator _coordinator;
    private readonly string _prefix;
    private readonly TimeSpan _staleAfter;
    private readonly TimeProvider _time;
    private readonly Lock _lock = new();
    private readonly Dictionary<string, (LoadReport Report, long SeenAt)> _byMember = new(StringComparer.Ordinal);
    private IReadOnlyDictionary<string, string> _advertised = new Dictionary<string, string>(StringComparer.Ordinal);
    private Dictionary<string, (LoadReport Report, long SeenAt)> _view = new(StringComparer.Ordinal);
    private IDisposable? _members;
    private IDisposable? _loads;

    /// <summary>Creates the reader; nothing is watched before <see cref="Start"/>.</summary>
    /// <param name="coordinator">The etcd coordinator to read through (it need not be started: only its watches are used).</param>
    /// <param name="staleAfter">How long a report that does not change stays trusted; about three publishing intervals.</param>
    /// <param name="prefix">The cluster whose members are read. Default: the coordinator's own prefix; a front tier gives its back tier's (<c>etcd.membersOf</c>).</param>
    /// <param name="timeProvider">The clock freshness is judged by.</param>
    public ClusterLoad(EtcdCoordinator coordinator, TimeSpan staleAfter, string? prefix = null, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(coordinator);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(staleAfter, TimeSpan.Zero);
        _coordinator = coordinator;
        _prefix = (prefix ?? coordinator.Prefix).TrimEnd('/');
        _staleAfter = staleAfter;
        _time = timeProvider ?? TimeProvider.System;
    }

    /// <summary>The cluster prefix read, without a trailing slash.</summary>
    public string Prefix => _prefix;

    /// <summary>The fresh reports now, by advertised value.</summary>
    public IReadOnlyDictionary<string, LoadReport> Reports
    {
        get
        {
            var now = _time.GetTimestamp();
            return Volatile.Read(ref _view)
                .Where(kv => _time.GetElapsedTime(kv.Value.SeenAt, now) <= _staleAfter)
                .ToDictionary(kv => kv.Key, kv => kv.Value.Report, StringComparer.Ordinal);
        }
    }

    /// <summary>Starts following the members and their reports.</summary>
    public void Start()
    {
        // The watches retry through etcd outages on their own; they end with an error only when the
        // coordinator is gone, and then the reports simply go stale.
        _members = _coordinator.WatchPrefix(_prefix + "/members/").Subscribe(OnMembers, static _ => { });
        _loads = _coordinator.WatchPrefix(_prefix + "/load/").Subscribe(OnLoads, static _ => { });
    }

    /// <summary>
    /// The score (<see cref="LoadReport.Score"/>, 0 to 1) of the member that advertises
    /// <paramref name="member"/>; false when it has no report or its report is stale.
    /// </summary>
    public bool TryGetScore(string member, out double score)
    {
        ArgumentNullException.ThrowIfNull(member);
        if (Volatile.Read(ref _view).TryGetValue(member, out var entry) && _time.GetElapsedTime(entry.SeenAt) <= _staleAfter)
        {
            score = entry.Report.Score;
            return true;
        }

        score = 0;
        return false;
    }

    /// <summary>Stops following.</summary>
    public void Dispose()
    {
        _members?.Dispose();
        _loads?.Dispose();
    }

    private void OnMembers(IReadOnlyDictionary<string, string> keys)
    {
        var start = _prefix.Length + "/members/".Length;
        lock (_lock)
        {
            _advertised = keys.ToDictionary(kv => kv.Key[start..], kv => kv.Value, StringComparer.Ordinal);
            Rebuild();
        }
    }

    private void OnLoads(IReadOnlyDictionary<string, string> keys)
    {
        var start = _prefix.Length + "/load/".Length;
        var now = _time.GetTimestamp();
        lock (_lock)
        {
            var present = new HashSet<string>(StringComparer.Ordinal);
            foreach (var (key, json) in keys)
            {
                var member = key[start..];
                LoadReport? report;
                try
                {
                    report = JsonSerializer.Deserialize<LoadReport>(json, JsonSerializerOptions.Web);
                }
                catch (JsonException)
                {
                    continue; // not a report: ignored, as if absent
                }

                if (report is null)
                {
                    continue;
                }

                present.Add(member);

                // Records compare by value: an unchanged report keeps the time it was first seen.
                if (!_byMember.TryGetValue(member, out var known) || known.Report != report)
                {
                    _byMember[member] = (report, now);
                }
            }

            foreach (var gone in _byMember.Keys.Where(m => !present.Contains(m)).ToArray())
            {
                _byMember.Remove(gone);
            }

            Rebuild();
        }
    }

    /// <summary>Joins the reports to the advertised values; called under the lock.</summary>
    private void Rebuild()
    {
        var view = new Dictionary<string, (LoadReport, long)>(StringComparer.Ordinal);
        foreach (var (member, entry) in _byMember)
        {
            if (_advertised.TryGetValue(member, out var advertised))
            {
                view[advertised] = entry;
            }
        }

        Volatile.Write(ref _view, view);
    }
}
