namespace OtlpFlow.Engine.Operators;

/// <summary>
/// A batch failure that sending the same data again cannot fix: the data breaks a rule of the
/// destination (a unique key already present, a value out of range, a payload the peer calls
/// malformed). Any other exception counts as transient. Receivers answer a permanent failure with
/// OTLP's "do not retry" codes (HTTP 400, gRPC INVALID_ARGUMENT) and a transient one with the
/// retryable ones (HTTP 503, gRPC UNAVAILABLE); exporters and <c>retry</c> never retry a permanent one.
/// </summary>
public class PermanentFailureException : Exception
{
    /// <summary>Creates the exception.</summary>
    public PermanentFailureException(string message) : base(message) { }

    /// <summary>Creates the exception with its cause.</summary>
    public PermanentFailureException(string message, Exception innerException) : base(message, innerException) { }

    /// <summary>Creates the exception.</summary>
    public PermanentFailureException() : base("the data was refused and sending it again would not help") { }

    /// <summary>
    /// True when <paramref name="error"/> (or an exception it wraps: an inner exception or an
    /// aggregate's members) is a <see cref="PermanentFailureException"/>.
    /// </summary>
    public static bool IsPermanent(Exception? error)
    {
        for (var depth = 0; error is not null && depth < 16; depth++)
        {
            switch (error)
            {
                case PermanentFailureException:
                    return true;
                case AggregateException aggregate:
                    return aggregate.InnerExceptions.Count > 0 && aggregate.InnerExceptions.All(IsPermanent);
                default:
                    error = error.InnerException;
                    break;
            }
        }

        return false;
    }
}
