using System.CommandLine;
using OtlpFlow.Engine.Pipeline;

namespace OtlpFlow.Cli.Commands;

/// <summary>
/// <c>otlpflow validate &lt;file&gt;</c>: reports every problem of a pipeline file, one per line as
/// compilers do (<c>file:line:column: operator 'id': message</c>), without running it.
/// </summary>
internal static class ValidateCommand
{
    /// <summary>The command's syntax.</summary>
    public static Command Create(CliEnvironment environment)
    {
        var file = new Argument<string>("file") { Description = "The pipeline file (JSON)." };
        var command = new Command("validate", "Check a pipeline file: types, options, inputs, ports, cycles. Exits 2 when there is any problem.")
        {
            file,
        };
        command.SetAction(parse => Execute(parse.GetValue(file)!, environment));
        return command;
    }

    /// <summary>Validates <paramref name="path"/>; returns 0 when valid, 2 otherwise.</summary>
    public static int Execute(string path, CliEnvironment environment)
    {
        ArgumentNullException.ThrowIfNull(environment);
        if (PipelineFiles.TryLoad(path, environment.Error) is not { } spec)
        {
            return ExitCodes.Invalid;
        }

        var errors = new PipelineBuilder(environment.CreateRegistry(), environment.Services).Validate(spec);
        if (errors.Count > 0)
        {
            PipelineFiles.PrintErrors(errors, environment.Error);
            return ExitCodes.Invalid;
        }

        var count = spec.Operators.Count;
        environment.Out.WriteLine($"{path}: valid ({count} operator{(count == 1 ? string.Empty : "s")})");
        return ExitCodes.Success;
    }
}
