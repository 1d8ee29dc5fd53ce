using System.Diagnostics.Metrics;
using OtlpFlow.Engine.Pipeline;

namespace OtlpFlow.Hosting.Monitoring;

/// <summary>
/// Listens to one pipeline's per-batch processing-time histogram and keeps, per operator, the count,
/// sum and maximum since the last <see cref="Take"/>. The listener filters on the pipeline's own
/// meter, so pipelines of the same name in one process never mix.
/// </summary>
internal sealed class ProcessingTimes : IDisposable
{
    private const string InstrumentName = "otlpflow.operator.process.duration";

    private readonly Dictionary<string, Accumulator> _byOperator;
    private readonly MeterListener _listener = new();

    public ProcessingTimes(RunningPipeline pipeline)
    {
        // Fixed keys: the dictionary is only read once built, so the listener's threads need no lock.
        _byOperator = pipeline.OperatorIds.ToDictionary(id => id, _ => new Accumulator(), StringComparer.Ordinal);
        var meter = pipeline.Meter;
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (ReferenceEquals(instrument.Meter, meter) && instrument.Name == InstrumentName)
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<double>(Record);
        _listener.Start();
    }

    /// <summary>Count, mean and maximum (milliseconds) for <paramref name="operatorId"/> since the last call; resets them.</summary>
    public (long Count, double? MeanMs, double? MaxMs) Take(string operatorId)
    {
        if (!_byOperator.TryGetValue(operatorId, out var accumulator))
        {
            return (0, null, null);
        }

        return accumulator.Take();
    }

    public void Dispose() => _listener.Dispose();

    private void Record(Instrument instrument, double seconds, ReadOnlySpan<KeyValuePair<string, object?>> tags, object? state)
    {
        foreach (var tag in tags)
        {
            if (tag.Key == "operator" && tag.Value is string id && _byOperator.TryGetValue(id, out var accumulator))
            {
                accumulator.Add(seconds);
                return;
            }
        }
    }

    private sealed class Accumulator
    {
        private readonly Lock _lock = new();
        private long _count;
        private double _sum;
        private double _max;

        public void Add(double seconds)
        {
            lock (_lock)
            {
                _count++;
                _sum += seconds;
                _max = Math.Max(_max, seconds);
            }
        }

        public (long Count, double? MeanMs, double? MaxMs) Take()
        {
            lock (_lock)
            {
                var result = _count == 0 ? (0L, (double?)null, (double?)null) : (_count, _sum / _count * 1000, _max * 1000);
                _count = 0;
                _sum = 0;
                _max = 0;
                return result;
            }
        }
    }
}
