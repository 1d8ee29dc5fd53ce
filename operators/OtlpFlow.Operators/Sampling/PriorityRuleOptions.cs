using System.ComponentModel.DataAnnotations;
using OtlpFlow.Engine.Conditions;

namespace OtlpFlow.Operators.Sampling;

/// <summary>One rule of <c>sampling.priority</c>.</summary>
public sealed class PriorityRuleOptions
{
    /// <summary>The name spans are counted under. Default: <c>rule-N</c> by position.</summary>
    public string? Name { get; set; }

    /// <summary>The condition a span must match, in the condition language. Required.</summary>
    [Required]
    public Condition? When { get; set; }

    /// <summary><c>keep</c> (default), <c>drop</c>, <c>ratio</c> or <c>priority</c>.</summary>
    public PriorityAction Action { get; set; } = PriorityAction.Keep;

    /// <summary><c>ratio</c>: the share kept, 0 to 1. Default 1.</summary>
    [Range(0.0, 1.0)]
    public double Ratio { get; set; } = 1;

    /// <summary><c>priority</c>: the class, which is also the output port the spans go to.</summary>
    public string? Class { get; set; }
}
