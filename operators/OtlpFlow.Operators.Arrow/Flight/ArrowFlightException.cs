namespace OtlpFlow.Operators.Arrow.Flight;

/// <summary>A batch could not be delivered over Arrow Flight.</summary>
public sealed class ArrowFlightException : Exception
{
    /// <summary>Creates the exception.</summary>
    public ArrowFlightException() { }

    /// <summary>Creates the exception with a message.</summary>
    public ArrowFlightException(string message) : base(message) { }

    /// <summary>Creates the exception with a message and a cause.</summary>
    public ArrowFlightException(string message, Exception innerException) : base(message, innerException) { }
}
