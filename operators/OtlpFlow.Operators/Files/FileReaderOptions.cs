using System.ComponentModel.DataAnnotations;
using OtlpFlow.Engine.Options;
using OtlpFlow.Engine.Telemetry;

namespace OtlpFlow.Operators.Files;

/// <summary>Options of <see cref="FileReaderOperator"/> (<c>file.reader</c>).</summary>
public sealed class FileReaderOptions
{
    /// <summary>The file to read. A relative path is relative to the working directory. Required.</summary>
    [Required]
    public string Path { get; set; } = string.Empty;

    /// <summary><c>json</c> (OTLP/JSON lines) or <c>protobuf</c> (length-delimited binary requests). Default <c>json</c>.</summary>
    public FileFormat Format { get; set; } = FileFormat.Json;

    /// <summary>
    /// The signal of a <c>protobuf</c> file: <c>traces</c>, <c>metrics</c> or <c>logs</c>, since binary
    /// requests do not name their type. Ignored for <c>json</c>, where each line names its signal.
    /// Default <c>traces</c>.
    /// </summary>
    public Signal Signal { get; set; } = Signal.Traces;

    /// <summary>
    /// The longest line (<c>json</c>) or record (<c>protobuf</c>) read; a longer one is skipped and
    /// logged, so that a file without line breaks (or <c>/dev/zero</c>) cannot take all memory.
    /// Default <c>"64MiB"</c>, the receiver's largest request.
    /// </summary>
    public ByteSize MaxRecordSize { get; set; } = ByteSize.FromMiB(64);
}
