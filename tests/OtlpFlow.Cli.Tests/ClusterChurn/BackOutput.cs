using OpenTelemetry.Proto.Collector.Trace.V1;
using OtlpFlow.Engine.Otlp;

namespace OtlpFlow.Cli.Tests.ClusterChurn;

/// <summary>What one back incarnation wrote: every span record of its OTLP/JSON lines file, in order.</summary>
internal sealed class BackOutput
{
    private BackOutput(List<SpanKey> spans, int tornLines)
    {
        Spans = spans;
        TornLines = tornLines;
    }

    /// <summary>The spans written, duplicates included.</summary>
    public IReadOnlyList<SpanKey> Spans { get; }

    /// <summary>Lines that are not a whole OTLP/JSON request (a write cut by SIGKILL).</summary>
    public int TornLines { get; }

    /// <summary>Reads the file at <paramref name="path"/>; a missing file wrote nothing.</summary>
    public static BackOutput Read(string path)
    {
        var spans = new List<SpanKey>();
        var torn = 0;
        if (!File.Exists(path))
        {
            return new BackOutput(spans, torn);
        }

        foreach (var line in File.ReadLines(path))
        {
            if (line.Length == 0)
            {
                continue;
            }

            ExportTraceServiceRequest request;
            try
            {
                request = OtlpJson.Parse<ExportTraceServiceRequest>(line);
            }
            catch (OtlpJsonException)
            {
                torn++;
                continue;
            }

            foreach (var span in request.ResourceSpans.SelectMany(r => r.ScopeSpans).SelectMany(s => s.Spans))
            {
                spans.Add(new SpanKey(Convert.ToHexStringLower(span.TraceId.Span), Convert.ToHexStringLower(span.SpanId.Span)));
            }
        }

        return new BackOutput(spans, torn);
    }
}
