using System.Reflection;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using OtlpFlow.Engine.Operators;
using OtlpFlow.Engine.Options;
using OtlpFlow.Engine.Plugins;

namespace OtlpFlow.Engine.Pipeline;

/// <summary>
/// Turns a <see cref="PipelineSpec"/> into a <see cref="RunningPipeline"/>: binds each operator's
/// options, constructs the operators and links them. Reports every problem at once: unknown types,
/// bad options, missing or unknown inputs and ports, cycles and unreachable operators.
/// </summary>
public sealed class PipelineBuilder
{
    private readonly OperatorRegistry _registry;
    private readonly IServiceProvider _services;
    private readonly ILoggerFactory _loggerFactory;
    private readonly TimeProvider _timeProvider;

    /// <summary>Creates a builder over the given operator types and host services.</summary>
    public PipelineBuilder(OperatorRegistry registry, IServiceProvider? services = null, ILoggerFactory? loggerFactory = null, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(registry);
        _registry = registry;
        _services = services ?? NoServices.Instance;
        _loggerFactory = loggerFactory ?? NullLoggerFactory.Instance;
        _timeProvider = timeProvider ?? TimeProvider.System;
    }

    /// <summary>Every problem of <paramref name="spec"/>, or none when it would build.</summary>
    public IReadOnlyList<PipelineError> Validate(PipelineSpec spec)
    {
        var (pipeline, errors) = TryBuild(spec);
        if (pipeline is not null)
        {
            // Validation constructs operators without starting them; nothing to stop.
            pipeline.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }

        return errors;
    }

    /// <summary>Builds the pipeline, ready to start.</summary>
    /// <exception cref="PipelineValidationException">With every problem found.</exception>
    public RunningPipeline Build(PipelineSpec spec)
    {
        var (pipeline, errors) = TryBuild(spec);
        return errors.Count > 0 ? throw new PipelineValidationException(errors) : pipeline!;
    }

    private (RunningPipeline? Pipeline, List<PipelineError> Errors) TryBuild(PipelineSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var errors = new List<PipelineError>(spec.Problems);
        LoadPlugins(spec, errors);

        var loggers = spec.Secrets.Count > 0 ? new RedactingLoggerFactory(_loggerFactory, spec) : _loggerFactory;
        var pipeline = new RunningPipeline(spec, loggers.CreateLogger("OtlpFlow.Pipeline"), _timeProvider);
        var nodes = new Dictionary<string, OperatorNode>(StringComparer.Ordinal);
        foreach (var op in spec.Operators)
        {
            if (CreateNode(spec, pipeline, op, loggers, errors) is { } node)
            {
                nodes[op.Id] = node;
                pipeline.Add(node);
            }
        }

        var known = spec.Operators.Select(o => o.Id).ToArray();
        var edges = new List<(OperatorNode From, string Port, OperatorNode To, string Path)>();
        foreach (var op in spec.Operators)
        {
            if (!nodes.TryGetValue(op.Id, out var node))
            {
                continue;
            }

            var kind = node.Operator.Kind;
            if (kind == OperatorKind.Source && op.Inputs.Count > 0)
            {
                errors.Add(spec.Error(op.Id, op.JsonPath + ".inputs", $"'{op.Type}' is a source and takes no inputs"));
            }
            else if (kind != OperatorKind.Source && op.Inputs.Count == 0)
            {
                errors.Add(spec.Error(op.Id, op.JsonPath, $"'{op.Type}' needs at least one input: add \"inputs\": [\"<operator id>\"]"));
            }

            var seen = new HashSet<InputRef>();
            for (var i = 0; i < op.Inputs.Count; i++)
            {
                var input = op.Inputs[i];
                var path = $"{op.JsonPath}.inputs[{i}]";
                if (!seen.Add(input))
                {
                    errors.Add(spec.Error(op.Id, path, $"input '{input}' is listed twice"));
                    continue;
                }

                if (!nodes.TryGetValue(input.OperatorId, out var from))
                {
                    if (!known.Contains(input.OperatorId))
                    {
                        var hint = NameSuggester.Nearest(input.OperatorId, known.Where(k => k != op.Id));
                        errors.Add(spec.Error(op.Id, path, $"input '{input}' names no operator" + (hint is null ? string.Empty : $"; did you mean '{hint}'?")));
                    }

                    continue; // a known but broken operator already has its own error
                }

                var ports = from.Operator.OutputPorts.Append(IOperatorOutput.DroppedPort).ToArray();
                if (!ports.Contains(input.Port))
                {
                    var hint = NameSuggester.Nearest(input.Port, ports);
                    var what = from.Operator.Kind == OperatorKind.Sink && input.Port == IOperatorOutput.DefaultPort
                        ? $"'{input.OperatorId}' is a sink ({from.Spec.Type}) and has no output port 'out'"
                        : $"operator '{input.OperatorId}' has no port '{input.Port}' (ports: {string.Join(", ", ports)})" + (hint is null ? string.Empty : $"; did you mean '{input.OperatorId}.{hint}'?");
                    errors.Add(spec.Error(op.Id, path, what));
                    continue;
                }

                edges.Add((from, input.Port, node, path));
            }
        }

        CheckCycles(spec, nodes, edges, errors);
        if (errors.Count > 0)
        {
            pipeline.DisposeAsync().AsTask().GetAwaiter().GetResult();
            return (null, Sorted(errors));
        }

        foreach (var (from, port, to, _) in edges)
        {
            from.Link(port, to);
        }

        return (pipeline, errors);
    }

    private OperatorNode? CreateNode(PipelineSpec spec, RunningPipeline pipeline, OperatorSpec op, ILoggerFactory loggers, List<PipelineError> errors)
    {
        if (!_registry.TryGet(op.Type, out var descriptor))
        {
            var hint = NameSuggester.Nearest(op.Type, _registry.Operators.Select(d => d.Type));
            errors.Add(spec.Error(op.Id, op.JsonPath + ".type", $"unknown operator type '{op.Type}'" + (hint is null ? " (see `otlpflow operators`)" : $"; did you mean '{hint}'?")));
            return null;
        }

        object? options = null;
        if (descriptor.OptionsType is { } optionsType)
        {
            var optionErrors = new List<OptionError>();
            options = OptionsBinder.Bind(optionsType, op.Options, optionErrors);
            foreach (var e in optionErrors)
            {
                errors.Add(spec.Error(op.Id, $"{op.JsonPath}.{e.Key}", $"'{e.Key}' {e.Message}"));
            }

            if (options is null)
            {
                return null;
            }
        }
        else if (op.Options.Count > 0)
        {
            foreach (var (key, _) in op.Options)
            {
                errors.Add(spec.Error(op.Id, $"{op.JsonPath}.{key}", $"unknown option '{key}': '{op.Type}' takes no options"));
            }

            return null;
        }

        var context = new OperatorContext(
            op.Id,
            op.Type,
            loggers.CreateLogger($"OtlpFlow.Operator.{op.Id}"),
            pipeline.Metrics.Meter,
            _timeProvider,
            _services,
            pipeline.Memory,
            pipeline.StopToken)
        {
            Registry = _registry,
        };
        OperatorBase instance;
        try
        {
            instance = (OperatorBase)(options is null
                ? ActivatorUtilities.CreateInstance(_services, descriptor.OperatorType, context)
                : ActivatorUtilities.CreateInstance(_services, descriptor.OperatorType, options, context));
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // Whatever an operator's constructor throws is a problem with this operator's options,
            // reported with its location, never a stack trace.
            var cause = PluginLoadContext.Explain(descriptor.OperatorType, ex is TargetInvocationException { InnerException: { } inner } ? inner : ex);
            errors.Add(spec.Error(op.Id, op.JsonPath, cause is ArgumentException or InvalidOperationException or FormatException or PluginLoadException
                ? cause.Message
                : $"'{op.Type}' cannot be created from these options: {ExceptionText.Chain(cause)}"));
            return null;
        }

        TaskScheduler? scheduler = null;
        if (op.Scheduler is { } name)
        {
            if (!_registry.Schedulers.TryGetValue(name, out var schedulerType))
            {
                var hint = NameSuggester.Nearest(name, _registry.Schedulers.Keys);
                var known = _registry.Schedulers.Count == 0 ? "none is registered" : "registered: " + string.Join(", ", _registry.Schedulers.Keys);
                errors.Add(spec.Error(op.Id, op.JsonPath + ".scheduler", $"unknown scheduler '{name}'" + (hint is null ? $" ({known})" : $"; did you mean '{hint}'?")));
                return null;
            }

            scheduler = pipeline.Scheduler(name, () => (TaskScheduler)ActivatorUtilities.CreateInstance(_services, schedulerType));
        }

        return new OperatorNode(
            pipeline,
            op,
            instance,
            op.Capacity ?? spec.DefaultCapacity,
            op.Parallelism ?? spec.DefaultParallelism,
            op.Ordered ?? true,
            scheduler);
    }

    private static void CheckCycles(
        PipelineSpec spec,
        Dictionary<string, OperatorNode> nodes,
        List<(OperatorNode From, string Port, OperatorNode To, string Path)> edges,
        List<PipelineError> errors)
    {
        // Cycles are found on the declared inputs, not on the operators that could be built, so that
        // an option error in one operator does not hide a cycle through it.
        var known = spec.Operators.Select(o => o.Id).ToHashSet(StringComparer.Ordinal);
        var declared = spec.Operators
            .SelectMany(op => op.Inputs.Select((input, i) => (From: input.OperatorId, To: op.Id, Path: $"{op.JsonPath}.inputs[{i}]")))
            .Where(e => known.Contains(e.From))
            .DistinctBy(e => (e.From, e.To))
            .GroupBy(e => e.From, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.ToList(), StringComparer.Ordinal);
        var state = new Dictionary<string, int>(StringComparer.Ordinal); // 1 = on the current path, 2 = done
        var path = new List<string>();
        var inCycle = new HashSet<string>(StringComparer.Ordinal);

        void Visit(string id)
        {
            state[id] = 1;
            path.Add(id);
            foreach (var edge in declared.GetValueOrDefault(id) ?? [])
            {
                if (state.GetValueOrDefault(edge.To) == 1)
                {
                    var cycle = path.Skip(path.IndexOf(edge.To)).ToList();
                    inCycle.UnionWith(cycle);
                    var text = string.Join(" → ", cycle.Append(edge.To));
                    errors.Add(spec.Error(edge.To, edge.Path, $"cycle: {text} (data would circulate for ever)"));
                }
                else if (!state.ContainsKey(edge.To))
                {
                    Visit(edge.To);
                }
            }

            path.RemoveAt(path.Count - 1);
            state[id] = 2;
        }

        foreach (var op in spec.Operators)
        {
            if (!state.ContainsKey(op.Id))
            {
                Visit(op.Id);
            }
        }

        var next = edges.GroupBy(e => e.From).ToDictionary(g => g.Key, g => g.ToList());
        // Unreachable: no source feeds it. Operators in a cycle already have an error.
        var reached = new HashSet<OperatorNode>();
        var queue = new Queue<OperatorNode>(nodes.Values.Where(n => n.Operator.Kind == OperatorKind.Source));
        while (queue.TryDequeue(out var node))
        {
            if (reached.Add(node))
            {
                foreach (var edge in next.GetValueOrDefault(node) ?? [])
                {
                    queue.Enqueue(edge.To);
                }
            }
        }

        var fed = edges.Select(e => e.To).ToHashSet();
        foreach (var node in nodes.Values)
        {
            if (!reached.Contains(node) && !inCycle.Contains(node.Id) && fed.Contains(node))
            {
                errors.Add(spec.Error(node.Id, node.Spec.JsonPath, "unreachable: no source feeds this operator, so it would never receive data"));
            }
        }
    }

    private void LoadPlugins(PipelineSpec spec, List<PipelineError> errors)
    {
        for (var i = 0; i < spec.Plugins.Count; i++)
        {
            var plugin = spec.Plugins[i];
            var baseDir = spec.FilePath is null ? Environment.CurrentDirectory : Path.GetDirectoryName(Path.GetFullPath(spec.FilePath))!;
            var full = Path.GetFullPath(plugin, baseDir);
            try
            {
                // Each plugin in its own load context, its dependencies beside it (a path loaded before is reused).
                _registry.AddAssembly(PluginLoadContext.LoadPlugin(full));
            }
            catch (PluginLoadException ex)
            {
                errors.Add(spec.Error(null, $"$.plugins[{i}]", ex.Message));
            }
            catch (ArgumentException ex)
            {
                errors.Add(spec.Error(null, $"$.plugins[{i}]", $"plugin '{plugin}' could not be registered: {ex.Message}"));
            }
        }
    }

    private static List<PipelineError> Sorted(List<PipelineError> errors) =>
        errors.OrderBy(e => e.Line).ThenBy(e => e.Column).ToList();

    private sealed class NoServices : IServiceProvider
    {
        public static readonly NoServices Instance = new();

        public object? GetService(Type serviceType) => null;
    }
}
