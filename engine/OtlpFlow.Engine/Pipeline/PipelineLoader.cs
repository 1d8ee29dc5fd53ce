using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using OtlpFlow.Engine.Options;

namespace OtlpFlow.Engine.Pipeline;

/// <summary>
/// Reads pipeline files into a <see cref="PipelineSpec"/>. Only a JSON syntax error stops it; every
/// other problem is collected in <see cref="PipelineSpec.Problems"/> so that validation can report
/// all of them at once.
/// </summary>
public static partial class PipelineLoader
{
    /// <summary>Input capacity in batches when neither the operator nor <c>defaults</c> give one.</summary>
    public const int DefaultCapacity = 64;

    /// <summary>How long a stop drains by default.</summary>
    public static readonly TimeSpan DefaultDrainTimeout = TimeSpan.FromSeconds(30);

    /// <summary>Keys every operator may have; all others are the operator's options.</summary>
    public static readonly IReadOnlySet<string> ReservedKeys = new HashSet<string>(StringComparer.Ordinal)
    {
        "type", "inputs", "capacity", "parallelism", "ordered", "scheduler",
    };

    // "expect" holds the expectations of a perf graph (minimum throughput, drop ratio): `otlpflow perf`
    // reads and checks it, every other command ignores it.
    private static readonly string[] TopLevelKeys = ["$schema", "name", "defaults", "memoryLimit", "drainTimeout", "plugins", "telemetry", "expect", "coordination", "operators"];

    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_-]*$")]
    private static partial Regex IdPattern();

    /// <summary>Reads a pipeline file.</summary>
    /// <exception cref="PipelineValidationException">The file is not valid JSON (with the position).</exception>
    /// <exception cref="FileNotFoundException">There is no such file.</exception>
    public static PipelineSpec LoadFile(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var bytes = File.ReadAllBytes(path);
        return Parse(bytes, path);
    }

    /// <summary>Reads pipeline JSON text.</summary>
    public static PipelineSpec Parse(string json, string? filePath = null) => Parse(Encoding.UTF8.GetBytes(json), filePath);

    /// <summary>Reads pipeline JSON from UTF-8 bytes.</summary>
    /// <exception cref="PipelineValidationException">The text is not valid JSON (with the position).</exception>
    public static PipelineSpec Parse(byte[] utf8Json, string? filePath = null)
    {
        ArgumentNullException.ThrowIfNull(utf8Json);
        if (FirstInvalidUtf8(utf8Json) is int bad)
        {
            var line = 1 + utf8Json.AsSpan(0, bad).Count((byte)'\n');
            var column = 1 + bad - (utf8Json.AsSpan(0, bad).LastIndexOf((byte)'\n') + 1);
            throw new PipelineValidationException([new PipelineError(filePath, line, column, null, "$", $"not valid UTF-8: byte 0x{utf8Json[bad]:X2} at offset {bad} (save the file as UTF-8)")]);
        }

        var positions = JsonPositionMap.Build(utf8Json);
        JsonNode? root;
        try
        {
            root = JsonNode.Parse(utf8Json, documentOptions: new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        }
        catch (JsonException ex)
        {
            var line = (int)(ex.LineNumber ?? 0) + 1;
            var column = (int)(ex.BytePositionInLine ?? 0) + 1;
            var message = ex.Message;
            var cut = message.IndexOf(" LineNumber:", StringComparison.Ordinal);
            throw new PipelineValidationException([new PipelineError(filePath, line, column, null, "$", "not valid JSON: " + (cut > 0 ? message[..cut] : message))]);
        }

        var problems = new List<PipelineError>();
        var secrets = new HashSet<string>(StringComparer.Ordinal);
        var spec = new PipelineSpec { Name = "pipeline", FilePath = filePath, Positions = positions, Secrets = secrets };
        void Problem(string? id, string path, string message) => problems.Add(spec.Error(id, path, message));

        if (root is not JsonObject top)
        {
            Problem(null, "$", "a pipeline file must be a JSON object with an \"operators\" object");
            return With(spec, problems);
        }

        var baseDirectory = filePath is null ? Environment.CurrentDirectory : Path.GetDirectoryName(Path.GetFullPath(filePath))!;
        ConfigSubstitution.Apply(top, baseDirectory, Environment.GetEnvironmentVariable, (path, message) => Problem(OperatorOf(path), path, message), secrets);

        foreach (var (key, _) in top)
        {
            if (!TopLevelKeys.Contains(key))
            {
                var hint = NameSuggester.Nearest(key, TopLevelKeys);
                Problem(null, "$." + key, $"unknown key '{key}'" + (hint is null ? $" (known keys: {string.Join(", ", TopLevelKeys)})" : $"; did you mean '{hint}'?"));
            }
        }

        var name = top["name"] is JsonValue n && n.TryGetValue<string>(out var s) ? s
            : filePath is null ? "pipeline" : Path.GetFileNameWithoutExtension(filePath);
        var defaultCapacity = DefaultCapacity;
        var defaultParallelism = 1;
        if (top["defaults"] is JsonObject defaults)
        {
            foreach (var (key, value) in defaults)
            {
                switch (key)
                {
                    case "capacity": defaultCapacity = PositiveInt(value, "$.defaults.capacity", null) ?? defaultCapacity; break;
                    case "parallelism": defaultParallelism = PositiveInt(value, "$.defaults.parallelism", null) ?? defaultParallelism; break;
                    default: Problem(null, "$.defaults." + key, $"unknown default '{key}' (known: capacity, parallelism)"); break;
                }
            }
        }
        else if (top["defaults"] is not null)
        {
            Problem(null, "$.defaults", "'defaults' must be an object such as { \"capacity\": 64 }");
        }

        long memoryLimit = 0;
        if (top["memoryLimit"] is { } limitNode)
        {
            if (limitNode is JsonValue lv && lv.TryGetValue<string>(out var text) && ByteSize.TryParse(text, out var size))
            {
                memoryLimit = size.Bytes;
            }
            else if (limitNode is JsonValue nv && nv.TryGetValue<long>(out var bytes) && bytes >= 0)
            {
                memoryLimit = bytes;
            }
            else
            {
                Problem(null, "$.memoryLimit", $"'memoryLimit' must be a size like \"256MiB\", got {limitNode.ToJsonString()}");
            }
        }

        var drainTimeout = DefaultDrainTimeout;
        if (top["drainTimeout"] is { } drainNode)
        {
            if (drainNode is JsonValue dv && dv.TryGetValue<string>(out var text) && Duration.TryParse(text, out var d))
            {
                drainTimeout = d;
            }
            else
            {
                Problem(null, "$.drainTimeout", $"'drainTimeout' must be a duration like \"30s\", got {drainNode.ToJsonString()}");
            }
        }

        var plugins = new List<string>();
        if (top["plugins"] is JsonArray pluginArray)
        {
            for (var i = 0; i < pluginArray.Count; i++)
            {
                if (pluginArray[i] is JsonValue pv && pv.TryGetValue<string>(out var plugin))
                {
                    plugins.Add(plugin);
                }
                else
                {
                    Problem(null, $"$.plugins[{i}]", "a plugin must be the path of an assembly (a string)");
                }
            }
        }
        else if (top["plugins"] is not null)
        {
            Problem(null, "$.plugins", "'plugins' must be a list of assembly paths");
        }

        // "coordination" (etcd, Redis) is read by the coordination operators and the host, never by
        // the engine: it is kept as raw JSON here.
        JsonObject? coordination = null;
        if (top["coordination"] is JsonObject coordinationObject)
        {
            coordination = (JsonObject)coordinationObject.DeepClone();
        }
        else if (top["coordination"] is not null)
        {
            Problem(null, "$.coordination", "'coordination' must be an object such as { \"etcd\": { \"endpoints\": [\"http://127.0.0.1:2379\"] } }");
        }

        PipelineTelemetryOptions? telemetry = null;
        if (top["telemetry"] is JsonObject telemetryObject)
        {
            var optionErrors = new List<OptionError>();
            telemetry = (PipelineTelemetryOptions?)OptionsBinder.Bind(typeof(PipelineTelemetryOptions), telemetryObject, optionErrors);
            foreach (var error in optionErrors)
            {
                var key = error.Key.Length == 0 ? "$.telemetry" : "$.telemetry." + error.Key;
                Problem(null, key, $"'telemetry{(error.Key.Length == 0 ? string.Empty : "." + error.Key)}' {error.Message}");
            }
        }
        else if (top["telemetry"] is not null)
        {
            Problem(null, "$.telemetry", "'telemetry' must be an object such as { \"prometheus\": { \"address\": \"127.0.0.1:9464\" } }");
        }

        var operators = new List<OperatorSpec>();
        if (top["operators"] is JsonObject ops)
        {
            foreach (var (id, node) in ops)
            {
                var path = "$.operators." + id;
                if (!IdPattern().IsMatch(id))
                {
                    Problem(id, path, "an operator id must start with a letter or '_' and hold only letters, digits, '_' and '-' (no dots: a dot separates an id from a port)");
                }

                if (node is not JsonObject op)
                {
                    Problem(id, path, "an operator must be an object with a \"type\"");
                    continue;
                }

                if (op["type"] is not JsonValue tv || !tv.TryGetValue<string>(out var type) || type.Length == 0)
                {
                    Problem(id, op["type"] is null ? path : path + ".type", "'type' is required and must be a string naming an operator type (see `otlpflow operators`)");
                    continue;
                }

                var inputs = new List<InputRef>();
                if (op["inputs"] is JsonArray inputArray)
                {
                    for (var i = 0; i < inputArray.Count; i++)
                    {
                        if (inputArray[i] is JsonValue iv && iv.TryGetValue<string>(out var input) && input.Length > 0)
                        {
                            inputs.Add(InputRef.Parse(input));
                        }
                        else
                        {
                            Problem(id, $"{path}.inputs[{i}]", "an input must be a string: \"id\" or \"id.port\"");
                        }
                    }
                }
                else if (op["inputs"] is JsonValue single && single.TryGetValue<string>(out var one))
                {
                    Problem(id, path + ".inputs", $"'inputs' must be a list: [\"{one}\"]");
                }
                else if (op["inputs"] is not null)
                {
                    Problem(id, path + ".inputs", "'inputs' must be a list of \"id\" or \"id.port\" strings");
                }

                var options = new JsonObject();
                foreach (var (key, value) in op)
                {
                    if (!ReservedKeys.Contains(key))
                    {
                        options[key] = value?.DeepClone();
                    }
                }

                bool? ordered = null;
                if (op["ordered"] is { } orderedNode)
                {
                    if (orderedNode is JsonValue ov && ov.TryGetValue<bool>(out var b))
                    {
                        ordered = b;
                    }
                    else
                    {
                        Problem(id, path + ".ordered", "'ordered' must be true or false");
                    }
                }

                string? scheduler = null;
                if (op["scheduler"] is { } schedulerNode)
                {
                    if (schedulerNode is JsonValue sv && sv.TryGetValue<string>(out var schedulerName) && schedulerName.Length > 0)
                    {
                        scheduler = schedulerName;
                    }
                    else
                    {
                        Problem(id, path + ".scheduler", "'scheduler' must be the name of a registered task scheduler, such as \"workStealing\"");
                    }
                }

                operators.Add(new OperatorSpec
                {
                    Id = id,
                    Type = type,
                    Inputs = inputs,
                    Capacity = op["capacity"] is { } c ? PositiveInt(c, path + ".capacity", id) : null,
                    Parallelism = op["parallelism"] is { } p ? PositiveInt(p, path + ".parallelism", id) : null,
                    Ordered = ordered,
                    Scheduler = scheduler,
                    Options = options,
                });
            }
        }
        else
        {
            Problem(null, top["operators"] is null ? "$" : "$.operators", "a pipeline needs an \"operators\" object mapping ids to operators");
        }

        return new PipelineSpec
        {
            Name = name,
            FilePath = filePath,
            DefaultCapacity = defaultCapacity,
            DefaultParallelism = defaultParallelism,
            MemoryLimitBytes = memoryLimit,
            DrainTimeout = drainTimeout,
            Plugins = plugins,
            Telemetry = telemetry,
            Coordination = coordination,
            Operators = operators,
            Positions = positions,
            Problems = problems,
            Secrets = secrets,
        };

        int? PositiveInt(JsonNode? value, string path, string? id)
        {
            if (value is JsonValue v && v.TryGetValue<int>(out var i) && i > 0)
            {
                return i;
            }

            Problem(id, path, $"'{path[(path.LastIndexOf('.') + 1)..]}' must be a whole number above 0, got {value?.ToJsonString() ?? "null"}");
            return null;
        }
    }

    private static PipelineSpec With(PipelineSpec spec, List<PipelineError> problems) => new()
    {
        Name = spec.Name,
        FilePath = spec.FilePath,
        Positions = spec.Positions,
        Problems = problems,
        Secrets = spec.Secrets,
    };

    /// <summary>The operator id in a JSON path under <c>$.operators</c>, else null.</summary>
    private static string? OperatorOf(string path)
    {
        const string Prefix = "$.operators.";
        if (!path.StartsWith(Prefix, StringComparison.Ordinal))
        {
            return null;
        }

        var rest = path[Prefix.Length..];
        var end = rest.IndexOfAny(['.', '[']);
        return end < 0 ? rest : rest[..end];
    }

    /// <summary>The offset of the first byte that is not part of valid UTF-8, or null when all is valid.</summary>
    private static int? FirstInvalidUtf8(byte[] utf8)
    {
        if (System.Text.Unicode.Utf8.IsValid(utf8))
        {
            return null;
        }

        var chars = new char[utf8.Length];
        System.Text.Unicode.Utf8.ToUtf16(utf8, chars, out var read, out _, replaceInvalidSequences: false);
        return read;
    }
}
