using OpenTelemetry.Proto.Common.V1;
using OpenTelemetry.Proto.Logs.V1;
using OpenTelemetry.Proto.Metrics.V1;
using OpenTelemetry.Proto.Resource.V1;
using OpenTelemetry.Proto.Trace.V1;

namespace OtlpFlow.Engine.Conditions;

/// <summary>
/// The item a condition is evaluated on, whatever its signal. Passed by reference (<c>in</c>) to
/// the compiled delegates so that evaluation copies nothing and allocates nothing. At most one of
/// <see cref="Span"/>, <see cref="Log"/> and <see cref="Metric"/> is set; when none is, only
/// resource and scope fields have values.
/// </summary>
internal readonly struct ItemView
{
    public ItemView(Resource? resource, InstrumentationScope? scope, Span? span, LogRecord? log, Metric? metric, DataPointView point)
    {
        Resource = resource;
        Scope = scope;
        Span = span;
        Log = log;
        Metric = metric;
        Point = point;
    }

    public Resource? Resource { get; }

    public InstrumentationScope? Scope { get; }

    public Span? Span { get; }

    public LogRecord? Log { get; }

    public Metric? Metric { get; }

    public DataPointView Point { get; }
}
