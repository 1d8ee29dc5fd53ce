using System.Reflection;

namespace OtlpFlow.Engine.Pipeline;

/// <summary>An exception's message with the messages of its inner exceptions, for one-line error reports.</summary>
internal static class ExceptionText
{
    /// <summary>
    /// "outer ---> inner ---> innermost": every message of the chain, skipping wrappers that say
    /// nothing of their own (reflection's invocation wrapper, an aggregate of one) and repeats.
    /// </summary>
    public static string Chain(Exception exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        var messages = new List<string>();
        for (Exception? e = exception; e is not null; e = e.InnerException)
        {
            var wrapper = e is TargetInvocationException or AggregateException { InnerExceptions.Count: 1 };
            var says = !wrapper || e.InnerException is null;
            if (says && !string.IsNullOrWhiteSpace(e.Message) && (messages.Count == 0 || messages[^1] != e.Message))
            {
                messages.Add(e.Message);
            }
        }

        return string.Join(" ---> ", messages);
    }
}
