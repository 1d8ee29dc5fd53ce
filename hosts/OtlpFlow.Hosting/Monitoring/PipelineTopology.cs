using OtlpFlow.Engine.Operators;
using OtlpFlow.Engine.Pipeline;

namespace OtlpFlow.Hosting.Monitoring;

/// <summary>
/// A pipeline's graph for drawing: operators placed in layers by depth (a source in layer 0, every
/// other operator one layer after its deepest input) and one edge per input.
/// </summary>
public sealed class PipelineTopology
{
    /// <summary>The pipeline's name.</summary>
    public required string Name { get; init; }

    /// <summary>The operators, in file order.</summary>
    public required IReadOnlyList<TopologyNode> Nodes { get; init; }

    /// <summary>One edge per declared input.</summary>
    public required IReadOnlyList<TopologyEdge> Edges { get; init; }

    /// <summary>The number of layers (the longest path, in operators).</summary>
    public int Layers => Nodes.Count == 0 ? 0 : Nodes.Max(n => n.Layer) + 1;

    /// <summary>Reads the topology of a built pipeline; <paramref name="spec"/> gives its edges.</summary>
    public static PipelineTopology From(PipelineSpec spec, RunningPipeline pipeline)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(pipeline);
        var inputs = spec.Operators.ToDictionary(o => o.Id, o => o.Inputs, StringComparer.Ordinal);
        var layers = new Dictionary<string, int>(StringComparer.Ordinal);

        // A built pipeline has no cycle (validation refuses them), so the recursion ends.
        int Layer(string id)
        {
            if (layers.TryGetValue(id, out var known))
            {
                return known;
            }

            var ins = inputs.TryGetValue(id, out var list) ? list : [];
            var layer = ins.Count == 0 ? 0 : ins.Max(i => Layer(i.OperatorId)) + 1;
            layers[id] = layer;
            return layer;
        }

        var rows = new Dictionary<int, int>();
        var nodes = new List<TopologyNode>();
        foreach (var id in pipeline.OperatorIds)
        {
            var op = pipeline.Operators[id];
            var layer = Layer(id);
            rows[layer] = rows.TryGetValue(layer, out var r) ? r + 1 : 1;
            nodes.Add(new TopologyNode(id, op.Context.Type, KindName(op.Kind), layer, rows[layer] - 1));
        }

        var edges = spec.Operators
            .SelectMany(o => o.Inputs.Select(i => new TopologyEdge(i.OperatorId, o.Id, i.Port)))
            .ToArray();
        return new PipelineTopology { Name = pipeline.Name, Nodes = nodes, Edges = edges };
    }

    /// <summary>The kind as pipeline files and reports write it: <c>source</c>, <c>processor</c> or <c>sink</c>.</summary>
    public static string KindName(OperatorKind kind) => kind switch
    {
        OperatorKind.Source => "source",
        OperatorKind.Sink => "sink",
        _ => "processor",
    };
}
