using System.Collections;
using System.ComponentModel.DataAnnotations;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace OtlpFlow.Engine.Options;

/// <summary>
/// Binds an operator's JSON keys to its options class and reports every problem at once: unknown
/// keys (with the nearest known one), values of the wrong type, missing required keys, and values
/// out of range (DataAnnotations attributes and <see cref="IValidatableObject"/>).
/// </summary>
public static class OptionsBinder
{
    /// <summary>The longest duration an option may hold: .NET timers measure at most 2^32 - 2 ms (about 49.7 days).</summary>
    private static readonly TimeSpan MaxDuration = TimeSpan.FromDays(49);

    /// <summary>The serializer settings for options: camelCase keys, durations, sizes, enums by name.</summary>
    public static JsonSerializerOptions SerializerOptions { get; } = CreateSerializerOptions();

    private static JsonSerializerOptions CreateSerializerOptions()
    {
        var options = new JsonSerializerOptions
        {
            PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
            UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
            ReadCommentHandling = JsonCommentHandling.Skip,
            AllowTrailingCommas = true,
            WriteIndented = false,
        };
        options.Converters.Add(new DurationJsonConverter());
        options.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.CamelCase, allowIntegerValues: false));
        options.MakeReadOnly(populateMissingResolver: true);
        return options;
    }

    /// <summary>Binds <paramref name="values"/> to a new <paramref name="optionsType"/>; null when there were errors.</summary>
    public static object? Bind(Type optionsType, JsonObject values, ICollection<OptionError> errors)
    {
        ArgumentNullException.ThrowIfNull(optionsType);
        ArgumentNullException.ThrowIfNull(values);
        ArgumentNullException.ThrowIfNull(errors);
        var before = errors.Count;
        CheckObject(optionsType, values, prefix: string.Empty, errors);
        if (errors.Count > before)
        {
            return null;
        }

        object? bound;
        try
        {
            bound = values.Deserialize(optionsType, SerializerOptions) ?? Activator.CreateInstance(optionsType);
        }
        catch (JsonException ex)
        {
            errors.Add(new OptionError(KeyFromPath(ex.Path), CleanMessage(ex.Message)));
            return null;
        }

        if (bound is not null)
        {
            Validate(bound, prefix: string.Empty, errors);
        }

        return errors.Count > before ? null : bound;
    }

    /// <summary>The JSON name of each settable property of an options class.</summary>
    public static IReadOnlyList<(string Name, PropertyInfo Property)> Properties(Type optionsType)
    {
        ArgumentNullException.ThrowIfNull(optionsType);
        var list = new List<(string, PropertyInfo)>();
        foreach (var property in optionsType.GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            if (property.SetMethod is null || !property.SetMethod.IsPublic || property.GetCustomAttribute<JsonIgnoreAttribute>() is not null)
            {
                continue;
            }

            list.Add((JsonName(property), property));
        }

        return list;
    }

    /// <summary>How a JSON value reads in a message: <c>10</c>, <c>"abc"</c>, <c>true</c>, <c>an object</c>.</summary>
    public static string Describe(ref Utf8JsonReader reader) => reader.TokenType switch
    {
        JsonTokenType.String => $"\"{reader.GetString()}\"",
        JsonTokenType.Number => System.Text.Encoding.UTF8.GetString(reader.ValueSpan),
        JsonTokenType.True => "true",
        JsonTokenType.False => "false",
        JsonTokenType.Null => "null",
        JsonTokenType.StartObject => "an object",
        JsonTokenType.StartArray => "a list",
        _ => reader.TokenType.ToString(),
    };

    /// <summary>A friendly name of what a property expects: <c>an integer</c>, <c>a duration like "10s"</c>, <c>one of a, b</c>.</summary>
    public static string Expectation(Type type)
    {
        ArgumentNullException.ThrowIfNull(type);
        type = Nullable.GetUnderlyingType(type) ?? type;
        if (type == typeof(string)) return "a string";
        if (type == typeof(bool)) return "true or false";
        if (type == typeof(TimeSpan)) return "a duration like \"10s\"";
        if (type == typeof(ByteSize)) return "a size like \"64MiB\"";
        if (type == typeof(int) || type == typeof(long) || type == typeof(short) || type == typeof(uint) || type == typeof(ulong)) return "an integer";
        if (type == typeof(double) || type == typeof(float) || type == typeof(decimal)) return "a number";
        if (type.IsEnum) return "one of " + string.Join(", ", Enum.GetNames(type).Select(n => $"\"{JsonNamingPolicy.CamelCase.ConvertName(n)}\""));
        if (IsDictionary(type)) return "an object";
        if (typeof(IEnumerable).IsAssignableFrom(type)) return "a list";
        return "an object";
    }

    private static void CheckObject(Type type, JsonObject values, string prefix, ICollection<OptionError> errors)
    {
        if (type.GetCustomAttribute<JsonPolymorphicAttribute>() is not null)
        {
            return; // the serializer dispatches on the discriminator and reports its own errors
        }

        var properties = Properties(type);
        foreach (var (key, value) in values)
        {
            var match = properties.FirstOrDefault(p => p.Name == key);
            if (match.Property is null)
            {
                var suggestion = NameSuggester.Nearest(key, properties.Select(p => p.Name));
                var known = properties.Count == 0 ? "this operator takes no options" : "known options: " + string.Join(", ", properties.Select(p => p.Name));
                errors.Add(new OptionError(prefix + key, suggestion is null
                    ? $"unknown option ({known})"
                    : $"unknown option; did you mean '{suggestion}'?"));
                continue;
            }

            CheckValue(match.Property.PropertyType, value, prefix + key, errors);
        }

        foreach (var (name, property) in properties)
        {
            var required = property.GetCustomAttribute<RequiredAttribute>() is not null
                || property.GetCustomAttribute<System.Runtime.CompilerServices.RequiredMemberAttribute>() is not null;
            if (required && !values.ContainsKey(name))
            {
                errors.Add(new OptionError(prefix + name, "is required"));
            }
        }
    }

    private static void CheckValue(Type type, JsonNode? value, string key, ICollection<OptionError> errors)
    {
        var nested = Nullable.GetUnderlyingType(type) ?? type;
        if (value is JsonObject obj && IsOptionsClass(nested))
        {
            CheckObject(nested, obj, key + ".", errors);
            return;
        }

        if (value is JsonArray array && ElementType(nested) is { } element && IsOptionsClass(element))
        {
            for (var i = 0; i < array.Count; i++)
            {
                if (array[i] is JsonObject item)
                {
                    CheckObject(element, item, $"{key}[{i}].", errors);
                }
            }

            return;
        }

        try
        {
            _ = value.Deserialize(type, SerializerOptions);
        }
        catch (JsonException ex)
        {
            var inner = KeyFromPath(ex.Path);
            var fullKey = inner.Length == 0 ? key : inner.StartsWith('[') ? key + inner : $"{key}.{inner}";
            var message = CleanMessage(ex.Message);
            if (message.StartsWith("The JSON value could not be converted", StringComparison.Ordinal) || message.Contains("could not be converted", StringComparison.Ordinal))
            {
                message = $"must be {Expectation(type)}, got {value?.ToJsonString() ?? "null"}";
            }

            errors.Add(new OptionError(fullKey, message));
        }
        catch (InvalidOperationException ex)
        {
            errors.Add(new OptionError(key, ex.Message));
        }
    }

    private static void Validate(object options, string prefix, ICollection<OptionError> errors)
    {
        var before = errors.Count;
        var nullability = new NullabilityInfoContext();
        foreach (var (name, property) in Properties(options.GetType()))
        {
            var value = property.GetValue(options);
            if (value is null && !property.PropertyType.IsValueType && nullability.Create(property).WriteState == NullabilityState.NotNull)
            {
                errors.Add(new OptionError(prefix + name, $"must be {Expectation(property.PropertyType)}, got null"));
                continue;
            }

            if (value is TimeSpan span && span > MaxDuration)
            {
                errors.Add(new OptionError(prefix + name, $"must be at most 49d (the longest wait a timer can measure), got {span.TotalHours:0.#}h"));
            }

            foreach (var attribute in property.GetCustomAttributes<ValidationAttribute>())
            {
                if (attribute is RequiredAttribute)
                {
                    // Present (checked while binding) is not enough: "" is no file, no endpoint, no key.
                    if (value is string text && string.IsNullOrWhiteSpace(text))
                    {
                        errors.Add(new OptionError(prefix + name, "must not be empty"));
                    }

                    continue;
                }

                if (attribute.IsValid(value))
                {
                    continue;
                }

                var message = attribute switch
                {
                    RangeAttribute range => $"must be between {range.Minimum} and {range.Maximum}, got {value}",
                    _ => attribute.ErrorMessage ?? attribute.FormatErrorMessage(name),
                };
                errors.Add(new OptionError(prefix + name, message));
            }

            if (value is not null && IsOptionsClass(value.GetType()))
            {
                Validate(value, $"{prefix}{name}.", errors);
            }
            else if (value is IEnumerable items and not string && ElementType(value.GetType()) is { } element && IsOptionsClass(element))
            {
                var index = 0;
                foreach (var item in items)
                {
                    if (item is not null)
                    {
                        Validate(item, $"{prefix}{name}[{index}].", errors);
                    }
                    else
                    {
                        errors.Add(new OptionError($"{prefix}{name}[{index}]", $"must be {Expectation(element)}, got null"));
                    }

                    index++;
                }
            }
        }

        if (options is IValidatableObject validatable)
        {
            try
            {
                foreach (var result in validatable.Validate(new ValidationContext(options)))
                {
                    var member = result.MemberNames.FirstOrDefault();
                    var key = member is null ? prefix.TrimEnd('.') : prefix + JsonNamingPolicy.CamelCase.ConvertName(member);
                    var error = new OptionError(key, result.ErrorMessage ?? "is not valid");
                    if (!errors.Contains(error))
                    {
                        // An options class may check what the binder already did ("must not be empty").
                        errors.Add(error);
                    }
                }
            }
            catch (Exception ex) when (ex is NullReferenceException or ArgumentException or InvalidOperationException or FormatException)
            {
                // The class's own checks met a value the binder has already reported (a null in a
                // list): that report stands. Otherwise the failure is the report.
                if (errors.Count == before)
                {
                    errors.Add(new OptionError(prefix.TrimEnd('.'), $"is not valid: {ex.Message}"));
                }
            }
        }
    }

    private static bool IsOptionsClass(Type type) =>
        type.IsClass && type != typeof(string) && !typeof(IEnumerable).IsAssignableFrom(type) && type.Namespace?.StartsWith("System", StringComparison.Ordinal) != true;

    private static bool IsDictionary(Type type) =>
        type.IsGenericType && type.GetInterfaces().Append(type).Any(i => i.IsGenericType && i.GetGenericTypeDefinition() is var d && (d == typeof(IDictionary<,>) || d == typeof(IReadOnlyDictionary<,>)));

    private static Type? ElementType(Type type)
    {
        if (type == typeof(string) || IsDictionary(type))
        {
            return null;
        }

        if (type.IsArray)
        {
            return type.GetElementType();
        }

        return type.GetInterfaces().Append(type)
            .FirstOrDefault(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IEnumerable<>))
            ?.GetGenericArguments()[0];
    }

    private static string JsonName(PropertyInfo property) =>
        property.GetCustomAttribute<JsonPropertyNameAttribute>()?.Name ?? JsonNamingPolicy.CamelCase.ConvertName(property.Name);

    private static string KeyFromPath(string? path)
    {
        if (string.IsNullOrEmpty(path) || path == "$")
        {
            return string.Empty;
        }

        var key = path.StartsWith("$.", StringComparison.Ordinal) ? path[2..] : path.TrimStart('$');
        return key.Replace("['", ".", StringComparison.Ordinal).Replace("']", string.Empty, StringComparison.Ordinal).TrimStart('.');
    }

    private static string CleanMessage(string message)
    {
        var at = message.IndexOf(" Path: ", StringComparison.Ordinal);
        return at >= 0 ? message[..at] : message;
    }
}
