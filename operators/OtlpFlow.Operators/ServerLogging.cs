using Microsoft.Extensions.Logging;

namespace OtlpFlow.Operators;

/// <summary>
/// Sends what a receiver's web server (Kestrel, ASP.NET Core hosting) logs at warning and above
/// to the operator's logger, so that a failure the server answers by itself (a reset stream, a
/// request body arriving too slowly) shows in the pipeline's log with the operator that saw it.
/// </summary>
internal sealed class ServerLogging(ILogger operatorLogger) : ILoggerProvider
{
    public ILogger CreateLogger(string categoryName) => new Forwarder(operatorLogger);

    public void Dispose()
    {
    }

    private sealed class Forwarder(ILogger inner) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => inner.BeginScope(state);

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Warning && inner.IsEnabled(logLevel);

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel))
            {
                inner.Log(logLevel, eventId, state, exception, formatter);
            }
        }
    }
}
