using System.Text.Json.Nodes;
using Google.Protobuf;
using Microsoft.Extensions.Logging;
using OpenTelemetry.Proto.Collector.Logs.V1;
using OpenTelemetry.Proto.Collector.Metrics.V1;
using OpenTelemetry.Proto.Collector.Trace.V1;
using OtlpFlow.Engine.Operators;
using OtlpFlow.Engine.Options;
using OtlpFlow.Engine.Otlp;
using OtlpFlow.Engine.Telemetry;
using OtlpFlow.Engine.Testing;
using OtlpFlow.Operators.Files;

namespace OtlpFlow.Operators.Tests.Files;

public sealed class FileReaderOperatorTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task Json_file_written_then_read_gives_the_same_requests_in_order()
    {
        var path = _dir.File("mixed.json");
        IMessage[] requests = [FileSamples.Traces(1), FileSamples.Metrics(2), FileSamples.Logs(3), FileSamples.Traces(4), new ExportLogsServiceRequest()];

        await FileHarness.WriteAsync(path, FileFormat.Json, requests);
        var read = await FileHarness.ReadAsync(path, FileFormat.Json);

        Assert.Equal(requests, read);
    }

    [Theory]
    [InlineData(Signal.Traces)]
    [InlineData(Signal.Metrics)]
    [InlineData(Signal.Logs)]
    public async Task Protobuf_file_written_then_read_gives_the_same_requests_in_order(Signal signal)
    {
        var path = _dir.File("signal.pb");
        var requests = Enumerable.Range(1, 5).Select(i => FileSamples.Request(signal, i)).ToArray();

        await FileHarness.WriteAsync(path, FileFormat.Protobuf, requests);
        var read = await FileHarness.ReadAsync(path, FileFormat.Protobuf, signal);

        Assert.Equal(requests, read);
    }

    [Fact]
    public async Task Json_to_protobuf_to_json_gives_a_byte_identical_json_file()
    {
        var first = _dir.File("first.json");
        var binary = _dir.File("middle.pb");
        var second = _dir.File("second.json");
        await FileHarness.WriteAsync(first, FileFormat.Json, Enumerable.Range(1, 4).Select(FileSamples.Traces));

        await FileHarness.WriteAsync(binary, FileFormat.Protobuf, await FileHarness.ReadAsync(first, FileFormat.Json));
        await FileHarness.WriteAsync(second, FileFormat.Json, await FileHarness.ReadAsync(binary, FileFormat.Protobuf, Signal.Traces));

        Assert.Equal(await File.ReadAllBytesAsync(first), await File.ReadAllBytesAsync(second));
    }

    [Fact]
    public async Task Emitted_batches_carry_the_signal_and_item_count_of_each_line()
    {
        var path = _dir.File("counts.json");
        await FileHarness.WriteAsync(path, FileFormat.Json, [FileSamples.Traces(1), FileSamples.Logs(2)]);
        var output = new RecordingOutput();
        var reader = new FileReaderOperator(new FileReaderOptions { Path = path }, TestOperatorContext.Create());

        await reader.RunAsync(output, CancellationToken.None);

        Assert.Equal([(Signal.Traces, 2), (Signal.Logs, 1)], output.On().Select(b => (b.Signal, b.ItemCount)));
    }

    [Fact]
    public async Task Missing_file_faults_the_reader_with_a_message_naming_the_path()
    {
        var path = _dir.File("absent.json");
        var reader = new FileReaderOperator(new FileReaderOptions { Path = path }, TestOperatorContext.Create("replay", "file.reader"));

        var error = await Assert.ThrowsAsync<OperatorFaultException>(() => reader.RunAsync(new RecordingOutput(), CancellationToken.None));

        Assert.Contains(path, error.Message, StringComparison.Ordinal);
        Assert.Contains("'replay'", error.Message, StringComparison.Ordinal);
        Assert.Contains("does not exist", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Malformed_line_is_logged_with_its_line_number_and_the_rest_are_read()
    {
        var path = _dir.File("damaged.json");
        await File.WriteAllLinesAsync(path,
        [
            OtlpJson.Format(FileSamples.Traces(1)),
            "{\"resourceSpans\":[{\"scopeSpans\":[{\"spans\":[{\"traceId\":\"xyz\"}]}]}]}",
            "this is not json",
            string.Empty,
            OtlpJson.Format(FileSamples.Metrics(2)),
        ]);
        var logger = new ListLogger();

        var read = await FileHarness.ReadAsync(path, FileFormat.Json, logger: logger);

        Assert.Equal([FileSamples.Traces(1), FileSamples.Metrics(2)], read);
        var warnings = logger.Entries.Where(e => e.Level == LogLevel.Warning).Select(e => e.Message).ToArray();
        Assert.Equal(2, warnings.Length);
        Assert.Contains($"{path}:2", warnings[0], StringComparison.Ordinal);
        Assert.Contains("traceId", warnings[0], StringComparison.Ordinal);
        Assert.Contains($"{path}:3", warnings[1], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Reads_a_hand_written_line_in_the_collector_file_exporter_layout()
    {
        var path = _dir.File("collector.json");
        await File.WriteAllTextAsync(path,
            """{"resourceLogs":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"api"}}]},"scopeLogs":[{"scope":{},"logRecords":[{"timeUnixNano":"1700000000000000001","severityNumber":17,"body":{"stringValue":"failed"},"traceId":"0af7651916cd43dd8448eb211c80319c","spanId":"b7ad6b7169203331"}]}]}]}""" + "\n");

        var read = await FileHarness.ReadAsync(path, FileFormat.Json);

        var record = Assert.IsType<ExportLogsServiceRequest>(Assert.Single(read)).ResourceLogs[0].ScopeLogs[0].LogRecords[0];
        Assert.Equal(1700000000000000001UL, record.TimeUnixNano);
        Assert.Equal("failed", record.Body.StringValue);
        Assert.Equal("0af7651916cd43dd8448eb211c80319c", Convert.ToHexStringLower(record.TraceId.ToByteArray()));
        Assert.Equal("b7ad6b7169203331", Convert.ToHexStringLower(record.SpanId.ToByteArray()));
    }

    [Fact]
    public async Task Malformed_protobuf_record_is_skipped_and_the_rest_are_read()
    {
        var path = _dir.File("damaged.pb");
        using (var stream = File.Create(path))
        {
            FileSamples.Metrics(1).WriteDelimitedTo(stream);
            stream.Write([3, 0xFF, 0xFF, 0xFF]); // a well-framed record whose body is not a message
            FileSamples.Metrics(2).WriteDelimitedTo(stream);
        }

        var logger = new ListLogger();
        var read = await FileHarness.ReadAsync(path, FileFormat.Protobuf, Signal.Metrics, logger);

        Assert.Equal([FileSamples.Metrics(1), FileSamples.Metrics(2)], read);
        var warning = Assert.Single(logger.Entries, e => e.Level == LogLevel.Warning);
        Assert.Contains("record 2", warning.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_protobuf_record_with_a_trace_id_of_the_wrong_length_is_skipped_as_OTLP_JSON_would_be()
    {
        var path = _dir.File("short-id.pb");
        var bad = new ExportTraceServiceRequest { ResourceSpans = { new OpenTelemetry.Proto.Trace.V1.ResourceSpans { ScopeSpans = { new OpenTelemetry.Proto.Trace.V1.ScopeSpans { Spans =
        {
            new OpenTelemetry.Proto.Trace.V1.Span { Name = "short", TraceId = ByteString.CopyFrom(1, 2, 3), SpanId = ByteString.CopyFrom(new byte[8]) },
        } } } } } };
        var good = new ExportTraceServiceRequest { ResourceSpans = { new OpenTelemetry.Proto.Trace.V1.ResourceSpans { ScopeSpans = { new OpenTelemetry.Proto.Trace.V1.ScopeSpans { Spans =
        {
            new OpenTelemetry.Proto.Trace.V1.Span { Name = "fine", TraceId = ByteString.CopyFrom(new byte[16]), SpanId = ByteString.CopyFrom(new byte[8]) },
        } } } } } };
        using (var stream = File.Create(path))
        {
            bad.WriteDelimitedTo(stream);
            good.WriteDelimitedTo(stream);
        }

        var logger = new ListLogger();
        var read = await FileHarness.ReadAsync(path, FileFormat.Protobuf, Signal.Traces, logger);

        Assert.Equal([good], read);
        var warning = Assert.Single(logger.Entries, e => e.Level == LogLevel.Warning);
        Assert.Contains("traceId must be empty or 16 bytes, got 3", warning.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_line_longer_than_maxRecordSize_is_skipped_without_being_held_and_the_next_lines_are_read()
    {
        var path = _dir.File("long-line.json");
        await using (var writer = new StreamWriter(path))
        {
            await writer.WriteLineAsync(OtlpJson.Format(FileSamples.Metrics(1)));
            await writer.WriteAsync(new string('x', 8 * 1024 * 1024)); // like /dev/zero: no line break for megabytes
            await writer.WriteLineAsync();
            await writer.WriteLineAsync(OtlpJson.Format(FileSamples.Metrics(2)) + "\r");
            await writer.WriteAsync(new string('y', 100_000)); // a last line without a break, too long as well
        }

        var logger = new ListLogger();
        var read = await FileHarness.ReadAsync(path, FileFormat.Json, logger: logger, maxRecordSize: ByteSize.FromKiB(64));

        Assert.Equal([FileSamples.Metrics(1), FileSamples.Metrics(2)], read);
        Assert.Equal(2, logger.Entries.Count(e => e.Level == LogLevel.Warning && e.Message.Contains("longer than maxRecordSize", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task A_line_longer_than_the_bound_is_skipped_without_being_held()
    {
        var text = "first\n" + new string('x', 8 * 1024 * 1024) + "\nlast\r\n";
        using var stream = new MemoryStream(System.Text.Encoding.UTF8.GetBytes(text));
        var reader = new BoundedLineReader(stream, 64 * 1024);

        // A memory stream completes every read at once, so every await below completes synchronously
        // and the whole loop runs on this thread: the thread's allocation counter sees all of it.
        var allocated = GC.GetAllocatedBytesForCurrentThread();
        var lines = new List<(string? Line, bool TooLong)>();
        while (await reader.ReadAsync(CancellationToken.None) is var next && (next.Line is not null || next.TooLong))
        {
            lines.Add(next);
        }

        allocated = GC.GetAllocatedBytesForCurrentThread() - allocated;
        Assert.Equal([("first", false), (null, true), ("last", false)], lines);
        Assert.True(allocated < 1024 * 1024, $"reading allocated {allocated} bytes for an 8 MiB line");
    }

    [Fact]
    public async Task A_protobuf_record_larger_than_maxRecordSize_is_skipped_and_the_next_is_read()
    {
        var path = _dir.File("large-record.pb");
        using (var stream = File.Create(path))
        {
            FileSamples.Logs(1).WriteDelimitedTo(stream);
            var huge = new OpenTelemetry.Proto.Collector.Logs.V1.ExportLogsServiceRequest { ResourceLogs = { FileSamples.Logs(3).ResourceLogs } };
            huge.ResourceLogs[0].ScopeLogs[0].LogRecords[0].Body = new OpenTelemetry.Proto.Common.V1.AnyValue { StringValue = new string('z', 200_000) };
            huge.WriteDelimitedTo(stream);
            FileSamples.Logs(2).WriteDelimitedTo(stream);
        }

        var logger = new ListLogger();
        var read = await FileHarness.ReadAsync(path, FileFormat.Protobuf, Signal.Logs, logger, ByteSize.FromKiB(64));

        Assert.Equal([FileSamples.Logs(1), FileSamples.Logs(2)], read);
        Assert.Contains(logger.Entries, e => e.Message.Contains("larger than maxRecordSize", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Truncated_protobuf_file_yields_the_complete_records_and_logs_where_it_stopped()
    {
        var path = _dir.File("truncated.pb");
        using (var stream = File.Create(path))
        {
            FileSamples.Logs(1).WriteDelimitedTo(stream);
            var whole = new MemoryStream();
            FileSamples.Logs(2).WriteDelimitedTo(whole);
            stream.Write(whole.ToArray().AsSpan(0, (int)whole.Length - 3));
        }

        var logger = new ListLogger();
        var read = await FileHarness.ReadAsync(path, FileFormat.Protobuf, Signal.Logs, logger);

        Assert.Equal([FileSamples.Logs(1)], read);
        var warning = Assert.Single(logger.Entries, e => e.Level == LogLevel.Warning);
        Assert.Contains("record 2", warning.Message, StringComparison.Ordinal);
        Assert.Contains("past the end", warning.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Empty_file_completes_without_emitting()
    {
        var path = _dir.File("empty.pb");
        await File.WriteAllBytesAsync(path, []);

        Assert.Empty(await FileHarness.ReadAsync(path, FileFormat.Protobuf));
        Assert.Empty(await FileHarness.ReadAsync(path, FileFormat.Json));
    }

    [Fact]
    public async Task A_cancelled_stop_token_stops_the_reader_before_it_emits()
    {
        var path = _dir.File("stop.json");
        await FileHarness.WriteAsync(path, FileFormat.Json, [FileSamples.Traces(1), FileSamples.Traces(2)]);
        var output = new RecordingOutput();
        var reader = new FileReaderOperator(new FileReaderOptions { Path = path }, TestOperatorContext.Create());
        using var stop = new CancellationTokenSource();
        await stop.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => reader.RunAsync(output, stop.Token));

        Assert.Empty(output.Emitted);
    }

    [Fact]
    public void Options_bind_from_pipeline_keys_with_their_defaults()
    {
        var errors = new List<OptionError>();

        var reader = (FileReaderOptions?)OptionsBinder.Bind(typeof(FileReaderOptions),
            new JsonObject { ["path"] = "in.pb", ["format"] = "protobuf", ["signal"] = "metrics" }, errors);
        var writer = (FileWriterOptions?)OptionsBinder.Bind(typeof(FileWriterOptions), new JsonObject { ["path"] = "out.json" }, errors);
        var missing = OptionsBinder.Bind(typeof(FileWriterOptions), new JsonObject { ["format"] = "json" }, errors);

        Assert.Equal(("in.pb", FileFormat.Protobuf, Signal.Metrics), (reader!.Path, reader.Format, reader.Signal));
        Assert.Equal(("out.json", FileFormat.Json), (writer!.Path, writer.Format));
        Assert.Null(missing);
        Assert.Equal("path", Assert.Single(errors).Key);
    }

    [Fact]
    public void Operators_are_registered_under_their_type_names()
    {
        var registry = new OperatorRegistry().AddAssembly(typeof(FileReaderOperator).Assembly);

        Assert.True(registry.TryGet("file.reader", out var reader));
        Assert.True(registry.TryGet("file.writer", out var writer));
        Assert.Equal((OperatorKind.Source, typeof(FileReaderOptions)), (reader.Kind, reader.OptionsType));
        Assert.Equal((OperatorKind.Sink, typeof(FileWriterOptions)), (writer.Kind, writer.OptionsType));
    }
}
