using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using OtlpFlow.Engine.Options;

namespace OtlpFlow.Cli.Schema;

/// <summary>
/// Describes the options of an options class the way <see cref="OptionsBinder"/> binds them: JSON
/// names, whether required, defaults read from a new instance, descriptions from XML docs (or a
/// <see cref="DescriptionAttribute"/>).
/// </summary>
internal sealed class OptionsCatalog(XmlDocumentation docs)
{
    /// <summary>The documentation the descriptions come from.</summary>
    public XmlDocumentation Docs => docs;

    /// <summary>Every option of <paramref name="optionsType"/>, in declaration order.</summary>
    public IReadOnlyList<OptionDescription> Describe(Type optionsType)
    {
        var defaults = NewInstance(optionsType);
        return OptionsBinder.Properties(optionsType)
            .Select(p =>
            {
                var required = IsRequired(p.Property);
                return new OptionDescription(p.Name, p.Property, required, required ? null : Default(p.Property, defaults), Description(p.Property));
            })
            .ToList();
    }

    /// <summary>A property's description: its <see cref="DescriptionAttribute"/>, else its XML summary.</summary>
    public string? Description(PropertyInfo property) =>
        property.GetCustomAttribute<DescriptionAttribute>()?.Description ?? docs.Summary(property);

    /// <summary>A type's description: its <see cref="DescriptionAttribute"/>, else its XML summary.</summary>
    public string? Description(Type type) =>
        type.GetCustomAttribute<DescriptionAttribute>()?.Description ?? docs.Summary(type);

    private static bool IsRequired(PropertyInfo property) =>
        property.GetCustomAttribute<RequiredAttribute>() is not null || property.GetCustomAttribute<RequiredMemberAttribute>() is not null;

    private static object? NewInstance(Type type)
    {
        try
        {
            return Activator.CreateInstance(type);
        }
        catch (Exception ex) when (ex is MissingMethodException or TargetInvocationException or MemberAccessException or ArgumentException or NotSupportedException)
        {
            // No usable parameterless constructor: the options are listed without defaults.
            return null;
        }
    }

    private static JsonNode? Default(PropertyInfo property, object? defaults)
    {
        if (defaults is null)
        {
            return null;
        }

        try
        {
            var value = property.GetValue(defaults);
            return value is null ? null : JsonSerializer.SerializeToNode(value, property.PropertyType, OptionsBinder.SerializerOptions);
        }
        catch (Exception ex) when (ex is NotSupportedException or InvalidOperationException or TargetInvocationException or JsonException or ArgumentException)
        {
            // Not representable in JSON (such as an infinite number): the description says what the default means.
            return null;
        }
    }
}
