using System.Buffers;
using Google.Protobuf;
using Google.Protobuf.Reflection;
using OpenTelemetry.Proto.Collector.Logs.V1;
using OpenTelemetry.Proto.Collector.Metrics.V1;
using OpenTelemetry.Proto.Collector.Trace.V1;
using OtlpFlow.Engine.Telemetry;

namespace OtlpFlow.Operators.Otlp.Protocol;

/// <summary>
/// Walks the protobuf wire bytes of an export request with the message descriptors, before
/// <c>ParseFrom</c>, to validate its structure and to estimate what decoding it would cost: how
/// many objects, how many items (spans, data points, log records) and how many bytes of managed
/// heap. Wire bytes are not a measure of memory (a 6 KB zstd body can decode to 31 million empty
/// messages), so a receiver charges its memory budget with this estimate and refuses requests over
/// its limits before a single object is allocated.
/// </summary>
/// <remarks>
/// The walk allocates nothing per field: descriptors are looked up, lengths are read, and the
/// estimate stops as soon as a limit is passed, so a bomb is refused after scanning only the part
/// that already exceeds the limit. The estimate follows what Google.Protobuf allocates on 64-bit
/// .NET: each message is an object with an 8-byte slot per field plus a <c>RepeatedField</c> per
/// repeated field; a string is 22 bytes plus 2 per UTF-8 byte (exact for ASCII, an over-estimate
/// otherwise); a byte string is a <c>ByteString</c> and its array; a repeated element costs its
/// slot twice over (arrays grow by doubling); unknown fields are kept by the parser, so they count.
/// </remarks>
internal static class DecodedSizeEstimator
{
    /// <summary>Nesting deeper than this is refused (Google.Protobuf's own default recursion limit is 100).</summary>
    public const int MaxDepth = 64;

    private const long ObjectHeader = 24;
    private const long RepeatedFieldCost = 32;
    private const long StringOverhead = 22;
    private const long ByteStringOverhead = 24 + 24;
    private const long UnknownFieldOverhead = 64;

    private static readonly MessageDescriptor[] ItemMessages =
    [
        OpenTelemetry.Proto.Trace.V1.Span.Descriptor,
        OpenTelemetry.Proto.Logs.V1.LogRecord.Descriptor,
        OpenTelemetry.Proto.Metrics.V1.NumberDataPoint.Descriptor,
        OpenTelemetry.Proto.Metrics.V1.HistogramDataPoint.Descriptor,
        OpenTelemetry.Proto.Metrics.V1.ExponentialHistogramDataPoint.Descriptor,
        OpenTelemetry.Proto.Metrics.V1.SummaryDataPoint.Descriptor,
    ];

    /// <summary>The request message of a signal.</summary>
    public static MessageDescriptor RequestDescriptor(Signal signal) => signal switch
    {
        Signal.Traces => ExportTraceServiceRequest.Descriptor,
        Signal.Metrics => ExportMetricsServiceRequest.Descriptor,
        _ => ExportLogsServiceRequest.Descriptor,
    };

    /// <summary>
    /// Scans <paramref name="data"/> as a <paramref name="root"/> message. The result is invalid for
    /// malformed bytes, over a limit as soon as one is passed (the counts are then partial), and
    /// otherwise carries the full counts and estimate.
    /// </summary>
    public static DecodeEstimate Scan(MessageDescriptor root, ReadOnlySequence<byte> data, DecodeLimits limits)
    {
        ArgumentNullException.ThrowIfNull(root);
        var walk = new Walk(limits);
        walk.Bytes = MessageCost(root);
        walk.Elements = 1;
        var reader = new SequenceReader<byte>(data);
        walk.Message(root, ref reader, data.Length, 1);
        return new DecodeEstimate(walk.Verdict, walk.Problem, walk.Bytes, walk.Elements, walk.Items);
    }

    /// <summary>Scans bytes in one piece; see <see cref="Scan(MessageDescriptor, ReadOnlySequence{byte}, DecodeLimits)"/>.</summary>
    public static DecodeEstimate Scan(MessageDescriptor root, ReadOnlyMemory<byte> data, DecodeLimits limits) =>
        Scan(root, new ReadOnlySequence<byte>(data), limits);

    /// <summary>What one decoded message object costs before its fields' contents.</summary>
    private static long MessageCost(MessageDescriptor descriptor)
    {
        // The descriptor's field list is a cached collection: counting is allocation-free after the first call.
        var fields = descriptor.Fields.InDeclarationOrder();
        long cost = ObjectHeader + (8L * fields.Count);
        for (var i = 0; i < fields.Count; i++)
        {
            if (fields[i].IsRepeated)
            {
                cost += RepeatedFieldCost;
            }
        }

        return cost;
    }

    private static bool IsItem(MessageDescriptor descriptor)
    {
        foreach (var item in ItemMessages)
        {
            if (ReferenceEquals(item, descriptor))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Bytes per element of a packed or unpacked repeated scalar, in its RepeatedField array.</summary>
    private static int ScalarSize(FieldType type) => type switch
    {
        FieldType.Double or FieldType.Fixed64 or FieldType.SFixed64 or FieldType.Int64 or FieldType.UInt64 or FieldType.SInt64 => 8,
        FieldType.Bool => 1,
        _ => 4,
    };

    private ref struct Walk(DecodeLimits limits)
    {
        private readonly DecodeLimits _limits = limits;

        public long Bytes;
        public long Elements;
        public long Items;
        public DecodeVerdict Verdict;
        public string? Problem;

        private readonly bool Stopped => Verdict != DecodeVerdict.Ok;

        /// <summary>Walks a message's fields from the reader's position up to <paramref name="end"/>.</summary>
        public void Message(MessageDescriptor descriptor, ref SequenceReader<byte> reader, long end, int depth)
        {
            if (depth > MaxDepth)
            {
                Invalid($"messages are nested more than {MaxDepth} deep");
                return;
            }

            while (reader.Consumed < end && !Stopped)
            {
                if (!TryVarint(ref reader, end, out var tag) || tag > uint.MaxValue)
                {
                    Invalid("a field tag is truncated");
                    return;
                }

                var number = (int)(tag >> 3);
                var wire = (WireFormat.WireType)(tag & 7);
                if (number == 0)
                {
                    Invalid("a field has number 0");
                    return;
                }

                var field = descriptor.FindFieldByNumber(number);
                switch (wire)
                {
                    case WireFormat.WireType.Varint:
                        if (!TryVarint(ref reader, end, out _))
                        {
                            Invalid("a varint is truncated");
                            return;
                        }

                        Scalar(field);
                        break;
                    case WireFormat.WireType.Fixed64:
                    case WireFormat.WireType.Fixed32:
                        var width = wire == WireFormat.WireType.Fixed64 ? 8 : 4;
                        if (end - reader.Consumed < width)
                        {
                            Invalid("a fixed-width value is truncated");
                            return;
                        }

                        reader.Advance(width);
                        Scalar(field);
                        break;
                    case WireFormat.WireType.LengthDelimited:
                        if (!TryVarint(ref reader, end, out var length) || length > (ulong)(end - reader.Consumed))
                        {
                            Invalid("a length-delimited field is truncated");
                            return;
                        }

                        var valueEnd = reader.Consumed + (long)length;
                        LengthDelimited(field, ref reader, valueEnd, depth);
                        if (Stopped)
                        {
                            return;
                        }

                        reader.Advance(valueEnd - reader.Consumed);
                        break;
                    case WireFormat.WireType.StartGroup:
                        // OTLP has no groups; the parser keeps one as an unknown field, so skip it whole.
                        if (!SkipGroup(ref reader, end, number, depth))
                        {
                            return;
                        }

                        Unknown(0);
                        break;
                    default:
                        Invalid($"field {number} has the invalid wire type {(int)wire}");
                        return;
                }
            }
        }

        private void Scalar(FieldDescriptor? field)
        {
            if (field is null)
            {
                Unknown(8);
            }
            else if (field.IsRepeated)
            {
                Add(2L * ScalarSize(field.FieldType), 0);
            }
        }

        /// <summary>Accounts for one length-delimited value; may leave the reader anywhere before <paramref name="end"/>.</summary>
        private void LengthDelimited(FieldDescriptor? field, ref SequenceReader<byte> reader, long end, int depth)
        {
            var length = end - reader.Consumed;
            if (field is null)
            {
                Unknown(length);
                return;
            }

            switch (field.FieldType)
            {
                case FieldType.Message:
                    var type = field.MessageType;
                    if (IsItem(type))
                    {
                        Items++;
                        if (_limits.MaxItems > 0 && Items > _limits.MaxItems)
                        {
                            Over($"the request has more than {_limits.MaxItems} items (spans, data points or log records)", DecodeVerdict.TooManyElements);
                            return;
                        }
                    }

                    // A repeated message also costs its slot in the array (twice over: arrays grow by doubling).
                    Add(MessageCost(type) + (field.IsRepeated ? 16 : 0), 1);
                    if (!Stopped)
                    {
                        Message(type, ref reader, end, depth + 1);
                    }

                    break;
                case FieldType.String:
                    if (length > 0 || field.IsRepeated)
                    {
                        Add(StringOverhead + (2L * length) + (field.IsRepeated ? 16 : 0), 1);
                    }

                    break;
                case FieldType.Bytes:
                    if (length > 0 || field.IsRepeated)
                    {
                        Add(ByteStringOverhead + length + (field.IsRepeated ? 16 : 0), 1);
                    }

                    break;
                default:
                    if (!field.IsRepeated)
                    {
                        Invalid($"field {field.Name} of {field.ContainingType.Name} is not length-delimited but is sent so");
                        return;
                    }

                    Packed(field.FieldType, ref reader, end);
                    break;
            }
        }

        private void Packed(FieldType type, ref SequenceReader<byte> reader, long end)
        {
            var length = end - reader.Consumed;
            long count;
            switch (type)
            {
                case FieldType.Double or FieldType.Fixed64 or FieldType.SFixed64:
                    if (length % 8 != 0)
                    {
                        Invalid("a packed fixed64 field has a partial element");
                        return;
                    }

                    count = length / 8;
                    break;
                case FieldType.Float or FieldType.Fixed32 or FieldType.SFixed32:
                    if (length % 4 != 0)
                    {
                        Invalid("a packed fixed32 field has a partial element");
                        return;
                    }

                    count = length / 4;
                    break;
                default:
                    count = 0;
                    while (reader.Consumed < end)
                    {
                        if (!TryVarint(ref reader, end, out _))
                        {
                            Invalid("a packed varint is truncated");
                            return;
                        }

                        count++;
                    }

                    break;
            }

            Add(2L * ScalarSize(type) * count, 0);
        }

        private bool SkipGroup(ref SequenceReader<byte> reader, long end, int number, int depth)
        {
            if (depth + 1 > MaxDepth)
            {
                Invalid($"messages are nested more than {MaxDepth} deep");
                return false;
            }

            while (reader.Consumed < end)
            {
                if (!TryVarint(ref reader, end, out var tag))
                {
                    break;
                }

                var wire = (WireFormat.WireType)(tag & 7);
                switch (wire)
                {
                    case WireFormat.WireType.EndGroup:
                        if ((int)(tag >> 3) != number)
                        {
                            Invalid("a group ends with the wrong field number");
                            return false;
                        }

                        return true;
                    case WireFormat.WireType.Varint when TryVarint(ref reader, end, out _):
                        break;
                    case WireFormat.WireType.Fixed64 when end - reader.Consumed >= 8:
                        reader.Advance(8);
                        break;
                    case WireFormat.WireType.Fixed32 when end - reader.Consumed >= 4:
                        reader.Advance(4);
                        break;
                    case WireFormat.WireType.LengthDelimited when TryVarint(ref reader, end, out var length) && length <= (ulong)(end - reader.Consumed):
                        reader.Advance((long)length);
                        break;
                    case WireFormat.WireType.StartGroup:
                        if (!SkipGroup(ref reader, end, (int)(tag >> 3), depth + 1))
                        {
                            return false;
                        }

                        break;
                    default:
                        Invalid("a group is malformed");
                        return false;
                }

                Unknown(8);
                if (Stopped)
                {
                    return false;
                }
            }

            Invalid("a group is truncated");
            return false;
        }

        private void Unknown(long length) => Add(UnknownFieldOverhead + length, 1);

        private void Add(long bytes, long elements)
        {
            Bytes += bytes;
            Elements += elements;
            if (_limits.MaxDecodedBytes > 0 && Bytes > _limits.MaxDecodedBytes)
            {
                Over($"the request would decode to more than {_limits.MaxDecodedBytes} bytes of memory (maxDecodedSize)", DecodeVerdict.TooLarge);
            }
            else if (_limits.MaxElements > 0 && Elements > _limits.MaxElements)
            {
                Over($"the request would decode to more than {_limits.MaxElements} objects (maxElementsPerRequest)", DecodeVerdict.TooManyElements);
            }
        }

        private void Over(string problem, DecodeVerdict verdict)
        {
            if (!Stopped)
            {
                Verdict = verdict;
                Problem = problem;
            }
        }

        private void Invalid(string problem)
        {
            if (!Stopped)
            {
                Verdict = DecodeVerdict.Invalid;
                Problem = problem;
            }
        }

        private static bool TryVarint(ref SequenceReader<byte> reader, long end, out ulong value)
        {
            value = 0;
            for (var shift = 0; shift < 64 && reader.Consumed < end; shift += 7)
            {
                reader.TryRead(out var b);
                value |= (ulong)(b & 0x7F) << shift;
                if (b < 0x80)
                {
                    return true;
                }
            }

            return false;
        }
    }
}

/// <summary>The per-request limits a scan enforces; 0 means no limit.</summary>
/// <param name="MaxDecodedBytes">Estimated managed bytes of the decoded request.</param>
/// <param name="MaxElements">Decoded objects: messages, strings, byte strings, unknown fields.</param>
/// <param name="MaxItems">Spans, data points and log records.</param>
internal readonly record struct DecodeLimits(long MaxDecodedBytes, long MaxElements, long MaxItems);

/// <summary>What a scan concluded.</summary>
internal enum DecodeVerdict
{
    /// <summary>Well-formed and within the limits.</summary>
    Ok,

    /// <summary>Malformed: truncated, a bad wire type, nested too deep.</summary>
    Invalid,

    /// <summary>Would decode to more memory than allowed.</summary>
    TooLarge,

    /// <summary>Would decode to more objects or items than allowed.</summary>
    TooManyElements,
}

/// <summary>The outcome of a scan: the verdict and the counts (partial unless the verdict is <see cref="DecodeVerdict.Ok"/>).</summary>
internal readonly record struct DecodeEstimate(DecodeVerdict Verdict, string? Problem, long DecodedBytes, long Elements, long Items);
