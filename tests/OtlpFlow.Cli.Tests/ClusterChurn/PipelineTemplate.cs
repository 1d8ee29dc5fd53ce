using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace OtlpFlow.Cli.Tests.ClusterChurn;

/// <summary>
/// A pipeline file with <c>{{NAME}}</c> placeholders (<c>back.json</c>, <c>front.json</c> next to
/// this class), so that the configuration under test changes without touching C#.
/// </summary>
internal sealed partial class PipelineTemplate
{
    private readonly string _text;

    private PipelineTemplate(string path, string text)
    {
        Path = path;
        _text = text;
    }

    /// <summary>The template file.</summary>
    public string Path { get; }

    /// <summary>Reads a template file.</summary>
    public static PipelineTemplate Load(string path) => new(path, File.ReadAllText(path));

    /// <summary>The file with every placeholder replaced; a placeholder left without a value is an error.</summary>
    public string Render(IReadOnlyDictionary<string, string> values)
    {
        var text = Placeholder().Replace(_text, match => values.TryGetValue(match.Groups[1].Value, out var value)
            ? value
            : throw new InvalidOperationException($"{Path}: no value for the placeholder {match.Value}"));
        _ = JsonNode.Parse(text); // fails here, naming the JSON error, rather than in a child process
        return text;
    }

    /// <summary>
    /// The <c>decisionWait</c> of the first <c>sampling.tail</c> operator of the rendered file
    /// (default 30 s, as the operator's): the runner subtracts it from a member's first write.
    /// </summary>
    public static TimeSpan DecisionWait(string rendered) =>
        OperatorDuration(rendered, "sampling.tail", "decisionWait", TimeSpan.FromSeconds(30))
            ?? throw new InvalidOperationException("the back pipeline has no 'sampling.tail' operator");

    /// <summary>The <c>window</c> of the back pipeline's <c>loadbalancing.handoff</c> (its default, 5 s, when not set; zero without one).</summary>
    public static TimeSpan HandoffWindow(string rendered) =>
        OperatorDuration(rendered, "loadbalancing.handoff", "window", TimeSpan.FromSeconds(5)) ?? TimeSpan.Zero;

    /// <summary>The duration <paramref name="key"/> of the first operator of <paramref name="type"/> (<paramref name="fallback"/> when unset); null without such an operator.</summary>
    private static TimeSpan? OperatorDuration(string rendered, string type, string key, TimeSpan fallback)
    {
        var operators = JsonNode.Parse(rendered)?["operators"]?.AsObject()
            ?? throw new InvalidOperationException("the pipeline has no 'operators'");
        foreach (var (_, node) in operators)
        {
            if (node?["type"]?.GetValue<string>() == type)
            {
                return node[key]?.GetValue<string>() is { } text ? ParseDuration(text) : fallback;
            }
        }

        return null;
    }

    /// <summary>"250ms", "2s", "1m" or "1h".</summary>
    private static TimeSpan ParseDuration(string text)
    {
        var match = Duration().Match(text.Trim());
        if (!match.Success)
        {
            throw new FormatException($"'{text}' is not a duration like \"2s\"");
        }

        var amount = double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
        return match.Groups[2].Value switch
        {
            "ms" => TimeSpan.FromMilliseconds(amount),
            "s" => TimeSpan.FromSeconds(amount),
            "m" => TimeSpan.FromMinutes(amount),
            _ => TimeSpan.FromHours(amount),
        };
    }

    [GeneratedRegex(@"\{\{([A-Z_]+)\}\}")]
    private static partial Regex Placeholder();

    [GeneratedRegex(@"^([0-9]+(?:\.[0-9]+)?)(ms|s|m|h)$")]
    private static partial Regex Duration();
}
