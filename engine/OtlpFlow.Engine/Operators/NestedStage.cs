using System.Reflection;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using OtlpFlow.Engine.Options;
using OtlpFlow.Engine.Telemetry;

namespace OtlpFlow.Engine.Operators;

/// <summary>
/// A processor that runs inside another operator (<c>schedule.workStealing</c> runs one per worker):
/// built from a JSON object as a pipeline file gives it (<c>{ "type": "...", ...options }</c>),
/// from every operator the pipeline knows (plugins included), and run with the engine's guarantees
/// for each call: its output is the parent's ports, the batches it owned are settled when the call
/// ends, and an exception fails that batch only (counted as the parent's error) while an
/// <see cref="OperatorFaultException"/> stops the pipeline (guarantee 4). A stage with ticks
/// (<see cref="ProcessorOperator.TickAsync"/>) gets them as any operator does: in turn with its own
/// calls, stopped before its flush, its emissions leaving through the parent's ports.
/// </summary>
public sealed class NestedStage : IAsyncDisposable
{
    private readonly OperatorContext _parent;
    private readonly SemaphoreSlim? _turn;
    private Pipeline.TickRunner? _ticks;

    private NestedStage(OperatorContext parent, ProcessorOperator stage)
    {
        _parent = parent;
        Operator = stage;
        _turn = stage.HasTicks ? new SemaphoreSlim(1, 1) : null;
    }

    /// <summary>The stage's operator.</summary>
    public ProcessorOperator Operator { get; }

    /// <summary>
    /// Builds a stage from <paramref name="spec"/> for the operator whose context is <paramref name="parent"/>.
    /// Call it from the parent's constructor: option errors then reach <c>otlpflow validate</c>.
    /// </summary>
    /// <param name="parent">The parent operator's context.</param>
    /// <param name="spec">The stage: <c>"type"</c> (a processor) and its options.</param>
    /// <param name="name">The stage's name within the parent (its id is <c>parent/name</c>).</param>
    /// <exception cref="ArgumentException">The type is unknown or not a processor, or its options are wrong (all errors in one message).</exception>
    public static NestedStage Create(OperatorContext parent, JsonObject spec, string name)
    {
        ArgumentNullException.ThrowIfNull(parent);
        ArgumentNullException.ThrowIfNull(spec);
        var type = spec["type"]?.GetValue<string>() ?? throw new ArgumentException($"operator '{parent.Id}': the stage needs a \"type\"");
        var registry = parent.Registry ?? parent.Services.GetService<OperatorRegistry>()
            ?? throw new InvalidOperationException($"operator '{parent.Id}': no operator registry to build the stage from");
        if (!registry.TryGet(type, out var descriptor))
        {
            var hint = NameSuggester.Nearest(type, registry.Operators.Select(o => o.Type));
            throw new ArgumentException($"operator '{parent.Id}': the stage's type '{type}' is unknown" + (hint is null ? string.Empty : $" (did you mean '{hint}'?)"));
        }

        if (descriptor.Kind != OperatorKind.Processor)
        {
            throw new ArgumentException($"operator '{parent.Id}': the stage must be a processor; '{type}' is a {descriptor.Kind.ToString().ToLowerInvariant()}");
        }

        var optionsJson = new JsonObject();
        foreach (var (key, value) in spec)
        {
            if (key != "type")
            {
                optionsJson[key] = value?.DeepClone();
            }
        }

        object? options = null;
        if (descriptor.OptionsType is { } optionsType)
        {
            var errors = new List<OptionError>();
            options = OptionsBinder.Bind(optionsType, optionsJson, errors);
            if (options is null)
            {
                throw new ArgumentException($"operator '{parent.Id}': stage '{type}': " + string.Join("; ", errors.Select(e => $"'{e.Key}' {e.Message}")));
            }
        }
        else if (optionsJson.Count > 0)
        {
            throw new ArgumentException($"operator '{parent.Id}': stage '{type}' takes no options");
        }

        var context = new OperatorContext($"{parent.Id}/{name}", type, parent.Logger, parent.Meter, parent.TimeProvider, parent.Services, parent.Memory, parent.StopToken)
        {
            Registry = registry,
        };
        try
        {
            var stage = (ProcessorOperator)(options is null
                ? ActivatorUtilities.CreateInstance(parent.Services, descriptor.OperatorType, context)
                : ActivatorUtilities.CreateInstance(parent.Services, descriptor.OperatorType, options, context));
            return new NestedStage(parent, stage);
        }
        catch (TargetInvocationException ex) when (ex.InnerException is { } inner)
        {
            throw new ArgumentException($"operator '{parent.Id}': stage '{type}': {inner.Message}", inner);
        }
    }

    /// <summary>Starts the stage (from the parent's <c>StartAsync</c>), and its ticks when it has any.</summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        Operator.Context.Ports = _parent.Ports;
        await Operator.StartAsync(cancellationToken).ConfigureAwait(false);
        if (_turn is not null && _parent.Node is { } node)
        {
            _ticks = Pipeline.TickRunner.Start(node, Operator, _turn, node.AbortToken);
        }
    }

    /// <summary>Runs the stage on one batch, with the guarantees above; it returns when the call and its sends are done.</summary>
    /// <exception cref="InvalidOperationException">The parent is not running in a pipeline.</exception>
    public async Task ProcessAsync(TelemetryBatch batch, CancellationToken cancellationToken)
    {
        var node = ParentNode;
        if (_turn is null)
        {
            await node.RunNestedAsync(Operator, batch, cancellationToken).ConfigureAwait(false);
            return;
        }

        await _turn.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await node.RunNestedAsync(Operator, batch, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _turn.Release();
        }
    }

    /// <summary>Stops the stage's ticks, then lets it emit what it holds (from the parent's <c>FlushAsync</c>).</summary>
    public async Task FlushAsync(CancellationToken cancellationToken)
    {
        if (_ticks is not null)
        {
            await _ticks.StopAsync().ConfigureAwait(false);
        }

        await ParentNode.FlushAsync(Operator, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (_ticks is not null)
        {
            await _ticks.StopAsync().ConfigureAwait(false);
        }

        await Operator.DisposeAsync().ConfigureAwait(false);
        _turn?.Dispose();
    }

    private Pipeline.OperatorNode ParentNode =>
        _parent.Node ?? throw new InvalidOperationException($"operator '{_parent.Id}': a nested stage runs only inside a running pipeline");
}
