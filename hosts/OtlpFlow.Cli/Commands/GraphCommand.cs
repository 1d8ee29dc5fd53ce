using System.CommandLine;
using OtlpFlow.Cli.Output;

namespace OtlpFlow.Cli.Commands;

/// <summary>
/// <c>otlpflow graph &lt;file&gt; [--format mermaid|dot]</c>: prints the pipeline's topology as a
/// Mermaid flowchart or a Graphviz digraph. Draws the file as written, even when it would not
/// validate, so a drawing can help find the problem.
/// </summary>
internal static class GraphCommand
{
    /// <summary>The Mermaid format's name.</summary>
    public const string Mermaid = "mermaid";

    /// <summary>The Graphviz format's name.</summary>
    public const string Dot = "dot";

    /// <summary>The command's syntax.</summary>
    public static Command Create(CliEnvironment environment)
    {
        var file = new Argument<string>("file") { Description = "The pipeline file (JSON)." };
        var format = new Option<string>("--format", "-f")
        {
            Description = "mermaid (for Markdown) or dot (for Graphviz).",
            DefaultValueFactory = _ => Mermaid,
        };
        format.AcceptOnlyFromAmong(Mermaid, Dot);
        var command = new Command("graph", "Print a pipeline's operators and edges as a Mermaid or Graphviz graph.")
        {
            file,
            format,
        };
        command.SetAction(parse => Execute(parse.GetValue(file)!, parse.GetValue(format) ?? Mermaid, environment));
        return command;
    }

    /// <summary>Prints the graph of <paramref name="path"/>; returns 0, or 2 when the file cannot be read.</summary>
    public static int Execute(string path, string format, CliEnvironment environment)
    {
        ArgumentNullException.ThrowIfNull(environment);
        if (PipelineFiles.TryLoad(path, environment.Error) is not { } spec)
        {
            return ExitCodes.Invalid;
        }

        var graph = PipelineGraph.From(spec);
        environment.Out.Write(format == Dot ? graph.ToDot() : graph.ToMermaid());
        return ExitCodes.Success;
    }
}
