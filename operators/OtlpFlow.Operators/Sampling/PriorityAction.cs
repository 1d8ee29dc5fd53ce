namespace OtlpFlow.Operators.Sampling;

/// <summary>What a <c>sampling.priority</c> rule does with the spans it matches.</summary>
public enum PriorityAction
{
    /// <summary>Keep (send to <c>out</c>).</summary>
    Keep,

    /// <summary>Drop, counted under the rule's name.</summary>
    Drop,

    /// <summary>Keep <c>ratio</c> of them, consistently by trace-id randomness, writing <c>th</c>.</summary>
    Ratio,

    /// <summary>Keep, and send to the port named by the rule's <c>class</c> instead of <c>out</c>.</summary>
    Priority,
}
