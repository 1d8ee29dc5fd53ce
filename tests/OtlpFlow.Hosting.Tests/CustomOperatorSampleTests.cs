using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using OtlpFlow.Engine.Pipeline;

namespace OtlpFlow.Hosting.Tests;

public sealed partial class CustomOperatorSampleTests : IDisposable
{
    private readonly PipelineFiles _files = new();

    public void Dispose() => _files.Dispose();

    private static string Sample(string relative)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "OtlpFlow.sln")))
            {
                return Path.Combine(dir.FullName, "samples", "CustomOperator", relative);
            }
        }

        throw new InvalidOperationException("OtlpFlow.sln not found");
    }

    [GeneratedRegex(@"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")]
    private static partial Regex Email();

    [Fact]
    public async Task The_sample_plugin_loads_from_a_pipeline_file_and_hashes_every_email_address()
    {
        var output = Path.Combine(Path.GetTempPath(), $"otlpflow-redacted-{Guid.NewGuid():N}.json");
        var path = _files.Write($$"""
            {
              "name": "redact",
              "plugins": [{{Json(Sample("bin/plugin/OtlpFlow.Samples.CustomOperator.dll"))}}],
              "operators": {
                "in":     { "type": "file.reader", "path": {{Json(Sample("input/signups.json"))}} },
                "redact": { "type": "sample.redactEmails", "inputs": ["in"], "keepDomain": true, "salt": "s3cret" },
                "out":    { "type": "file.writer", "inputs": ["redact"], "path": {{Json(output)}} }
              }
            }
            """);
        try
        {
            var result = await new PipelineRunner(new OtlpFlowBuilder().BuildRegistry()).RunFileAsync(path);

            Assert.True(result.Outcome == PipelineRunOutcome.Completed, string.Join("\n", result.Errors) + result.ErrorMessage);
            Assert.All(result.Operators.Where(o => o.Kind != Engine.Operators.OperatorKind.Source), o => Assert.True(o.Counters.Balanced));
            Assert.Equal(3, result.Operators.Single(o => o.Id == "out").Counters.ItemsOut);

            var input = await File.ReadAllTextAsync(Sample("input/signups.json"));
            var redacted = await File.ReadAllTextAsync(output);
            var originals = Email().Matches(input).Select(m => m.Value).ToList();
            Assert.Equal(6, originals.Count);

            // Every address became its salted hash with the domain kept, and nothing else changed.
            var expected = Email().Replace(input, m => Hash("s3cret", m.Value));
            Assert.Equal(expected.ReplaceLineEndings("\n").Trim(), redacted.ReplaceLineEndings("\n").Trim());
            Assert.DoesNotContain("alice@", redacted, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(output);
        }
    }

    [Fact]
    public void The_sample_pipeline_file_is_valid_with_the_plugin_it_names()
    {
        var spec = PipelineRunner.LoadFile(Sample("redact.json"));

        var errors = new PipelineBuilder(new OtlpFlowBuilder().BuildRegistry()).Validate(spec);

        Assert.Empty(errors);
        Assert.Contains(spec.Operators, o => o.Type == "sample.redactEmails");
    }

    private static string Hash(string salt, string email)
    {
        var digest = SHA256.HashData(Encoding.UTF8.GetBytes(salt + email.ToLowerInvariant()));
        return Convert.ToHexStringLower(digest)[..16] + email[email.LastIndexOf('@')..];
    }

    private static string Json(string text) => System.Text.Json.JsonSerializer.Serialize(text);
}
