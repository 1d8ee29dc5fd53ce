using System.ComponentModel.DataAnnotations;

namespace OtlpFlow.Tests.SqlitePlugin;

/// <summary>Options of <c>test.sqlite</c>.</summary>
public sealed class SqliteSpanOptions
{
    /// <summary>The SQLite database file; created when missing.</summary>
    [Required]
    public string Path { get; set; } = string.Empty;
}
