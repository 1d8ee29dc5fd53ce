using Microsoft.Extensions.Logging;

namespace OtlpFlow.Engine.Pipeline;

/// <summary>
/// Loggers whose messages and exceptions have the pipeline's secrets (values that came from
/// <c>${env:...}</c> or <c>${file:...}</c>) replaced by <c>***</c> before any provider sees them.
/// </summary>
internal sealed class RedactingLoggerFactory(ILoggerFactory inner, PipelineSpec spec) : ILoggerFactory
{
    public ILogger CreateLogger(string categoryName) => new Logger(inner.CreateLogger(categoryName), spec);

    public void AddProvider(ILoggerProvider provider) => inner.AddProvider(provider);

    // The inner factory belongs to the host; this wrapper owns nothing.
    public void Dispose()
    {
    }

    private sealed class Logger(ILogger inner, PipelineSpec spec) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => inner.BeginScope(state);

        public bool IsEnabled(LogLevel logLevel) => inner.IsEnabled(logLevel);

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var redacted = exception is not null && spec.Redact(exception.ToString()) is var text && text != exception.ToString()
                ? new RedactedException(text)
                : exception;
            inner.Log(logLevel, eventId, state, redacted, (s, e) => spec.Redact(formatter(s, exception)));
        }
    }

    /// <summary>Stands in for an exception whose text held a secret: the redacted text, type and stack included.</summary>
    private sealed class RedactedException(string text) : Exception(text)
    {
        public override string ToString() => Message;
    }
}
