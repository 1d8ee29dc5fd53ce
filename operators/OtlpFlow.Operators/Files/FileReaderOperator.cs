using System.Text;
using Google.Protobuf;
using Microsoft.Extensions.Logging;
using OpenTelemetry.Proto.Collector.Logs.V1;
using OpenTelemetry.Proto.Collector.Metrics.V1;
using OpenTelemetry.Proto.Collector.Trace.V1;
using OtlpFlow.Engine.Operators;
using OtlpFlow.Engine.Otlp;
using OtlpFlow.Engine.Telemetry;

namespace OtlpFlow.Operators.Files;

/// <summary>
/// Reads a file written by <see cref="FileWriterOperator"/> (or by the OpenTelemetry Collector's
/// file exporter) from start to end, emitting one batch per line or record, and then completes.
/// A line or record that does not parse is logged with its position and skipped.
/// </summary>
[Operator("file.reader", Options = typeof(FileReaderOptions),
    Description = "Reads OTLP/JSON lines or length-delimited OTLP protobuf from a file, one batch per request, then completes.",
    Example = """{ "path": "captures/traces.json" }""")]
public sealed partial class FileReaderOperator : SourceOperator
{
    private const int BufferSize = 64 * 1024;

    // The longest varint that can encode a 64-bit value; a longer prefix is not a length.
    private const int MaxVarintBytes = 10;

    private readonly FileReaderOptions _options;

    /// <summary>Creates the reader; the file is opened by <see cref="RunAsync"/>.</summary>
    public FileReaderOperator(FileReaderOptions options, OperatorContext context)
        : base(context)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
    }

    private long _skipped;

    /// <summary>Lines or records skipped because they are not valid OTLP (each is logged with its position).</summary>
    public long SkippedRecords => Interlocked.Read(ref _skipped);

    /// <summary>Reads the whole file, emitting one batch per export request.</summary>
    /// <exception cref="OperatorFaultException">The file does not exist or cannot be opened.</exception>
    public override async Task RunAsync(IOperatorOutput output, CancellationToken stopToken)
    {
        ArgumentNullException.ThrowIfNull(output);
        var file = Open();
        await using (file.ConfigureAwait(false))
        {
            var (batches, skipped) = _options.Format == FileFormat.Json
                ? await ReadJsonAsync(file, output, stopToken).ConfigureAwait(false)
                : await ReadProtobufAsync(file, output, stopToken).ConfigureAwait(false);
            Interlocked.Add(ref _skipped, skipped);
            LogFinished(Context.Logger, Context.Id, _options.Path, batches, skipped);
        }
    }

    private FileStream Open()
    {
        string path;
        try
        {
            path = Path.GetFullPath(_options.Path);
        }
        catch (Exception ex) when (ex is ArgumentException or NotSupportedException or PathTooLongException)
        {
            throw new OperatorFaultException($"operator '{Context.Id}': '{_options.Path}' is not a valid file path: {ex.Message}", ex);
        }

        if (!File.Exists(path))
        {
            throw new OperatorFaultException($"operator '{Context.Id}': the file '{_options.Path}' does not exist (looked for '{path}').");
        }

        try
        {
            // Share writes and deletes: reading a file that a writer still appends to is allowed.
            return new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, BufferSize,
                FileOptions.Asynchronous | FileOptions.SequentialScan);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new OperatorFaultException($"operator '{Context.Id}': cannot open '{_options.Path}' for reading: {ex.Message}", ex);
        }
    }

    private async Task<(long Batches, long Skipped)> ReadJsonAsync(FileStream file, IOperatorOutput output, CancellationToken stopToken)
    {
        var reader = new BoundedLineReader(file, _options.MaxRecordSize.Bytes);
        long lineNumber = 0, batches = 0, skipped = 0;
        while (await reader.ReadAsync(stopToken).ConfigureAwait(false) is var (line, tooLong) && (line is not null || tooLong))
        {
            lineNumber++;
            if (tooLong)
            {
                skipped++;
                LogMalformedLine(Context.Logger, Context.Id, _options.Path, lineNumber, $"the line is longer than maxRecordSize ({_options.MaxRecordSize})");
                continue;
            }

            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }

            IMessage request;
            try
            {
                request = OtlpJson.Parse(line);
            }
            catch (OtlpJsonException ex)
            {
                skipped++;
                LogMalformedLine(Context.Logger, Context.Id, _options.Path, lineNumber, ex.Message);
                continue;
            }

            await output.EmitAsync(TelemetryBatch.Create(request), stopToken).ConfigureAwait(false);
            batches++;
        }

        return (batches, skipped);
    }

    private async Task<(long Batches, long Skipped)> ReadProtobufAsync(FileStream file, IOperatorOutput output, CancellationToken stopToken)
    {
        MessageParser parser = _options.Signal switch
        {
            Signal.Metrics => ExportMetricsServiceRequest.Parser,
            Signal.Logs => ExportLogsServiceRequest.Parser,
            _ => ExportTraceServiceRequest.Parser,
        };
        var prefix = new byte[1];
        long record = 0, batches = 0, skipped = 0;
        while (true)
        {
            var offset = file.Position;
            var length = await ReadLengthAsync(file, prefix, stopToken).ConfigureAwait(false);
            if (length < 0)
            {
                return (batches, skipped);
            }

            record++;
            if (length > file.Length - file.Position)
            {
                // Past a broken length nothing can be found again: the framing is lost.
                LogCorruptRecord(Context.Logger, Context.Id, _options.Path, record, offset,
                    length == long.MaxValue ? "the length prefix is not a valid varint" : $"the length {length} runs past the end of the file");
                return (batches, skipped + 1);
            }

            if (length > _options.MaxRecordSize.Bytes)
            {
                skipped++;
                LogMalformedRecord(Context.Logger, Context.Id, _options.Path, record, offset, $"the record of {length} bytes is larger than maxRecordSize ({_options.MaxRecordSize})");
                file.Seek(length, SeekOrigin.Current);
                continue;
            }

            var bytes = new byte[length];
            await file.ReadExactlyAsync(bytes, stopToken).ConfigureAwait(false);
            IMessage request;
            try
            {
                request = parser.ParseFrom(bytes);
            }
            catch (InvalidProtocolBufferException ex)
            {
                skipped++;
                LogMalformedRecord(Context.Logger, Context.Id, _options.Path, record, offset, ex.Message);
                continue;
            }

            // What OTLP/JSON refuses while parsing (ids of the wrong length), protobuf refuses here.
            if (OtlpValidation.FindProblem(request) is { } problem)
            {
                skipped++;
                LogMalformedRecord(Context.Logger, Context.Id, _options.Path, record, offset, problem);
                continue;
            }

            await output.EmitAsync(TelemetryBatch.Create(request), stopToken).ConfigureAwait(false);
            batches++;
        }
    }

    /// <summary>
    /// Reads a varint length prefix: -1 at a clean end of file, <see cref="long.MaxValue"/> when the
    /// file ends inside the prefix or the prefix is too long to be a length.
    /// </summary>
    private static async ValueTask<long> ReadLengthAsync(FileStream file, byte[] one, CancellationToken stopToken)
    {
        long value = 0;
        for (var i = 0; i < MaxVarintBytes; i++)
        {
            // The FileStream buffers, so single-byte reads do not each reach the operating system.
            if (await file.ReadAsync(one, stopToken).ConfigureAwait(false) == 0)
            {
                return i == 0 ? -1 : long.MaxValue;
            }

            value |= (long)(one[0] & 0x7F) << (7 * i);
            if ((one[0] & 0x80) == 0)
            {
                return value is >= 0 and <= int.MaxValue ? value : long.MaxValue;
            }
        }

        return long.MaxValue;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "operator '{OperatorId}': skipped {Path}:{Line}, which is not OTLP/JSON: {Reason}")]
    private static partial void LogMalformedLine(ILogger logger, string operatorId, string path, long line, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "operator '{OperatorId}': skipped record {Record} at byte {Offset} of {Path}, which is not OTLP protobuf: {Reason}")]
    private static partial void LogMalformedRecord(ILogger logger, string operatorId, string path, long record, long offset, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "operator '{OperatorId}': stopped reading {Path} at record {Record} (byte {Offset}): {Reason}")]
    private static partial void LogCorruptRecord(ILogger logger, string operatorId, string path, long record, long offset, string reason);

    [LoggerMessage(Level = LogLevel.Debug, Message = "operator '{OperatorId}': read {Batches} requests from {Path}, skipped {Skipped}")]
    private static partial void LogFinished(ILogger logger, string operatorId, string path, long batches, long skipped);
}
