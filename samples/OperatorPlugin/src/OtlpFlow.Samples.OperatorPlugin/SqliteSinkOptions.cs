using System.ComponentModel.DataAnnotations;

namespace OtlpFlow.Samples.OperatorPlugin;

/// <summary>Options of <c>sample.sqlite</c>.</summary>
public sealed class SqliteSinkOptions
{
    /// <summary>The database file, created when missing (with its folder); required.</summary>
    [Required]
    public string Path { get; set; } = string.Empty;

    /// <summary>Delete the rows already in the <c>spans</c> table when the pipeline starts; default false.</summary>
    public bool Truncate { get; set; }
}
