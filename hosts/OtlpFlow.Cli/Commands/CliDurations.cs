using System.CommandLine.Parsing;
using OtlpFlow.Engine.Options;

namespace OtlpFlow.Cli.Commands;

/// <summary>Reads duration options (<c>--duration 5s</c>) the way pipeline files write durations.</summary>
internal static class CliDurations
{
    /// <summary>A System.CommandLine parser for a <see cref="TimeSpan"/> option.</summary>
    public static TimeSpan? Parse(ArgumentResult result)
    {
        var text = result.Tokens.Count > 0 ? result.Tokens[0].Value : string.Empty;
        if (Duration.TryParse(text, out var value))
        {
            return value;
        }

        result.AddError($"'{text}' is not a duration: use a number and a unit, like \"500ms\", \"5s\" or \"2m\"");
        return null;
    }
}
