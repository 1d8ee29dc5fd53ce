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
/// <see cref="OperatorFaultException"/> stops the pipeline (guarantee 4).
/// </summary>
public sealed class NestedStage : IAsyncDisposable
{
    private readonly OperatorContext _parent;

    private NestedStage(OperatorContext parent, ProcessorOperator stage)
    {
        _parent = parent;
        Operator = stage;
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

    /// <summary>Starts the stage (from the parent's <c>StartAsync</c>).</summary>
    public Task StartAsync(CancellationToken cancellationToken)
    {
        Operator.Context.Ports = _parent.Ports;
        return Operator.StartAsync(cancellationToken);
    }

    /// <summary>Runs the stage on one batch, with the guarantees above; it returns when the call and its sends are done.</summary>
    /// <exception cref="InvalidOperationException">The parent is not running in a pipeline.</exception>
    public Task ProcessAsync(TelemetryBatch batch, CancellationToken cancellationToken) =>
        ParentNode.RunNestedAsync(Operator, batch, cancellationToken);

    /// <summary>Lets the stage emit what it holds (from the parent's <c>FlushAsync</c>).</summary>
    public Task FlushAsync(CancellationToken cancellationToken) => ParentNode.FlushNestedAsync(Operator, cancellationToken);

    /// <inheritdoc />
    public ValueTask DisposeAsync() => Operator.DisposeAsync();

    private Pipeline.OperatorNode ParentNode =>
        _parent.Node ?? throw new InvalidOperationException($"operator '{_parent.Id}': a nested stage runs only inside a running pipeline");
}
