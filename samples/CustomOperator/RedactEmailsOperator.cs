using System.Diagnostics.Metrics;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using Google.Protobuf.Collections;
using OpenTelemetry.Proto.Collector.Logs.V1;
using OpenTelemetry.Proto.Collector.Metrics.V1;
using OpenTelemetry.Proto.Collector.Trace.V1;
using OpenTelemetry.Proto.Common.V1;
using OpenTelemetry.Proto.Metrics.V1;
using OtlpFlow.Engine.Operators;
using OtlpFlow.Engine.Telemetry;

namespace OtlpFlow.Samples.CustomOperator;

/// <summary>
/// Replaces e-mail addresses found in string attributes with a salted SHA-256 hash, so that traces and
/// logs can still be grouped by user without carrying the address. Values that are not e-mail-like
/// are left alone; log bodies are checked too. It changes batches in place (<see cref="MutatesData"/>).
/// </summary>
[Operator("sample.redactEmails", Options = typeof(RedactEmailsOptions), Description = "Hashes e-mail addresses found in attribute values (and log bodies).")]
public sealed partial class RedactEmailsOperator : ProcessorOperator
{
    private readonly HashSet<string>? _keys;
    private readonly byte[] _salt;
    private readonly bool _keepDomain;
    private readonly int _hashLength;
    private readonly Counter<long> _redacted;

    /// <summary>Creates the operator from its options; the engine calls this.</summary>
    public RedactEmailsOperator(RedactEmailsOptions options, OperatorContext context) : base(context)
    {
        ArgumentNullException.ThrowIfNull(options);
        _keys = options.Keys.Count == 0 ? null : new HashSet<string>(options.Keys, StringComparer.Ordinal);
        _salt = Encoding.UTF8.GetBytes(options.Salt);
        _keepDomain = options.KeepDomain;
        _hashLength = options.HashLength;
        _redacted = context.Meter.CreateCounter<long>("otlpflow.sample.redacted", "{value}", "E-mail addresses replaced by a hash.");
    }

    /// <inheritdoc />
    public override bool MutatesData => true;

    /// <inheritdoc />
    public override ValueTask ProcessAsync(TelemetryBatch batch, IOperatorOutput output, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentNullException.ThrowIfNull(output);
        var redacted = batch.Payload switch
        {
            ExportTraceServiceRequest traces => Redact(traces),
            ExportLogsServiceRequest logs => Redact(logs),
            ExportMetricsServiceRequest metrics => Redact(metrics),
            _ => 0,
        };
        if (redacted > 0)
        {
            _redacted.Add(redacted, new KeyValuePair<string, object?>("operator", Context.Id));
        }

        return output.EmitAsync(batch, cancellationToken);
    }

    /// <summary>The replacement for one address: the hash, and the domain when asked.</summary>
    public string Hash(string email)
    {
        ArgumentNullException.ThrowIfNull(email);
        var at = email.LastIndexOf('@');
        var input = Encoding.UTF8.GetBytes(email.ToLowerInvariant());
        var digest = SHA256.HashData([.. _salt, .. input]);
        var hex = Convert.ToHexStringLower(digest)[.._hashLength];
        return _keepDomain && at > 0 ? hex + email[at..] : hex;
    }

    // A pragmatic pattern: it finds addresses inside longer text too ("sent to a@b.io").
    [GeneratedRegex(@"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}", RegexOptions.CultureInvariant)]
    private static partial Regex EmailPattern();

    private int Redact(ExportTraceServiceRequest request)
    {
        var count = 0;
        foreach (var resourceSpans in request.ResourceSpans)
        {
            count += Redact(resourceSpans.Resource?.Attributes);
            foreach (var scopeSpans in resourceSpans.ScopeSpans)
            {
                count += Redact(scopeSpans.Scope?.Attributes);
                foreach (var span in scopeSpans.Spans)
                {
                    count += Redact(span.Attributes);
                    foreach (var spanEvent in span.Events)
                    {
                        count += Redact(spanEvent.Attributes);
                    }
                }
            }
        }

        return count;
    }

    private int Redact(ExportLogsServiceRequest request)
    {
        var count = 0;
        foreach (var resourceLogs in request.ResourceLogs)
        {
            count += Redact(resourceLogs.Resource?.Attributes);
            foreach (var scopeLogs in resourceLogs.ScopeLogs)
            {
                count += Redact(scopeLogs.Scope?.Attributes);
                foreach (var record in scopeLogs.LogRecords)
                {
                    count += Redact(record.Attributes);
                    if (_keys is null && record.Body is { } body)
                    {
                        count += Redact(body);
                    }
                }
            }
        }

        return count;
    }

    private int Redact(ExportMetricsServiceRequest request)
    {
        var count = 0;
        foreach (var resourceMetrics in request.ResourceMetrics)
        {
            count += Redact(resourceMetrics.Resource?.Attributes);
            foreach (var scopeMetrics in resourceMetrics.ScopeMetrics)
            {
                foreach (var metric in scopeMetrics.Metrics)
                {
                    count += metric.DataCase switch
                    {
                        Metric.DataOneofCase.Gauge => metric.Gauge.DataPoints.Sum(p => Redact(p.Attributes)),
                        Metric.DataOneofCase.Sum => metric.Sum.DataPoints.Sum(p => Redact(p.Attributes)),
                        Metric.DataOneofCase.Histogram => metric.Histogram.DataPoints.Sum(p => Redact(p.Attributes)),
                        Metric.DataOneofCase.ExponentialHistogram => metric.ExponentialHistogram.DataPoints.Sum(p => Redact(p.Attributes)),
                        Metric.DataOneofCase.Summary => metric.Summary.DataPoints.Sum(p => Redact(p.Attributes)),
                        _ => 0,
                    };
                }
            }
        }

        return count;
    }

    private int Redact(RepeatedField<KeyValue>? attributes)
    {
        if (attributes is null)
        {
            return 0;
        }

        var count = 0;
        foreach (var attribute in attributes)
        {
            if (_keys is null || _keys.Contains(attribute.Key))
            {
                count += Redact(attribute.Value);
            }
        }

        return count;
    }

    private int Redact(AnyValue? value)
    {
        switch (value?.ValueCase)
        {
            case AnyValue.ValueOneofCase.StringValue:
                var count = 0;
                var replaced = EmailPattern().Replace(value.StringValue, match =>
                {
                    count++;
                    return Hash(match.Value);
                });
                if (count > 0)
                {
                    value.StringValue = replaced;
                }

                return count;
            case AnyValue.ValueOneofCase.ArrayValue:
                return value.ArrayValue.Values.Sum(Redact);
            case AnyValue.ValueOneofCase.KvlistValue:
                return value.KvlistValue.Values.Sum(kv => Redact(kv.Value));
            default:
                return 0;
        }
    }
}
