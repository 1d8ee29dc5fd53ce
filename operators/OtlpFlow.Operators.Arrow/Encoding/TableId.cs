namespace OtlpFlow.Operators.Arrow.Encoding;

/// <summary>Which table a section of an encoded message holds.</summary>
internal enum TableId : byte
{
    Dictionary = 1,
    Resources = 2,
    ResourceAttributes = 3,
    Scopes = 4,
    ScopeAttributes = 5,

    /// <summary>The message's attribute shapes (<see cref="AttributeShapes"/>).</summary>
    AttributeShapes = 6,
    Spans = 10,
    SpanAttributes = 11,
    Events = 12,
    EventAttributes = 13,
    Links = 14,
    LinkAttributes = 15,
    TraceIds = 16,
    Logs = 20,
    LogAttributes = 21,
    Metrics = 30,
    MetricAttributes = 31,
    NumberPoints = 32,
    NumberPointAttributes = 33,
    HistogramPoints = 34,
    HistogramPointAttributes = 35,
    ExponentialHistogramPoints = 36,
    ExponentialHistogramPointAttributes = 37,
    SummaryPoints = 38,
    SummaryPointAttributes = 39,
}
