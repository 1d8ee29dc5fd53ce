using System.CommandLine;
using System.ComponentModel.DataAnnotations;
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Text.Json;
using OtlpFlow.Cli.Output;
using OtlpFlow.Engine.Operators;
using OtlpFlow.Engine.Options;

namespace OtlpFlow.Cli.Commands;

/// <summary>
/// <c>otlpflow operators [--plugin DLL]...</c>: every registered operator type (and those of the
/// plugins named), sorted, with its kind, description and options (JSON name, expected value, default).
/// </summary>
internal static class OperatorsCommand
{
    /// <summary>The command's syntax.</summary>
    public static Command Create(CliEnvironment environment)
    {
        var plugins = PluginOption.Create();
        var command = new Command("operators", "List the operator types a pipeline may use, with their options and defaults.")
        {
            plugins,
        };
        command.SetAction(parse => Execute(environment, parse.GetValue(plugins)));
        return command;
    }

    /// <summary>Prints the catalogue, with the operators of <paramref name="plugins"/>; returns 0, or 2 when a plugin cannot be loaded.</summary>
    public static int Execute(CliEnvironment environment, IReadOnlyList<string>? plugins = null)
    {
        ArgumentNullException.ThrowIfNull(environment);
        if (PluginOption.CreateRegistry(environment, plugins) is not { } registry)
        {
            return ExitCodes.Invalid;
        }

        var output = environment.Out;
        var operators = registry.Operators.OrderBy(d => d.Type, StringComparer.Ordinal).ToList();
        if (operators.Count == 0)
        {
            output.WriteLine("no operator types are registered");
            return ExitCodes.Success;
        }

        for (var i = 0; i < operators.Count; i++)
        {
            if (i > 0)
            {
                output.WriteLine();
            }

            Write(output, operators[i]);
        }

        return ExitCodes.Success;
    }

    private static void Write(TextWriter output, OperatorDescriptor descriptor)
    {
        output.WriteLine($"{descriptor.Type} ({SummaryTable.KindName(descriptor.Kind)})");
        if (!string.IsNullOrWhiteSpace(descriptor.Description))
        {
            output.WriteLine($"  {descriptor.Description}");
        }

        var options = descriptor.OptionsType is null ? [] : OptionsBinder.Properties(descriptor.OptionsType);
        if (options.Count == 0)
        {
            output.WriteLine("  no options");
            return;
        }

        var defaults = DefaultInstance(descriptor.OptionsType!);
        var rows = options
            .Select(o => (o.Name, Type: OptionsBinder.Expectation(o.Property.PropertyType), Default: DefaultText(o.Property, defaults)))
            .ToList();
        var nameWidth = rows.Max(r => r.Name.Length);
        var typeWidth = rows.Max(r => r.Type.Length);
        output.WriteLine("  options:");
        foreach (var (name, type, value) in rows)
        {
            output.WriteLine($"    {name.PadRight(nameWidth)}  {type.PadRight(typeWidth)}  {value}".TrimEnd());
        }
    }

    private static object? DefaultInstance(Type optionsType)
    {
        try
        {
            return Activator.CreateInstance(optionsType);
        }
        catch (Exception ex) when (ex is MissingMethodException or TargetInvocationException or MemberAccessException or ArgumentException or NotSupportedException)
        {
            // An options class without a usable parameterless constructor: list the options without defaults.
            return null;
        }
    }

    private static string DefaultText(PropertyInfo property, object? defaults)
    {
        if (property.GetCustomAttribute<RequiredAttribute>() is not null || property.GetCustomAttribute<RequiredMemberAttribute>() is not null)
        {
            return "required";
        }

        if (defaults is null)
        {
            return string.Empty;
        }

        try
        {
            var value = property.GetValue(defaults);
            return value is null ? "default: none" : "default: " + JsonSerializer.Serialize(value, property.PropertyType, OptionsBinder.SerializerOptions);
        }
        catch (Exception ex) when (ex is NotSupportedException or InvalidOperationException or TargetInvocationException or JsonException)
        {
            return string.Empty;
        }
    }
}
