using System.Text;
using System.Text.RegularExpressions;
using OtlpFlow.Engine.Operators;
using OtlpFlow.Engine.Pipeline;

namespace OtlpFlow.Cli.Output;

/// <summary>A pipeline's topology as declared: operators, and an edge per input.</summary>
internal sealed partial class PipelineGraph
{
    // Words that end or restructure a Mermaid flowchart when used as a node id.
    private static readonly HashSet<string> MermaidKeywords = new(StringComparer.OrdinalIgnoreCase)
    {
        "end", "graph", "flowchart", "subgraph", "style", "classDef", "class", "click", "linkStyle", "direction", "default",
    };

    private PipelineGraph(string name, IReadOnlyList<(string Id, string Label)> nodes, IReadOnlyList<(string From, string To, string Port)> edges)
    {
        Name = name;
        Nodes = nodes;
        Edges = edges;
    }

    /// <summary>The pipeline's name.</summary>
    public string Name { get; }

    /// <summary>Operators in file order, labelled <c>id (type)</c>; inputs naming no operator appear as <c>id (undefined)</c>.</summary>
    public IReadOnlyList<(string Id, string Label)> Nodes { get; }

    /// <summary>One edge per input, with the upstream port.</summary>
    public IReadOnlyList<(string From, string To, string Port)> Edges { get; }

    /// <summary>Reads the graph from a spec.</summary>
    public static PipelineGraph From(PipelineSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var nodes = spec.Operators.Select(o => (o.Id, $"{o.Id} ({o.Type})")).ToList();
        var known = spec.Operators.Select(o => o.Id).ToHashSet(StringComparer.Ordinal);
        var edges = new List<(string, string, string)>();
        foreach (var op in spec.Operators)
        {
            foreach (var input in op.Inputs)
            {
                if (known.Add(input.OperatorId))
                {
                    nodes.Add((input.OperatorId, $"{input.OperatorId} (undefined)"));
                }

                edges.Add((input.OperatorId, op.Id, input.Port));
            }
        }

        return new PipelineGraph(spec.Name, nodes, edges);
    }

    /// <summary>A Mermaid flowchart, left to right.</summary>
    public string ToMermaid()
    {
        var ids = MermaidIds();
        var text = new StringBuilder();
        text.Append("flowchart LR\n");
        foreach (var (id, label) in Nodes)
        {
            text.Append($"    {ids[id]}[\"{MermaidText(label)}\"]\n");
        }

        foreach (var (from, to, port) in Edges)
        {
            text.Append(port == IOperatorOutput.DefaultPort
                ? $"    {ids[from]} --> {ids[to]}\n"
                : $"    {ids[from]} -->|{MermaidEdgeText(port)}| {ids[to]}\n");
        }

        return text.ToString();
    }

    /// <summary>A Graphviz digraph, left to right, with boxes.</summary>
    public string ToDot()
    {
        var text = new StringBuilder();
        text.Append($"digraph {DotString(Name)} {{\n");
        text.Append("    rankdir=LR;\n");
        text.Append("    node [shape=box];\n");
        foreach (var (id, label) in Nodes)
        {
            text.Append($"    {DotString(id)} [label={DotString(label)}];\n");
        }

        foreach (var (from, to, port) in Edges)
        {
            text.Append(port == IOperatorOutput.DefaultPort
                ? $"    {DotString(from)} -> {DotString(to)};\n"
                : $"    {DotString(from)} -> {DotString(to)} [label={DotString(port)}];\n");
        }

        text.Append("}\n");
        return text.ToString();
    }

    /// <summary>
    /// Operator ids as Mermaid node ids: kept when Mermaid reads them as plain names, otherwise made
    /// safe (a '-' could read as part of an arrow, "end" closes a block) and kept distinct.
    /// </summary>
    private Dictionary<string, string> MermaidIds()
    {
        var ids = new Dictionary<string, string>(StringComparer.Ordinal);
        var used = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (id, _) in Nodes)
        {
            var safe = UnsafeMermaidChars().Replace(id, "_");
            if (safe.Length == 0 || !char.IsAsciiLetter(safe[0]) || MermaidKeywords.Contains(safe))
            {
                safe = "op_" + safe;
            }

            var candidate = safe;
            for (var n = 2; !used.Add(candidate); n++)
            {
                candidate = $"{safe}_{n}";
            }

            ids[id] = candidate;
        }

        return ids;
    }

    // A port name of plain characters reads as is; anything else is quoted.
    private static string MermaidEdgeText(string port) =>
        PlainPort().IsMatch(port) ? port : $"\"{MermaidText(port)}\"";

    // Mermaid labels are quoted; a quote inside is written as an entity.
    private static string MermaidText(string text) => text.Replace("\"", "#quot;", StringComparison.Ordinal);

    private static string DotString(string text) =>
        "\"" + text.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";

    [GeneratedRegex("^[A-Za-z0-9_-]+$")]
    private static partial Regex PlainPort();

    [GeneratedRegex("[^A-Za-z0-9_]")]
    private static partial Regex UnsafeMermaidChars();
}
