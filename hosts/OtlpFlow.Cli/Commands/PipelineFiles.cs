using OtlpFlow.Engine.Pipeline;
using OtlpFlow.Hosting;

namespace OtlpFlow.Cli.Commands;

/// <summary>Reading pipeline files for the commands, with errors printed one per line.</summary>
internal static class PipelineFiles
{
    /// <summary>Reads <paramref name="path"/>; on failure prints why to <paramref name="error"/> and returns null.</summary>
    public static PipelineSpec? TryLoad(string path, TextWriter error)
    {
        try
        {
            return PipelineRunner.LoadFile(path);
        }
        catch (PipelineValidationException ex)
        {
            PrintErrors(ex.Errors, error);
            return null;
        }
    }

    /// <summary>Prints each error as <c>file:line:column: operator 'id': message</c>.</summary>
    public static void PrintErrors(IEnumerable<PipelineError> errors, TextWriter error)
    {
        foreach (var e in errors)
        {
            error.WriteLine(e.ToString());
        }
    }
}
