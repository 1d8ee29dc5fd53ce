using System.Reflection;
using System.Text.Json.Nodes;

namespace OtlpFlow.Cli.Schema;

/// <summary>One option of an options class, as the schema and the operator docs show it.</summary>
/// <param name="Name">The JSON key.</param>
/// <param name="Property">The property it binds to.</param>
/// <param name="Required">Whether a pipeline must give it.</param>
/// <param name="Default">The default as JSON, or null when it has none worth showing.</param>
/// <param name="Description">The property's XML summary, or null.</param>
internal sealed record OptionDescription(string Name, PropertyInfo Property, bool Required, JsonNode? Default, string? Description);
