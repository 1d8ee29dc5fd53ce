using System.Diagnostics.Metrics;
using System.Reactive.Subjects;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace OtlpFlow.Operators.Resilience;

/// <summary>
/// Turns a load reading (0 to 1) into a degradation level, with hysteresis: the level rises one
/// step per reading while the load is at or above the next level's <c>enterAbove</c>, and falls one
/// step only after the load has stayed under the current level's <c>exitBelow</c> for the whole
/// cooldown. A noisy load between the two thresholds changes nothing.
/// </summary>
public sealed partial class DegradationController : IDisposable
{
    private readonly DegradationLevelOptions[] _levels;
    private readonly TimeSpan _cooldown;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Lock _lock = new();
    private readonly Subject<DegradationLevelChange> _changes = new();
    private readonly KeyValuePair<string, object?> _tag;
    private readonly Counter<long>? _changesCounter;
    private int _level;
    private long _belowSince = -1;
    private double _load;

    /// <summary>Creates a controller at level 0 (normal).</summary>
    /// <param name="levels">The levels from mildest to most severe; their <c>enterAbove</c> must rise.</param>
    /// <param name="cooldown">How long the load must stay under a level's exit threshold before it is left.</param>
    /// <param name="name">The name in events, logs and the <c>degradation</c> metric tag.</param>
    /// <param name="timeProvider">The clock; the system clock when null.</param>
    /// <param name="logger">Where level changes are logged; nowhere when null.</param>
    /// <param name="meter">Where metrics go; none when null.</param>
    public DegradationController(IReadOnlyList<DegradationLevelOptions> levels, TimeSpan cooldown, string name = "degradation", TimeProvider? timeProvider = null, ILogger? logger = null, Meter? meter = null)
    {
        ArgumentNullException.ThrowIfNull(levels);
        if (levels.Count == 0)
        {
            throw new ArgumentException("At least one level is needed.", nameof(levels));
        }

        for (var i = 0; i < levels.Count; i++)
        {
            OptionsCheck.Valid(levels[i], nameof(levels));
            if (i > 0 && levels[i].EnterAbove <= levels[i - 1].EnterAbove)
            {
                throw new ArgumentException($"Level {i + 1}: 'enterAbove' must be higher than level {i}'s.", nameof(levels));
            }
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(cooldown, TimeSpan.Zero);
        _levels = [.. levels];
        _cooldown = cooldown;
        Name = name;
        _time = timeProvider ?? TimeProvider.System;
        _logger = logger ?? NullLogger.Instance;
        _tag = new("degradation", name);
        if (meter is not null)
        {
            _changesCounter = meter.CreateCounter<long>("otlpflow.degradation.changes", "{change}", "Degradation level changes, by controller and direction.");
            meter.CreateObservableGauge("otlpflow.degradation.level", () => new Measurement<int>(Level, _tag), "{level}", "Current degradation level (0 is normal).");
            meter.CreateObservableGauge("otlpflow.degradation.load", () => new Measurement<double>(Load, _tag), null, "The last load reading (0 to 1) of a degradation controller.");
        }
    }

    /// <summary>The controller's name.</summary>
    public string Name { get; }

    /// <summary>The current level: 0 is normal, n is <c>levels[n - 1]</c>.</summary>
    public int Level => Volatile.Read(ref _level);

    /// <summary>The last load reading.</summary>
    public double Load
    {
        get
        {
            lock (_lock)
            {
                return _load;
            }
        }
    }

    /// <summary>The current level's options, or null at level 0.</summary>
    public DegradationLevelOptions? Current => Level is var level && level > 0 ? _levels[level - 1] : null;

    /// <summary>Level changes as they happen.</summary>
    public IObservable<DegradationLevelChange> LevelChanges => _changes;

    /// <summary>The name of level <paramref name="level"/>.</summary>
    public string LevelName(int level) => level == 0 ? "normal" : _levels[level - 1].Name ?? $"level{level}";

    /// <summary>Takes one load reading and moves at most one level; returns the level.</summary>
    public int Update(double load)
    {
        DegradationLevelChange? change = null;
        lock (_lock)
        {
            _load = load;
            var now = _time.GetTimestamp();
            var level = _level;
            if (level < _levels.Length && load >= _levels[level].EnterAbove)
            {
                change = Move(level + 1, load);
            }
            else if (level > 0 && load < _levels[level - 1].Exit)
            {
                if (_belowSince < 0)
                {
                    _belowSince = now;
                }

                if (_time.GetElapsedTime(_belowSince, now) >= _cooldown)
                {
                    change = Move(level - 1, load);

                    // The next step down needs a cooldown of its own.
                    _belowSince = now;
                }
            }
            else
            {
                _belowSince = -1;
            }
        }

        if (change is not null)
        {
            var raised = change.To > change.From;
            _changesCounter?.Add(1, _tag, new KeyValuePair<string, object?>("direction", raised ? "up" : "down"));
            if (raised)
            {
                LogRaised(_logger, Name, change.From, change.To, change.Name, change.Load);
            }
            else
            {
                LogLowered(_logger, Name, change.From, change.To, change.Name, change.Load);
            }

            _changes.OnNext(change);
        }

        return Level;
    }

    /// <summary>Completes <see cref="LevelChanges"/>.</summary>
    public void Dispose()
    {
        _changes.OnCompleted();
        _changes.Dispose();
    }

    private DegradationLevelChange Move(int to, double load)
    {
        var from = _level;
        Volatile.Write(ref _level, to);
        if (to > from)
        {
            _belowSince = -1;
        }

        return new DegradationLevelChange(Name, from, to, LevelName(to), load, _time.GetUtcNow());
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "degradation '{Controller}': level {From} -> {To} ({LevelName}) at load {Load:0.00}")]
    private static partial void LogRaised(ILogger logger, string controller, int from, int to, string levelName, double load);

    [LoggerMessage(Level = LogLevel.Information, Message = "degradation '{Controller}': level {From} -> {To} ({LevelName}) at load {Load:0.00}")]
    private static partial void LogLowered(ILogger logger, string controller, int from, int to, string levelName, double load);
}
