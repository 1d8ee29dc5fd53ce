using Google.Protobuf;
using OpenTelemetry.Proto.Collector.Trace.V1;
using OtlpFlow.Engine.Operators;
using OtlpFlow.Engine.Otlp;
using OtlpFlow.Engine.Telemetry;
using OtlpFlow.Engine.Testing;
using OtlpFlow.Operators.Files;

namespace OtlpFlow.Operators.Tests.Files;

public sealed class FileWriterOperatorTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private FileWriterOperator Writer(string path, FileFormat format) =>
        new(new FileWriterOptions { Path = path, Format = format }, TestOperatorContext.Create("out", "file.writer"));

    [Fact]
    public async Task Json_file_holds_one_otlp_json_request_per_line_without_a_byte_order_mark()
    {
        var path = _dir.File("out.json");
        IMessage[] requests = [FileSamples.Traces(1), FileSamples.Metrics(2), FileSamples.Logs(3)];

        await FileHarness.WriteAsync(path, FileFormat.Json, requests);

        var bytes = await File.ReadAllBytesAsync(path);
        Assert.NotEqual(0xEF, bytes[0]);
        var lines = (await File.ReadAllTextAsync(path)).Split('\n');
        Assert.Equal(4, lines.Length);
        Assert.Equal(string.Empty, lines[3]); // every line, the last included, ends with a newline
        Assert.Equal(requests.Select(OtlpJson.Format), lines[..3]);
    }

    [Fact]
    public async Task Protobuf_file_is_a_stream_of_length_delimited_requests()
    {
        var path = _dir.File("out.pb");
        ExportTraceServiceRequest[] requests = [FileSamples.Traces(1), FileSamples.Traces(2)];

        await FileHarness.WriteAsync(path, FileFormat.Protobuf, requests);

        using var stream = File.OpenRead(path);
        Assert.Equal(requests[0], ExportTraceServiceRequest.Parser.ParseDelimitedFrom(stream));
        Assert.Equal(requests[1], ExportTraceServiceRequest.Parser.ParseDelimitedFrom(stream));
        Assert.Equal(stream.Length, stream.Position);
    }

    [Fact]
    public async Task A_second_signal_into_a_protobuf_writer_fails_that_batch_only()
    {
        var path = _dir.File("traces.pb");
        var writer = Writer(path, FileFormat.Protobuf);
        await writer.StartAsync(CancellationToken.None);

        await writer.WriteAsync(TelemetryBatch.Create(FileSamples.Traces(1)), CancellationToken.None);
        var error = await Assert.ThrowsAsync<InvalidOperationException>(
            () => writer.WriteAsync(TelemetryBatch.Create(FileSamples.Metrics(2)), CancellationToken.None).AsTask());
        await writer.WriteAsync(TelemetryBatch.Create(FileSamples.Traces(3)), CancellationToken.None);
        await writer.FlushAsync(CancellationToken.None);
        await writer.DisposeAsync();

        Assert.Contains("traces", error.Message, StringComparison.Ordinal);
        Assert.Contains("metrics", error.Message, StringComparison.Ordinal);
        Assert.Contains(path, error.Message, StringComparison.Ordinal);
        var read = await FileHarness.ReadAsync(path, FileFormat.Protobuf, Signal.Traces);
        Assert.Equal([FileSamples.Traces(1), FileSamples.Traces(3)], read);
    }

    [Fact]
    public async Task Json_writer_accepts_every_signal_in_one_file()
    {
        var path = _dir.File("mixed.json");
        var writer = Writer(path, FileFormat.Json);
        await writer.StartAsync(CancellationToken.None);

        foreach (var signal in Enum.GetValues<Signal>())
        {
            await writer.WriteAsync(TelemetryBatch.Create(FileSamples.Request(signal, 1)), CancellationToken.None);
        }

        await writer.DisposeAsync();
        Assert.Equal(3, File.ReadAllLines(path).Length);
    }

    [Fact]
    public async Task Start_creates_a_missing_directory_and_truncates_an_existing_file()
    {
        var path = Path.Combine(_dir.Path, "a", "b", "out.json");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        await File.WriteAllTextAsync(path, new string('x', 100_000));

        await FileHarness.WriteAsync(path, FileFormat.Json, [FileSamples.Logs(1)]);

        Assert.Equal(OtlpJson.Format(FileSamples.Logs(1)) + "\n", await File.ReadAllTextAsync(path));

        var fresh = Path.Combine(_dir.Path, "new", "dir", "out.pb");
        await FileHarness.WriteAsync(fresh, FileFormat.Protobuf, []);
        Assert.True(File.Exists(fresh));
        Assert.Equal(0, new FileInfo(fresh).Length);
    }

    [Fact]
    public async Task Start_faults_when_the_file_cannot_be_created()
    {
        // A directory standing where the file should be cannot be opened as a file.
        var path = _dir.File("taken");
        Directory.CreateDirectory(path);
        var writer = Writer(path, FileFormat.Json);

        var error = await Assert.ThrowsAsync<OperatorFaultException>(() => writer.StartAsync(CancellationToken.None));

        Assert.Contains("'out'", error.Message, StringComparison.Ordinal);
        Assert.Contains(path, error.Message, StringComparison.Ordinal);
        await writer.DisposeAsync();
    }

    [Fact]
    public async Task Concurrent_writes_never_interleave_records()
    {
        var path = _dir.File("concurrent.json");
        var writer = Writer(path, FileFormat.Json);
        await writer.StartAsync(CancellationToken.None);

        await Task.WhenAll(Enumerable.Range(0, 32).Select(i =>
            Task.Run(async () => await writer.WriteAsync(TelemetryBatch.Create(FileSamples.Traces(i)), CancellationToken.None))));
        await writer.FlushAsync(CancellationToken.None);
        await writer.DisposeAsync();

        var names = File.ReadAllLines(path)
            .Select(line => OtlpJson.Parse<ExportTraceServiceRequest>(line).ResourceSpans[0].ScopeSpans[0].Spans[0].Name)
            .Order(StringComparer.Ordinal);
        Assert.Equal(Enumerable.Range(0, 32).Select(i => $"span {i}").Order(StringComparer.Ordinal), names);
    }

    [Fact]
    public async Task Write_before_start_fails_the_batch()
    {
        var writer = Writer(_dir.File("never.json"), FileFormat.Json);

        await Assert.ThrowsAsync<InvalidOperationException>(
            () => writer.WriteAsync(TelemetryBatch.Create(FileSamples.Traces(1)), CancellationToken.None).AsTask());
        Assert.False(File.Exists(_dir.File("never.json")));
        await writer.DisposeAsync();
    }

    [Fact]
    public void Constructor_opens_nothing()
    {
        var path = _dir.File("lazy.json");

        _ = Writer(path, FileFormat.Json);

        Assert.False(File.Exists(path));
    }
}
