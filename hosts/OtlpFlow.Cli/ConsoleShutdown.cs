using System.Runtime.InteropServices;

namespace OtlpFlow.Cli;

/// <summary>
/// Turns the first Ctrl+C or SIGTERM into a cancellation (the run then drains gracefully); a second
/// one is left to the default handling, which ends the process at once.
/// </summary>
internal sealed class ConsoleShutdown : IDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly CliEnvironment _environment;
    private readonly PosixSignalRegistration[] _registrations;

    /// <summary>Starts listening for SIGINT and SIGTERM.</summary>
    public ConsoleShutdown(CliEnvironment environment)
    {
        _environment = environment;
        _registrations =
        [
            PosixSignalRegistration.Create(PosixSignal.SIGINT, Handle),
            PosixSignalRegistration.Create(PosixSignal.SIGTERM, Handle),
        ];
    }

    /// <summary>Cancelled by the first signal.</summary>
    public CancellationToken Token => _stop.Token;

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var registration in _registrations)
        {
            registration.Dispose();
        }

        _stop.Dispose();
    }

    private void Handle(PosixSignalContext context)
    {
        if (_stop.IsCancellationRequested)
        {
            return;
        }

        context.Cancel = true;
        var newLine = _environment.IsTerminal ? Environment.NewLine : string.Empty;
        _environment.Error.WriteLine($"{newLine}stopping: draining in-flight data (press Ctrl+C again to quit at once)");
        _stop.Cancel();
    }
}
