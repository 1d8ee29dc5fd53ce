using OpenTelemetry.Proto.Common.V1;
using OpenTelemetry.Proto.Logs.V1;
using OpenTelemetry.Proto.Metrics.V1;
using OpenTelemetry.Proto.Resource.V1;
using OpenTelemetry.Proto.Trace.V1;
using OtlpFlow.Engine.Conditions;

namespace OtlpFlow.Operators.Routing;

/// <summary>
/// Chooses a destination (an index) for each item of a batch; <see cref="BatchSplit"/> walks a
/// batch with it and builds one request per destination.
/// </summary>
internal abstract class ItemDecider
{
    /// <summary>The destination of a span.</summary>
    public abstract int Decide(Resource? resource, InstrumentationScope? scope, Span span);

    /// <summary>The destination of a log record.</summary>
    public abstract int Decide(Resource? resource, InstrumentationScope? scope, LogRecord log);

    /// <summary>The destination of a metric's data point.</summary>
    public abstract int Decide(Resource? resource, InstrumentationScope? scope, Metric metric, DataPointView point);
}
