using System.Collections;
using System.ComponentModel.DataAnnotations;
using System.Reflection;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using OtlpFlow.Engine.Operators;
using OtlpFlow.Engine.Options;
using OtlpFlow.Engine.Pipeline;

namespace OtlpFlow.Cli.Schema;

/// <summary>
/// Generates the JSON Schema (draft 2020-12) of pipeline files from an operator registry: the
/// pipeline-level keys, and for each operator type its reserved keys and options (types, defaults,
/// enums, ranges, descriptions), selected by its <c>"type"</c>. Unknown keys are refused, as the
/// loader refuses them. Output is deterministic, so a committed copy can be checked for staleness.
/// </summary>
internal sealed class PipelineSchemaGenerator
{
    /// <summary>Where the generated schema is committed, relative to the repository root.</summary>
    public const string DefaultPath = "schema/otlpflow.schema.json";

    private const string IdPattern = "^[A-Za-z_][A-Za-z0-9_-]*$";
    private const string InputPattern = "^[A-Za-z_][A-Za-z0-9_-]*(\\.[A-Za-z0-9_-]+)?$";

    private static readonly JsonSerializerOptions Indented = new()
    {
        WriteIndented = true,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    private readonly OperatorRegistry _registry;
    private readonly OptionsCatalog _catalog;
    private readonly SortedDictionary<string, JsonNode> _defs = new(StringComparer.Ordinal);
    private readonly Dictionary<Type, string> _defNames = [];

    /// <summary>Creates a generator over <paramref name="registry"/>'s operators.</summary>
    public PipelineSchemaGenerator(OperatorRegistry registry, OptionsCatalog catalog)
    {
        _registry = registry;
        _catalog = catalog;
    }

    /// <summary>The schema as text: indented, LF line endings, a final newline.</summary>
    public static string ToText(JsonNode schema) => schema.ToJsonString(Indented).ReplaceLineEndings("\n") + "\n";

    /// <summary>Builds the schema.</summary>
    public JsonObject Generate()
    {
        var operators = _registry.Operators.OrderBy(d => d.Type, StringComparer.Ordinal).ToList();
        var typeNames = new JsonArray(operators.Select(d => (JsonNode)d.Type).ToArray());

        _defs["duration"] = new JsonObject
        {
            ["type"] = "string",
            ["pattern"] = "^(0|([0-9]+(\\.[0-9]+)?(ns|us|µs|ms|s|m|h|d))+)$",
            ["description"] = "A duration: a number and a unit (ns, us, ms, s, m, h, d), possibly several: \"250ms\", \"10s\", \"1m30s\".",
        };
        _defs["size"] = new JsonObject
        {
            ["anyOf"] = new JsonArray(
                new JsonObject { ["type"] = "string", ["pattern"] = "^\\s*[0-9]+(\\.[0-9]+)?\\s*(B|KiB|MiB|GiB|TiB|KB|kB|MB|GB|TB)?\\s*$" },
                new JsonObject { ["type"] = "integer", ["minimum"] = 0 }),
            ["description"] = "A size in bytes: \"64KiB\", \"16MiB\", \"1GiB\", \"500MB\" or a whole number of bytes.",
        };
        _defs["inputs"] = new JsonObject
        {
            ["type"] = "array",
            ["items"] = new JsonObject { ["type"] = "string", ["pattern"] = InputPattern },
            ["description"] = "Where the operator's data comes from: \"id\" (that operator's \"out\" port) or \"id.port\" (a named port, or \"id.dropped\").",
        };

        var anyOf = new JsonArray();
        foreach (var descriptor in operators)
        {
            _defs["operator:" + descriptor.Type] = OperatorSchema(descriptor);
            anyOf.Add(new JsonObject
            {
                ["if"] = new JsonObject
                {
                    ["properties"] = new JsonObject { ["type"] = new JsonObject { ["const"] = descriptor.Type } },
                    ["required"] = new JsonArray("type"),
                },
                ["then"] = Ref("operator:" + descriptor.Type),
            });
        }

        _defs["operator"] = new JsonObject
        {
            ["type"] = "object",
            ["description"] = "An operator: its \"type\", its \"inputs\", the reserved keys and the options of its type.",
            ["required"] = new JsonArray("type"),
            ["properties"] = new JsonObject
            {
                ["type"] = new JsonObject { ["enum"] = typeNames.DeepClone(), ["description"] = "The operator type (see `otlpflow operators` and docs/operators.md)." },
            },
            ["allOf"] = anyOf,
        };

        // An operator type a plugin brings is unknown here: with "plugins", any other type name is
        // accepted with any keys, and the engine checks it when it loads the plugin.
        _defs["pluginOperator"] = new JsonObject
        {
            ["type"] = "object",
            ["required"] = new JsonArray("type"),
            ["properties"] = new JsonObject
            {
                ["type"] = new JsonObject { ["type"] = "string", ["not"] = new JsonObject { ["enum"] = typeNames.DeepClone() } },
                ["inputs"] = Ref("inputs"),
            },
        };

        var telemetry = TypeSchema(typeof(PipelineTelemetryOptions));
        var schema = new JsonObject
        {
            ["$schema"] = "https://json-schema.org/draft/2020-12/schema",
            ["title"] = "OtlpFlow pipeline",
            ["description"] = "A pipeline file of OtlpFlow. Generated by `otlpflow schema` from the registered operators; do not edit by hand.",
            ["type"] = "object",
            ["required"] = new JsonArray("operators"),
            ["additionalProperties"] = false,
            ["properties"] = new JsonObject
            {
                ["$schema"] = new JsonObject { ["type"] = "string", ["description"] = "The path or URL of this schema, for editors." },
                ["name"] = new JsonObject { ["type"] = "string", ["description"] = "The pipeline's name; default: the file's name without extension." },
                ["defaults"] = new JsonObject
                {
                    ["type"] = "object",
                    ["description"] = "Defaults for every operator.",
                    ["additionalProperties"] = false,
                    ["properties"] = new JsonObject
                    {
                        ["capacity"] = new JsonObject { ["type"] = "integer", ["minimum"] = 1, ["default"] = PipelineLoader.DefaultCapacity, ["description"] = "Input capacity of each operator, in batches." },
                        ["parallelism"] = new JsonObject { ["type"] = "integer", ["minimum"] = 1, ["default"] = 1, ["description"] = "Batches each operator processes at once." },
                    },
                },
                ["memoryLimit"] = WithDescription(Ref("size"), "The pipeline's memory budget: bytes in flight, and (times 1.5) the managed heap's growth a guard allows; past either, receivers refuse and generators wait. Default: no limit."),
                ["drainTimeout"] = WithDescription(Ref("duration"), "How long a stop may drain in-flight data.", Duration.Format(PipelineLoader.DefaultDrainTimeout)),
                ["plugins"] = new JsonObject
                {
                    ["type"] = "array",
                    ["items"] = new JsonObject { ["type"] = "string" },
                    ["description"] = "Paths of assemblies with more operators, relative to this file.",
                },
                ["telemetry"] = WithDescription(telemetry, _catalog.Description(typeof(PipelineTelemetryOptions))),
                ["coordination"] = new JsonObject
                {
                    ["type"] = "object",
                    ["description"] = "etcd (membership, leader, config) and Redis (shared limits and breakers) for a cluster of instances; see docs/deployment.md.",
                },
                ["expect"] = new JsonObject
                {
                    ["type"] = "object",
                    ["description"] = "What `otlpflow perf` checks after a run; other commands ignore it.",
                    ["properties"] = new JsonObject
                    {
                        ["minItemsPerSecond"] = new JsonObject { ["type"] = "number", ["minimum"] = 0, ["description"] = "The least items per second the generate sources must emit." },
                        ["maxDropRatio"] = new JsonObject { ["type"] = "number", ["minimum"] = 0, ["maximum"] = 1, ["description"] = "The largest share of generated items that may be dropped." },
                        ["maxP99Ms"] = new JsonObject { ["type"] = "number", ["minimum"] = 0, ["description"] = "The largest 99th-percentile end-to-end latency in milliseconds." },
                        ["maxPeakWorkingSet"] = WithDescription(Ref("size"), "The largest peak working set (resident memory, VmHWM on Linux) of the process."),
                        ["maxGcPauseRatio"] = new JsonObject { ["type"] = "number", ["minimum"] = 0, ["maximum"] = 1, ["description"] = "The largest share of the measured window the garbage collector may pause the process." },
                    },
                    ["additionalProperties"] = false,
                },
                ["operators"] = new JsonObject
                {
                    ["type"] = "object",
                    ["description"] = "The operators, by id.",
                    ["propertyNames"] = new JsonObject { ["pattern"] = IdPattern },
                },
            },
            ["if"] = new JsonObject
            {
                ["required"] = new JsonArray("plugins"),
                ["properties"] = new JsonObject { ["plugins"] = new JsonObject { ["minItems"] = 1 } },
            },
            ["then"] = new JsonObject
            {
                ["properties"] = new JsonObject
                {
                    ["operators"] = new JsonObject { ["additionalProperties"] = new JsonObject { ["anyOf"] = new JsonArray(Ref("operator"), Ref("pluginOperator")) } },
                },
            },
            ["else"] = new JsonObject
            {
                ["properties"] = new JsonObject
                {
                    ["operators"] = new JsonObject { ["additionalProperties"] = Ref("operator") },
                },
            },
        };

        var defs = new JsonObject();
        foreach (var (name, def) in _defs)
        {
            defs[name] = def;
        }

        schema["$defs"] = defs;
        return schema;
    }

    private JsonObject OperatorSchema(OperatorDescriptor descriptor)
    {
        var properties = new JsonObject
        {
            ["type"] = new JsonObject { ["const"] = descriptor.Type },
            ["inputs"] = Ref("inputs"),
            ["capacity"] = new JsonObject { ["type"] = "integer", ["minimum"] = 1, ["description"] = "Input capacity in batches; default: the pipeline's defaults.capacity." },
            ["parallelism"] = new JsonObject { ["type"] = "integer", ["minimum"] = 1, ["description"] = "Batches processed at once; default: the pipeline's defaults.parallelism." },
            ["ordered"] = new JsonObject { ["type"] = "boolean", ["default"] = true, ["description"] = "With parallelism above 1, keep arrival order." },
            ["scheduler"] = SchedulerSchema(),
        };
        var schema = new JsonObject
        {
            ["type"] = "object",
            ["description"] = $"{descriptor.Type} ({descriptor.Kind.ToString().ToLowerInvariant()})" + (string.IsNullOrWhiteSpace(descriptor.Description) ? string.Empty : ": " + descriptor.Description),
        };

        var required = new JsonArray("type");
        if (descriptor.OptionsType is { } optionsType)
        {
            foreach (var option in _catalog.Describe(optionsType))
            {
                if (PipelineLoader.ReservedKeys.Contains(option.Name))
                {
                    continue; // the engine takes reserved keys before the options see them
                }

                properties[option.Name] = PropertySchema(option);
                if (option.Required)
                {
                    required.Add(option.Name);
                }
            }
        }

        schema["properties"] = properties;
        schema["required"] = required;
        schema["additionalProperties"] = false;
        return schema;
    }

    private JsonObject SchedulerSchema()
    {
        var schedulers = _registry.Schedulers.Keys.Order(StringComparer.Ordinal).Select(n => (JsonNode)n).ToArray();
        var schema = new JsonObject { ["type"] = "string", ["description"] = "Run the operator's work on a registered task scheduler; default: the thread pool." };
        if (schedulers.Length > 0)
        {
            schema["enum"] = new JsonArray(schedulers);
        }

        return schema;
    }

    private JsonNode PropertySchema(OptionDescription option)
    {
        var property = option.Property;
        var schema = property.GetCustomAttribute<JsonConverterAttribute>() is not null
            ? new JsonObject() // a converter of its own decides what it reads; the description says what
            : TypeSchema(property.PropertyType);

        if (property.GetCustomAttribute<RangeAttribute>() is { } range && schema is JsonObject ranged && !ranged.ContainsKey("$ref"))
        {
            ranged["minimum"] = JsonValue.Create(Convert.ToDouble(range.Minimum, System.Globalization.CultureInfo.InvariantCulture));
            ranged["maximum"] = JsonValue.Create(Convert.ToDouble(range.Maximum, System.Globalization.CultureInfo.InvariantCulture));
        }

        return WithDescription(schema, option.Description, option.Default);
    }

    private JsonNode TypeSchema(Type type)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        if (type == typeof(string)) return new JsonObject { ["type"] = "string" };
        if (type == typeof(bool)) return new JsonObject { ["type"] = "boolean" };
        if (type == typeof(TimeSpan)) return Ref("duration");
        if (type == typeof(ByteSize)) return Ref("size");
        if (type == typeof(int) || type == typeof(long) || type == typeof(short) || type == typeof(byte))
        {
            return new JsonObject { ["type"] = "integer" };
        }

        if (type == typeof(uint) || type == typeof(ulong) || type == typeof(ushort))
        {
            return new JsonObject { ["type"] = "integer", ["minimum"] = 0 };
        }

        if (type == typeof(double) || type == typeof(float) || type == typeof(decimal)) return new JsonObject { ["type"] = "number" };
        if (type.IsEnum) return new JsonObject { ["enum"] = new JsonArray(EnumNames(type).Select(n => (JsonNode)n).ToArray()) };
        if (type == typeof(object) || typeof(JsonNode).IsAssignableFrom(type) || type == typeof(JsonElement)) return new JsonObject();
        if (type == typeof(Uri)) return new JsonObject { ["type"] = "string", ["format"] = "uri" };
        if (type == typeof(Guid) || type == typeof(DateTime) || type == typeof(DateTimeOffset)) return new JsonObject { ["type"] = "string" };

        if (DictionaryValueType(type) is { } valueType)
        {
            return new JsonObject { ["type"] = "object", ["additionalProperties"] = TypeSchema(valueType) };
        }

        if (type != typeof(string) && typeof(IEnumerable).IsAssignableFrom(type))
        {
            var element = type.IsArray ? type.GetElementType()! : type.GetInterfaces().Append(type)
                .FirstOrDefault(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IEnumerable<>))?.GetGenericArguments()[0];
            return element is null ? new JsonObject { ["type"] = "array" } : new JsonObject { ["type"] = "array", ["items"] = TypeSchema(element) };
        }

        if (type.Namespace?.StartsWith("System", StringComparison.Ordinal) == true)
        {
            return new JsonObject(); // a framework type this generator does not know: accept what the binder accepts
        }

        if (type.GetCustomAttribute<JsonConverterAttribute>() is not null)
        {
            // A class read by its own converter (a condition, a partition key) is written as a string
            // when it has no settable properties to read from an object.
            return OptionsBinder.Properties(type).Count == 0 ? new JsonObject { ["type"] = "string" } : new JsonObject();
        }

        return Ref(DefinitionFor(type));
    }

    private string DefinitionFor(Type type)
    {
        if (_defNames.TryGetValue(type, out var existing))
        {
            return existing;
        }

        var name = type.Name;
        if (_defs.ContainsKey(name) || _defNames.ContainsValue(name))
        {
            name = (type.FullName ?? type.Name).Replace('+', '.');
        }

        _defNames[type] = name;
        _defs[name] = new JsonObject(); // placeholder: a class may refer to itself
        _defs[name] = type.GetCustomAttribute<JsonPolymorphicAttribute>() is { } polymorphic
            ? PolymorphicSchema(type, polymorphic)
            : ObjectSchema(type, discriminator: null);
        return name;
    }

    private JsonObject ObjectSchema(Type type, (string Property, object Value)? discriminator)
    {
        var properties = new JsonObject();
        var required = new JsonArray();
        if (discriminator is { } d)
        {
            properties[d.Property] = new JsonObject { ["const"] = JsonValue.Create(d.Value.ToString()) };
            required.Add(d.Property);
        }

        foreach (var option in _catalog.Describe(type))
        {
            properties[option.Name] = PropertySchema(option);
            if (option.Required)
            {
                required.Add(option.Name);
            }
        }

        var schema = new JsonObject { ["type"] = "object" };
        if (_catalog.Description(type) is { } description)
        {
            schema["description"] = description;
        }

        schema["properties"] = properties;
        if (required.Count > 0)
        {
            schema["required"] = required;
        }

        schema["additionalProperties"] = false;
        return schema;
    }

    private JsonObject PolymorphicSchema(Type type, JsonPolymorphicAttribute polymorphic)
    {
        var property = polymorphic.TypeDiscriminatorPropertyName ?? "$type";
        var variants = new JsonArray();
        foreach (var derived in type.GetCustomAttributes<JsonDerivedTypeAttribute>().OrderBy(a => a.TypeDiscriminator?.ToString(), StringComparer.Ordinal))
        {
            variants.Add(derived.TypeDiscriminator is { } value ? ObjectSchema(derived.DerivedType, (property, value)) : ObjectSchema(derived.DerivedType, null));
        }

        var schema = new JsonObject();
        if (_catalog.Description(type) is { } description)
        {
            schema["description"] = description;
        }

        schema["oneOf"] = variants;
        return schema;
    }

    /// <summary>The names an enum's values are written with in pipeline files.</summary>
    public static IEnumerable<string> EnumNames(Type type) =>
        type.GetFields(BindingFlags.Public | BindingFlags.Static)
            .Select(f => f.GetCustomAttribute<JsonStringEnumMemberNameAttribute>()?.Name ?? JsonNamingPolicy.CamelCase.ConvertName(f.Name));

    private static Type? DictionaryValueType(Type type) =>
        type.GetInterfaces().Append(type)
            .FirstOrDefault(i => i.IsGenericType && (i.GetGenericTypeDefinition() == typeof(IDictionary<,>) || i.GetGenericTypeDefinition() == typeof(IReadOnlyDictionary<,>)))
            ?.GetGenericArguments()[1];

    private static JsonObject Ref(string name) => new() { ["$ref"] = "#/$defs/" + name };

    private static JsonNode WithDescription(JsonNode schema, string? description, JsonNode? defaultValue = null)
    {
        if (schema is not JsonObject obj)
        {
            return schema;
        }

        // Keywords beside a $ref apply together with it in draft 2020-12, so a reference can carry
        // its own description and default.
        if (!string.IsNullOrWhiteSpace(description))
        {
            obj["description"] = description;
        }

        if (defaultValue is not null)
        {
            obj["default"] = defaultValue.DeepClone();
        }

        return obj;
    }
}
