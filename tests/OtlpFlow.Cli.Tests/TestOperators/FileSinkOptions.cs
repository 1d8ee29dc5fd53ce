using System.ComponentModel.DataAnnotations;

namespace OtlpFlow.Cli.Tests.TestOperators;

/// <summary>Options with a required key and a duration, for the operators listing.</summary>
public sealed class FileSinkOptions
{
    [Required]
    public string? Path { get; set; }

    public TimeSpan FlushEvery { get; set; } = TimeSpan.FromMilliseconds(250);

    public string? Label { get; set; }
}
