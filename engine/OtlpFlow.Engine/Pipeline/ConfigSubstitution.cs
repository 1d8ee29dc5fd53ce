using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace OtlpFlow.Engine.Pipeline;

/// <summary>
/// <c>${env:NAME}</c>, <c>${env:NAME:-default}</c> and <c>${file:path}</c> in the string values of a
/// pipeline file, as the OpenTelemetry Collector offers: secrets (tokens, passwords, key paths) come
/// from the environment or a file instead of being written into the pipeline. <c>$${</c> writes a
/// literal <c>${</c>. A value that is one reference and nothing else takes the type of what it
/// resolves to when that is a JSON number or <c>true</c>/<c>false</c>, so <c>"rate": "${env:RATE}"</c>
/// works for numeric options. Every resolved value is remembered as a secret and redacted wherever
/// the pipeline's errors and logs are shown (<see cref="PipelineSpec.Redact"/>).
/// </summary>
internal static class ConfigSubstitution
{
    /// <summary>The most a <c>${file:...}</c> reference reads: secrets are small.</summary>
    private const long MaxFileBytes = 1024 * 1024;

    /// <summary>Resolves every reference under <paramref name="root"/> in place.</summary>
    /// <param name="root">The parsed pipeline.</param>
    /// <param name="baseDirectory">Where relative <c>${file:...}</c> paths start.</param>
    /// <param name="environment">Reads an environment variable (tests pass their own).</param>
    /// <param name="problem">Reports a reference that cannot be resolved, at its JSON path.</param>
    /// <param name="secrets">Receives every resolved value.</param>
    public static void Apply(JsonNode root, string baseDirectory, Func<string, string?> environment, Action<string, string> problem, ISet<string> secrets)
    {
        switch (root)
        {
            case JsonObject obj:
                List<(string Key, JsonNode? Value)>? changes = null;
                foreach (var (key, value) in obj)
                {
                    if (value is JsonValue leaf && Resolve(leaf, baseDirectory, environment, problem, secrets) is { } resolved)
                    {
                        (changes ??= []).Add((key, resolved));
                    }
                    else if (value is not null)
                    {
                        Apply(value, baseDirectory, environment, problem, secrets);
                    }
                }

                foreach (var (key, value) in changes ?? [])
                {
                    obj[key] = value;
                }

                break;
            case JsonArray array:
                for (var i = 0; i < array.Count; i++)
                {
                    if (array[i] is JsonValue leaf && Resolve(leaf, baseDirectory, environment, problem, secrets) is { } resolved)
                    {
                        array[i] = resolved;
                    }
                    else if (array[i] is { } item)
                    {
                        Apply(item, baseDirectory, environment, problem, secrets);
                    }
                }

                break;
        }
    }

    /// <summary>The value with its references resolved; null when it has none (or is not a string).</summary>
    private static JsonNode? Resolve(JsonValue value, string baseDirectory, Func<string, string?> environment, Action<string, string> problem, ISet<string> secrets)
    {
        if (value.GetValueKind() != JsonValueKind.String || !value.TryGetValue<string>(out var text) || !text.Contains("${", StringComparison.Ordinal))
        {
            return null;
        }

        var path = value.GetPath();
        var output = new StringBuilder(text.Length);
        var references = 0;
        string? single = null;
        var i = 0;
        while (i < text.Length)
        {
            if (text.AsSpan(i).StartsWith("$${", StringComparison.Ordinal))
            {
                output.Append("${");
                i += 3;
                continue;
            }

            if (!text.AsSpan(i).StartsWith("${", StringComparison.Ordinal))
            {
                output.Append(text[i++]);
                continue;
            }

            var end = text.IndexOf('}', i + 2);
            if (end < 0)
            {
                problem(path, $"'{Shorten(text)}' has a '${{' without its closing '}}' (write '$${{' for a literal '${{')");
                return null;
            }

            var reference = text[(i + 2)..end];
            var resolved = Lookup(reference, baseDirectory, environment, out var error);
            if (resolved is null)
            {
                problem(path, error!);
                return null;
            }

            if (resolved.Length > 0)
            {
                secrets.Add(resolved);
            }

            references++;
            single = i == 0 && end == text.Length - 1 ? resolved : null;
            output.Append(resolved);
            i = end + 1;
        }

        if (references == 1 && single is not null && Typed(single) is { } typed)
        {
            return typed;
        }

        return JsonValue.Create(output.ToString());
    }

    private static string? Lookup(string reference, string baseDirectory, Func<string, string?> environment, out string? error)
    {
        error = null;
        if (reference.StartsWith("env:", StringComparison.Ordinal))
        {
            var spec = reference[4..];
            var cut = spec.IndexOf(":-", StringComparison.Ordinal);
            var name = cut < 0 ? spec : spec[..cut];
            if (name.Length == 0)
            {
                error = "'${env:}' names no environment variable";
                return null;
            }

            var value = environment(name);
            if (!string.IsNullOrEmpty(value))
            {
                return value;
            }

            if (cut >= 0)
            {
                return spec[(cut + 2)..];
            }

            error = $"the environment variable '{name}' is not set (referenced as '${{env:{name}}}'; give a default with '${{env:{name}:-value}}')";
            return null;
        }

        if (reference.StartsWith("file:", StringComparison.Ordinal))
        {
            var file = reference[5..];
            var full = Path.GetFullPath(file, baseDirectory);
            try
            {
                var info = new FileInfo(full);
                if (!info.Exists)
                {
                    error = $"'${{file:{file}}}': no such file ({full})";
                    return null;
                }

                if (info.Length > MaxFileBytes)
                {
                    error = $"'${{file:{file}}}': the file is {info.Length} bytes; a referenced file may hold at most 1 MiB";
                    return null;
                }

                // A trailing line break is how most tools write a one-line secret; it is not part of it.
                return File.ReadAllText(full).TrimEnd('\r', '\n');
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                error = $"'${{file:{file}}}' cannot be read: {ex.Message}";
                return null;
            }
        }

        error = $"unknown reference '${{{reference}}}': use '${{env:NAME}}' or '${{file:path}}' (write '$${{' for a literal '${{')";
        return null;
    }

    private static JsonNode? Typed(string text)
    {
        if (text is "true" or "false")
        {
            return JsonValue.Create(text == "true");
        }

        if (text.Length > 0 && (char.IsAsciiDigit(text[0]) || text[0] == '-'))
        {
            try
            {
                return JsonNode.Parse(text) is JsonValue number && number.GetValueKind() == JsonValueKind.Number ? number : null;
            }
            catch (JsonException)
            {
                return null;
            }
        }

        return null;
    }

    private static string Shorten(string text) => text.Length <= 40 ? text : text[..40] + "...";
}
