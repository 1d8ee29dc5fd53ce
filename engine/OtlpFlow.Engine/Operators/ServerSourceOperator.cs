namespace OtlpFlow.Engine.Operators;

/// <summary>
/// A source fed by a server (an OTLP receiver, an Arrow Flight endpoint): it binds in
/// <see cref="OperatorBase.StartAsync"/>, its request handlers send data through the output the
/// engine hands over in <see cref="Accept"/>, and when the pipeline stops it stops accepting in
/// <see cref="StopAcceptingAsync"/>, where requests in progress finish. Nothing is emitted after
/// that returns: the engine then completes the source and the graph drains behind it.
/// </summary>
public abstract class ServerSourceOperator : SourceOperator
{
    /// <summary>Creates the source.</summary>
    protected ServerSourceOperator(OperatorContext context) : base(context) { }

    /// <summary>Runs until the pipeline stops: hands the output over, waits, then stops accepting.</summary>
    public sealed override async Task RunAsync(IOperatorOutput output, CancellationToken stopToken)
    {
        ArgumentNullException.ThrowIfNull(output);
        Accept(output);
        try
        {
            await Task.Delay(Timeout.Infinite, stopToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Stopping: close below.
        }

        await StopAcceptingAsync().ConfigureAwait(false);
    }

    /// <summary>
    /// Data may flow from now on: request handlers send through <paramref name="output"/> (safe from
    /// any thread; each send waits for room downstream). Until this is called, handlers should
    /// answer that the pipeline is not ready.
    /// </summary>
    protected abstract void Accept(IOperatorOutput output);

    /// <summary>
    /// Stops taking requests, lets those in progress finish (within the operator's own deadline),
    /// and refuses whatever is still around; no send may happen after it returns.
    /// </summary>
    protected abstract Task StopAcceptingAsync();
}
