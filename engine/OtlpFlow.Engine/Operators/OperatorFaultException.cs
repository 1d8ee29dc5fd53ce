namespace OtlpFlow.Engine.Operators;

/// <summary>
/// Thrown by an operator when it cannot go on at all (its file cannot be opened, its state is
/// corrupt). Any other exception fails only the batch at hand; this one faults the pipeline,
/// which then stops and reports the operator.
/// </summary>
public sealed class OperatorFaultException : Exception
{
    /// <summary>Creates the exception.</summary>
    public OperatorFaultException(string message) : base(message) { }

    /// <summary>Creates the exception with its cause.</summary>
    public OperatorFaultException(string message, Exception innerException) : base(message, innerException) { }

    /// <summary>Creates the exception.</summary>
    public OperatorFaultException() { }
}
