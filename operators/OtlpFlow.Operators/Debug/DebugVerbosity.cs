namespace OtlpFlow.Operators.Debugging;

/// <summary>How much the <c>debug</c> sink prints per batch.</summary>
public enum DebugVerbosity
{
    /// <summary>One line per batch: signal, resource count and item count.</summary>
    Basic,

    /// <summary>The batch line, then one line per span, log record or metric data point.</summary>
    Normal,

    /// <summary>Everything: resources, scopes and every field of every item, with attributes, events, links and data points.</summary>
    Detailed,
}
