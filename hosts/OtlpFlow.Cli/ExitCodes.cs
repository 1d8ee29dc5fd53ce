namespace OtlpFlow.Cli;

/// <summary>What the <c>otlpflow</c> process exits with.</summary>
internal static class ExitCodes
{
    /// <summary>Done: valid, or run to a graceful end.</summary>
    public const int Success = 0;

    /// <summary>The pipeline ran and an operator failed (also System.CommandLine's code for a bad command line).</summary>
    public const int Failed = 1;

    /// <summary>The pipeline file cannot be read or is not valid.</summary>
    public const int Invalid = 2;
}
