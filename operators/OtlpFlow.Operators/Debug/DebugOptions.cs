namespace OtlpFlow.Operators.Debugging;

/// <summary>Options of the <c>debug</c> sink, which prints the data it receives to the console.</summary>
public sealed class DebugOptions
{
    /// <summary>How much to print: <c>basic</c>, <c>normal</c> or <c>detailed</c>. Default <c>basic</c>.</summary>
    public DebugVerbosity Verbosity { get; set; } = DebugVerbosity.Basic;
}
