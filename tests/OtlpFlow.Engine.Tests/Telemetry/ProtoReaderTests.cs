using Google.Protobuf;
using OpenTelemetry.Proto.Trace.V1;
using OtlpFlow.Engine.Telemetry;

namespace OtlpFlow.Engine.Tests.Telemetry;

public sealed class ProtoReaderTests
{
    [Fact]
    public void Reads_the_fields_of_a_span_and_skips_the_others()
    {
        var span = new Span
        {
            TraceId = ByteString.CopyFrom(Enumerable.Range(1, 16).Select(b => (byte)b).ToArray()),
            SpanId = ByteString.CopyFrom(1, 2, 3, 4, 5, 6, 7, 8),
            Name = "GET /",
            Kind = Span.Types.SpanKind.Server,
            StartTimeUnixNano = ulong.MaxValue - 1,
            EndTimeUnixNano = 42,
            Status = new Status { Code = Status.Types.StatusCode.Error, Message = "boom" },
            Flags = 0x301,
        };
        span.Attributes.Add(new OpenTelemetry.Proto.Common.V1.KeyValue { Key = "k", Value = new() { IntValue = -5 } });

        var seen = new List<int>();
        var reader = new ProtoReader(span.ToByteArray());
        ulong start = 0, end = 0, kind = 0;
        byte[]? traceId = null;
        Status? status = null;
        while (reader.Next(out var field, out var wire))
        {
            seen.Add(field);
            switch (field)
            {
                case 1: traceId = reader.ReadBytes().ToArray(); break;
                case 6: kind = reader.ReadVarint(); break;
                case 7: start = reader.ReadFixed64(); break;
                case 8: end = reader.ReadFixed64(); break;
                case 15: status = Status.Parser.ParseFrom(reader.ReadBytes().ToArray()); break;
                default: reader.Skip(wire); break;
            }
        }

        Assert.Equal(span.TraceId.ToByteArray(), traceId);
        Assert.Equal((ulong)Span.Types.SpanKind.Server, kind);
        Assert.Equal(span.StartTimeUnixNano, start);
        Assert.Equal(42UL, end);
        Assert.Equal(span.Status, status);
        Assert.Equal([1, 2, 5, 6, 7, 8, 9, 15, 16], seen);
    }

    [Theory]
    [InlineData(new byte[] { 0x0a, 0x05, 1, 2 }, "runs past the end")]              // length 5, two bytes follow
    [InlineData(new byte[] { 0x08, 0x80, 0x80 }, "runs past the end")]               // varint cut short
    [InlineData(new byte[] { 0x08, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01 }, "longer than 10 bytes")]
    [InlineData(new byte[] { 0x0b }, "wire type 3")]                                 // start group: not in OTLP
    [InlineData(new byte[] { 0x41, 1, 2, 3 }, "runs past the end")]                  // fixed64 with 3 bytes
    [InlineData(new byte[] { 0x00, 0x01 }, "invalid protobuf tag 0")]                // field number 0
    public void Malformed_input_is_a_format_error_not_a_crash(byte[] message, string expected)
    {
        var error = Assert.Throws<FormatException>(() =>
        {
            var reader = new ProtoReader(message);
            while (reader.Next(out _, out var wire))
            {
                reader.Skip(wire);
            }
        });
        Assert.Contains(expected, error.Message);
    }
}
