using System.Globalization;
using Google.Protobuf;
using OpenTelemetry.Proto.Collector.Logs.V1;
using OpenTelemetry.Proto.Common.V1;
using OpenTelemetry.Proto.Logs.V1;
using static OtlpFlow.Operators.Generator.SyntheticAttributes;

namespace OtlpFlow.Operators.Generator;

/// <summary>
/// Makes log records: severities across the whole range (mostly INFO), string and structured
/// bodies, trace context on most records, and attributes of the kinds loggers record.
/// </summary>
internal sealed class LogSynthesizer : ISignalSynthesizer
{
    private static readonly string[] SeverityNames = ["TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL"];
    private static readonly string[] Events = ["order.placed", "payment.captured", "item.reserved", "user.login"];
    private static readonly string[] Currencies = ["EUR", "USD", "GBP", "JPY"];
    private static readonly string[] Skus = ["sku-1001", "sku-2002", "sku-3003", "sku-4004", "sku-5005"];
    private static readonly ScopeRole[] Roles = [ScopeRole.Server, ScopeRole.Server, ScopeRole.Application, ScopeRole.Application, ScopeRole.Database];

    // Texts for severity numbers 0..24: "INFO", then "INFO2".."INFO4" for the finer levels.
    private static readonly string[] SeverityTexts = BuildSeverityTexts();

    private readonly Random _random;
    private readonly SyntheticClock _clock;
    private readonly SyntheticService[] _services;
    private readonly int _scopeStride;
    private readonly ResourceLogs?[] _resourceInBatch;
    private readonly ScopeLogs?[] _scopeInBatch;

    public LogSynthesizer(SyntheticService[] services, Random random, SyntheticClock clock)
    {
        _services = services;
        _random = random;
        _clock = clock;
        _scopeStride = Enum.GetValues<ScopeRole>().Length;
        _resourceInBatch = new ResourceLogs?[services.Length];
        _scopeInBatch = new ScopeLogs?[services.Length * _scopeStride];
    }

    public IMessage Next(int items)
    {
        var request = new ExportLogsServiceRequest();
        Array.Clear(_resourceInBatch);
        Array.Clear(_scopeInBatch);
        for (var i = 0; i < items; i++)
        {
            var service = _services[_random.Next(_services.Length)];
            var role = _random.Pick(Roles);
            var scope = service.Scope(role);
            var slot = (service.Index * _scopeStride) + scope;
            var scopeLogs = _scopeInBatch[slot];
            if (scopeLogs is null)
            {
                var resourceLogs = _resourceInBatch[service.Index];
                if (resourceLogs is null)
                {
                    resourceLogs = new ResourceLogs { Resource = service.Resource.Clone() };
                    _resourceInBatch[service.Index] = resourceLogs;
                    request.ResourceLogs.Add(resourceLogs);
                }

                scopeLogs = new ScopeLogs { Scope = service.Scopes[scope].Clone() };
                _scopeInBatch[slot] = scopeLogs;
                resourceLogs.ScopeLogs.Add(scopeLogs);
            }

            scopeLogs.LogRecords.Add(Record(service, role));
            _clock.Advance(1);
        }

        return request;
    }

    private LogRecord Record(SyntheticService service, ScopeRole role)
    {
        var severity = Severity();
        var level = (int)(severity - 1) / 4;
        var time = _clock.Now;
        var route = _random.Pick(service.Routes);
        var record = new LogRecord
        {
            TimeUnixNano = time,
            ObservedTimeUnixNano = time + (ulong)_random.Next(50_000, 5_000_000),
            SeverityNumber = severity,
            SeverityText = SeverityTexts[(int)severity],
        };

        record.Attributes.Add(Str("code.function.name", _random.Pick(service.Functions)));
        record.Attributes.Add(Int("thread.id", _random.Next(1, 64)));
        if (level is 2 or 3 && _random.Chance(0.25))
        {
            // Structured events carry their fields in a map body and are named.
            var name = _random.Pick(Events);
            record.EventName = name;
            record.Body = EventBody(name);
        }
        else
        {
            record.Body = StrValue(Message(service, route, role, level));
        }

        if (role == ScopeRole.Server)
        {
            record.Attributes.Add(Str("http.route", route.Route));
            record.Attributes.Add(Bool("app.authenticated", _random.Chance(0.8)));
        }

        if (level >= 4)
        {
            record.Attributes.Add(Str("exception.type", service.Language.TimeoutException));
            record.Attributes.Add(Str("exception.message", _random.Pick(service.Messages)));
            if (_random.Chance(0.3))
            {
                record.Attributes.Add(Str("exception.stacktrace", service.StackTrace));
            }
        }

        if (_random.Chance(0.05))
        {
            record.Attributes.Add(Bytes("app.payload.digest", _random.Bytes(8)));
        }

        if (_random.Chance(0.6))
        {
            record.TraceId = _random.Id(16);
            record.SpanId = _random.Id(8);
            record.Flags = 1;
        }

        return record;
    }

    private SeverityNumber Severity()
    {
        var roll = _random.NextDouble();
        var level = roll switch
        {
            < 0.03 => 0,
            < 0.18 => 1,
            < 0.78 => 2,
            < 0.90 => 3,
            < 0.98 => 4,
            _ => 5,
        };

        // Mostly the level's main number; now and then one of its three finer steps.
        var step = _random.Chance(0.85) ? 0 : 1 + _random.Next(3);
        return (SeverityNumber)(1 + (level * 4) + step);
    }

    private string Message(SyntheticService service, SyntheticRoute route, ScopeRole role, int level)
    {
        var number = _random.Next(1, 1000).ToString(CultureInfo.InvariantCulture);
        return level switch
        {
            0 => "entering " + _random.Pick(service.Functions),
            1 => "cache lookup for " + _random.Pick(service.CacheKeys) + (_random.Chance(0.8) ? " hit" : " miss"),
            2 when role == ScopeRole.Server => route.SpanName + " responded in " + number + " ms",
            2 when role == ScopeRole.Database => "query on " + _random.Pick(service.Queries).Collection + " returned " + number + " rows",
            2 => "processed order " + number,
            3 => "slow operation " + _random.Pick(service.Operations) + " took " + number + " ms",
            4 => "request failed: " + _random.Pick(service.Messages),
            _ => "unrecoverable error, worker stopping: " + _random.Pick(service.Messages),
        };
    }

    private AnyValue EventBody(string name)
    {
        var fields = new KeyValueList();
        fields.Values.Add(Str("event", name));
        fields.Values.Add(Int("order.id", _random.Next(10_000, 1_000_000)));
        fields.Values.Add(Double("amount", Math.Round(_random.Between(1, 900), 2)));
        fields.Values.Add(Str("currency", _random.Pick(Currencies)));
        fields.Values.Add(Bool("paid", _random.Chance(0.9)));
        var items = new ArrayValue();
        var count = 1 + _random.Next(3);
        for (var i = 0; i < count; i++)
        {
            items.Values.Add(StrValue(_random.Pick(Skus)));
        }

        fields.Values.Add(Of("items", new AnyValue { ArrayValue = items }));
        return new AnyValue { KvlistValue = fields };
    }

    private static string[] BuildSeverityTexts()
    {
        var texts = new string[25];
        texts[0] = string.Empty;
        for (var number = 1; number <= 24; number++)
        {
            var step = (number - 1) % 4;
            var name = SeverityNames[(number - 1) / 4];
            texts[number] = step == 0 ? name : name + (step + 1).ToString(CultureInfo.InvariantCulture);
        }

        return texts;
    }
}
