namespace OtlpFlow.Hosting.Tests;

/// <summary>Writes pipeline files to a temporary folder removed at dispose.</summary>
public sealed class PipelineFiles : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("otlpflow-hosting-tests-").FullName;

    public string Write(string json, string name = "pipeline.json")
    {
        var path = Path.Combine(_folder, name);
        File.WriteAllText(path, json);
        return path;
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);
}
