using System.Buffers;
using System.Diagnostics.Metrics;
using System.Text;
using Microsoft.Extensions.Logging;
using OtlpFlow.Engine.Operators;
using OtlpFlow.Engine.Otlp;
using OtlpFlow.Engine.Telemetry;

namespace OtlpFlow.Samples.OperatorPlugin;

/// <summary>
/// Follows a file of OTLP/JSON export requests, one per line, as <c>tail -f</c> does: emits a batch
/// per complete line, then waits <see cref="TailFileOptions.PollInterval"/> (on the context's clock)
/// for more, until the pipeline stops. A line that does not parse is logged and skipped; a last line
/// still being written (no newline yet) waits for its newline. A file that shrinks is read again from
/// its start; a file that does not exist yet is waited for.
/// </summary>
[Operator("sample.tailFile", Options = typeof(TailFileOptions),
    Description = "Follows an OTLP/JSON file (one export request per line), emitting each line appended to it until stopped.",
    Example = """{ "path": "captures/traces.json", "fromStart": true }""")]
public sealed partial class TailFileOperator : SourceOperator
{
    private readonly TailFileOptions _options;
    private static readonly byte[] Utf8Bom = [0xEF, 0xBB, 0xBF];

    private readonly Counter<long> _skippedCounter;
    private long _skipped;
    private long _startAt;
    private long _position;

    /// <summary>Creates the source; the file is opened by <see cref="RunAsync"/>.</summary>
    public TailFileOperator(TailFileOptions options, OperatorContext context)
        : base(context)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _skippedCounter = context.Meter.CreateCounter<long>("otlpflow.sample.tailfile.skipped", "{line}", "Lines skipped because they are not OTLP/JSON export requests or are longer than maxLineBytes.");
    }

    /// <summary>Lines skipped because they did not parse (each is logged with its line number).</summary>
    public long SkippedLines => Interlocked.Read(ref _skipped);

    /// <summary>How far into the file it has read (bytes), partial last line included.</summary>
    public long Position => Interlocked.Read(ref _position);

    /// <summary>
    /// Notes where reading starts: without <see cref="TailFileOptions.FromStart"/>, at the file's end
    /// now, so that every line appended once the pipeline has started is read.
    /// </summary>
    public override Task StartAsync(CancellationToken cancellationToken)
    {
        var file = new FileInfo(Path.GetFullPath(_options.Path));
        _startAt = !_options.FromStart && file.Exists ? file.Length : 0;
        return Task.CompletedTask;
    }

    /// <summary>Reads and follows the file until <paramref name="stopToken"/> is cancelled.</summary>
    public override async Task RunAsync(IOperatorOutput output, CancellationToken stopToken)
    {
        ArgumentNullException.ThrowIfNull(output);
        try
        {
            var file = await OpenWhenPresentAsync(stopToken).ConfigureAwait(false);
            await using (file.ConfigureAwait(false))
            {
                await FollowAsync(file, output, stopToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stopToken.IsCancellationRequested)
        {
            // Stopping: a line not yet complete is left unread.
        }
    }

    private async Task FollowAsync(FileStream file, IOperatorOutput output, CancellationToken stopToken)
    {
        file.Seek(Math.Min(_startAt, file.Length), SeekOrigin.Begin);

        var buffer = new byte[64 * 1024];
        var pending = new ArrayBufferWriter<byte>();   // the start of a line whose newline has not come yet
        var overlong = false;                          // the current line passed maxLineBytes: its bytes are dropped up to its newline
        var atTop = file.Position == 0;                // the current line starts the file (and may start with a byte order mark)
        long lineNumber = 0;
        while (true)
        {
            stopToken.ThrowIfCancellationRequested();
            if (file.Length < file.Position)
            {
                // Truncated (rotated in place): start again from the top.
                file.Seek(0, SeekOrigin.Begin);
                pending.Clear();
                overlong = false;
                atTop = true;
                lineNumber = 0;
            }

            var read = await file.ReadAsync(buffer, stopToken).ConfigureAwait(false);
            Interlocked.Exchange(ref _position, file.Position);
            if (read == 0)
            {
                await Task.Delay(_options.PollInterval, Context.TimeProvider, stopToken).ConfigureAwait(false);
                continue;
            }

            var chunk = buffer.AsMemory(0, read);
            int newline;
            while ((newline = chunk.Span.IndexOf((byte)'\n')) >= 0)
            {
                var end = chunk.Span[..newline];
                chunk = chunk[(newline + 1)..];
                lineNumber++;
                if (overlong || pending.WrittenCount + end.Length > _options.MaxLineBytes)
                {
                    // Never held whole: what a line claims by its length is not what this source allocates.
                    Skip(lineNumber, $"longer than maxLineBytes ({_options.MaxLineBytes} bytes)");
                }
                else
                {
                    pending.Write(end);
                    var bytes = pending.WrittenSpan;
                    if (atTop && bytes.StartsWith(Utf8Bom))
                    {
                        bytes = bytes[Utf8Bom.Length..];
                    }

                    await EmitLineAsync(Encoding.UTF8.GetString(bytes).TrimEnd('\r'), lineNumber, output, stopToken).ConfigureAwait(false);
                }

                pending.Clear();
                overlong = false;
                atTop = false;
            }

            if (!overlong && pending.WrittenCount + chunk.Length > _options.MaxLineBytes)
            {
                overlong = true;
                pending.Clear();
            }
            else if (!overlong)
            {
                pending.Write(chunk.Span);
            }
        }
    }

    private async Task EmitLineAsync(string line, long lineNumber, IOperatorOutput output, CancellationToken stopToken)
    {
        if (string.IsNullOrWhiteSpace(line))
        {
            return;
        }

        TelemetryBatch batch;
        try
        {
            batch = TelemetryBatch.Create(OtlpJson.Parse(line));
        }
        catch (OtlpJsonException ex)
        {
            Skip(lineNumber, ex.Message);
            return;
        }

        await output.EmitAsync(batch, stopToken).ConfigureAwait(false);
    }

    private void Skip(long lineNumber, string reason)
    {
        Interlocked.Increment(ref _skipped);
        _skippedCounter.Add(1, new KeyValuePair<string, object?>("operator", Context.Id));
        LogSkipped(Context.Logger, Context.Id, _options.Path, lineNumber, reason);
    }

    private async Task<FileStream> OpenWhenPresentAsync(CancellationToken stopToken)
    {
        var path = Path.GetFullPath(_options.Path);
        var logged = false;
        while (true)
        {
            try
            {
                // Shared for writing and deleting: the writer goes on appending while this reads.
                return new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 4096, FileOptions.Asynchronous);
            }
            catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
            {
                if (!logged)
                {
                    LogWaiting(Context.Logger, Context.Id, path);
                    logged = true;
                }
            }

            await Task.Delay(_options.PollInterval, Context.TimeProvider, stopToken).ConfigureAwait(false);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "operator '{Id}': skipped line {Line} of '{Path}': {Reason}")]
    private static partial void LogSkipped(ILogger logger, string id, string path, long line, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "operator '{Id}': waiting for '{Path}' to exist")]
    private static partial void LogWaiting(ILogger logger, string id, string path);
}
