using System.ComponentModel.DataAnnotations;

namespace Company.Operators;

/// <summary>Options of <c>company.operators.stamp</c>.</summary>
public sealed class StampOptions
{
    /// <summary>The resource attribute to set; default <c>stamped.by</c>.</summary>
    [Required]
    public string Key { get; set; } = "stamped.by";

    /// <summary>The value it gets; required.</summary>
    [Required]
    public string Value { get; set; } = string.Empty;
}
