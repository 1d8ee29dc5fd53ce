using Google.Protobuf.Collections;
using OpenTelemetry.Proto.Common.V1;
using OpenTelemetry.Proto.Metrics.V1;

namespace OtlpFlow.Engine.Conditions;

/// <summary>
/// One data point of a metric, whatever the metric's type: a view over a
/// <see cref="NumberDataPoint"/>, <see cref="HistogramDataPoint"/>, <see cref="ExponentialHistogramDataPoint"/>
/// or <see cref="SummaryDataPoint"/> that exposes what they have in common. It copies nothing; the
/// default value is an empty view with no point.
/// </summary>
public readonly struct DataPointView : IEquatable<DataPointView>
{
    private static readonly RepeatedField<KeyValue> NoAttributes = [];

    private DataPointView(object point) => Point = point;

    /// <summary>A view of a gauge or sum data point.</summary>
    public DataPointView(NumberDataPoint point) : this((object)point) => ArgumentNullException.ThrowIfNull(point);

    /// <summary>A view of a histogram data point.</summary>
    public DataPointView(HistogramDataPoint point) : this((object)point) => ArgumentNullException.ThrowIfNull(point);

    /// <summary>A view of an exponential histogram data point.</summary>
    public DataPointView(ExponentialHistogramDataPoint point) : this((object)point) => ArgumentNullException.ThrowIfNull(point);

    /// <summary>A view of a summary data point.</summary>
    public DataPointView(SummaryDataPoint point) : this((object)point) => ArgumentNullException.ThrowIfNull(point);

    /// <summary>The underlying data point message, or null for the default (empty) view.</summary>
    public object? Point { get; }

    /// <summary>True when the view holds no data point.</summary>
    public bool IsEmpty => Point is null;

    /// <summary>The point's attributes (the point's own collection: changes to it change the point).</summary>
    public RepeatedField<KeyValue> Attributes => Point switch
    {
        NumberDataPoint p => p.Attributes,
        HistogramDataPoint p => p.Attributes,
        ExponentialHistogramDataPoint p => p.Attributes,
        SummaryDataPoint p => p.Attributes,
        _ => NoAttributes,
    };

    /// <summary>The start of the point's aggregation interval, in nanoseconds since the Unix epoch (0 when unset).</summary>
    public ulong StartTimeUnixNano => Point switch
    {
        NumberDataPoint p => p.StartTimeUnixNano,
        HistogramDataPoint p => p.StartTimeUnixNano,
        ExponentialHistogramDataPoint p => p.StartTimeUnixNano,
        SummaryDataPoint p => p.StartTimeUnixNano,
        _ => 0,
    };

    /// <summary>When the point was recorded, in nanoseconds since the Unix epoch.</summary>
    public ulong TimeUnixNano => Point switch
    {
        NumberDataPoint p => p.TimeUnixNano,
        HistogramDataPoint p => p.TimeUnixNano,
        ExponentialHistogramDataPoint p => p.TimeUnixNano,
        SummaryDataPoint p => p.TimeUnixNano,
        _ => 0,
    };

    /// <summary>The value of a gauge or sum point (an integer value as a double); null for other points or when unset.</summary>
    public double? Value => Point is NumberDataPoint p
        ? p.ValueCase switch
        {
            NumberDataPoint.ValueOneofCase.AsInt => p.AsInt,
            NumberDataPoint.ValueOneofCase.AsDouble => p.AsDouble,
            _ => null,
        }
        : null;

    /// <summary>The number of data points of <paramref name="metric"/>, whatever its type.</summary>
    public static int Count(Metric metric)
    {
        ArgumentNullException.ThrowIfNull(metric);
        return Telemetry.OtlpItems.DataPoints(metric);
    }

    /// <summary>The data point at <paramref name="index"/> of <paramref name="metric"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">There is no such point.</exception>
    public static DataPointView At(Metric metric, int index)
    {
        ArgumentNullException.ThrowIfNull(metric);
        return metric.DataCase switch
        {
            Metric.DataOneofCase.Gauge => new DataPointView(metric.Gauge.DataPoints[index]),
            Metric.DataOneofCase.Sum => new DataPointView(metric.Sum.DataPoints[index]),
            Metric.DataOneofCase.Histogram => new DataPointView(metric.Histogram.DataPoints[index]),
            Metric.DataOneofCase.ExponentialHistogram => new DataPointView(metric.ExponentialHistogram.DataPoints[index]),
            Metric.DataOneofCase.Summary => new DataPointView(metric.Summary.DataPoints[index]),
            _ => throw new ArgumentOutOfRangeException(nameof(index), index, "The metric has no data points."),
        };
    }

    /// <inheritdoc />
    public bool Equals(DataPointView other) => ReferenceEquals(Point, other.Point);

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is DataPointView other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode() => Point is null ? 0 : System.Runtime.CompilerServices.RuntimeHelpers.GetHashCode(Point);

    /// <summary>True when both views show the same point object.</summary>
    public static bool operator ==(DataPointView left, DataPointView right) => left.Equals(right);

    /// <summary>True when the views show different point objects.</summary>
    public static bool operator !=(DataPointView left, DataPointView right) => !left.Equals(right);
}
