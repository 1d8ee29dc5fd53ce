using Google.Protobuf;
using OpenTelemetry.Proto.Collector.Trace.V1;
using OpenTelemetry.Proto.Common.V1;
using OpenTelemetry.Proto.Trace.V1;
using static OtlpFlow.Operators.Generator.SyntheticAttributes;

namespace OtlpFlow.Operators.Generator;

/// <summary>
/// Makes traces: a root SERVER span and a tree of CLIENT, SERVER, INTERNAL, PRODUCER and CONSUMER
/// spans across services, every child inside its parent's time. A whole trace is made at once and
/// queued parent-first, so a batch boundary may cut a trace but never emits a child before its parent.
/// </summary>
internal sealed class TraceSynthesizer : ISignalSynthesizer
{
    private const int MaxSpansPerTrace = 64;
    private const int MaxCallDepth = 4;
    private const ulong MinSpanNanos = 2_000;
    private const ulong NanosPerMilli = 1_000_000;

    // W3C trace flags: sampled, plus the OTLP bits saying whether the parent was remote.
    private const uint Sampled = 0x01;
    private const uint HasIsRemote = 0x100;
    private const uint IsRemote = 0x200;

    private static readonly string[] UserAgents =
    [
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/141.0 Safari/537.36",
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.0 Safari/605.1.15",
        "Mozilla/5.0 (X11; Linux x86_64; rv:143.0) Gecko/20100101 Firefox/143.0",
        "okhttp/4.12.0",
        "curl/8.14.1",
    ];

    private static readonly string[] FeatureFlagNames = ["new-checkout", "dark-mode", "fast-search", "beta-pricing", "one-click"];
    private static readonly string[] Tenants = ["acme", "globex", "initech", "umbrella", "hooli"];
    private static readonly string[] Regions = ["eu-west-1", "us-east-1", "ap-southeast-2"];
    private static readonly string[] EventNames = ["cache.miss", "retry", "checkpoint", "lock.acquired"];
    private static readonly string[] ErrorTypes = ["timeout", "connection_refused", "internal", "unavailable"];

    private readonly Random _random;
    private readonly SyntheticClock _clock;
    private readonly SyntheticService[] _services;
    private readonly int _scopeStride;
    private readonly ResourceSpans?[] _resourceInBatch;
    private readonly ScopeSpans?[] _scopeInBatch;
    private readonly List<PendingSpan> _pending = new(MaxSpansPerTrace);
    private readonly (ByteString TraceId, ByteString SpanId)[] _recentRoots = new (ByteString, ByteString)[16];
    private long _roots;
    private int _read;
    private ByteString _traceId = ByteString.Empty;

    public TraceSynthesizer(SyntheticService[] services, Random random, SyntheticClock clock)
    {
        _services = services;
        _random = random;
        _clock = clock;
        _scopeStride = Enum.GetValues<ScopeRole>().Length;
        _resourceInBatch = new ResourceSpans?[services.Length];
        _scopeInBatch = new ScopeSpans?[services.Length * _scopeStride];
    }

    public IMessage Next(int items)
    {
        var request = new ExportTraceServiceRequest();
        Array.Clear(_resourceInBatch);
        Array.Clear(_scopeInBatch);
        for (var i = 0; i < items; i++)
        {
            if (_read == _pending.Count)
            {
                NextTrace();
            }

            var pending = _pending[_read++];
            var slot = (pending.Service * _scopeStride) + pending.Scope;
            var scopeSpans = _scopeInBatch[slot];
            if (scopeSpans is null)
            {
                var service = _services[pending.Service];
                var resourceSpans = _resourceInBatch[pending.Service];
                if (resourceSpans is null)
                {
                    resourceSpans = new ResourceSpans { Resource = service.Resource.Clone() };
                    _resourceInBatch[pending.Service] = resourceSpans;
                    request.ResourceSpans.Add(resourceSpans);
                }

                scopeSpans = new ScopeSpans { Scope = service.Scopes[pending.Scope].Clone() };
                _scopeInBatch[slot] = scopeSpans;
                resourceSpans.ScopeSpans.Add(scopeSpans);
            }

            scopeSpans.Spans.Add(pending.Span);
        }

        return request;
    }

    private void NextTrace()
    {
        _pending.Clear();
        _read = 0;
        _traceId = _random.Id(16);
        var service = _services[_random.Next(_services.Length)];
        var route = _random.Pick(service.Routes);
        var start = _clock.Now;

        // The root covers the whole request, hence a longer typical latency than one operation's.
        var end = start + Math.Max(MinSpanNanos * 8, _random.LatencyNanos(route.MedianMs * 2.5));
        var root = Server(service, route, ByteString.Empty, start, end, depth: 0, remoteParent: false, out _);

        _recentRoots[_roots % _recentRoots.Length] = (_traceId, root.SpanId);
        _roots++;
        _clock.Advance(_pending.Count);
    }

    private Span Server(SyntheticService service, SyntheticRoute route, ByteString parentId, ulong start, ulong end, int depth, bool remoteParent, out int statusCode)
    {
        var span = NewSpan(service, ScopeRole.Server, route.SpanName, Span.Types.SpanKind.Server, parentId, start, end, remoteParent);
        var attributes = span.Attributes;
        attributes.Add(Str("http.request.method", route.Method));
        attributes.Add(Str("http.route", route.Route));
        attributes.Add(Str("url.path", _random.Pick(route.Paths)));
        attributes.Add(Str("url.scheme", "http"));
        attributes.Add(Str("server.address", service.HostName));
        attributes.Add(Int("server.port", service.Port));
        if (depth == 0)
        {
            attributes.Add(Str("user_agent.original", _random.Pick(UserAgents)));
        }

        attributes.Add(Bool("app.authenticated", _random.Chance(0.8)));
        if (route.CarriesAmount)
        {
            attributes.Add(Double("app.order.amount", Math.Round(_random.Between(5, 500), 2)));
        }

        if (_random.Chance(0.2))
        {
            attributes.Add(Of("app.feature_flags", FeatureFlags()));
        }

        if (_random.Chance(0.1))
        {
            attributes.Add(Of("app.request.context", RequestContext()));
        }

        if (_random.Chance(0.1))
        {
            attributes.Add(Bytes("app.request.digest", _random.Bytes(8)));
        }

        var childFailed = Children(service, span, depth);
        var failed = (childFailed && _random.Chance(0.5)) || _random.Chance(0.01);
        statusCode = failed ? (_random.Chance(0.7) ? 500 : 503) : SuccessCode(route);
        attributes.Add(Int("http.response.status_code", statusCode));
        if (failed)
        {
            Fail(service, span, withException: true);
        }

        return span;
    }

    /// <summary>Adds children placed one after another inside the parent; true when one of them failed.</summary>
    private bool Children(SyntheticService service, Span parent, int depth)
    {
        var start = parent.StartTimeUnixNano;
        var end = parent.EndTimeUnixNano;
        var count = depth switch
        {
            0 => 1 + _random.Next(4),
            1 => _random.Next(4),
            2 => _random.Next(3),
            3 => _random.Next(2),
            _ => _random.Chance(0.3) ? 1 : 0,
        };

        var failed = false;
        var cursor = start + (ulong)((end - start) * _random.Between(0.01, 0.08));
        for (var i = 0; i < count && _pending.Count < MaxSpansPerTrace && end - cursor >= MinSpanNanos; i++)
        {
            var remaining = end - cursor;
            var window = Math.Max(MinSpanNanos, (ulong)(remaining * _random.Between(0.3, 0.9) / (count - i)));
            failed |= Child(service, parent.SpanId, cursor, cursor + window, depth);
            cursor += window + (ulong)(remaining * 0.02 * _random.NextDouble());
        }

        return failed;
    }

    private bool Child(SyntheticService service, ByteString parentId, ulong start, ulong end, int depth)
    {
        var roll = _random.NextDouble();
        if (depth < MaxCallDepth && roll < 0.35)
        {
            return Call(service, parentId, start, end, depth);
        }

        if (roll < 0.6)
        {
            return Query(service, parentId, start, end);
        }

        if (roll < 0.72)
        {
            return Cache(service, parentId, start, end);
        }

        if (depth < MaxCallDepth && roll < 0.82)
        {
            return Publish(service, parentId, start, end, depth);
        }

        return Internal(service, parentId, start, end, depth);
    }

    private bool Call(SyntheticService service, ByteString parentId, ulong start, ulong end, int depth)
    {
        var target = OtherService(service);
        var route = _random.Pick(target.Routes);
        var client = NewSpan(service, ScopeRole.HttpClient, route.Method, Span.Types.SpanKind.Client, parentId, start, end, remoteParent: false);
        client.Attributes.Add(Str("http.request.method", route.Method));
        client.Attributes.Add(Str("url.full", _random.Pick(route.Urls)));
        client.Attributes.Add(Str("server.address", target.Name));
        client.Attributes.Add(Int("server.port", target.Port));

        // The server sees the request a little after the client sends it and answers a little before it returns.
        var network = Math.Min((end - start) / 10, NanosPerMilli * 2);
        var serverStart = start + (ulong)(network * _random.NextDouble());
        var serverEnd = end - (ulong)(network * _random.NextDouble());
        Server(target, route, client.SpanId, serverStart, Math.Max(serverStart + 1, serverEnd), depth + 1, remoteParent: true, out var statusCode);
        client.Attributes.Add(Int("http.response.status_code", statusCode));
        var failed = statusCode >= 500;
        if (failed)
        {
            Fail(service, client, withException: false);
        }

        return failed;
    }

    private bool Query(SyntheticService service, ByteString parentId, ulong start, ulong end)
    {
        var query = _random.Pick(service.Queries);
        var span = NewSpan(service, ScopeRole.Database, query.SpanName, Span.Types.SpanKind.Client, parentId, start, Leaf(start, end, query.MedianMs), remoteParent: false);
        var attributes = span.Attributes;
        attributes.Add(Str("db.system.name", service.DatabaseSystem));
        attributes.Add(Str("db.namespace", service.DatabaseName));
        attributes.Add(Str("db.collection.name", query.Collection));
        attributes.Add(Str("db.operation.name", query.Operation));
        attributes.Add(Str("db.query.text", query.Text));
        attributes.Add(Int("db.response.returned_rows", _random.Next(0, 50)));
        var failed = _random.Chance(0.03);
        if (failed)
        {
            Fail(service, span, withException: true);
        }

        return failed;
    }

    private bool Cache(SyntheticService service, ByteString parentId, ulong start, ulong end)
    {
        var span = NewSpan(service, ScopeRole.Database, "GET", Span.Types.SpanKind.Client, parentId, start, Leaf(start, end, 0.4), remoteParent: false);
        span.Attributes.Add(Str("db.system.name", "redis"));
        span.Attributes.Add(Str("db.operation.name", "GET"));
        span.Attributes.Add(Str("db.query.text", "GET " + _random.Pick(service.CacheKeys)));
        span.Attributes.Add(Bool("app.cache.hit", _random.Chance(0.85)));
        var failed = _random.Chance(0.01);
        if (failed)
        {
            Fail(service, span, withException: false);
        }

        return failed;
    }

    private bool Publish(SyntheticService service, ByteString parentId, ulong start, ulong end, int depth)
    {
        var topic = _random.Next(service.Topics.Length);
        var producer = NewSpan(service, ScopeRole.Messaging, service.PublishSpanNames[topic], Span.Types.SpanKind.Producer, parentId, start, end, remoteParent: false);
        producer.Attributes.Add(Str("messaging.system", "kafka"));
        producer.Attributes.Add(Str("messaging.destination.name", service.Topics[topic]));
        producer.Attributes.Add(Str("messaging.operation.type", "send"));
        producer.Attributes.Add(Int("messaging.message.body.size", _random.Next(64, 16_384)));

        var consumerService = OtherService(service);
        var consumerStart = start + ((end - start) / 4);
        var consumer = NewSpan(consumerService, ScopeRole.Messaging, service.ProcessSpanNames[topic], Span.Types.SpanKind.Consumer, producer.SpanId, consumerStart, end, remoteParent: true);
        consumer.Attributes.Add(Str("messaging.system", "kafka"));
        consumer.Attributes.Add(Str("messaging.destination.name", service.Topics[topic]));
        consumer.Attributes.Add(Str("messaging.operation.type", "process"));
        consumer.Attributes.Add(Str("messaging.consumer.group.name", consumerService.Name));
        if (Children(consumerService, consumer, depth + 1) && _random.Chance(0.5))
        {
            Fail(consumerService, consumer, withException: true);
        }

        // A consumer failing does not fail the producer: the message was sent.
        var failed = _random.Chance(0.01);
        if (failed)
        {
            Fail(service, producer, withException: false);
        }

        return failed;
    }

    private bool Internal(SyntheticService service, ByteString parentId, ulong start, ulong end, int depth)
    {
        var span = NewSpan(service, ScopeRole.Application, _random.Pick(service.Operations), Span.Types.SpanKind.Internal, parentId, start, end, remoteParent: false);
        span.Attributes.Add(Str("code.function.name", _random.Pick(service.Functions)));
        span.Attributes.Add(Double("app.work.units", Math.Round(_random.Between(0, 100), 3)));
        span.Attributes.Add(Int("thread.id", _random.Next(1, 64)));
        var failed = _random.Chance(0.4) && Children(service, span, depth + 1);
        if (_random.Chance(0.01))
        {
            failed = true;
        }

        if (failed)
        {
            Fail(service, span, withException: false);
        }

        return failed;
    }

    private Span NewSpan(SyntheticService service, ScopeRole role, string name, Span.Types.SpanKind kind, ByteString parentId, ulong start, ulong end, bool remoteParent)
    {
        var span = new Span
        {
            TraceId = _traceId,
            SpanId = _random.Id(8),
            ParentSpanId = parentId,
            Name = name,
            Kind = kind,
            StartTimeUnixNano = start,
            EndTimeUnixNano = end,
            Flags = Sampled | HasIsRemote | (remoteParent ? IsRemote : 0),
        };

        if (_random.Chance(0.08))
        {
            var evt = new Span.Types.Event
            {
                Name = _random.Pick(EventNames),
                TimeUnixNano = start + (ulong)((end - start) * _random.NextDouble()),
            };
            evt.Attributes.Add(Int("app.attempt", 1 + _random.Next(3)));
            span.Events.Add(evt);
        }

        if (_roots > 0 && _random.Chance(kind == Span.Types.SpanKind.Consumer ? 0.5 : 0.02))
        {
            var (traceId, spanId) = _recentRoots[_random.Next((int)Math.Min(_roots, _recentRoots.Length))];
            var link = new Span.Types.Link { TraceId = traceId, SpanId = spanId, Flags = Sampled | HasIsRemote | IsRemote };
            link.Attributes.Add(Str("app.link.reason", "follows_from"));
            span.Links.Add(link);
        }

        _pending.Add(new PendingSpan(service.Index, service.Scope(role), span));
        return span;
    }

    private void Fail(SyntheticService service, Span span, bool withException)
    {
        var message = _random.Pick(service.Messages);
        span.Status = new Status { Code = Status.Types.StatusCode.Error, Message = message };
        span.Attributes.Add(Str("error.type", _random.Pick(ErrorTypes)));
        if (withException)
        {
            var evt = new Span.Types.Event { Name = "exception", TimeUnixNano = span.EndTimeUnixNano };
            evt.Attributes.Add(Str("exception.type", service.Language.TimeoutException));
            evt.Attributes.Add(Str("exception.message", message));
            evt.Attributes.Add(Str("exception.stacktrace", service.StackTrace));
            span.Events.Add(evt);
        }
    }

    /// <summary>A leaf's end: its own latency, kept inside the window its parent gave it.</summary>
    private ulong Leaf(ulong start, ulong end, double medianMs) => start + Math.Min(end - start, _random.LatencyNanos(medianMs));

    private SyntheticService OtherService(SyntheticService service)
    {
        if (_services.Length == 1)
        {
            return service;
        }

        var index = _random.Next(_services.Length - 1);
        return _services[index >= service.Index ? index + 1 : index];
    }

    private int SuccessCode(SyntheticRoute route) => route.Method switch
    {
        "POST" => 201,
        "DELETE" => 204,
        _ => _random.Chance(0.03) ? 404 : 200,
    };

    private AnyValue FeatureFlags()
    {
        var array = new ArrayValue();
        var count = 1 + _random.Next(3);
        for (var i = 0; i < count; i++)
        {
            array.Values.Add(StrValue(_random.Pick(FeatureFlagNames)));
        }

        return new AnyValue { ArrayValue = array };
    }

    private AnyValue RequestContext()
    {
        var list = new KeyValueList();
        list.Values.Add(Str("tenant", _random.Pick(Tenants)));
        list.Values.Add(Str("region", _random.Pick(Regions)));
        list.Values.Add(Int("priority", _random.Next(0, 5)));
        list.Values.Add(Bool("canary", _random.Chance(0.1)));
        return new AnyValue { KvlistValue = list };
    }

    private readonly record struct PendingSpan(int Service, int Scope, Span Span);
}
