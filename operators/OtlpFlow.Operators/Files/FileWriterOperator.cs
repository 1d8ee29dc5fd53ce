using System.Text;
using Google.Protobuf;
using OtlpFlow.Engine.Operators;
using OtlpFlow.Engine.Otlp;
using OtlpFlow.Engine.Telemetry;

namespace OtlpFlow.Operators.Files;

/// <summary>
/// Writes every batch to a file: as OTLP/JSON, one export request per line (the layout of the
/// OpenTelemetry Collector's file exporter), or as binary export requests each preceded by its
/// varint length (<see cref="MessageExtensions.WriteDelimitedTo(IMessage, Stream)"/>). A batch
/// counts as delivered once its record is handed to the operating system; the file is synced to
/// disk when the pipeline drains.
/// </summary>
/// <remarks>
/// A protobuf file holds one signal, because its records do not say which type they are: the first
/// batch fixes the signal, and a batch of another signal fails (only that batch).
/// </remarks>
[Operator("file.writer", Options = typeof(FileWriterOptions),
    Description = "Writes batches to a file as OTLP/JSON lines or length-delimited OTLP protobuf.",
    Example = """{ "path": "captures/out.json" }""")]
public sealed class FileWriterOperator : SinkOperator
{
    private static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false);

    private readonly FileWriterOptions _options;

    // Serialises writes so that records never interleave, whatever parallelism the engine uses.
    private readonly SemaphoreSlim _gate = new(1, 1);

    private FileStream? _file;
    private Signal? _protobufSignal;

    /// <summary>Creates the writer; the file is opened by <see cref="StartAsync"/>.</summary>
    public FileWriterOperator(FileWriterOptions options, OperatorContext context)
        : base(context)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
    }

    /// <summary>Creates the file's directory when missing, and creates or truncates the file.</summary>
    /// <exception cref="OperatorFaultException">The file cannot be opened for writing.</exception>
    public override Task StartAsync(CancellationToken cancellationToken)
    {
        try
        {
            var path = Path.GetFullPath(_options.Path);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);

            // No FileStream buffer: each record is encoded whole and written in one call, so a
            // returned WriteAsync means the record reached the operating system.
            _file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.Read, bufferSize: 0, FileOptions.Asynchronous);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw new OperatorFaultException($"operator '{Context.Id}': cannot open '{_options.Path}' for writing: {ex.Message}", ex);
        }

        return Task.CompletedTask;
    }

    /// <summary>Appends the batch's export request to the file as one record.</summary>
    /// <exception cref="InvalidOperationException">
    /// The format is protobuf and the batch's signal differs from the one the file already holds,
    /// or the writer was not started.
    /// </exception>
    /// <exception cref="OperatorFaultException">Writing failed; the file may end with a partial record.</exception>
    public override async ValueTask WriteAsync(TelemetryBatch batch, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var record = Encode(batch.Payload);

        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var file = _file ?? throw new InvalidOperationException($"operator '{Context.Id}': the file writer is not started or already disposed.");
            if (_options.Format == FileFormat.Protobuf && _protobufSignal is { } held && held != batch.Signal)
            {
                throw new InvalidOperationException(
                    $"operator '{Context.Id}': '{_options.Path}' is a protobuf file of {Name(held)} and cannot also hold {Name(batch.Signal)}; " +
                    "use \"format\": \"json\" or one file.writer per signal.");
            }

            try
            {
                // Not cancellable: a record cut halfway would corrupt every record after it.
                await file.WriteAsync(record, CancellationToken.None).ConfigureAwait(false);
            }
            catch (IOException ex)
            {
                throw new OperatorFaultException($"operator '{Context.Id}': writing to '{_options.Path}' failed: {ex.Message}", ex);
            }

            _protobufSignal ??= batch.Signal;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Syncs the file to disk.</summary>
    public override async ValueTask FlushAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            _file?.Flush(flushToDisk: true);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Closes the file.</summary>
    public override async ValueTask DisposeAsync()
    {
        await _gate.WaitAsync().ConfigureAwait(false);
        try
        {
            if (_file is not null)
            {
                await _file.DisposeAsync().ConfigureAwait(false);
                _file = null;
            }
        }
        finally
        {
            _gate.Release();
        }

        await base.DisposeAsync().ConfigureAwait(false);
    }

    private ReadOnlyMemory<byte> Encode(IMessage payload)
    {
        if (_options.Format == FileFormat.Json)
        {
            return Utf8.GetBytes(OtlpJson.Format(payload) + "\n");
        }

        var size = payload.CalculateSize();
        using var buffer = new MemoryStream(size + 10);
        payload.WriteDelimitedTo(buffer);
        return buffer.GetBuffer().AsMemory(0, (int)buffer.Length);
    }

    private static string Name(Signal signal) => signal.ToString().ToLowerInvariant();
}
