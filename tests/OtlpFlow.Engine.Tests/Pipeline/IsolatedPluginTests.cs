using System.Reflection;
using System.Runtime.Loader;
using System.Text.Json;
using OtlpFlow.Engine.Operators;
using OtlpFlow.Engine.Pipeline;
using OtlpFlow.Engine.Plugins;

namespace OtlpFlow.Engine.Tests.Pipeline;

/// <summary>
/// Plugins load in their own context: tests/plugins/SqlitePlugin depends on Microsoft.Data.Sqlite (and
/// its native e_sqlite3), which the host does not have, and its folder holds its own OtlpFlow.Engine.dll.
/// </summary>
public sealed class IsolatedPluginTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("otlpflow-plugin-tests-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    /// <summary>The built test plugin.</summary>
    public static string SqlitePlugin
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "OtlpFlow.sln")))
                {
                    return Path.Combine(dir.FullName, "tests", "plugins", "SqlitePlugin", "bin", "plugin", "OtlpFlow.Tests.SqlitePlugin.dll");
                }
            }

            throw new InvalidOperationException("OtlpFlow.sln not found");
        }
    }

    [Fact]
    public async Task A_plugin_with_a_package_and_a_native_library_writes_every_span_into_its_database()
    {
        var database = Path.Combine(_folder, "spans.db");
        var fixture = new EngineFixture();
        await using (var pipeline = fixture.Build(Pipeline(SqlitePlugin, database, batches: 3)))
        {
            await pipeline.StartAsync();
            await pipeline.Completion;
        }

        // Read back through the plugin's own Microsoft.Data.Sqlite (the test host has none).
        var names = ReadNames(SqlitePlugin, database);
        Assert.Equal(Enumerable.Range(0, 3).SelectMany(i => new[] { $"span-{i}", $"span-{i}-1", $"span-{i}-2", $"span-{i}-3" }), names);
        Assert.DoesNotContain(AssemblyLoadContext.Default.Assemblies, a => a.GetName().Name == "Microsoft.Data.Sqlite");
    }

    [Fact]
    public void The_plugin_operator_derives_from_the_hosts_engine_although_its_folder_has_its_own_copy()
    {
        Assert.True(File.Exists(Path.Combine(Path.GetDirectoryName(SqlitePlugin)!, "OtlpFlow.Engine.dll")));
        var fixture = new EngineFixture();

        var errors = fixture.Validate(Pipeline(SqlitePlugin, Path.Combine(_folder, "unused.db"), batches: 1));

        Assert.Empty(errors);
        Assert.True(fixture.Registry.TryGet("test.sqlite", out var descriptor));
        Assert.True(typeof(OperatorBase).IsAssignableFrom(descriptor.OperatorType));
        Assert.IsType<PluginLoadContext>(AssemblyLoadContext.GetLoadContext(descriptor.OperatorType.Assembly));
        Assert.Equal(Path.GetFullPath(SqlitePlugin), PluginLoadContext.PluginOf(descriptor.OperatorType.Assembly));
        Assert.DoesNotContain(AssemblyLoadContext.GetLoadContext(descriptor.OperatorType.Assembly)!.Assemblies, a => a.GetName().Name is "OtlpFlow.Engine" or "Google.Protobuf");
    }

    [Fact]
    public void A_plugin_path_loaded_twice_is_one_assembly_in_one_context()
    {
        var first = new EngineFixture();
        var second = new EngineFixture();
        var json = Pipeline(SqlitePlugin, Path.Combine(_folder, "unused.db"), batches: 1);

        Assert.Empty(first.Validate(json));
        Assert.Empty(second.Validate(json));

        first.Registry.TryGet("test.sqlite", out var one);
        second.Registry.TryGet("test.sqlite", out var two);
        Assert.Same(one.OperatorType, two.OperatorType);
        Assert.Same(one.OperatorType.Assembly, PluginLoadContext.LoadPlugin(SqlitePlugin));
    }

    [Fact]
    public async Task A_dependency_missing_from_the_plugins_folder_is_reported_with_the_plugin_and_the_file()
    {
        // A copy of the plugin's folder (its native libraries left out) without Microsoft.Data.Sqlite.dll.
        var copy = Path.Combine(_folder, "broken");
        CopyFolder(Path.GetDirectoryName(SqlitePlugin)!, copy);
        File.Delete(Path.Combine(copy, "Microsoft.Data.Sqlite.dll"));
        var plugin = Path.Combine(copy, Path.GetFileName(SqlitePlugin));

        var fixture = new EngineFixture();
        await using var pipeline = fixture.Build(Pipeline(plugin, Path.Combine(_folder, "broken.db"), batches: 1));
        var error = await Assert.ThrowsAsync<PipelineFaultedException>(() => pipeline.StartAsync());

        Assert.Equal("db", error.OperatorId);
        Assert.Contains($"plugin '{plugin}'", error.Message, StringComparison.Ordinal);
        Assert.Contains("Microsoft.Data.Sqlite", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_native_library_missing_from_the_plugins_folder_is_reported_with_the_plugin_and_its_cause()
    {
        // A copy of the plugin's folder without runtimes/ (where e_sqlite3 is): the type initializer of
        // SqliteConnection fails, and the message says why instead of only that it failed.
        var copy = Path.Combine(_folder, "no-natives");
        CopyFolder(Path.GetDirectoryName(SqlitePlugin)!, copy);
        var plugin = Path.Combine(copy, Path.GetFileName(SqlitePlugin));

        var fixture = new EngineFixture();
        await using var pipeline = fixture.Build(Pipeline(plugin, Path.Combine(_folder, "no-natives.db"), batches: 1));
        var error = await Assert.ThrowsAsync<PipelineFaultedException>(() => pipeline.StartAsync());

        Assert.Contains($"plugin '{plugin}': a native library could not be loaded", error.Message, StringComparison.Ordinal);
        Assert.Contains("e_sqlite3", error.Message, StringComparison.Ordinal);
        Assert.Contains("The type initializer for 'Microsoft.Data.Sqlite.SqliteConnection' threw an exception.", error.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void A_plugin_that_is_not_an_assembly_is_reported_with_its_path()
    {
        var plugin = Path.Combine(_folder, "notes.dll");
        File.WriteAllText(plugin, "not an assembly");

        var error = Assert.Single(new EngineFixture().Validate($$"""{ "plugins": [{{JsonSerializer.Serialize(plugin)}}], "operators": {} }"""));

        Assert.Equal("$.plugins[0]", error.JsonPath);
        Assert.Contains($"plugin '{plugin}' could not be loaded", error.Message, StringComparison.Ordinal);
    }

    private static string Pipeline(string plugin, string database, int batches) => $$"""
        { "plugins": [{{JsonSerializer.Serialize(plugin)}}],
          "operators": {
            "src": { "type": "test.source", "batches": {{batches}} },
            "db":  { "type": "test.sqlite", "inputs": ["src"], "path": {{JsonSerializer.Serialize(database)}} } } }
        """;

    private static IReadOnlyList<string> ReadNames(string plugin, string database)
    {
        var sink = PluginLoadContext.LoadPlugin(plugin).GetType("OtlpFlow.Tests.SqlitePlugin.SqliteSpanSink", throwOnError: true)!;
        var read = sink.GetMethod("ReadNames", BindingFlags.Public | BindingFlags.Static)!;
        return (IReadOnlyList<string>)read.Invoke(null, [database])!;
    }

    private static void CopyFolder(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.EnumerateFiles(from))
        {
            File.Copy(file, Path.Combine(to, Path.GetFileName(file)));
        }
    }
}
