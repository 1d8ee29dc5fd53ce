namespace OtlpFlow.Engine.Pipeline;

/// <summary>A pipeline stopped because an operator failed fatally; names the operator and carries the cause.</summary>
public sealed class PipelineFaultedException : Exception
{
    /// <summary>Creates the exception.</summary>
    public PipelineFaultedException(string operatorId, Exception innerException)
        : base($"operator '{operatorId}' failed: {(innerException is null ? null : ExceptionText.Chain(innerException))}", innerException)
    {
        OperatorId = operatorId;
        Reason = innerException is null ? string.Empty : ExceptionText.Chain(innerException);
    }

    /// <summary>Creates the exception.</summary>
    public PipelineFaultedException() => OperatorId = string.Empty;

    /// <summary>Creates the exception.</summary>
    public PipelineFaultedException(string message) : base(message) => OperatorId = string.Empty;

    /// <summary>The operator that failed.</summary>
    public string OperatorId { get; }

    /// <summary>Why: the cause's message followed by those of its inner exceptions (<c>"cause ---> inner"</c>); empty when there is no cause.</summary>
    public string Reason { get; } = string.Empty;
}
