using Microsoft.Extensions.DependencyInjection;
using OtlpFlow.Engine.Operators;
using OtlpFlow.Engine.Telemetry;

namespace OtlpFlow.Operators.Debugging;

/// <summary>
/// The <c>debug</c> sink: prints every batch to the console, from one line per batch to every field
/// of every item, as the OpenTelemetry Collector's debug exporter does. Each batch's text is
/// written in one call under a lock, so batches written in parallel never interleave their lines.
/// </summary>
[Operator("debug", Options = typeof(DebugOptions), Description = "Prints the data it receives to the console, at basic, normal or detailed verbosity.",
    Example = """{ "verbosity": "basic" }""")]
public sealed class DebugOperator : SinkOperator
{
    private readonly Lock _gate = new();
    private readonly TextWriter _writer;
    private readonly DebugVerbosity _verbosity;

    /// <summary>Creates the sink writing to <see cref="Console.Out"/>.</summary>
    [ActivatorUtilitiesConstructor]
    public DebugOperator(DebugOptions options, OperatorContext context)
        : this(options, context, Console.Out)
    {
    }

    /// <summary>Creates the sink writing to <paramref name="writer"/> (for tests and embedding).</summary>
    public DebugOperator(DebugOptions options, OperatorContext context, TextWriter writer)
        : base(context)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(writer);
        if (!Enum.IsDefined(options.Verbosity))
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.Verbosity, "'verbosity' must be basic, normal or detailed.");
        }

        _verbosity = options.Verbosity;
        _writer = writer;
    }

    /// <inheritdoc />
    public override ValueTask WriteAsync(TelemetryBatch batch, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);

        // Formatting happens outside the lock: only the write itself is serialised.
        var text = DebugFormatter.Format(batch, _verbosity, Context.Id);
        lock (_gate)
        {
            _writer.Write(text);
        }

        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public override ValueTask FlushAsync(CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            _writer.Flush();
        }

        return ValueTask.CompletedTask;
    }
}
