using System.Reflection;
using System.Text;
using System.Text.Json;
using System.Xml.Linq;

namespace OtlpFlow.Cli.Schema;

/// <summary>
/// Reads the <c>&lt;summary&gt;</c> of types and properties from the XML documentation files the build
/// puts next to each assembly, as plain text: the descriptions of the schema and of the operator docs.
/// </summary>
internal sealed class XmlDocumentation
{
    private readonly Dictionary<Assembly, Dictionary<string, string>> _byAssembly = [];

    /// <summary>The summary of a type, or null when it has none or its assembly has no documentation file.</summary>
    public string? Summary(Type type) => Find(type.Assembly, "T:" + Name(type));

    /// <summary>The summary of a property, or null.</summary>
    public string? Summary(PropertyInfo property) =>
        Find(property.DeclaringType!.Assembly, $"P:{Name(property.DeclaringType!)}.{property.Name}");

    /// <summary>The summary of an enum value, or null.</summary>
    public string? Summary(FieldInfo field) =>
        Find(field.DeclaringType!.Assembly, $"F:{Name(field.DeclaringType!)}.{field.Name}");

    private static string Name(Type type) => (type.FullName ?? type.Name).Replace('+', '.');

    private string? Find(Assembly assembly, string member)
    {
        if (!_byAssembly.TryGetValue(assembly, out var members))
        {
            members = Load(assembly);
            _byAssembly[assembly] = members;
        }

        return members.GetValueOrDefault(member);
    }

    private static Dictionary<string, string> Load(Assembly assembly)
    {
        var members = new Dictionary<string, string>(StringComparer.Ordinal);
        if (string.IsNullOrEmpty(assembly.Location))
        {
            return members;
        }

        var path = Path.ChangeExtension(assembly.Location, ".xml");
        if (!File.Exists(path))
        {
            return members;
        }

        foreach (var member in XDocument.Load(path).Descendants("member"))
        {
            if (member.Attribute("name")?.Value is { } name && member.Element("summary") is { } summary)
            {
                members[name] = Text(summary);
            }
        }

        return members;
    }

    /// <summary>The element's text with references reduced to their names and whitespace collapsed.</summary>
    private static string Text(XElement element)
    {
        var text = new StringBuilder();
        foreach (var node in element.Nodes())
        {
            switch (node)
            {
                case XText t:
                    text.Append(t.Value);
                    break;
                case XElement { Name.LocalName: "see" or "seealso" } see:
                    var reference = see.Attribute("langword")?.Value ?? see.Attribute("href")?.Value ?? see.Attribute("cref")?.Value ?? string.Empty;
                    text.Append(see.IsEmpty ? ShortName(reference) : Text(see));
                    break;
                case XElement { Name.LocalName: "paramref" or "typeparamref" } p:
                    text.Append(p.Attribute("name")?.Value);
                    break;
                case XElement e:
                    text.Append(Text(e));
                    break;
            }
        }

        return string.Join(' ', text.ToString().Split((char[])[' ', '\n', '\r', '\t'], StringSplitOptions.RemoveEmptyEntries));
    }

    private static string ShortName(string cref)
    {
        var name = cref.Length > 2 && cref[1] == ':' ? cref[2..] : cref;
        var paren = name.IndexOf('(', StringComparison.Ordinal);
        if (paren >= 0)
        {
            name = name[..paren];
        }

        // A property is written as pipeline files name it ("decisionWait"); anything else by its short name.
        var last = name.Split('.')[^1].Split('`')[0];
        return cref.StartsWith("P:", StringComparison.Ordinal) ? JsonNamingPolicy.CamelCase.ConvertName(last) : last;
    }
}
