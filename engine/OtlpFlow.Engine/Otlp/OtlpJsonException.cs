namespace OtlpFlow.Engine.Otlp;

/// <summary>
/// Thrown by <see cref="OtlpJson"/> when a text is not valid OTLP/JSON: malformed JSON, a value of
/// the wrong type, or a trace or span id that is not hex of the right length. The message names the
/// JSON path of the offending value where there is one.
/// </summary>
public sealed class OtlpJsonException : Exception
{
    /// <summary>Creates the exception.</summary>
    public OtlpJsonException() { }

    /// <summary>Creates the exception with a message.</summary>
    public OtlpJsonException(string message) : base(message) { }

    /// <summary>Creates the exception with a message and its cause.</summary>
    public OtlpJsonException(string message, Exception innerException) : base(message, innerException) { }
}
