namespace OtlpFlow.Engine.Testing;

/// <summary>
/// Thrown by <see cref="OperatorHarness.AssertConserved"/>: the operator's items do not balance, or an
/// acknowledgement share was never settled (a client would wait for ever). The message says which and by how much.
/// </summary>
public sealed class ConservationException : Exception
{
    /// <summary>Creates the exception.</summary>
    public ConservationException(string message) : base(message) { }

    /// <summary>Creates the exception with its cause.</summary>
    public ConservationException(string message, Exception innerException) : base(message, innerException) { }

    /// <summary>Creates the exception.</summary>
    public ConservationException() : base("The operator did not conserve its items or acknowledgements.") { }
}
