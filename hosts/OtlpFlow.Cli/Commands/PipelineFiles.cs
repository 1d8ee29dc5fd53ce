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

    /// <summary>The quickstart pipeline built into the program (samples/pipelines/quickstart.json), for a first run with no file.</summary>
    public static PipelineSpec Quickstart()
    {
        using var stream = typeof(PipelineFiles).Assembly.GetManifestResourceStream("quickstart.json")
            ?? throw new InvalidOperationException("The built-in quickstart pipeline is missing from the program.");
        using var memory = new MemoryStream();
        stream.CopyTo(memory);
        return PipelineLoader.Parse(memory.ToArray(), "<built-in quickstart>");
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
