using System.ComponentModel.DataAnnotations;
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
}
