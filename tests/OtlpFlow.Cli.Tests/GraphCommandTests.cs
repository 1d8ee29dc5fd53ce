namespace OtlpFlow.Cli.Tests;

public sealed class GraphCommandTests : IDisposable
{
    private readonly TestCli _cli = new();
    private readonly string _path;

    public GraphCommandTests() => _path = _cli.Write("""
        {
          "name": "g",
          "operators": {
            "src": { "type": "test.spans" },
            "route": { "type": "test.pass", "inputs": ["src"] },
            "end": { "type": "test.null", "inputs": ["route", "route.dropped"] },
            "my-sink": { "type": "test.null", "inputs": ["src"] }
          }
        }
        """);

    public void Dispose() => _cli.Dispose();

    [Fact]
    public async Task Mermaid_is_the_default_with_nodes_labelled_id_and_type_and_non_default_ports_on_edges()
    {
        var exit = await _cli.RunAsync("graph", _path);

        Assert.Equal(0, exit);
        Assert.Equal(
            """
            flowchart LR
                src["src (test.spans)"]
                route["route (test.pass)"]
                op_end["end (test.null)"]
                my_sink["my-sink (test.null)"]
                src --> route
                route --> op_end
                route -->|dropped| op_end
                src --> my_sink

            """.ReplaceLineEndings("\n"),
            _cli.Out.ToString());
    }

    [Fact]
    public async Task Dot_output_is_a_left_to_right_digraph_with_port_labels()
    {
        var exit = await _cli.RunAsync("graph", _path, "--format", "dot");

        Assert.Equal(0, exit);
        Assert.Equal(
            """
            digraph "g" {
                rankdir=LR;
                node [shape=box];
                "src" [label="src (test.spans)"];
                "route" [label="route (test.pass)"];
                "end" [label="end (test.null)"];
                "my-sink" [label="my-sink (test.null)"];
                "src" -> "route";
                "route" -> "end";
                "route" -> "end" [label="dropped"];
                "src" -> "my-sink";
            }

            """.ReplaceLineEndings("\n"),
            _cli.Out.ToString());
    }

    [Fact]
    public async Task An_input_naming_no_operator_is_drawn_as_undefined()
    {
        var path = _cli.Write("""{ "operators": { "sink": { "type": "test.null", "inputs": ["ghost"] } } }""", "dangling.json");

        var exit = await _cli.RunAsync("graph", path);

        Assert.Equal(0, exit);
        Assert.Contains("ghost[\"ghost (undefined)\"]", _cli.Out.ToString(), StringComparison.Ordinal);
        Assert.Contains("ghost --> sink", _cli.Out.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unknown_format_is_refused()
    {
        var exit = await _cli.RunAsync("graph", _path, "--format", "svg");

        Assert.NotEqual(0, exit);
        Assert.Contains("Argument 'svg' not recognized", _cli.Error.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("flowchart", _cli.Out.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_file_that_is_not_json_exits_2()
    {
        var path = _cli.Write("{ \"operators\": ", "broken.json");

        var exit = await _cli.RunAsync("graph", path);

        Assert.Equal(2, exit);
        Assert.Contains("not valid JSON", Assert.Single(_cli.ErrorLines), StringComparison.Ordinal);
    }
}
