using OtlpFlow.Engine.Operators;
using OtlpFlow.Engine.Telemetry;

namespace OtlpFlow.Cli.Perf;

/// <summary>
/// Placed by <c>otlpflow perf</c> right after each <c>generate</c> source. A batch of the
/// measurement window is passed on with one more acknowledgement tracker, whose settling (every part
/// of the batch delivered by a sink, refused or failed) ends the batch's end-to-end latency, counted
/// from the time the generator stamped on it. A batch made before the window passes untouched. A
/// batch made after it is held, which holds the source back while the window's batches settle, and
/// is refused (<see cref="PerfRecorder.AfterWindowReason"/>) once the run stops: so the stop never
/// has to drain a graph that loops back through its own receiver.
/// </summary>
internal sealed class PerfProbe : ProcessorOperator
{
    /// <summary>The type name it is registered under, for perf runs only.</summary>
    public const string TypeName = "perf.probe";

    private readonly PerfRecorder _recorder;
    private bool _pastWindow;

    /// <summary>Creates the probe; the perf run provides its <see cref="PerfRecorder"/> as a service.</summary>
    public PerfProbe(OperatorContext context)
        : base(context)
    {
        ArgumentNullException.ThrowIfNull(context);
        _recorder = context.Services.GetService(typeof(PerfRecorder)) as PerfRecorder
            ?? throw new InvalidOperationException($"operator '{context.Id}': '{TypeName}' runs only inside `otlpflow perf`");
        _recorder.AddProbe();
    }

    /// <inheritdoc />
    public override async ValueTask ProcessAsync(TelemetryBatch batch, IOperatorOutput output, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentNullException.ThrowIfNull(output);
        var stamp = batch.Context.ReceivedAt;
        var place = stamp == DateTimeOffset.UnixEpoch ? -1 : _recorder.Place(stamp);
        if (place < 0)
        {
            // Warm-up, or a source that stamps no time.
            await output.EmitAsync(batch, cancellationToken).ConfigureAwait(false);
            return;
        }

        if (place > 0)
        {
            if (!_pastWindow)
            {
                // The probe runs one batch at a time (parallelism 1), so this flag needs no lock.
                _pastWindow = true;
                _recorder.ProbePastWindow();
            }

            await _recorder.Released.WaitAsync(cancellationToken).ConfigureAwait(false);
            await output.DropAsync(batch, PerfRecorder.AfterWindowReason, cancellationToken).ConfigureAwait(false);
            return;
        }

        var settled = _recorder.Watch(stamp, batch.SizeBytes);
        var (watch, _) = Acknowledgement.Create(0, (_, _) => settled());

        // The batch keeps its own share (memory budget, the client's request) and gains the watch's.
        var share = Acknowledgement.Merge([batch.Ack.AddShare(), watch]);
        await output.EmitAsync(batch.WithAcknowledgement(share), cancellationToken).ConfigureAwait(false);
    }
}
