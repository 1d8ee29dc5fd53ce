using System.ComponentModel.DataAnnotations;

namespace OtlpFlow.Operators.Files;

/// <summary>Options of <see cref="FileWriterOperator"/> (<c>file.writer</c>).</summary>
public sealed class FileWriterOptions
{
    /// <summary>
    /// The file to write; created (with its directory) or truncated when the pipeline starts.
    /// A relative path is relative to the working directory. Required.
    /// </summary>
    [Required]
    public string Path { get; set; } = string.Empty;

    /// <summary>
    /// <c>json</c> (OTLP/JSON, one request per line, any mix of signals) or <c>protobuf</c>
    /// (length-delimited binary requests of a single signal). Default <c>json</c>.
    /// </summary>
    public FileFormat Format { get; set; } = FileFormat.Json;
}
