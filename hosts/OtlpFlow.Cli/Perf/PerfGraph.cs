using System.Reflection;
using OtlpFlow.Engine.Operators;
using OtlpFlow.Engine.Pipeline;

namespace OtlpFlow.Cli.Perf;

/// <summary>Prepares a pipeline for a perf run: a <see cref="PerfProbe"/> after each <c>generate</c> source.</summary>
internal static class PerfGraph
{
    /// <summary>The type of the sources a perf run drives.</summary>
    public const string GeneratorType = "generate";

    /// <summary>
    /// A copy of <paramref name="spec"/> in which each <c>generate</c> source feeds a probe, and what
    /// read the source's <c>out</c> port reads the probe instead.
    /// </summary>
    public static PipelineSpec Instrument(PipelineSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var ids = spec.Operators.Select(o => o.Id).ToHashSet(StringComparer.Ordinal);
        var probes = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var generator in spec.Operators.Where(o => o.Type == GeneratorType))
        {
            var id = generator.Id + "_perf_probe";
            while (!ids.Add(id))
            {
                id += "_";
            }

            probes[generator.Id] = id;
        }

        var operators = new List<OperatorSpec>();
        foreach (var op in spec.Operators)
        {
            var inputs = op.Inputs
                .Select(i => i.Port == IOperatorOutput.DefaultPort && probes.TryGetValue(i.OperatorId, out var probe) ? new InputRef(probe, IOperatorOutput.DefaultPort) : i)
                .ToArray();
            operators.Add(CopyExcept(op, new OperatorSpec { Id = op.Id, Type = op.Type, Inputs = inputs }, nameof(OperatorSpec.Inputs)));
            if (probes.TryGetValue(op.Id, out var probeId))
            {
                operators.Add(new OperatorSpec
                {
                    Id = probeId,
                    Type = PerfProbe.TypeName,
                    Inputs = [new InputRef(op.Id, IOperatorOutput.DefaultPort)],

                    // No buffer of its own: a source held back by the graph then waits at the probe, and
                    // a batch's stamp is never far older than its entry into the graph proper.
                    Capacity = 1,
                    Parallelism = 1,
                });
            }
        }

        return WithOperators(spec, operators);
    }

    private static PipelineSpec WithOperators(PipelineSpec spec, IReadOnlyList<OperatorSpec> operators) =>
        CopyExcept(spec, new PipelineSpec { Name = spec.Name, Positions = spec.Positions, Operators = operators }, nameof(PipelineSpec.Operators));

    /// <summary>
    /// Copies every public property of <paramref name="from"/> to <paramref name="to"/> but one, by
    /// reflection, so that keys added to the pipeline format later are never lost in the copy.
    /// </summary>
    private static T CopyExcept<T>(T from, T to, string except)
        where T : class
    {
        foreach (var property in typeof(T).GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            if (property.CanRead && property.CanWrite && property.Name != except)
            {
                property.SetValue(to, property.GetValue(from));
            }
        }

        return to;
    }
}
