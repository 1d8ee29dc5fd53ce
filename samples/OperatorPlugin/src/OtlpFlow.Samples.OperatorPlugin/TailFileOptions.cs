using System.ComponentModel.DataAnnotations;

namespace OtlpFlow.Samples.OperatorPlugin;

/// <summary>Options of <c>sample.tailFile</c>.</summary>
public sealed class TailFileOptions
{
    /// <summary>The file to follow: OTLP/JSON, one export request (traces, metrics or logs) per line; required.</summary>
    [Required]
    public string Path { get; set; } = string.Empty;

    /// <summary>Read the lines already in the file too; default false (only lines appended after start).</summary>
    public bool FromStart { get; set; }

    /// <summary>How long to wait at the end of the file before looking for more, from 1ms to 1 minute; default 200ms.</summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "00:01:00")]
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>
    /// The longest line read, in bytes, from 1 KiB to 256 MiB; default 4 MiB. A longer line is skipped
    /// (counted and logged) without ever being held whole.
    /// </summary>
    [Range(1024, 256 * 1024 * 1024)]
    public int MaxLineBytes { get; set; } = 4 * 1024 * 1024;
}
