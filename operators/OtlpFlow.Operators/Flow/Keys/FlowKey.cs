using System.Globalization;
using Google.Protobuf;
using OpenTelemetry.Proto.Collector.Logs.V1;
using OpenTelemetry.Proto.Collector.Metrics.V1;
using OpenTelemetry.Proto.Collector.Trace.V1;
using OpenTelemetry.Proto.Common.V1;
using OpenTelemetry.Proto.Logs.V1;
using OpenTelemetry.Proto.Metrics.V1;
using OpenTelemetry.Proto.Resource.V1;
using OpenTelemetry.Proto.Trace.V1;
using OtlpFlow.Engine.Telemetry;

namespace OtlpFlow.Operators.Flow;

/// <summary>
/// What flow operators partition by, written as a short spec: <c>tenant</c>, <c>metadata.NAME</c>,
/// <c>service</c>, <c>resource.NAME</c>, <c>traceId</c> or <c>attributes.NAME</c>. Batch-level keys
/// (tenant, metadata) give one key per batch; resource keys one per resource; item keys one per span
/// or log record (metrics have no item keys and fall under the empty key). A missing value is the
/// empty string, which is a key like any other.
/// </summary>
internal sealed class FlowKey
{
    private const string ServiceName = "service.name";

    private FlowKey(string text, FlowKeyKind kind, string name)
    {
        Text = text;
        Kind = kind;
        Name = name;
    }

    /// <summary>The spec as written.</summary>
    public string Text { get; }

    /// <summary>Where the value is read.</summary>
    public FlowKeyKind Kind { get; }

    /// <summary>The metadata entry or attribute name; empty for tenant and trace id.</summary>
    public string Name { get; }

    /// <summary>True when every item of a batch has the same key (tenant, metadata).</summary>
    public bool IsBatchLevel => Kind is FlowKeyKind.Tenant or FlowKeyKind.Metadata;

    /// <summary>Parses a key spec.</summary>
    /// <exception cref="ArgumentException">The spec is not one of the known forms.</exception>
    public static FlowKey Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var t = text.Trim();
        if (t == "tenant") return new FlowKey(t, FlowKeyKind.Tenant, string.Empty);
        if (t == "service") return new FlowKey(t, FlowKeyKind.ResourceAttribute, ServiceName);
        if (t == "traceId") return new FlowKey(t, FlowKeyKind.TraceId, string.Empty);
        if (TryPrefix(t, "metadata.", out var name)) return new FlowKey(t, FlowKeyKind.Metadata, name);
        if (TryPrefix(t, "resource.", out name)) return new FlowKey(t, FlowKeyKind.ResourceAttribute, name);
        if (TryPrefix(t, "attributes.", out name)) return new FlowKey(t, FlowKeyKind.ItemAttribute, name);
        throw new ArgumentException($"'{text}' is not a key: use tenant, service, traceId, metadata.NAME, resource.NAME or attributes.NAME", nameof(text));
    }

    /// <summary>The key of a whole batch: exact for batch-level keys, else the key of its first item.</summary>
    public string KeyOf(TelemetryBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        if (IsBatchLevel)
        {
            return BatchKey(batch.Context);
        }

        var groups = Split(batch);
        return groups.Count == 0 ? string.Empty : groups[0].Key;
    }

    /// <summary>
    /// The batch's data grouped by key, in order of first appearance. A batch with a single key
    /// comes back whole (the same payload object); otherwise each group is a new request that shares
    /// the resource, scope and item objects of the original.
    /// </summary>
    public IReadOnlyList<(string Key, IMessage Payload)> Split(TelemetryBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        if (IsBatchLevel)
        {
            return [(BatchKey(batch.Context), batch.Payload)];
        }

        var groups = batch.Payload switch
        {
            ExportTraceServiceRequest t => SplitTraces(t),
            ExportLogsServiceRequest l => SplitLogs(l),
            ExportMetricsServiceRequest m => SplitMetrics(m),
            _ => [],
        };
        return groups.Count <= 1 ? [(groups.Count == 1 ? groups[0].Key : string.Empty, batch.Payload)] : groups;
    }

    /// <inheritdoc />
    public override string ToString() => Text;

    private static bool TryPrefix(string text, string prefix, out string name)
    {
        name = text.StartsWith(prefix, StringComparison.Ordinal) ? text[prefix.Length..] : string.Empty;
        return name.Length > 0;
    }

    private string BatchKey(BatchContext context) => Kind == FlowKeyKind.Tenant
        ? context.Tenant ?? string.Empty
        : context.Metadata.TryGetValue(Name, out var value) ? value : string.Empty;

    private string ResourceKey(Resource? resource) => Kind == FlowKeyKind.ResourceAttribute ? Lookup(resource?.Attributes, Name) : string.Empty;

    private static string Lookup(IList<KeyValue>? attributes, string key)
    {
        if (attributes is null)
        {
            return string.Empty;
        }

        foreach (var kv in attributes)
        {
            if (kv.Key == key)
            {
                return ValueText(kv.Value);
            }
        }

        return string.Empty;
    }

    private static string ValueText(AnyValue? value) => value?.ValueCase switch
    {
        AnyValue.ValueOneofCase.StringValue => value.StringValue,
        AnyValue.ValueOneofCase.IntValue => value.IntValue.ToString(CultureInfo.InvariantCulture),
        AnyValue.ValueOneofCase.BoolValue => value.BoolValue ? "true" : "false",
        AnyValue.ValueOneofCase.DoubleValue => value.DoubleValue.ToString("R", CultureInfo.InvariantCulture),
        AnyValue.ValueOneofCase.BytesValue => Convert.ToHexStringLower(value.BytesValue.Span),
        null or AnyValue.ValueOneofCase.None => string.Empty,
        _ => value.ToString(),
    };

    private static string Hex(ByteString id) => id.IsEmpty ? string.Empty : Convert.ToHexStringLower(id.Span);

    private bool IsItemLevel => Kind is FlowKeyKind.TraceId or FlowKeyKind.ItemAttribute;

    private List<(string Key, IMessage Payload)> SplitTraces(ExportTraceServiceRequest request)
    {
        var groups = new Groups<ExportTraceServiceRequest, ResourceSpans, ScopeSpans>();
        foreach (var rs in request.ResourceSpans)
        {
            var resourceKey = ResourceKey(rs.Resource);
            if (!IsItemLevel)
            {
                groups.Get(resourceKey).Request.ResourceSpans.Add(rs);
                continue;
            }

            foreach (var ss in rs.ScopeSpans)
            {
                foreach (var span in ss.Spans)
                {
                    var key = Kind == FlowKeyKind.TraceId ? Hex(span.TraceId) : Lookup(span.Attributes, Name);
                    var g = groups.Get(key);
                    if (!ReferenceEquals(g.SourceResource, rs))
                    {
                        g.SourceResource = rs;
                        g.SourceScope = null;
                        g.Resource = new ResourceSpans { Resource = rs.Resource, SchemaUrl = rs.SchemaUrl };
                        g.Request.ResourceSpans.Add(g.Resource);
                    }

                    if (!ReferenceEquals(g.SourceScope, ss))
                    {
                        g.SourceScope = ss;
                        g.Scope = new ScopeSpans { Scope = ss.Scope, SchemaUrl = ss.SchemaUrl };
                        g.Resource!.ScopeSpans.Add(g.Scope);
                    }

                    g.Scope!.Spans.Add(span);
                }
            }
        }

        return groups.Result();
    }

    private List<(string Key, IMessage Payload)> SplitLogs(ExportLogsServiceRequest request)
    {
        var groups = new Groups<ExportLogsServiceRequest, ResourceLogs, ScopeLogs>();
        foreach (var rl in request.ResourceLogs)
        {
            var resourceKey = ResourceKey(rl.Resource);
            if (!IsItemLevel)
            {
                groups.Get(resourceKey).Request.ResourceLogs.Add(rl);
                continue;
            }

            foreach (var sl in rl.ScopeLogs)
            {
                foreach (var log in sl.LogRecords)
                {
                    var key = Kind == FlowKeyKind.TraceId ? Hex(log.TraceId) : Lookup(log.Attributes, Name);
                    var g = groups.Get(key);
                    if (!ReferenceEquals(g.SourceResource, rl))
                    {
                        g.SourceResource = rl;
                        g.SourceScope = null;
                        g.Resource = new ResourceLogs { Resource = rl.Resource, SchemaUrl = rl.SchemaUrl };
                        g.Request.ResourceLogs.Add(g.Resource);
                    }

                    if (!ReferenceEquals(g.SourceScope, sl))
                    {
                        g.SourceScope = sl;
                        g.Scope = new ScopeLogs { Scope = sl.Scope, SchemaUrl = sl.SchemaUrl };
                        g.Resource!.ScopeLogs.Add(g.Scope);
                    }

                    g.Scope!.LogRecords.Add(log);
                }
            }
        }

        return groups.Result();
    }

    private List<(string Key, IMessage Payload)> SplitMetrics(ExportMetricsServiceRequest request)
    {
        // Data points have no trace id, and splitting a metric by point attributes would scatter
        // one time series over several batches: metrics partition by resource at the finest.
        var groups = new Groups<ExportMetricsServiceRequest, ResourceMetrics, ScopeMetrics>();
        foreach (var rm in request.ResourceMetrics)
        {
            groups.Get(ResourceKey(rm.Resource)).Request.ResourceMetrics.Add(rm);
        }

        return groups.Result();
    }

    /// <summary>Requests being built, one per key, remembering where each was last appended.</summary>
    private sealed class Groups<TRequest, TResource, TScope>
        where TRequest : IMessage, new()
        where TResource : class
        where TScope : class
    {
        private readonly Dictionary<string, Group> _byKey = new(StringComparer.Ordinal);
        private readonly List<(string Key, Group Group)> _order = [];

        public Group Get(string key)
        {
            if (!_byKey.TryGetValue(key, out var group))
            {
                group = new Group();
                _byKey[key] = group;
                _order.Add((key, group));
            }

            return group;
        }

        public List<(string Key, IMessage Payload)> Result() => _order.Select(g => (g.Key, (IMessage)g.Group.Request)).ToList();

        public sealed class Group
        {
            public TRequest Request { get; } = new();

            public object? SourceResource { get; set; }

            public object? SourceScope { get; set; }

            public TResource? Resource { get; set; }

            public TScope? Scope { get; set; }
        }
    }
}
