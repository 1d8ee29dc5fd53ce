using System.Text;
using System.Text.Json.Nodes;
using OtlpFlow.Hosting;

namespace OtlpFlow.Cli.Tests;

/// <summary>
/// Seeded random mutations of every sample pipeline and perf graph, as a careless user (or a bad
/// template) would write them: `validate` answers 0 or 2, with every error located and never a
/// stack trace; a mutation `validate` accepts is run briefly (those without network or files), and
/// `run` never rejects what `validate` accepted nor prints a stack trace.
/// </summary>
public sealed class ConfigFuzzTests : IDisposable
{
    private const int Seed = 20261206;
    private const int MutationsPerFile = 40;
    private const int MaxRuns = 40;

    private static readonly JsonNode?[] HostileValues =
    [
        null, "", " ", -1, 0, 2147483648L, 1e308, -1e308, "100000h", "-5s", "0s", "abc", "NaN", true,
        new JsonArray(), new JsonObject(), new JsonArray((JsonNode?)null), "${env:OTLPFLOW_FUZZ_UNSET}", "\u0000",
        new string('x', 5000), "9999999TiB", "0B", "1e3", "1.5", long.MinValue, "generate", "$.x", "\ud7ff",
    ];

    // Pipelines with these run only under validate: they would listen, connect or touch files.
    private static readonly string[] NotRunWith = ["otlp.", "arrow.", "file.", "loadbalancing", "coordination", "routing.dynamic", "telemetry", "plugins"];

    private readonly TestCli _cli = new(registry: () => new OtlpFlowBuilder().BuildRegistry());

    public void Dispose() => _cli.Dispose();

    public static IEnumerable<string> Files() => RepositoryFiles.SamplePipelines()
        .Concat(Directory.EnumerateFiles(RepositoryFiles.PathOf("perf/graphs"), "*.json").Select(f => Path.GetRelativePath(RepositoryFiles.Root, f).Replace('\\', '/')))
        .Order(StringComparer.Ordinal);

    [Fact]
    public async Task Random_mutations_of_every_sample_and_perf_graph_never_crash_validate_or_run()
    {
        var random = new Random(Seed);
        int validated = 0, refused = 0, runs = 0;
        foreach (var file in Files())
        {
            var original = await File.ReadAllBytesAsync(RepositoryFiles.PathOf(file));
            for (var m = 0; m < MutationsPerFile; m++)
            {
                var (mutated, how) = Mutate(original, random);
                var path = _cli.Write("{}", "fuzz.json");
                await File.WriteAllBytesAsync(path, mutated);
                var context = $"{file}, mutation {m} ({how})";

                _cli.Out.GetStringBuilder().Clear();
                _cli.Error.GetStringBuilder().Clear();
                var exit = await _cli.RunAsync("validate", path);
                var errors = _cli.Error.ToString();
                validated++;
                Assert.True(exit is 0 or 2, $"{context}: validate exited {exit}: {errors}");
                Assert.DoesNotContain("   at ", errors, StringComparison.Ordinal);
                if (exit == 2)
                {
                    refused++;
                    Assert.All(errors.Split('\n', StringSplitOptions.RemoveEmptyEntries), line => Assert.StartsWith(path + ":", line, StringComparison.Ordinal));
                    continue;
                }

                var text = Encoding.UTF8.GetString(mutated);
                if (runs >= MaxRuns || NotRunWith.Any(t => text.Contains(t, StringComparison.Ordinal)))
                {
                    continue;
                }

                runs++;
                _cli.Error.GetStringBuilder().Clear();
                using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(60));
                var runExit = await _cli.RunAsync(deadline.Token, "run", path, "--duration", "300ms");
                var runErrors = _cli.Error.ToString();
                Assert.True(runExit is 0 or 1, $"{context}: validate accepted it but run exited {runExit}: {runErrors}");
                Assert.DoesNotContain("   at ", runErrors, StringComparison.Ordinal);
            }
        }

        // The mutations reach both sides of validation.
        Assert.True(refused > validated / 4, $"{refused} of {validated} refused");
        Assert.True(validated - refused > 10, $"only {validated - refused} of {validated} accepted");
        Assert.True(runs > 10, $"only {runs} runs");
    }

    /// <summary>One mutation: of the JSON tree (a value, a key, an input) or, once in five, of the bytes.</summary>
    private static (byte[] Bytes, string How) Mutate(byte[] original, Random random)
    {
        if (random.Next(5) == 0)
        {
            return MutateBytes(original, random);
        }

        var root = JsonNode.Parse(original, documentOptions: new System.Text.Json.JsonDocumentOptions { CommentHandling = System.Text.Json.JsonCommentHandling.Skip, AllowTrailingCommas = true })!;
        var nodes = new List<JsonNode>();
        Collect(root, nodes);
        var target = nodes[random.Next(nodes.Count)];
        var parent = target.Parent;
        string how;
        switch (random.Next(4))
        {
            case 0 when parent is JsonObject obj:
                var key = target.GetPropertyName();
                obj.Remove(key);
                how = $"removed {target.GetPath()}";
                break;
            case 1 when parent is JsonObject obj:
                var old = target.GetPropertyName();
                obj.Remove(old);
                obj[old + "x"] = target;
                how = $"renamed {old}";
                break;
            case 2 when root["operators"] is JsonObject operators && operators.Count > 0:
                var ids = operators.Select(p => p.Key).ToList();
                var victim = operators[ids[random.Next(ids.Count)]];
                if (victim is JsonObject op)
                {
                    var inputs = op["inputs"] as JsonArray ?? [];
                    inputs.Add(ids[random.Next(ids.Count)] + (random.Next(3) == 0 ? ".dropped" : string.Empty));
                    op["inputs"] = inputs.Parent is null ? inputs : inputs.DeepClone();
                }

                how = "added an input";
                break;
            default:
                var value = HostileValues[random.Next(HostileValues.Length)]?.DeepClone();
                var at = target.GetPath();
                if (parent is JsonObject o)
                {
                    o[target.GetPropertyName()] = value;
                }
                else if (parent is JsonArray a)
                {
                    a[target.GetElementIndex()] = value;
                }

                how = $"{at} = {value?.ToJsonString() ?? "null"}";
                break;
        }

        return (Encoding.UTF8.GetBytes(root.ToJsonString()), how.Length > 120 ? how[..120] : how);
    }

    private static (byte[] Bytes, string How) MutateBytes(byte[] original, Random random)
    {
        var bytes = original.ToList();
        var at = random.Next(bytes.Count);
        switch (random.Next(4))
        {
            case 0:
                bytes.Insert(at, (byte)random.Next(256));
                return (bytes.ToArray(), $"inserted a byte at {at}");
            case 1:
                bytes.RemoveAt(at);
                return (bytes.ToArray(), $"removed the byte at {at}");
            case 2:
                bytes[at] = (byte)random.Next(128, 256);
                return (bytes.ToArray(), $"high byte at {at}");
            default:
                return (bytes.Take(at).ToArray(), $"truncated at {at}");
        }
    }

    private static void Collect(JsonNode node, List<JsonNode> into)
    {
        if (node.Parent is not null)
        {
            into.Add(node);
        }

        switch (node)
        {
            case JsonObject obj:
                foreach (var (_, child) in obj)
                {
                    if (child is not null)
                    {
                        Collect(child, into);
                    }
                }

                break;
            case JsonArray array:
                foreach (var child in array)
                {
                    if (child is not null)
                    {
                        Collect(child, into);
                    }
                }

                break;
        }
    }
}
